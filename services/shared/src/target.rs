//! Targets (工作台账): what a unit commits to reach in a year, per metric. Organizations owns
//! the targets; each metric is measured by the subgraph that owns its records, which reports
//! the actual figure on the `Target` entity.

use async_graphql::Enum;

/// What a target counts. The actual figure is always computed from the records of the
/// subgraph named on each variant, never typed in.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TargetMetric {
    /// 新建企业科协 (organizations: enterprise associations founded in the year)
    NewEnterpriseAssociations,
    /// 示范基层科协 (organizations: units named exemplary in the year)
    ExemplaryGrassrootsAssociations,
    /// 县级科技馆 (popularization: science museums open)
    CountyScienceMuseums,
    /// 科技志愿者下基层 (popularization: volunteer services held)
    VolunteerServices,
    /// 院士报告会、高端论坛 (popularization: academician reports held)
    AcademicianReports,
    /// 全国科普日活动 (popularization: Science Day events held)
    ScienceDayEvents,
    /// 农村科普活动 (popularization: activities held for farmers)
    RuralPopularizationEvents,
    /// 老年人科普讲座 (popularization: lectures held for the elderly)
    ElderlyLectures,
    /// 省级认证专家工作站 (talent: provincially certified workstations)
    CertifiedWorkstations,
    /// 调研课题 (advice: research topics)
    ResearchTopics,
    /// 建议被采纳 (advice: submissions adopted)
    AdoptedSubmissions,
}

/// The subgraph whose records a metric counts.
#[derive(Copy, Clone, Debug, Eq, PartialEq)]
pub enum MeasuredBy {
    Organizations,
    Talent,
    Popularization,
    Advice,
}

impl TargetMetric {
    pub fn measured_by(self) -> MeasuredBy {
        use TargetMetric::*;
        match self {
            NewEnterpriseAssociations | ExemplaryGrassrootsAssociations => {
                MeasuredBy::Organizations
            }
            CountyScienceMuseums
            | VolunteerServices
            | AcademicianReports
            | ScienceDayEvents
            | RuralPopularizationEvents
            | ElderlyLectures => MeasuredBy::Popularization,
            CertifiedWorkstations => MeasuredBy::Talent,
            ResearchTopics | AdoptedSubmissions => MeasuredBy::Advice,
        }
    }
}
