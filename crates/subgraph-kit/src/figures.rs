//! What every subgraph's figures (rollups over a unit's subtree) share: the local day they
//! are counted in, the ranking of a unit's children side by side, the units of a subtree
//! with the bucket each counts in (from the replicated tree), the loader that counts the
//! subtrees of one request's units together, and the resolvers of `Unit.<subgraph>Figures`
//! ([`of_unit`]) and, for figures counted per bucket over a [`Scope`]
//! ([`CountedFigures`]), of `Unit.<subgraph>FiguresByChild` ([`ranked_children`]).

use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::Context;
use chrono::{Duration, NaiveDate, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::access::{self, Need};
use crate::rollup::{Period, PeriodInput};
use crate::unit_tree::{catch_up, path_of, subtrees_cte};
use crate::{ApiError, ApiResult};

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

/// The units whose records count, each with the bucket it counts in.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    pub units: Vec<Uuid>,
    /// The bucket of each of `units`, in the same order.
    pub buckets: Vec<Uuid>,
    /// Every bucket with its name, records or not.
    pub bucket_names: HashMap<Uuid, String>,
}

/// Rows of (unit, bucket, bucket name).
impl FromIterator<(Uuid, Uuid, String)> for Scope {
    fn from_iter<I: IntoIterator<Item = (Uuid, Uuid, String)>>(rows: I) -> Self {
        let mut scope = Scope::default();
        for (unit, bucket, name) in rows {
            scope.units.push(unit);
            scope.buckets.push(bucket);
            scope.bucket_names.insert(bucket, name);
        }
        scope
    }
}

impl Scope {
    /// Every bucket, records or not, with its name and the `rows` counted in it.
    pub fn buckets_with<'s, 'r, R>(
        &'s self,
        rows: &'r [R],
        bucket: impl Fn(&R) -> Uuid,
    ) -> impl Iterator<Item = (Uuid, &'s str, Vec<&'r R>)> {
        let mut rows = by_bucket(rows, bucket);
        self.bucket_names.iter().map(move |(unit_id, name)| {
            (
                *unit_id,
                name.as_str(),
                rows.remove(unit_id).unwrap_or_default(),
            )
        })
    }
}

/// The units of `unit_id`'s subtree in one bucket, the unit itself (`by_child` false), or
/// the units of each of its active children's subtrees in that child's bucket (`by_child`
/// true), from the replicated tree.
pub async fn scope(pool: &PgPool, unit_id: Uuid, by_child: bool) -> sqlx::Result<Scope> {
    let rows: Vec<(Uuid, Uuid, String)> = sqlx::query_as(
        "with buckets as (
             select b.unit_id, b.path, b.name from unit_replica b
             where (not $2 and b.unit_id = $1) or ($2 and b.parent_id = $1 and b.status = 'ACTIVE')
         )
         select u.unit_id, b.unit_id, b.name
         from buckets b join unit_replica u on u.path like b.path || '%'",
    )
    .bind(unit_id)
    .bind(by_child)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().collect())
}

/// The units of the subtree of each of `unit_ids`, each subtree in the bucket of the unit
/// it hangs from, from the replicated tree: a unit below two of them (a district and the
/// city) is in both buckets, so that one statement counts the figures of all of them.
/// Units the replicated tree does not know have no bucket.
pub async fn scope_of_subtrees(pool: &PgPool, unit_ids: &[Uuid]) -> sqlx::Result<Scope> {
    let rows: Vec<(Uuid, Uuid, String)> = sqlx::query_as(&format!(
        "with recursive {subtrees}
         select s.unit_id, b.unit_id, b.name
         from subtrees s join unit_replica b on b.unit_id = s.root_id",
        subtrees = subtrees_cte("unit_replica", "select unnest($1::uuid[])"),
    ))
    .bind(unit_ids)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().collect())
}

/// `rows` grouped by the bucket each counts in.
pub fn by_bucket<R>(rows: &[R], bucket: impl Fn(&R) -> Uuid) -> HashMap<Uuid, Vec<&R>> {
    let mut by_bucket: HashMap<Uuid, Vec<&R>> = HashMap::new();
    for row in rows {
        by_bucket.entry(bucket(row)).or_default().push(row);
    }
    by_bucket
}

/// A subgraph's figures of a unit's whole subtree (`PopularizationFigures`, …), counted for
/// many units at once by [`SubtreeFiguresLoader`].
pub trait SubtreeFigures: Sized + Clone + Send + Sync + 'static {
    /// The figures of the subtree of each of `unit_ids` in `period`, by unit, counted
    /// together; a unit the subgraph does not know is left out.
    fn of_subtrees(
        pool: &PgPool,
        unit_ids: &[Uuid],
        period: Period,
    ) -> impl Future<Output = sqlx::Result<HashMap<Uuid, Self>>> + Send;
}

/// Figures `F` of units' whole subtrees by unit and period, so that the units one request
/// reads side by side (the city and its districts on the overview, one `_entities` call)
/// are counted together: one [`SubtreeFigures::of_subtrees`] per period in a batch.
pub struct SubtreeFiguresLoader<F> {
    pool: PgPool,
    figures: PhantomData<fn() -> F>,
}

impl<F> SubtreeFiguresLoader<F> {
    pub fn new(pool: PgPool) -> Self {
        SubtreeFiguresLoader {
            pool,
            figures: PhantomData,
        }
    }
}

impl<F: SubtreeFigures> Loader<(Uuid, Period)> for SubtreeFiguresLoader<F> {
    type Value = F;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[(Uuid, Period)],
    ) -> Result<HashMap<(Uuid, Period), F>, Self::Error> {
        let mut units_by_period: HashMap<Period, Vec<Uuid>> = HashMap::new();
        for (unit_id, period) in keys {
            units_by_period.entry(*period).or_default().push(*unit_id);
        }
        let mut figures = HashMap::new();
        for (period, unit_ids) in units_by_period {
            let of_period = F::of_subtrees(&self.pool, &unit_ids, period)
                .await
                .map_err(ApiError::from)?;
            figures.extend(
                of_period
                    .into_iter()
                    .map(|(unit_id, of_unit)| ((unit_id, period), of_unit)),
            );
        }
        Ok(figures)
    }
}

/// Waits for the replicated tree to hold the last published change (so a figure read after
/// a move counts the unit where it now hangs), parses the period, and requires the unit in
/// the replicated tree and that the request may read its subtree's figures.
pub async fn prepare_subtree_read(
    ctx: &Context<'_>,
    unit_id: Uuid,
    period: &PeriodInput,
) -> ApiResult<Period> {
    catch_up(ctx).await;
    let period = period.parse()?;
    let path = path_of(ctx, unit_id).await?;
    access::require(ctx, Need::ReadSubtree, unit_id, path.as_deref())?;
    if path.is_none() {
        return Err(ApiError::not_found("Unit", unit_id));
    }
    Ok(period)
}

/// The figures `F` of `unit_id`'s subtree in `period`, through the schema's
/// [`SubtreeFiguresLoader`]; `NOT_FOUND` for a unit the subgraph does not know. The caller
/// checks access first.
pub async fn of_subtree<F: SubtreeFigures>(
    ctx: &Context<'_>,
    unit_id: Uuid,
    period: Period,
) -> ApiResult<F> {
    ctx.data::<DataLoader<SubtreeFiguresLoader<F>>>()
        .map_err(|_| ApiError::internal("the schema lacks the subtree figures loader"))?
        .load_one((unit_id, period))
        .await
        .map_err(|err| ApiError::internal(err.message))?
        .ok_or_else(|| ApiError::not_found("Unit", unit_id))
}

/// `Unit.<subgraph>Figures`: the figures `F` of `unit_id`'s subtree for `period`, after
/// [`prepare_subtree_read`] (caught up, the period parsed, the caller allowed, the unit
/// known), through the schema's [`SubtreeFiguresLoader`] so that the units of one
/// `_entities` call (the city and its districts on the overview) are counted together.
pub async fn of_unit<F: SubtreeFigures>(
    ctx: &Context<'_>,
    unit_id: Uuid,
    period: PeriodInput,
) -> ApiResult<F> {
    let period = prepare_subtree_read(ctx, unit_id, &period).await?;
    of_subtree(ctx, unit_id, period).await
}

/// Figures counted in one statement over a [`Scope`], a row per bucket and count, then
/// folded per bucket (popularization's, advice's): they are [`SubtreeFigures`], and
/// [`ranked_children`] ranks a unit's children by them.
pub trait CountedFigures: Sized + Clone + Send + Sync + 'static {
    /// One count of the statement, tagged with its bucket.
    type Row: Send + Sync;
    /// A bucket's totals at full width, which children are ranked by.
    type Totals;

    /// Counts the records of the units of `scope` in `period`, in one statement.
    fn count(
        pool: &PgPool,
        scope: &Scope,
        period: Period,
    ) -> impl Future<Output = sqlx::Result<Vec<Self::Row>>> + Send;

    /// The bucket a row counts in.
    fn bucket(row: &Self::Row) -> Uuid;

    /// Folds one bucket's rows (none for a bucket without records) into its totals and
    /// its figures.
    fn fold(rows: &[&Self::Row]) -> (Self::Totals, Self);
}

/// Counted figures are subtree figures: one statement over the subtrees of all
/// `unit_ids`; a unit without records has zero figures, a unit the replicated tree does not
/// know none.
impl<F: CountedFigures> SubtreeFigures for F {
    async fn of_subtrees(
        pool: &PgPool,
        unit_ids: &[Uuid],
        period: Period,
    ) -> sqlx::Result<HashMap<Uuid, F>> {
        let scope = scope_of_subtrees(pool, unit_ids).await?;
        let rows = F::count(pool, &scope, period).await?;
        Ok(scope
            .buckets_with(&rows, F::bucket)
            .map(|(unit_id, _, rows)| (unit_id, F::fold(&rows).1))
            .collect())
    }
}

/// `Unit.<subgraph>FiguresByChild`: the figures `F` of the subtree of each active direct
/// child of `unit_id`, as `(rank, child, figures)`, ranked by `rank_value` of their
/// totals (largest first when `descending`); ties share a rank and are listed by name.
/// The request is checked as for [`of_unit`].
pub async fn ranked_children<F: CountedFigures>(
    ctx: &Context<'_>,
    unit_id: Uuid,
    period: &PeriodInput,
    descending: bool,
    rank_value: impl Fn(&F::Totals) -> i64,
) -> ApiResult<Vec<(i32, Uuid, F)>> {
    let period = prepare_subtree_read(ctx, unit_id, period).await?;
    let pool = crate::schema::pool(ctx)?;
    let scope = scope(pool, unit_id, true).await?;
    let rows = F::count(pool, &scope, period).await?;
    let children: Vec<(Uuid, &str, F::Totals, F)> = scope
        .buckets_with(&rows, F::bucket)
        .map(|(child, name, rows)| {
            let (totals, figures) = F::fold(&rows);
            (child, name, totals, figures)
        })
        .collect();
    Ok(rank(
        children,
        descending,
        |(_, _, totals, _)| rank_value(totals),
        |(_, name, _, _)| name,
    )
    .into_iter()
    .map(|(rank, (child, _, _, figures))| (rank, child, figures))
    .collect())
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
