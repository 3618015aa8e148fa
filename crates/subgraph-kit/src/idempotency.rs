//! Idempotency keys for creates: a client (typically a partner bureau's integration) that
//! retries a create with the same key gets the first result back and nothing new is written.
//! Keys are scoped by mutation and actor, so two partners cannot collide.
//!
//! A key stands for one request, not just one record: the claim keeps a fingerprint of the
//! create's input, and a create that reuses the key with a different input is refused with
//! `IDEMPOTENCY_KEY_REUSED` and writes nothing — answering it with the first record would
//! tell the client that what it sent the second time was stored (the IETF Idempotency-Key
//! draft answers 422 here, Stripe an error as well).
//!
//! The fingerprint is the SHA-256 of the input's canonical JSON, as GraphQL coerced it (so
//! the same input sent inline or in variables, its fields in any order, is the same
//! request), with the key itself left out, object keys sorted and null fields dropped: an
//! optional field left out and one sent as null are the same input, and a field added to an
//! input type later does not change the fingerprint of requests made before. Keys claimed
//! before fingerprints were kept have none; they match any input, as they did then.

use async_graphql::{InputType, Name, Value};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::validate;

/// The field of a create's input that holds the key; it is not part of the fingerprint.
const KEY_FIELD: &str = "idempotencyKey";

/// The outcome of claiming a key inside the create's transaction.
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// No key was given, or it is new: go on and create the record with the claimed ID.
    New,
    /// The key was used before, for the same input: return this record and write nothing.
    Existing(Uuid),
}

/// Claims `key` for `record_id`, created from `input`, within the caller's transaction.
/// A concurrent claim of the same key waits for the first transaction and then sees its
/// record. A key already claimed for a different input is refused with
/// `IDEMPOTENCY_KEY_REUSED`; the caller's transaction then writes nothing.
pub async fn claim<I: InputType>(
    conn: &mut PgConnection,
    scope: &str,
    actor: &Actor,
    key: Option<&str>,
    input: &I,
    record_id: Uuid,
) -> ApiResult<Claim> {
    let Some(key) = key else {
        return Ok(Claim::New);
    };
    let key = validate::text("idempotencyKey", key, 200)?;
    let fingerprint = fingerprint(input)?;
    let inserted = sqlx::query_scalar::<_, Uuid>(
        "insert into idempotency_key (scope, actor, key, record_id, fingerprint)
         values ($1, $2, $3, $4, $5)
         on conflict do nothing
         returning record_id",
    )
    .bind(scope)
    .bind(&actor.subject)
    .bind(&key)
    .bind(record_id)
    .bind(fingerprint.as_slice())
    .fetch_optional(&mut *conn)
    .await?;
    if inserted.is_some() {
        return Ok(Claim::New);
    }
    let (existing, claimed_for) = sqlx::query_as::<_, (Uuid, Option<Vec<u8>>)>(
        "select record_id, fingerprint from idempotency_key
         where scope = $1 and actor = $2 and key = $3",
    )
    .bind(scope)
    .bind(&actor.subject)
    .bind(&key)
    .fetch_one(&mut *conn)
    .await?;
    match claimed_for {
        Some(claimed_for) if claimed_for != fingerprint.as_slice() => {
            Err(ApiError::IdempotencyKeyReused {
                mutation: scope.to_string(),
                key,
            })
        }
        _ => Ok(Claim::Existing(existing)),
    }
}

/// The fingerprint of a create's input: SHA-256 of its canonical JSON (see the module
/// documentation).
pub fn fingerprint<I: InputType>(input: &I) -> ApiResult<[u8; 32]> {
    let mut value = input.to_value();
    if let Value::Object(fields) = &mut value {
        fields.shift_remove(KEY_FIELD);
    }
    let mut hasher = Sha256::new();
    serde_json::to_writer(&mut hasher, &canonical(value))
        .map_err(|err| ApiError::internal(format!("Failed to fingerprint an input: {err}")))?;
    Ok(hasher.finalize().into())
}

/// `value` with the fields of every object sorted by name and its null fields left out.
fn canonical(value: Value) -> Value {
    match value {
        Value::Object(fields) => {
            let mut fields: Vec<(Name, Value)> = fields
                .into_iter()
                .filter(|(_, value)| *value != Value::Null)
                .map(|(name, value)| (name, canonical(value)))
                .collect();
            fields.sort_by(|(a, _), (b, _)| a.as_str().cmp(b.as_str()));
            Value::Object(fields.into_iter().collect())
        }
        Value::List(items) => Value::List(items.into_iter().map(canonical).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{Enum, InputObject};

    use super::*;

    #[derive(Enum, Clone, Copy, PartialEq, Eq)]
    enum Kind {
        City,
        District,
    }

    #[derive(InputObject)]
    struct Nested {
        b: Option<i32>,
        a: String,
    }

    #[derive(InputObject)]
    struct CreateThing {
        name: String,
        kind: Kind,
        note: Option<String>,
        nested: Option<Vec<Nested>>,
        idempotency_key: Option<String>,
    }

    fn thing(name: &str, key: &str) -> CreateThing {
        CreateThing {
            name: name.to_string(),
            kind: Kind::City,
            note: None,
            nested: Some(vec![Nested {
                b: None,
                a: "x".to_string(),
            }]),
            idempotency_key: Some(key.to_string()),
        }
    }

    #[test]
    fn the_fingerprint_leaves_out_the_key_and_tells_inputs_apart() {
        let first = fingerprint(&thing("科协", "k-1")).unwrap();
        assert_eq!(fingerprint(&thing("科协", "k-2")).unwrap(), first);
        assert_ne!(fingerprint(&thing("科协 ", "k-1")).unwrap(), first);
        let other_kind = CreateThing {
            kind: Kind::District,
            ..thing("科协", "k-1")
        };
        assert_ne!(fingerprint(&other_kind).unwrap(), first);
        let with_note = CreateThing {
            note: Some(String::new()),
            ..thing("科协", "k-1")
        };
        assert_ne!(fingerprint(&with_note).unwrap(), first);
    }

    #[test]
    fn canonical_json_sorts_fields_and_drops_nulls() {
        let value = thing("科协", "k").to_value();
        let json = serde_json::to_string(&canonical(value)).unwrap();
        assert_eq!(
            json,
            r#"{"idempotencyKey":"k","kind":"CITY","name":"科协","nested":[{"a":"x"}]}"#
        );
    }
}
