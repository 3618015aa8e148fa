//! Every record is identified by a UUID v7, sent to clients as a GraphQL `ID`.

use async_graphql::ID;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

/// Parses a client-supplied ID; `field` names the argument in the error.
pub fn parse_id(field: &str, id: &ID) -> ApiResult<Uuid> {
    Uuid::parse_str(id.as_str()).map_err(|_| ApiError::validation(field, "is not a valid ID"))
}

/// Parses an optional client-supplied ID.
pub fn parse_optional_id(field: &str, id: Option<&ID>) -> ApiResult<Option<Uuid>> {
    id.map(|id| parse_id(field, id)).transpose()
}

/// Parses a list of client-supplied IDs.
pub fn parse_ids(field: &str, ids: &[ID]) -> ApiResult<Vec<Uuid>> {
    ids.iter().map(|id| parse_id(field, id)).collect()
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
