//! Targets (工作台账): what a unit commits to reach in a year, per metric. Organizations owns
//! the targets; each metric is measured by the subgraph that owns its records, which reports
//! the actual figure on the `Target` entity.
//!
//! A measuring subgraph extends `Target` with one field, `<subgraph>Actual: Int
//! @requires(fields: "unitId year metric")`. All of that extension but the field's name, its
//! description and the SQL that counts lives here, once: the entity ([`Target`], resolved
//! by [`TargetQuery`]), the batching of one `_entities` call into one statement
//! ([`ActualLoader`]) and the rules of the answer ([`Actual::resolve`]). The subgraph
//! supplies a small object with its field ([`MeasuredActual`]).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, OnceLock};

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Enum, Object, ObjectType, ID};
use chrono::{Datelike, NaiveDate};
use sqlx::PgPool;
use uuid::Uuid;

use crate::access::{self, Need};
use crate::error::{ApiError, ApiResult};
use crate::figures::{china_today, count, Scope};
use crate::id::parse_id;
use crate::ledger::{self, Figure};
use crate::rollup::Period;
use crate::unit_tree::{path_of, TreeCatchUp};

/// What a target counts. The actual figure is always computed from the records of the
/// subgraph named on each variant, never typed in. It counts over the target unit's whole
/// subtree (the unit itself included; merged units hang under the unit they merged into)
/// for the target's calendar year, in local days (UTC+8); archived records never count.
/// A figure "at year end" is a stock on 31 December (for the current year: what stands now).
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TargetMetric {
    /// 新建企业科协 (organizations): enterprise associations founded in the year (founding
    /// date, else the day recorded), whatever their status since.
    NewEnterpriseAssociations,
    /// 示范基层科协 (organizations): units named exemplary in the year (`exemplaryYear`),
    /// whatever their status since.
    ExemplaryGrassrootsAssociations,
    /// 县级科技馆 (popularization): science museums open at year end (opened by then and
    /// not closed by then), owned by a unit below the city association (the city's own
    /// museum is not a county one).
    CountyScienceMuseums,
    /// 科技志愿者下基层 (popularization): activities of kind VOLUNTEER_SERVICE held (status
    /// HELD) that start in the year.
    VolunteerServices,
    /// 院士报告会、高端论坛 (popularization): activities of kind ACADEMICIAN_REPORT held that
    /// start in the year.
    AcademicianReports,
    /// 全国科普日活动 (popularization): activities of kind SCIENCE_DAY held that start in the
    /// year.
    ScienceDayEvents,
    /// 农村科普活动 (popularization): activities of any kind with FARMERS among their
    /// audiences, held, that start in the year.
    RuralPopularizationEvents,
    /// 老年人科普讲座 (popularization): activities of kind LECTURE with ELDERLY among their
    /// audiences, held, that start in the year.
    ElderlyLectures,
    /// 防灾减灾、食品安全宣传 (popularization): activities of any kind with DISASTER_PREVENTION
    /// or FOOD_SAFETY among their topics, held, that start in the year (once each).
    SafetyPopularizationEvents,
    /// 省级认证专家工作站 (talent): workstations certified at provincial level or higher
    /// (PROVINCIAL, NATIONAL) working at year end (founded by then, not closed by then). The
    /// day of certification is not recorded, so this is the year-end stock rather than the
    /// year's new certifications.
    CertifiedWorkstations,
    /// 调研课题 (advice): research topics of the year (their `year`) that were approved:
    /// APPROVED, IN_PROGRESS or CONCLUDED (not PROPOSED or REJECTED).
    ResearchTopics,
    /// 建议被采纳 (advice): submissions whose workflow reached ADOPTED in the year (the day
    /// of that step in their history).
    AdoptedSubmissions,
    /// 企业技术难题解决 (innovation): enterprises' technology needs resolved in the year (the
    /// day recorded as resolved), whenever published.
    ResolvedTechNeeds,
    /// 技术合同签约 (innovation): contracts signed in the year from matches of needs with
    /// results or experts (供需对接签约), by the day signed.
    TechContracts,
    /// 学会服务企业行 (innovation): learned societies' and associations' visits to
    /// enterprises (kind SOCIETY_VISIT) held in the year.
    SocietyEnterpriseVisits,
    /// 学会党建宣讲、培训 (organizations): party-building activities of kind LECTURE or
    /// TRAINING held in the year.
    PartyBuildingEvents,
    /// 中央、省级主流媒体刊登 (organizations): media reports in CENTRAL or PROVINCIAL outlets
    /// published in the year.
    MainstreamMediaReports,
}

/// The subgraph whose records a metric counts.
#[derive(Copy, Clone, Debug, Eq, PartialEq)]
pub enum MeasuredBy {
    Organizations,
    Talent,
    Popularization,
    Advice,
    Innovation,
}

impl TargetMetric {
    pub fn measured_by(self) -> MeasuredBy {
        use TargetMetric::*;
        match self {
            NewEnterpriseAssociations
            | ExemplaryGrassrootsAssociations
            | PartyBuildingEvents
            | MainstreamMediaReports => MeasuredBy::Organizations,
            CountyScienceMuseums
            | VolunteerServices
            | AcademicianReports
            | ScienceDayEvents
            | RuralPopularizationEvents
            | ElderlyLectures
            | SafetyPopularizationEvents => MeasuredBy::Popularization,
            CertifiedWorkstations => MeasuredBy::Talent,
            ResearchTopics | AdoptedSubmissions => MeasuredBy::Advice,
            ResolvedTechNeeds | TechContracts | SocietyEnterpriseVisits => MeasuredBy::Innovation,
        }
    }
}

/// A target as the measuring subgraphs see it: whose subtree, which year, what.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TargetKey {
    pub unit_id: Uuid,
    pub year: i32,
    pub metric: TargetMetric,
}

impl TargetKey {
    /// The keys as three parallel arrays, for `unnest($1::uuid[], $2::int[], $3::text[])
    /// with ordinality`: one statement measures a whole batch.
    pub fn arrays(keys: &[TargetKey]) -> (Vec<Uuid>, Vec<i32>, Vec<TargetMetric>) {
        (
            keys.iter().map(|key| key.unit_id).collect(),
            keys.iter().map(|key| key.year).collect(),
            keys.iter().map(|key| key.metric).collect(),
        )
    }

    /// Pairs `(ordinality, actual)` rows of such a statement (1-based) with their keys.
    pub fn by_position(keys: &[TargetKey], rows: Vec<(i64, i64)>) -> HashMap<TargetKey, i64> {
        rows.into_iter()
            .filter_map(|(position, actual)| {
                let key = *keys.get(usize::try_from(position - 1).ok()?)?;
                Some((key, actual))
            })
            .collect()
    }
}

/// How a metric is read from the figure ledger ([`crate::ledger`]) over the target's year.
#[derive(Clone, Copy, Debug)]
pub struct LedgerMetric {
    /// The ledger figure, and whether it is a flow over the year or a stock at its end.
    pub figure: Figure,
    /// The keys of the figure that count; all of them when empty.
    pub keys: &'static [&'static str],
    /// Units of kind CITY left out of the subtree (the city's own records are not a
    /// county's).
    pub without_city: bool,
}

/// The actual figures of a batch of targets from the figure ledger: each target's metric
/// as `metric_of` reads it, over the subtree of its unit in `tree`, for its year; one read
/// of the ledger per year and kind of subtree. Metrics `metric_of` does not read are left
/// out. The caller has established that the targets' units exist in `tree`.
pub async fn actuals_from_ledger(
    pool: &PgPool,
    tree: &str,
    keys: &[TargetKey],
    metric_of: impl Fn(TargetMetric) -> Option<LedgerMetric>,
) -> sqlx::Result<HashMap<TargetKey, i64>> {
    let mut years: HashMap<i32, Vec<(TargetKey, LedgerMetric)>> = HashMap::new();
    for key in keys {
        if let Some(metric) = metric_of(key.metric) {
            years.entry(key.year).or_default().push((*key, metric));
        }
    }
    let mut actuals = HashMap::new();
    for (year, targets) in years {
        let (Some(from), Some(to)) = (
            NaiveDate::from_ymd_opt(year, 1, 1),
            NaiveDate::from_ymd_opt(year, 12, 31),
        ) else {
            continue;
        };
        let mut units: Vec<Uuid> = targets.iter().map(|(key, _)| key.unit_id).collect();
        units.sort();
        units.dedup();
        let scope = Scope::of_subtrees(&units);
        for without_city in [false, true] {
            let of_kind: Vec<&(TargetKey, LedgerMetric)> = targets
                .iter()
                .filter(|(_, metric)| metric.without_city == without_city)
                .collect();
            if of_kind.is_empty() {
                continue;
            }
            let scope = if without_city {
                without_city_units(pool, tree, &scope).await?
            } else {
                scope.clone()
            };
            let mut figures: Vec<Figure> = Vec::new();
            for (_, metric) in &of_kind {
                if !figures
                    .iter()
                    .any(|figure| figure.name == metric.figure.name)
                {
                    figures.push(metric.figure);
                }
            }
            let tallies =
                ledger::tallies(pool, &scope, &figures, Period { from, to }, china_today()).await?;
            for (key, metric) in of_kind {
                if let Some(tally) = tallies.get(&key.unit_id) {
                    let actual = if metric.keys.is_empty() {
                        tally.sum_of(metric.figure.name)
                    } else {
                        metric
                            .keys
                            .iter()
                            .map(|counted| tally.sum(metric.figure.name, counted))
                            .sum()
                    };
                    actuals.insert(*key, actual);
                }
            }
        }
    }
    Ok(actuals)
}

/// `scope` without the records of units of kind CITY: a city's bucket reads the subtrees
/// of its children (whatever their status) instead of its own. A CITY unit is the root of
/// its tree, so other buckets hold none.
async fn without_city_units(pool: &PgPool, tree: &str, scope: &Scope) -> sqlx::Result<Scope> {
    let rows: Vec<(Uuid, Uuid)> = sqlx::query_as(&format!(
        "select coalesce(c.unit_id, b.unit_id), b.unit_id
         from {tree} b left join {tree} c on b.kind = 'CITY' and c.parent_id = b.unit_id
         where b.unit_id = any($1) and (b.kind <> 'CITY' or c.unit_id is not null)"
    ))
    .bind(&scope.units)
    .fetch_all(pool)
    .await?;
    let (units, buckets) = rows.into_iter().unzip();
    Ok(Scope {
        units,
        buckets,
        bucket_names: scope.bucket_names.clone(),
    })
}

/// How far a target's actual figure has come: `actual / value`. A target of zero is
/// attained by definition (1.0), so a ledger entry of "none required" never reads as failing.
pub fn attainment(actual: i32, value: i32) -> f64 {
    if value <= 0 {
        1.0
    } else {
        f64::from(actual) / f64::from(value)
    }
}

/// Whether a yearly target is on track on `as_of`: a past year when the value was reached,
/// a year still to come always, and the current year when the actual figure has kept pace
/// with the share of the year elapsed (day of year over days in the year, `as_of` included).
pub fn on_track(actual: i32, value: i32, year: i32, as_of: NaiveDate) -> bool {
    match year.cmp(&as_of.year()) {
        std::cmp::Ordering::Less => actual >= value,
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Equal => {
            let days_in_year = if as_of.leap_year() { 366.0 } else { 365.0 };
            let elapsed = f64::from(as_of.ordinal()) / days_in_year;
            f64::from(actual) >= f64::from(value) * elapsed
        }
    }
}

/// A measuring subgraph's part of its `Target` extension: the object holding its one field
/// (`talentActual`, …, with its description; it resolves with [`Actual::resolve`]) and how
/// the subgraph counts the metrics it measures.
pub trait MeasuredActual: ObjectType + Sized + Send + Sync + 'static {
    /// The subgraph that measures: its field is null for the metrics of the others.
    const MEASURED_BY: MeasuredBy;

    /// The object of the target `actual` is about.
    fn new(actual: Actual<Self>) -> Self;

    /// The actual figures of a batch of targets (metrics of this subgraph only), in one
    /// statement; what each metric counts is documented on [`TargetMetric`]. The caller has
    /// established that the targets' units exist in the replicated tree.
    fn count(
        pool: &PgPool,
        keys: &[TargetKey],
    ) -> impl Future<Output = sqlx::Result<HashMap<TargetKey, i64>>> + Send;
}

/// A target of the work ledger (工作台账), with what organizations tells about it.
pub struct Target<M> {
    id: ID,
    key: TargetKey,
    actual: M,
}

#[Object(name = "Target")]
impl<M: MeasuredActual> Target<M> {
    async fn id(&self) -> &ID {
        &self.id
    }
    #[graphql(external)]
    async fn unit_id(&self) -> ID {
        ID(self.key.unit_id.to_string())
    }
    #[graphql(external)]
    async fn year(&self) -> i32 {
        self.key.year
    }
    #[graphql(external)]
    async fn metric(&self) -> TargetMetric {
        self.key.metric
    }
    #[graphql(flatten)]
    async fn actual(&self) -> &M {
        &self.actual
    }
}

/// The actual figure of one target, as the measuring subgraph `M` answers it.
pub struct Actual<M> {
    key: TargetKey,
    actuals: Arc<DataLoader<ActualLoader<M>>>,
}

impl<M: MeasuredActual> Actual<M> {
    /// The actual figure of the target over its unit's subtree in its year: null for a
    /// metric another subgraph measures, whoever asks (there is nothing here to protect);
    /// otherwise only for those who may read the target unit's subtree-only data
    /// ([`Need::ReadSubtree`]), `FORBIDDEN` for anyone else; `NOT_FOUND` for a unit the
    /// replicated tree does not know.
    pub async fn resolve(&self, ctx: &Context<'_>) -> ApiResult<Option<i32>> {
        if self.key.metric.measured_by() != M::MEASURED_BY {
            return Ok(None);
        }
        let path = path_of(ctx, self.key.unit_id).await?;
        access::require(ctx, Need::ReadSubtree, self.key.unit_id, path.as_deref())?;
        if path.is_none() {
            return Err(ApiError::not_found("Unit", self.key.unit_id));
        }
        let actual = self
            .actuals
            .load_one(self.key)
            .await
            .map_err(|err| ApiError::internal(err.message))?
            .ok_or_else(|| ApiError::not_found("Unit", self.key.unit_id))?;
        Ok(Some(count(actual)))
    }
}

/// The target entity resolver of the measuring subgraph `M`. It keeps the batch loader of
/// actual figures itself (made on first use from the schema's pool), so that one
/// `_entities` call counts all its targets in one statement and the schema needs nothing
/// else to serve targets.
pub struct TargetQuery<M> {
    actuals: OnceLock<Arc<DataLoader<ActualLoader<M>>>>,
}

impl<M> Default for TargetQuery<M> {
    fn default() -> Self {
        TargetQuery {
            actuals: OnceLock::new(),
        }
    }
}

#[Object]
impl<M: MeasuredActual> TargetQuery<M> {
    #[graphql(entity)]
    async fn find_target_by_id(
        &self,
        ctx: &Context<'_>,
        #[graphql(key)] id: ID,
        unit_id: ID,
        year: i32,
        metric: TargetMetric,
    ) -> ApiResult<Target<M>> {
        let pool = crate::schema::pool(ctx)?;
        let actuals = self.actuals.get_or_init(|| {
            let loader = ActualLoader {
                pool: pool.clone(),
                catch_up: ctx.data_opt::<TreeCatchUp>().cloned(),
                measure: std::marker::PhantomData,
            };
            Arc::new(crate::schema::loader(loader))
        });
        let key = TargetKey {
            unit_id: parse_id("unitId", &unit_id)?,
            year,
            metric,
        };
        Ok(Target {
            id,
            key,
            actual: M::new(Actual {
                key,
                actuals: actuals.clone(),
            }),
        })
    }
}

/// Actual figures by target: one [`MeasuredActual::count`] per batch, once the replicated
/// tree holds the last published change (waited for once per batch rather than per target,
/// so that the targets of one `_entities` call reach the loader together).
pub struct ActualLoader<M> {
    pool: PgPool,
    catch_up: Option<TreeCatchUp>,
    measure: std::marker::PhantomData<fn() -> M>,
}

impl<M: MeasuredActual> Loader<TargetKey> for ActualLoader<M> {
    type Value = i64;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[TargetKey]) -> Result<HashMap<TargetKey, i64>, Self::Error> {
        if let Some(catch_up) = &self.catch_up {
            catch_up.wait().await;
        }
        Ok(M::count(&self.pool, keys).await.map_err(ApiError::from)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn attainment_is_actual_over_value_and_a_zero_target_is_met() {
        assert_eq!(attainment(5, 20), 0.25);
        assert_eq!(attainment(30, 20), 1.5);
        assert_eq!(attainment(0, 0), 1.0);
    }

    #[test]
    fn on_track_compares_with_the_share_of_the_year_elapsed() {
        // Past year: the full value.
        assert!(on_track(10, 10, 2024, day("2025-03-01")));
        assert!(!on_track(9, 10, 2024, day("2025-03-01")));
        // Future year: nothing could have been done yet.
        assert!(on_track(0, 10, 2026, day("2025-03-01")));
        // Current year: 2025-07-02 is day 183 of 365, so 100 × 183/365 ≈ 50.1 is needed.
        assert!(!on_track(50, 100, 2025, day("2025-07-02")));
        assert!(on_track(51, 100, 2025, day("2025-07-02")));
        // The last day of the year asks for all of it.
        assert!(!on_track(99, 100, 2025, day("2025-12-31")));
        assert!(on_track(100, 100, 2025, day("2025-12-31")));
    }
}
