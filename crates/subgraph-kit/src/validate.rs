//! Checks shared by every subgraph's input types. Each returns a `VALIDATION` error naming
//! the field.

use chrono::NaiveDate;

use crate::error::{ApiError, ApiResult};

/// Trims `value` and requires 1..=`max_chars` characters.
pub fn text(field: &str, value: &str, max_chars: usize) -> ApiResult<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ApiError::validation(field, "must not be empty"));
    }
    let chars = trimmed.chars().count();
    if chars > max_chars {
        return Err(ApiError::validation(
            field,
            format!("must be at most {max_chars} characters, got {chars}"),
        ));
    }
    Ok(trimmed.to_string())
}

/// Like [`text`], for an optional field; an empty string clears it.
pub fn optional_text(
    field: &str,
    value: Option<&str>,
    max_chars: usize,
) -> ApiResult<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(value) => text(field, value, max_chars).map(Some),
    }
}

/// Requires a count or amount that is zero or more.
pub fn non_negative<T: PartialOrd + Default + Copy>(field: &str, value: T) -> ApiResult<T> {
    if value < T::default() {
        return Err(ApiError::validation(field, "must not be negative"));
    }
    Ok(value)
}

/// Requires `end` (when present) not to be before `start`.
pub fn date_order(field: &str, start: Option<NaiveDate>, end: Option<NaiveDate>) -> ApiResult<()> {
    if let (Some(start), Some(end)) = (start, end) {
        if end < start {
            return Err(ApiError::validation(
                field,
                format!("ends on {end}, before it starts on {start}"),
            ));
        }
    }
    Ok(())
}

/// Requires a plausible year (1900..=2100).
pub fn year(field: &str, value: i32) -> ApiResult<i32> {
    if !(1900..=2100).contains(&value) {
        return Err(ApiError::validation(
            field,
            "must be a year between 1900 and 2100",
        ));
    }
    Ok(value)
}

/// Checks that the version a client read is the one stored; updates use it for
/// optimistic concurrency.
pub fn expected_version(
    entity: &'static str,
    id: uuid::Uuid,
    expected: i32,
    actual: i32,
) -> ApiResult<()> {
    if expected != actual {
        return Err(ApiError::Conflict {
            entity,
            id: id.to_string(),
            expected,
            actual,
        });
    }
    Ok(())
}

/// Applies an optional field of an update input: absent keeps `current`, null clears it,
/// a value replaces it.
pub fn patch<T>(change: async_graphql::MaybeUndefined<T>, current: Option<T>) -> Option<T> {
    match change {
        async_graphql::MaybeUndefined::Undefined => current,
        async_graphql::MaybeUndefined::Null => None,
        async_graphql::MaybeUndefined::Value(value) => Some(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(text("name", "  科协 ", 10).unwrap(), "科协");
        assert!(text("name", "   ", 10).is_err());
        assert!(text("name", &"字".repeat(11), 10).is_err());
        assert_eq!(
            text("name", &"字".repeat(10), 10).unwrap().chars().count(),
            10
        );
    }

    #[test]
    fn end_dates_before_start_dates_are_refused() {
        let start = NaiveDate::from_ymd_opt(2025, 3, 1);
        let end = NaiveDate::from_ymd_opt(2025, 2, 28);
        assert!(date_order("endsOn", start, end).is_err());
        assert!(date_order("endsOn", start, start).is_ok());
        assert!(date_order("endsOn", start, None).is_ok());
    }
}
