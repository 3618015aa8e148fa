//! What every subgraph's figures (rollups over a unit's subtree) share: the local day they
//! are counted in, and the ranking of a unit's children side by side.

use chrono::{Duration, NaiveDate, Utc};

/// The associations work in China Standard Time (UTC+8): a period's days, "today" and a
/// record's day (`(created_at at time zone 'Asia/Shanghai')::date` in SQL) are local days.
pub fn china_today() -> NaiveDate {
    (Utc::now() + Duration::hours(8)).date_naive()
}

/// Ranks rows by `value` (largest first when `descending`) the way a league table does:
/// equal values share a rank and the next rank skips (1, 2, 2, 4); rows of equal value are
/// listed by `name`, so the order is the same on every read.
pub fn rank<T>(
    mut rows: Vec<T>,
    descending: bool,
    value: impl Fn(&T) -> i64,
    name: impl Fn(&T) -> &str,
) -> Vec<(i32, T)> {
    rows.sort_by(|a, b| {
        let by_value = value(a).cmp(&value(b));
        let by_value = if descending {
            by_value.reverse()
        } else {
            by_value
        };
        by_value.then_with(|| name(a).cmp(name(b)))
    });
    let mut ranked: Vec<(i32, T)> = Vec::with_capacity(rows.len());
    for (position, row) in rows.into_iter().enumerate() {
        let rank = match ranked.last() {
            Some((rank, previous)) if value(previous) == value(&row) => *rank,
            _ => i32::try_from(position + 1).unwrap_or(i32::MAX),
        };
        ranked.push((rank, row));
    }
    ranked
}

/// Every value of a GraphQL enum, in declaration order: breakdowns list each value, zeros
/// included, so a dashboard's columns never shift.
pub fn every<T: async_graphql::EnumType>() -> impl Iterator<Item = T> {
    T::items().iter().map(|item| item.value)
}

/// Counts by enum value from `(value name, count)` pairs (the value as SQL stores it, the
/// GraphQL name), with every value of the enum present in declaration order.
pub fn breakdown<T: async_graphql::EnumType, C>(
    counts: &std::collections::HashMap<&str, i64>,
    make: impl Fn(T, i32) -> C,
) -> Vec<C> {
    T::items()
        .iter()
        .map(|item| {
            make(
                item.value,
                count(counts.get(item.name).copied().unwrap_or(0)),
            )
        })
        .collect()
}

/// A count from SQL (`bigint`) as a GraphQL `Int`.
pub fn count(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_a_rank_and_are_listed_by_name() {
        let rows = vec![("丙", 5), ("甲", 7), ("乙", 5), ("丁", 1)];
        let ranked = rank(rows.clone(), true, |row| row.1, |row| row.0);
        let seen: Vec<(i32, &str)> = ranked.iter().map(|(rank, row)| (*rank, row.0)).collect();
        // Equal values in name order (丙 U+4E19 sorts before 乙 U+4E59).
        assert_eq!(seen, vec![(1, "甲"), (2, "丙"), (2, "乙"), (4, "丁")]);
        let ascending = rank(rows, false, |row| row.1, |row| row.0);
        let seen: Vec<i32> = ascending.iter().map(|(rank, _)| *rank).collect();
        assert_eq!(seen, vec![1, 2, 2, 4]);
        assert_eq!(ascending[0].1 .0, "丁");
    }
}
