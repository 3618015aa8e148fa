//! Checks shared by every subgraph's input types. Each returns a `VALIDATION` error naming
//! the field.

use chrono::NaiveDate;

use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

/// Trims `value` and requires 1..=`max_chars` characters.
pub fn text(field: &str, value: &str, max_chars: usize) -> ApiResult<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ApiError::validation(
            field,
            crate::text!("must not be empty", "不能为空"),
        ));
    }
    let chars = trimmed.chars().count();
    if chars > max_chars {
        return Err(ApiError::validation(
            field,
            crate::text!(
                "must be at most {max_chars} characters, got {chars}",
                "最多 {max_chars} 个字符，实际为 {chars} 个"
            ),
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
        return Err(ApiError::validation(
            field,
            crate::text!("must not be negative", "不能为负数"),
        ));
    }
    Ok(value)
}

/// Requires `end` (when present) not to be before `start`.
pub fn date_order(field: &str, start: Option<NaiveDate>, end: Option<NaiveDate>) -> ApiResult<()> {
    if let (Some(start), Some(end)) = (start, end) {
        if end < start {
            return Err(ApiError::validation(
                field,
                crate::text!(
                    "ends on {end}, before it starts on {start}",
                    "结束日期 {end} 早于开始日期 {start}"
                ),
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
            crate::text!(
                "must be a year between 1900 and 2100",
                "须为 1900 到 2100 之间的年份"
            ),
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

/// The longest search text a filter takes.
pub const MAX_SEARCH: usize = 100;

/// A filter's search text (trimmed, at most [`MAX_SEARCH`] characters; empty: no filter)
/// as an `ilike` pattern matching it anywhere, in any case.
pub fn search_pattern(field: &str, text: Option<&str>) -> ApiResult<Option<String>> {
    Ok(optional_text(field, text, MAX_SEARCH)?.map(|text| contains_pattern(&text)))
}

/// A case-insensitive substring pattern for `ilike`, with the wildcards of the search
/// text taken literally.
pub fn contains_pattern(search: &str) -> String {
    let mut pattern = String::with_capacity(search.len() + 2);
    pattern.push('%');
    for ch in search.chars() {
        if matches!(ch, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(ch);
    }
    pattern.push('%');
    pattern
}

/// A record a mutation changes: it must exist and not be archived (`NOT_FOUND` otherwise).
/// Callers check the client's version ([`expected_version`]) only once the principal is
/// known to be allowed the change, so that a refused caller learns nothing of the record's
/// state.
pub fn live<T>(
    entity: &'static str,
    id: Uuid,
    row: Option<T>,
    archived: impl Fn(&T) -> bool,
) -> ApiResult<T> {
    row.filter(|row| !archived(row))
        .ok_or_else(|| ApiError::not_found(entity, id))
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

    #[test]
    fn search_patterns_take_wildcards_literally() {
        assert_eq!(contains_pattern("50%_a\\"), "%50\\%\\_a\\\\%");
        assert_eq!(
            search_pattern("filter.search", Some(" 科协 ")).unwrap(),
            Some("%科协%".to_string())
        );
        assert_eq!(search_pattern("filter.search", Some("  ")).unwrap(), None);
        assert!(search_pattern("filter.search", Some(&"字".repeat(MAX_SEARCH + 1))).is_err());
    }
}
