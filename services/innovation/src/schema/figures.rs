//! Innovation figures: what leadership reads over a unit's whole subtree for a period
//! (为创新驱动发展服务, 科创中国), and the same per direct child to compare units side by side.

use async_graphql::{Context, Enum, Object, SimpleObject};
use uuid::Uuid;

use kexie_subgraph_kit::figures::{count, prepare_subtree_read, ranked_children, LedgerFigures};
use kexie_subgraph_kit::ledger::{Figure, Measure, Tally};
use kexie_subgraph_kit::rollup::{rollup, Period, PeriodInput};
use kexie_subgraph_kit::schema::pool;
use kexie_subgraph_kit::target::{LedgerMetric, TargetMetric};
use kexie_subgraph_kit::unit_tree::UnitKind;
use kexie_subgraph_kit::ApiResult;

use super::entities::Unit;
use crate::domain::{
    EventKind, MatchStatus, NeedStatus, PilotKind, ResultMaturity, TechField, VisitKind,
};

/// The innovation figures of a unit's subtree (the unit itself included) for a period, in
/// the tree as it stands now (a merged unit's records count where it now hangs). Dates are
/// local days (UTC+8). Archived needs and results never count, nor do the matches of an
/// archived need; matches count where their need's unit is. A count beyond the range of
/// `Int` reads as 2147483647.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(directive = rollup::apply())]
pub struct InnovationFigures {
    /// Technology needs (企业技术需求) published within the period (by `publishedOn`).
    pub tech_needs: i32,
    /// `techNeeds` by where they stand now: every status, in the order of `NeedStatus`,
    /// zeros included.
    pub tech_needs_by_status: Vec<NeedStatusCount>,
    /// `techNeeds` by field: every field, in the order of `TechField`, zeros included.
    pub tech_needs_by_field: Vec<TechFieldCount>,
    /// Needs open (published and neither resolved nor closed) on the period's last day, or
    /// today when that is still to come.
    pub open_tech_needs: i32,
    /// Needs resolved within the period (by the day resolved, whenever published).
    pub resolved_tech_needs: i32,
    /// Matches (供需对接) proposed within the period (by `proposedOn`).
    pub matches: i32,
    /// `matches` by where they stand now: every status, in the order of `MatchStatus`,
    /// zeros included.
    pub matches_by_status: Vec<MatchStatusCount>,
    /// Contracts signed within the period (by the day signed, whenever proposed).
    pub contracts: i32,
    /// The amount of `contracts`, in 万元.
    pub contract_value: f64,
    /// Results put to use (成果转化) within the period (by `transferredOn`).
    pub transfers: i32,
    /// Scientific results (科技成果) offered within the period (by `offeredOn`).
    pub science_results: i32,
    /// `scienceResults` by maturity: every maturity, in the order of `ResultMaturity`,
    /// zeros included.
    pub science_results_by_maturity: Vec<MaturityCount>,
    /// Service visits to enterprises (学会服务企业行, 专家服务团) held within the period (by
    /// the day of the visit); planned and cancelled visits do not count.
    pub service_visits: i32,
    /// `serviceVisits` by kind: every kind, in the order of `VisitKind`, zeros included.
    pub service_visits_by_kind: Vec<VisitKindCount>,
    /// The enterprises' problems the visits of `serviceVisits` took up.
    pub problems_taken: i32,
    /// Of `problemsTaken`, those solved (on the visit or in its follow-up).
    pub problems_solved: i32,
    /// Experts' services on the visits of `serviceVisits` (专家服务人次: an expert on two
    /// visits counts twice).
    pub expert_services: i32,
    /// School–enterprise cooperation agreements (校企合作) the subtree's universities signed
    /// within the period.
    pub cooperation_agreements: i32,
    /// Agreements in force on the period's last day, or today when that is still to come.
    pub cooperation_in_force: i32,
    /// 科创中国 pilot designations the subtree's units carry on the period's last day (or
    /// today): a designation is in force from 1 January of its first year to 31 December of
    /// its last.
    pub pilot_designations: i32,
    /// `pilotDesignations` by kind: every kind, in the order of `PilotKind`, zeros included.
    pub pilot_designations_by_kind: Vec<PilotKindCount>,
    /// Innovation events (matchmaking, academic exchange) held within the period (by their
    /// first day); planned and cancelled events do not count.
    pub events: i32,
    /// `events` by kind: every kind, in the order of `EventKind`, zeros included.
    pub events_by_kind: Vec<EventKindCount>,
    /// People who took part in `events` (人次).
    pub event_participants: i32,
    /// Needs presented at `events` (a need presented at two events counts twice).
    pub event_needs_presented: i32,
    /// Results presented at `events`.
    pub event_results_presented: i32,
    /// Of `matches`, those brokered at an event.
    pub event_matches: i32,
}

/// How many events of one kind.
#[derive(SimpleObject, Clone, Debug)]
pub struct EventKindCount {
    pub kind: EventKind,
    pub count: i32,
}

/// How many designations of one kind.
#[derive(SimpleObject, Clone, Debug)]
pub struct PilotKindCount {
    pub kind: PilotKind,
    pub count: i32,
}

/// How many visits of one kind.
#[derive(SimpleObject, Clone, Debug)]
pub struct VisitKindCount {
    pub kind: VisitKind,
    pub count: i32,
}

/// How many needs in one status.
#[derive(SimpleObject, Clone, Debug)]
pub struct NeedStatusCount {
    pub status: NeedStatus,
    pub count: i32,
}

/// How many needs of one field.
#[derive(SimpleObject, Clone, Debug)]
pub struct TechFieldCount {
    pub field: TechField,
    pub count: i32,
}

/// How many matches in one status.
#[derive(SimpleObject, Clone, Debug)]
pub struct MatchStatusCount {
    pub status: MatchStatus,
    pub count: i32,
}

/// How many results of one maturity.
#[derive(SimpleObject, Clone, Debug)]
pub struct MaturityCount {
    pub maturity: ResultMaturity,
    pub count: i32,
}

/// A scalar figure of `InnovationFigures` to rank children by.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
pub enum InnovationFigure {
    TechNeeds,
    OpenTechNeeds,
    ResolvedTechNeeds,
    Matches,
    Contracts,
    ContractValue,
    Transfers,
    ScienceResults,
    ServiceVisits,
    ProblemsSolved,
    CooperationAgreements,
    Events,
}

// The ledger figures (see the innovation figures migration).
const NEEDS_BY_STATUS: &str = "NEEDS_BY_STATUS";
const NEEDS_BY_FIELD: &str = "NEEDS_BY_FIELD";
const OPEN_NEEDS: &str = "OPEN_NEEDS";
const RESOLVED_NEEDS: &str = "RESOLVED_NEEDS";
const MATCHES_BY_STATUS: &str = "MATCHES_BY_STATUS";
const CONTRACTS: &str = "CONTRACTS";
/// In hundredths of 万元, so that sums stay exact.
const CONTRACT_VALUE: &str = "CONTRACT_VALUE";
const TRANSFERS: &str = "TRANSFERS";
const RESULTS_BY_MATURITY: &str = "RESULTS_BY_MATURITY";
const VISITS_BY_KIND: &str = "VISITS_BY_KIND";
const PROBLEMS_TAKEN: &str = "PROBLEMS_TAKEN";
const PROBLEMS_SOLVED: &str = "PROBLEMS_SOLVED";
const EXPERT_SERVICES: &str = "EXPERT_SERVICES";
const COOPERATION_AGREEMENTS: &str = "COOPERATION_AGREEMENTS";
const COOPERATION_IN_FORCE: &str = "COOPERATION_IN_FORCE";
const PILOTS_BY_KIND: &str = "PILOTS_BY_KIND";
const EVENTS_BY_KIND: &str = "EVENTS_BY_KIND";
const EVENT_PARTICIPANTS: &str = "EVENT_PARTICIPANTS";
const EVENT_NEEDS_PRESENTED: &str = "EVENT_NEEDS_PRESENTED";
const EVENT_RESULTS_PRESENTED: &str = "EVENT_RESULTS_PRESENTED";
const EVENT_MATCHES: &str = "EVENT_MATCHES";

impl InnovationFigure {
    fn rank_value(self, tally: &Tally) -> i64 {
        match self {
            InnovationFigure::TechNeeds => tally.sum_of(NEEDS_BY_STATUS),
            InnovationFigure::OpenTechNeeds => tally.sum_of(OPEN_NEEDS),
            InnovationFigure::ResolvedTechNeeds => tally.sum_of(RESOLVED_NEEDS),
            InnovationFigure::Matches => tally.sum_of(MATCHES_BY_STATUS),
            InnovationFigure::Contracts => tally.sum_of(CONTRACTS),
            InnovationFigure::ContractValue => tally.sum_of(CONTRACT_VALUE),
            InnovationFigure::Transfers => tally.sum_of(TRANSFERS),
            InnovationFigure::ScienceResults => tally.sum_of(RESULTS_BY_MATURITY),
            InnovationFigure::ServiceVisits => tally.sum_of(VISITS_BY_KIND),
            InnovationFigure::ProblemsSolved => tally.sum_of(PROBLEMS_SOLVED),
            InnovationFigure::CooperationAgreements => tally.sum_of(COOPERATION_AGREEMENTS),
            InnovationFigure::Events => tally.sum_of(EVENTS_BY_KIND),
        }
    }
}

#[derive(Clone, Debug)]
pub struct ChildInnovationFigures {
    rank: i32,
    unit_id: Uuid,
    figures: InnovationFigures,
}

/// One direct child of a unit with the figures of its subtree and its place among its
/// siblings.
#[Object(directive = rollup::apply())]
impl ChildInnovationFigures {
    /// 1 for the first; children with equal values share a rank and the next rank skips
    /// (1, 2, 2, 4).
    async fn rank(&self) -> i32 {
        self.rank
    }
    async fn unit(&self) -> Unit {
        Unit { id: self.unit_id }
    }
    async fn figures(&self) -> &InnovationFigures {
        &self.figures
    }
}

/// The actual figures of the targets whose metrics innovation measures (the others are left
/// out), from the figure ledger: what `Target` answers, and what the demo seeder sizes
/// targets by.
pub async fn target_actuals(
    pool: &sqlx::PgPool,
    keys: &[kexie_subgraph_kit::target::TargetKey],
) -> sqlx::Result<std::collections::HashMap<kexie_subgraph_kit::target::TargetKey, i64>> {
    kexie_subgraph_kit::target::actuals_from_ledger(pool, "unit_replica", keys, ledger_metric).await
}

/// How innovation's target metrics read the ledger (see `TargetMetric`).
fn ledger_metric(metric: TargetMetric) -> Option<LedgerMetric> {
    match metric {
        TargetMetric::ResolvedTechNeeds => Some(LedgerMetric {
            figure: Figure::flow(RESOLVED_NEEDS),
            keys: &[],
            without_city: false,
        }),
        TargetMetric::TechContracts => Some(LedgerMetric {
            figure: Figure::flow(CONTRACTS),
            keys: &[],
            without_city: false,
        }),
        TargetMetric::SocietyEnterpriseVisits => Some(LedgerMetric {
            figure: Figure::flow(VISITS_BY_KIND),
            keys: &["SOCIETY_VISIT"],
            without_city: false,
        }),
        _ => None,
    }
}

impl LedgerFigures for InnovationFigures {
    const FIGURES: &'static [Figure] = &[
        Figure::flow(NEEDS_BY_STATUS),
        Figure::flow(NEEDS_BY_FIELD),
        Figure {
            name: OPEN_NEEDS,
            measure: Measure::StockToDate,
        },
        Figure::flow(RESOLVED_NEEDS),
        Figure::flow(MATCHES_BY_STATUS),
        Figure::flow(CONTRACTS),
        Figure::flow(CONTRACT_VALUE),
        Figure::flow(TRANSFERS),
        Figure::flow(RESULTS_BY_MATURITY),
        Figure::flow(VISITS_BY_KIND),
        Figure::flow(PROBLEMS_TAKEN),
        Figure::flow(PROBLEMS_SOLVED),
        Figure::flow(EXPERT_SERVICES),
        Figure::flow(COOPERATION_AGREEMENTS),
        Figure {
            name: COOPERATION_IN_FORCE,
            measure: Measure::StockToDate,
        },
        Figure {
            name: PILOTS_BY_KIND,
            measure: Measure::StockToDate,
        },
        Figure::flow(EVENTS_BY_KIND),
        Figure::flow(EVENT_PARTICIPANTS),
        Figure::flow(EVENT_NEEDS_PRESENTED),
        Figure::flow(EVENT_RESULTS_PRESENTED),
        Figure::flow(EVENT_MATCHES),
    ];

    fn figures_of_field(field: &str) -> Option<&'static [&'static str]> {
        Some(match field {
            "techNeeds" | "techNeedsByStatus" => &[NEEDS_BY_STATUS],
            "techNeedsByField" => &[NEEDS_BY_FIELD],
            "openTechNeeds" => &[OPEN_NEEDS],
            "resolvedTechNeeds" => &[RESOLVED_NEEDS],
            "matches" | "matchesByStatus" => &[MATCHES_BY_STATUS],
            "contracts" => &[CONTRACTS],
            "contractValue" => &[CONTRACT_VALUE],
            "transfers" => &[TRANSFERS],
            "scienceResults" | "scienceResultsByMaturity" => &[RESULTS_BY_MATURITY],
            "serviceVisits" | "serviceVisitsByKind" => &[VISITS_BY_KIND],
            "problemsTaken" => &[PROBLEMS_TAKEN],
            "problemsSolved" => &[PROBLEMS_SOLVED],
            "expertServices" => &[EXPERT_SERVICES],
            "cooperationAgreements" => &[COOPERATION_AGREEMENTS],
            "cooperationInForce" => &[COOPERATION_IN_FORCE],
            "pilotDesignations" | "pilotDesignationsByKind" => &[PILOTS_BY_KIND],
            "events" | "eventsByKind" => &[EVENTS_BY_KIND],
            "eventParticipants" => &[EVENT_PARTICIPANTS],
            "eventNeedsPresented" => &[EVENT_NEEDS_PRESENTED],
            "eventResultsPresented" => &[EVENT_RESULTS_PRESENTED],
            "eventMatches" => &[EVENT_MATCHES],
            _ => return None,
        })
    }

    fn from_tally(tally: &Tally, _period: Period) -> Self {
        InnovationFigures {
            tech_needs: count(tally.sum_of(NEEDS_BY_STATUS)),
            tech_needs_by_status: tally.breakdown(NEEDS_BY_STATUS, |status, count| {
                NeedStatusCount { status, count }
            }),
            tech_needs_by_field: tally.breakdown(NEEDS_BY_FIELD, |field, count| TechFieldCount {
                field,
                count,
            }),
            open_tech_needs: count(tally.sum_of(OPEN_NEEDS)),
            resolved_tech_needs: count(tally.sum_of(RESOLVED_NEEDS)),
            matches: count(tally.sum_of(MATCHES_BY_STATUS)),
            matches_by_status: tally.breakdown(MATCHES_BY_STATUS, |status, count| {
                MatchStatusCount { status, count }
            }),
            contracts: count(tally.sum_of(CONTRACTS)),
            contract_value: tally.sum_of(CONTRACT_VALUE) as f64 / 100.0,
            transfers: count(tally.sum_of(TRANSFERS)),
            science_results: count(tally.sum_of(RESULTS_BY_MATURITY)),
            science_results_by_maturity: tally.breakdown(RESULTS_BY_MATURITY, |maturity, count| {
                MaturityCount { maturity, count }
            }),
            service_visits: count(tally.sum_of(VISITS_BY_KIND)),
            service_visits_by_kind: tally
                .breakdown(VISITS_BY_KIND, |kind, count| VisitKindCount { kind, count }),
            problems_taken: count(tally.sum_of(PROBLEMS_TAKEN)),
            problems_solved: count(tally.sum_of(PROBLEMS_SOLVED)),
            expert_services: count(tally.sum_of(EXPERT_SERVICES)),
            cooperation_agreements: count(tally.sum_of(COOPERATION_AGREEMENTS)),
            cooperation_in_force: count(tally.sum_of(COOPERATION_IN_FORCE)),
            pilot_designations: count(tally.sum_of(PILOTS_BY_KIND)),
            pilot_designations_by_kind: tally
                .breakdown(PILOTS_BY_KIND, |kind, count| PilotKindCount { kind, count }),
            events: count(tally.sum_of(EVENTS_BY_KIND)),
            events_by_kind: tally
                .breakdown(EVENTS_BY_KIND, |kind, count| EventKindCount { kind, count }),
            event_participants: count(tally.sum_of(EVENT_PARTICIPANTS)),
            event_needs_presented: count(tally.sum_of(EVENT_NEEDS_PRESENTED)),
            event_results_presented: count(tally.sum_of(EVENT_RESULTS_PRESENTED)),
            event_matches: count(tally.sum_of(EVENT_MATCHES)),
        }
    }
}

/// `Unit.innovationFiguresByChild`: every active direct child, ranked.
pub async fn by_child(
    ctx: &Context<'_>,
    unit_id: Uuid,
    kinds: Option<Vec<UnitKind>>,
    period: PeriodInput,
    order_by: InnovationFigure,
    descending: bool,
) -> ApiResult<Vec<ChildInnovationFigures>> {
    let period = prepare_subtree_read(ctx, unit_id, &period).await?;
    let ranked = ranked_children::<InnovationFigures>(
        pool(ctx)?,
        unit_id,
        kinds.as_deref(),
        period,
        descending,
        |tally| order_by.rank_value(tally),
    )
    .await?;
    Ok(ranked
        .into_iter()
        .map(|(rank, unit_id, figures)| ChildInnovationFigures {
            rank,
            unit_id,
            figures,
        })
        .collect())
}
