//! What every subgraph's figures (rollups over a unit's subtree) share: the local day they
//! are counted in, the ranking of a unit's children side by side, the units of a subtree
//! with the bucket each counts in (from the unit tree), the loader that counts the subtrees
//! of one request's units together, figures read from the figure ledger
//! ([`LedgerFigures`]), and the resolvers of `Unit.<subgraph>Figures` ([`of_unit`]),
//! `Unit.<subgraph>FiguresByChild` ([`ranked_children`]) and `Unit.<subgraph>FiguresSeries`
//! ([`unit_series`], [`children_series`]).

use std::collections::HashMap;
use std::marker::PhantomData;

use std::borrow::Cow;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, InputObject, SimpleObject, TypeName};
use chrono::{Duration, NaiveDate, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::access::{self, Need};
use crate::ledger::{self, Every, Figure, Tally};
use crate::rollup::{rollup, Period, PeriodInput};
use crate::unit_tree::{catch_up, path_of, UnitKind};
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

/// A count from SQL (`bigint`) as a GraphQL `Int`.
pub fn count(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// The units whose ledger rows are read, each with the bucket it counts in. A unit's rows
/// in the figure ledger hold its whole subtree's sums, so a subtree is read as its root.
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

/// The subtree of each active direct child of `unit_id` of one of `kinds` (of any kind when
/// `None`), each in its own bucket, from `tree` (`unit_replica`, or organizations' own
/// `unit`).
pub async fn scope_of_children(
    pool: &PgPool,
    tree: &str,
    unit_id: Uuid,
    kinds: Option<&[UnitKind]>,
) -> sqlx::Result<Scope> {
    let kinds: Option<Vec<&str>> = kinds.map(|kinds| kinds.iter().map(|k| k.as_str()).collect());
    let rows: Vec<(Uuid, Uuid, String)> = sqlx::query_as(&format!(
        "select unit_id, unit_id, name from {tree} \
         where parent_id = $1 and status = 'ACTIVE' and ($2::text[] is null or kind = any($2))",
    ))
    .bind(unit_id)
    .bind(kinds)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().collect())
}

impl Scope {
    /// The subtree of each of `unit_ids`, each in its own bucket (unnamed), with no
    /// statement: a unit's ledger rows hold its whole subtree's sums, so a subtree is read
    /// as its root. The caller has established that the units exist (a unit without ledger
    /// rows reads as zero); an ID given twice is one bucket.
    pub fn of_subtrees(unit_ids: &[Uuid]) -> Scope {
        let mut scope = Scope::default();
        for unit in unit_ids {
            if scope.bucket_names.insert(*unit, String::new()).is_none() {
                scope.units.push(*unit);
                scope.buckets.push(*unit);
            }
        }
        scope
    }
}

/// Figures `F` of units' whole subtrees by unit and period, so that the units one request
/// reads side by side (the city and its districts on the overview, one `_entities` call)
/// are counted together: one [`of_subtrees`] per period in a batch.
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

impl<F: LedgerFigures> Loader<(Uuid, Period)> for SubtreeFiguresLoader<F> {
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
            let of_period = of_subtrees::<F>(&self.pool, &unit_ids, period)
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
    let period = period.parse()?;
    require_subtree_read(ctx, unit_id).await?;
    Ok(period)
}

/// Waits for the replicated tree to hold the last published change and requires the unit
/// in it and that the request may read its subtree's figures.
pub async fn require_subtree_read(ctx: &Context<'_>, unit_id: Uuid) -> ApiResult<()> {
    catch_up(ctx).await;
    let path = path_of(ctx, unit_id).await?;
    access::require(ctx, Need::ReadSubtree, unit_id, path.as_deref())?;
    if path.is_none() {
        return Err(ApiError::not_found("Unit", unit_id));
    }
    Ok(())
}

/// The figures `F` of `unit_id`'s subtree in `period`, through the schema's
/// [`SubtreeFiguresLoader`]; `NOT_FOUND` for a unit the subgraph does not know. The caller
/// checks access first.
pub async fn of_subtree<F: LedgerFigures>(
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

/// `Unit.<subgraph>FiguresSeries` of a subgraph on the replicated tree: the series of
/// `unit_id`'s subtree, after the checks of [`require_subtree_read`].
pub async fn unit_series<F: LedgerFigures>(
    ctx: &Context<'_>,
    unit_id: Uuid,
    input: SeriesInput,
) -> ApiResult<Vec<FiguresPoint<F>>> {
    let points = input.points()?;
    require_subtree_read(ctx, unit_id).await?;
    let figures = figures_needed::<F>(&selected_fields(&ctx.look_ahead()));
    series_of_unit(crate::schema::pool(ctx)?, unit_id, &points, &figures).await
}

/// `Unit.<subgraph>FiguresSeriesByChild` of a subgraph on the replicated tree: the series
/// of each active direct child's subtree (of one of `kinds`, when given), after the checks
/// of [`require_subtree_read`].
pub async fn children_series<F: LedgerFigures, U: async_graphql::OutputType + From<Uuid>>(
    ctx: &Context<'_>,
    unit_id: Uuid,
    input: SeriesInput,
    kinds: Option<Vec<UnitKind>>,
) -> ApiResult<Vec<ChildFiguresSeries<F, U>>> {
    let points = input.points()?;
    require_subtree_read(ctx, unit_id).await?;
    let figures = figures_needed::<F>(&selected_fields(&ctx.look_ahead().field("points")));
    let pool = crate::schema::pool(ctx)?;
    Ok(
        series_of_children(pool, unit_id, kinds.as_deref(), &points, &figures)
            .await?
            .into_iter()
            .map(|(child, points)| ChildFiguresSeries {
                unit: U::from(child),
                points,
            })
            .collect(),
    )
}

/// `Unit.<subgraph>Figures`: the figures `F` of `unit_id`'s subtree for `period`, after
/// [`prepare_subtree_read`] (caught up, the period parsed, the caller allowed, the unit
/// known), through the schema's [`SubtreeFiguresLoader`] so that the units of one
/// `_entities` call (the city and its districts on the overview) are counted together.
pub async fn of_unit<F: LedgerFigures>(
    ctx: &Context<'_>,
    unit_id: Uuid,
    period: PeriodInput,
) -> ApiResult<F> {
    let period = prepare_subtree_read(ctx, unit_id, &period).await?;
    of_subtree(ctx, unit_id, period).await
}

/// Figures read from the figure ledger ([`crate::ledger`]): which ledger figures they are
/// made of and how one bucket's tally becomes them. [`SubtreeFiguresLoader`],
/// [`ranked_children`] and [`figures_series`] read them.
pub trait LedgerFigures: async_graphql::OutputType + Sized + Clone + 'static {
    /// The table of the unit tree the subtrees are taken from.
    const TREE: &'static str = "unit_replica";
    /// The ledger figures they are made of.
    const FIGURES: &'static [Figure];

    /// The figures of a bucket for `period` from its tally.
    fn from_tally(tally: &Tally, period: Period) -> Self;

    /// The ledger figures (of [`Self::FIGURES`]) the GraphQL field `field` is computed
    /// from, so that a series reads only what its selection needs; `None`: not known, read
    /// every figure.
    fn figures_of_field(field: &str) -> Option<&'static [&'static str]> {
        let _ = field;
        None
    }
}

/// The names of the fields selected under `figures` and `yearEarlier` of the points at
/// `points` (a series field, or its `points`).
fn selected_fields(points: &async_graphql::Lookahead<'_>) -> Vec<String> {
    ["figures", "yearEarlier"]
        .iter()
        .flat_map(|name| points.field(name).selection_fields())
        .flat_map(|field| {
            field
                .selection_set()
                .map(|child| child.name().to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The ledger figures of `F` the `fields` selected need: every one when a field is not
/// mapped ([`LedgerFigures::figures_of_field`]), at least one (a read needs a figure to
/// find its buckets).
pub fn figures_needed<F: LedgerFigures>(fields: &[String]) -> Vec<Figure> {
    let mut names: Vec<&str> = Vec::new();
    for field in fields.iter().filter(|field| *field != "__typename") {
        match F::figures_of_field(field) {
            Some(figures) => names.extend(figures),
            None => return F::FIGURES.to_vec(),
        }
    }
    let needed: Vec<Figure> = F::FIGURES
        .iter()
        .filter(|figure| names.contains(&figure.name))
        .copied()
        .collect();
    if needed.is_empty() {
        F::FIGURES[..1].to_vec()
    } else {
        needed
    }
}

/// The figures `F` of the subtree of each of `unit_ids` in `period`, by unit, from one read
/// of the ledger; a unit without records has zero figures. The caller has established
/// that the units exist.
pub async fn of_subtrees<F: LedgerFigures>(
    pool: &PgPool,
    unit_ids: &[Uuid],
    period: Period,
) -> sqlx::Result<HashMap<Uuid, F>> {
    let scope = Scope::of_subtrees(unit_ids);
    let tallies = ledger::tallies(pool, &scope, F::FIGURES, period, china_today()).await?;
    Ok(tallies
        .into_iter()
        .map(|(unit_id, tally)| (unit_id, F::from_tally(&tally, period)))
        .collect())
}

/// `Unit.<subgraph>FiguresByChild`: the figures `F` of the subtree of each active direct
/// child of `unit_id` (of one of `kinds`, when given) for `period`, as
/// `(rank, child, figures)`, ranked by `rank_value` of their tallies (largest first when
/// `descending`); ties share a rank and are listed by name. The caller checks the request
/// first.
pub async fn ranked_children<F: LedgerFigures>(
    pool: &PgPool,
    unit_id: Uuid,
    kinds: Option<&[UnitKind]>,
    period: Period,
    descending: bool,
    rank_value: impl Fn(&Tally) -> i64,
) -> ApiResult<Vec<(i32, Uuid, F)>> {
    let scope = scope_of_children(pool, F::TREE, unit_id, kinds).await?;
    let tallies = ledger::tallies(pool, &scope, F::FIGURES, period, china_today()).await?;
    let children: Vec<(Uuid, &str, &Tally)> = tallies
        .iter()
        .map(|(child, tally)| {
            let name = scope.bucket_names.get(child).map_or("", String::as_str);
            (*child, name, tally)
        })
        .collect();
    Ok(rank(
        children,
        descending,
        |(_, _, tally)| rank_value(tally),
        |(_, name, _)| name,
    )
    .into_iter()
    .map(|(rank, (child, _, tally))| (rank, child, F::from_tally(tally, period)))
    .collect())
}

/// Where a series of figures stands: a calendar month, quarter or year, with the figures
/// of the same period a year earlier beside it (同比).
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name_type, directive = rollup::apply())]
pub struct FiguresPoint<F: LedgerFigures> {
    /// The point's first day.
    pub from: NaiveDate,
    /// The point's last day.
    pub to: NaiveDate,
    /// The figures of the point, as the same field without a series gives them for this
    /// period.
    pub figures: F,
    /// The figures of the same period a year earlier, to compare with (同比).
    pub year_earlier: F,
}

impl<F: LedgerFigures> TypeName for FiguresPoint<F> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Point", F::type_name()).into()
    }
}

/// The series of one direct child of a unit.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name_type, directive = rollup::apply())]
pub struct ChildFiguresSeries<F: LedgerFigures, U: async_graphql::OutputType> {
    pub unit: U,
    #[graphql(directive = crate::rollup::series::apply())]
    pub points: Vec<FiguresPoint<F>>,
}

impl<F: LedgerFigures, U: async_graphql::OutputType> TypeName for ChildFiguresSeries<F, U> {
    fn type_name() -> Cow<'static, str> {
        format!("Child{}Series", F::type_name()).into()
    }
}

/// What a series asks for: the calendar periods from the one holding `from` to the one
/// holding `to`.
#[derive(InputObject, Clone, Debug)]
pub struct SeriesInput {
    /// A day in the first point.
    pub from: NaiveDate,
    /// A day in the last point.
    pub to: NaiveDate,
    /// How long each point is.
    #[graphql(default_with = "Every::Month")]
    pub every: Every,
}

impl SeriesInput {
    /// The points asked for; `VALIDATION` when `to` comes before `from` or they are more
    /// than [`ledger::MAX_POINTS`].
    pub fn points(&self) -> ApiResult<Vec<Period>> {
        crate::validate::date_order("series.to", Some(self.from), Some(self.to))?;
        let points = ledger::points(self.from, self.to, self.every);
        if points.len() > ledger::MAX_POINTS {
            return Err(ApiError::validation(
                "series",
                crate::text!(
                    "may have at most {} points",
                    "最多 {} 个时间点",
                    ledger::MAX_POINTS
                ),
            ));
        }
        Ok(points)
    }
}

/// The series of figures `F` for every bucket of `scope`, reading the ledger `figures`
/// (`F::FIGURES`, or those a selection needs: [`figures_needed`]).
pub async fn figures_series<F: LedgerFigures>(
    pool: &PgPool,
    scope: &Scope,
    points: &[Period],
    figures: &[Figure],
) -> ApiResult<HashMap<Uuid, Vec<FiguresPoint<F>>>> {
    let tallies = ledger::series(pool, scope, figures, points, china_today()).await?;
    Ok(tallies
        .into_iter()
        .map(|(bucket, tallies)| {
            let points = points
                .iter()
                .zip(tallies)
                .map(|(point, (now, before))| FiguresPoint {
                    from: point.from,
                    to: point.to,
                    figures: F::from_tally(&now, *point),
                    year_earlier: F::from_tally(&before, ledger::year_earlier(*point)),
                })
                .collect();
            (bucket, points)
        })
        .collect())
}

/// The series of `unit_id`'s subtree over `points`. The caller checks the request first.
pub async fn series_of_unit<F: LedgerFigures>(
    pool: &PgPool,
    unit_id: Uuid,
    points: &[Period],
    figures: &[Figure],
) -> ApiResult<Vec<FiguresPoint<F>>> {
    let scope = Scope::of_subtrees(&[unit_id]);
    figures_series::<F>(pool, &scope, points, figures)
        .await?
        .remove(&unit_id)
        .ok_or_else(|| ApiError::not_found("Unit", unit_id))
}

/// The series of each active direct child of `unit_id` (of one of `kinds`, when given) over
/// `points`, in the children's name order, as `(child, points)`. The caller checks the
/// request first.
pub async fn series_of_children<F: LedgerFigures>(
    pool: &PgPool,
    unit_id: Uuid,
    kinds: Option<&[UnitKind]>,
    points: &[Period],
    figures: &[Figure],
) -> ApiResult<Vec<(Uuid, Vec<FiguresPoint<F>>)>> {
    let scope = scope_of_children(pool, F::TREE, unit_id, kinds).await?;
    let mut children: Vec<(Uuid, Vec<FiguresPoint<F>>)> =
        figures_series::<F>(pool, &scope, points, figures)
            .await?
            .into_iter()
            .collect();
    children.sort_by(|a, b| {
        let name = |id: &Uuid| scope.bucket_names.get(id).cloned().unwrap_or_default();
        name(&a.0).cmp(&name(&b.0)).then(a.0.cmp(&b.0))
    });
    Ok(children)
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
