//! Every record is identified by a UUID v7, sent to clients as a GraphQL `ID`.

use async_graphql::ID;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

/// Parses a client-supplied ID; `field` names the argument in the error.
pub fn parse_id(field: &str, id: &ID) -> ApiResult<Uuid> {
    Uuid::parse_str(id.as_str()).map_err(|_| {
        ApiError::validation(field, crate::text!("is not a valid ID", "不是有效的 ID"))
    })
}

/// Parses an optional client-supplied ID.
pub fn parse_optional_id(field: &str, id: Option<&ID>) -> ApiResult<Option<Uuid>> {
    id.map(|id| parse_id(field, id)).transpose()
}

/// Parses an optional ID of an update input, keeping absent and null apart (see
/// [`crate::validate::patch`]).
pub fn parse_maybe_id(
    field: &str,
    id: async_graphql::MaybeUndefined<ID>,
) -> ApiResult<async_graphql::MaybeUndefined<Uuid>> {
    use async_graphql::MaybeUndefined;
    Ok(match id {
        MaybeUndefined::Value(id) => MaybeUndefined::Value(parse_id(field, &id)?),
        MaybeUndefined::Null => MaybeUndefined::Null,
        MaybeUndefined::Undefined => MaybeUndefined::Undefined,
    })
}

/// Parses a list of client-supplied IDs.
pub fn parse_ids(field: &str, ids: &[ID]) -> ApiResult<Vec<Uuid>> {
    ids.iter().map(|id| parse_id(field, id)).collect()
}

/// Checks a list of worker references. Workers belong to the talent subgraph, which the
/// others cannot read, so only the shape is checked: well-formed IDs, no repeats, and a count
/// within `min..=max`.
pub fn worker_ids(field: &str, ids: &[ID], min: usize, max: usize) -> ApiResult<Vec<Uuid>> {
    distinct_ids(field, ids, min, max, ("worker", "workers"))
}

/// `min` to `max` distinct IDs of records named `noun` (singular, plural), in the order
/// given: the records a list input refers to.
pub fn distinct_ids(
    field: &str,
    ids: &[ID],
    min: usize,
    max: usize,
    (one, many): (&str, &str),
) -> ApiResult<Vec<Uuid>> {
    if ids.len() < min || ids.len() > max {
        return Err(ApiError::validation(
            field,
            crate::text!(
                "must name {min} to {max} {many}, got {}",
                "须列出 {min} 到 {max} 个{many}，实际为 {}",
                ids.len()
            ),
        ));
    }
    let mut parsed = Vec::with_capacity(ids.len());
    for id in ids {
        let record_id = parse_id(field, id)?;
        if parsed.contains(&record_id) {
            return Err(ApiError::validation(
                field,
                crate::text!(
                    "names {one} {record_id} more than once",
                    "重复列出了{one} {record_id}"
                ),
            ));
        }
        parsed.push(record_id);
    }
    Ok(parsed)
}

/// A fresh ID for a record created now.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// An ID whose time part is `at`, so that records generated for the past sort by their
/// own dates (the demo data uses this).
pub fn id_at(at: chrono::DateTime<chrono::Utc>, rng: &mut impl rand::Rng) -> Uuid {
    let millis = at.timestamp_millis().max(0) as u64;
    let mut random = [0u8; 10];
    rng.fill(&mut random);
    uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_references_must_be_well_formed_distinct_and_counted() {
        let id = ID(Uuid::now_v7().to_string());
        assert_eq!(
            worker_ids("authorIds", std::slice::from_ref(&id), 1, 20)
                .unwrap()
                .len(),
            1
        );
        assert!(worker_ids("authorIds", &[], 1, 20).is_err());
        assert!(worker_ids("authorIds", &[id.clone(), id.clone()], 1, 20).is_err());
        assert!(worker_ids("authorIds", &[ID("nope".into())], 1, 20).is_err());
        let many: Vec<ID> = (0..21).map(|_| ID(Uuid::now_v7().to_string())).collect();
        assert!(worker_ids("authorIds", &many, 1, 20).is_err());
    }
}
