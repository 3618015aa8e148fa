//! Advice figures: what leadership reads over a unit's whole subtree for a period (建言献策,
//! 决策咨询), and the same per direct child to compare units side by side.

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
use crate::domain::{LeaderLevel, ResearchTopicStatus, SubmissionStatus};

/// The advice figures of a unit's subtree (the unit itself included) for a period, in the
/// tree as it stands now (a merged unit's records count where it now hangs). Dates are
/// local days (UTC+8). Archived records never count. A count beyond the range of `Int`
/// reads as 2147483647.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(directive = rollup::apply())]
pub struct AdviceFigures {
    /// Submissions (建议) the subtree's units submitted within the period: by the day each
    /// was first submitted (`submittedOn`; a resubmission after RETURNED keeps it), so a
    /// piece of advice counts once and the quarters of a year add up to the year. Drafts
    /// never submitted do not count.
    pub submissions: i32,
    /// `submissions` by where they stand now: every status, in the order of
    /// `SubmissionStatus`, zeros included (DRAFT is always 0: a draft has not been
    /// submitted yet).
    pub submissions_by_status: Vec<SubmissionStatusCount>,
    /// Of `submissions`, those ADOPTED (采纳) by now.
    pub adopted_submissions: i32,
    /// 采纳率: `adoptedSubmissions` / `submissions`, from 0 to 1; null when there are no
    /// submissions. Advice still on its way counts in the denominator, so the rate of a
    /// recent period rises as its submissions are decided.
    pub adoption_rate: Option<f64>,
    /// Instructions (批示) received within the period on the subtree's submissions (by the
    /// day of the instruction, whenever the submission was made).
    pub instructions: i32,
    /// `instructions` by the level of the leader who wrote them: every level, in the order
    /// of `LeaderLevel`, zeros included.
    pub instructions_by_leader_level: Vec<LeaderLevelCount>,
    /// Research topics (调研课题) the subtree's units lead whose year is one the period
    /// falls in, whatever their status. A topic belongs to a whole year, so every quarter
    /// of a year shows that year's topics.
    pub research_topics: i32,
    /// `researchTopics` by where they stand now: every status, in the order of
    /// `ResearchTopicStatus`, zeros included.
    pub research_topics_by_status: Vec<ResearchTopicStatusCount>,
    /// Consultation reports (决策咨询报告) the subtree's research topics delivered within the
    /// period (by the report's `submittedOn`), whatever the topic's year.
    pub consultation_reports: i32,
}

/// How many submissions in one status.
#[derive(SimpleObject, Clone, Debug)]
pub struct SubmissionStatusCount {
    pub status: SubmissionStatus,
    pub count: i32,
}

/// How many instructions from leaders of one level.
#[derive(SimpleObject, Clone, Debug)]
pub struct LeaderLevelCount {
    pub level: LeaderLevel,
    pub count: i32,
}

/// How many research topics in one status.
#[derive(SimpleObject, Clone, Debug)]
pub struct ResearchTopicStatusCount {
    pub status: ResearchTopicStatus,
    pub count: i32,
}

/// A scalar figure of `AdviceFigures` to rank children by.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
pub enum AdviceFigure {
    Submissions,
    AdoptedSubmissions,
    /// Children without submissions (no rate) come last, in either direction.
    AdoptionRate,
    Instructions,
    ResearchTopics,
    ConsultationReports,
}

impl AdviceFigure {
    /// The value a child is ranked by. Rates are compared to twelve decimal places, finer
    /// than any two different rates of real counts lie apart.
    fn rank_value(self, totals: &Totals, descending: bool) -> i64 {
        match self {
            AdviceFigure::Submissions => totals.submissions,
            AdviceFigure::AdoptedSubmissions => totals.adopted_submissions,
            AdviceFigure::AdoptionRate => match totals.adoption_rate() {
                Some(rate) => (rate * 1e12).round() as i64,
                None if descending => -1,
                None => i64::MAX,
            },
            AdviceFigure::Instructions => totals.instructions,
            AdviceFigure::ResearchTopics => totals.research_topics,
            AdviceFigure::ConsultationReports => totals.consultation_reports,
        }
    }
}

#[derive(Clone, Debug)]
pub struct ChildAdviceFigures {
    rank: i32,
    unit_id: Uuid,
    figures: AdviceFigures,
}

/// One direct child of a unit with the figures of its subtree and its place among its
/// siblings.
#[Object(directive = rollup::apply())]
impl ChildAdviceFigures {
    /// 1 for the first; children with equal values share a rank and the next rank skips
    /// (1, 2, 2, 4).
    async fn rank(&self) -> i32 {
        self.rank
    }
    async fn unit(&self) -> Unit {
        Unit { id: self.unit_id }
    }
    async fn figures(&self) -> &AdviceFigures {
        &self.figures
    }
}

// The ledger figures (see the advice figures migration).
const SUBMISSIONS_BY_STATUS: &str = "SUBMISSIONS_BY_STATUS";
const INSTRUCTIONS_BY_LEADER_LEVEL: &str = "INSTRUCTIONS_BY_LEADER_LEVEL";
const RESEARCH_TOPICS_BY_STATUS: &str = "RESEARCH_TOPICS_BY_STATUS";
const CONSULTATION_REPORTS: &str = "CONSULTATION_REPORTS";

/// One bucket's totals at full width, for the rate and for ranking.
#[derive(Clone, Copy, Debug, Default)]
pub struct Totals {
    submissions: i64,
    adopted_submissions: i64,
    instructions: i64,
    research_topics: i64,
    consultation_reports: i64,
}

impl Totals {
    fn of(tally: &Tally) -> Self {
        Totals {
            submissions: tally.sum_of(SUBMISSIONS_BY_STATUS),
            adopted_submissions: tally
                .sum(SUBMISSIONS_BY_STATUS, SubmissionStatus::Adopted.as_str()),
            instructions: tally.sum_of(INSTRUCTIONS_BY_LEADER_LEVEL),
            research_topics: tally.sum_of(RESEARCH_TOPICS_BY_STATUS),
            consultation_reports: tally.sum_of(CONSULTATION_REPORTS),
        }
    }

    fn adoption_rate(&self) -> Option<f64> {
        (self.submissions > 0).then(|| self.adopted_submissions as f64 / self.submissions as f64)
    }
}

const ADOPTIONS: &str = "ADOPTIONS";

/// The actual figures of the targets whose metrics advice measures (the others are left
/// out), from the figure ledger: what `Target` answers, and what the demo seeder sizes
/// targets by.
pub async fn target_actuals(
    pool: &sqlx::PgPool,
    keys: &[kexie_subgraph_kit::target::TargetKey],
) -> sqlx::Result<std::collections::HashMap<kexie_subgraph_kit::target::TargetKey, i64>> {
    kexie_subgraph_kit::target::actuals_from_ledger(pool, "unit_replica", keys, ledger_metric).await
}

/// How advice's target metrics read the ledger (see `TargetMetric`).
pub(crate) fn ledger_metric(metric: TargetMetric) -> Option<LedgerMetric> {
    match metric {
        TargetMetric::ResearchTopics => Some(LedgerMetric {
            figure: Figure::flow(RESEARCH_TOPICS_BY_STATUS),
            keys: &["APPROVED", "IN_PROGRESS", "CONCLUDED"],
            without_city: false,
        }),
        TargetMetric::AdoptedSubmissions => Some(LedgerMetric {
            figure: Figure::flow(ADOPTIONS),
            keys: &[],
            without_city: false,
        }),
        _ => None,
    }
}

impl LedgerFigures for AdviceFigures {
    const FIGURES: &'static [Figure] = &[
        Figure::flow(SUBMISSIONS_BY_STATUS),
        Figure::flow(INSTRUCTIONS_BY_LEADER_LEVEL),
        Figure {
            name: RESEARCH_TOPICS_BY_STATUS,
            measure: Measure::FlowOfYears,
        },
        Figure::flow(CONSULTATION_REPORTS),
    ];

    fn figures_of_field(field: &str) -> Option<&'static [&'static str]> {
        Some(match field {
            "submissions" | "submissionsByStatus" | "adoptedSubmissions" | "adoptionRate" => {
                &[SUBMISSIONS_BY_STATUS]
            }
            "instructions" | "instructionsByLeaderLevel" => &[INSTRUCTIONS_BY_LEADER_LEVEL],
            "researchTopics" | "researchTopicsByStatus" => &[RESEARCH_TOPICS_BY_STATUS],
            "consultationReports" => &[CONSULTATION_REPORTS],
            _ => return None,
        })
    }

    fn from_tally(tally: &Tally, _period: Period) -> Self {
        let totals = Totals::of(tally);
        AdviceFigures {
            submissions: count(totals.submissions),
            submissions_by_status: tally.breakdown(SUBMISSIONS_BY_STATUS, |status, count| {
                SubmissionStatusCount { status, count }
            }),
            adopted_submissions: count(totals.adopted_submissions),
            adoption_rate: totals.adoption_rate(),
            instructions: count(totals.instructions),
            instructions_by_leader_level: tally
                .breakdown(INSTRUCTIONS_BY_LEADER_LEVEL, |level, count| {
                    LeaderLevelCount { level, count }
                }),
            research_topics: count(totals.research_topics),
            research_topics_by_status: tally
                .breakdown(RESEARCH_TOPICS_BY_STATUS, |status, count| {
                    ResearchTopicStatusCount { status, count }
                }),
            consultation_reports: count(totals.consultation_reports),
        }
    }
}

/// `Unit.adviceFiguresByChild`: every active direct child, ranked.
pub async fn by_child(
    ctx: &Context<'_>,
    unit_id: Uuid,
    kinds: Option<Vec<UnitKind>>,
    period: PeriodInput,
    order_by: AdviceFigure,
    descending: bool,
) -> ApiResult<Vec<ChildAdviceFigures>> {
    let period = prepare_subtree_read(ctx, unit_id, &period).await?;
    let ranked = ranked_children::<AdviceFigures>(
        pool(ctx)?,
        unit_id,
        kinds.as_deref(),
        period,
        descending,
        |tally| order_by.rank_value(&Totals::of(tally), descending),
    )
    .await?;
    Ok(ranked
        .into_iter()
        .map(|(rank, unit_id, figures)| ChildAdviceFigures {
            rank,
            unit_id,
            figures,
        })
        .collect())
}
