//! The innovation domain (为创新驱动发展服务): technology fields, the maturity and licensing of
//! results, the kinds of service to enterprises, and the three workflows — of an
//! enterprise's technology need, of a match and of a service visit — with the steps they
//! allow.

use async_graphql::Enum;
use kexie_subgraph_kit::{ApiError, ApiResult};

/// The technology field of a need or a result (the city's key industries).
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TechField {
    /// 电子信息
    ElectronicInformation,
    /// 先进制造
    AdvancedManufacturing,
    /// 新材料
    NewMaterials,
    /// 生物医药
    Biomedicine,
    /// 现代农业
    ModernAgriculture,
    /// 节能环保
    EnergyEnvironment,
    /// 新能源
    NewEnergy,
    /// 数字经济
    DigitalEconomy,
}

impl TechField {
    pub const ALL: [TechField; 8] = [
        TechField::ElectronicInformation,
        TechField::AdvancedManufacturing,
        TechField::NewMaterials,
        TechField::Biomedicine,
        TechField::ModernAgriculture,
        TechField::EnergyEnvironment,
        TechField::NewEnergy,
        TechField::DigitalEconomy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TechField::ElectronicInformation => "ELECTRONIC_INFORMATION",
            TechField::AdvancedManufacturing => "ADVANCED_MANUFACTURING",
            TechField::NewMaterials => "NEW_MATERIALS",
            TechField::Biomedicine => "BIOMEDICINE",
            TechField::ModernAgriculture => "MODERN_AGRICULTURE",
            TechField::EnergyEnvironment => "ENERGY_ENVIRONMENT",
            TechField::NewEnergy => "NEW_ENERGY",
            TechField::DigitalEconomy => "DIGITAL_ECONOMY",
        }
    }
}

/// How far a result has come from the laboratory (技术成熟度).
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ResultMaturity {
    /// 实验室阶段
    Laboratory,
    /// 样机/样品阶段
    Prototype,
    /// 中试阶段
    Pilot,
    /// 产业化阶段
    Industrialized,
}

impl ResultMaturity {
    pub const ALL: [ResultMaturity; 4] = [
        ResultMaturity::Laboratory,
        ResultMaturity::Prototype,
        ResultMaturity::Pilot,
        ResultMaturity::Industrialized,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ResultMaturity::Laboratory => "LABORATORY",
            ResultMaturity::Prototype => "PROTOTYPE",
            ResultMaturity::Pilot => "PILOT",
            ResultMaturity::Industrialized => "INDUSTRIALIZED",
        }
    }
}

/// On what terms a result is offered.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Licensing {
    /// 转让: the rights are sold.
    Transfer,
    /// 许可: licensed for use.
    License,
    /// 作价入股: brought into a company as equity.
    Equity,
    /// 合作开发: developed further together with the enterprise.
    JointDevelopment,
}

impl Licensing {
    pub fn as_str(self) -> &'static str {
        match self {
            Licensing::Transfer => "TRANSFER",
            Licensing::License => "LICENSE",
            Licensing::Equity => "EQUITY",
            Licensing::JointDevelopment => "JOINT_DEVELOPMENT",
        }
    }
}

/// Where an enterprise's technology need (企业技术需求) stands.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NeedStatus {
    /// 已发布: published, waiting for partners.
    Published,
    /// 对接中: results or experts proposed, talks under way.
    Matching,
    /// 已对接: a contract signed with a partner.
    Matched,
    /// 已解决: the enterprise's problem is solved.
    Resolved,
    /// 已关闭: closed unresolved.
    Closed,
}

impl NeedStatus {
    pub const ALL: [NeedStatus; 5] = [
        NeedStatus::Published,
        NeedStatus::Matching,
        NeedStatus::Matched,
        NeedStatus::Resolved,
        NeedStatus::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NeedStatus::Published => "PUBLISHED",
            NeedStatus::Matching => "MATCHING",
            NeedStatus::Matched => "MATCHED",
            NeedStatus::Resolved => "RESOLVED",
            NeedStatus::Closed => "CLOSED",
        }
    }

    /// Whether the workflow allows the step from `self` to `to`: PUBLISHED → MATCHING →
    /// MATCHED → RESOLVED, back from MATCHED to MATCHING when the contract falls through,
    /// and CLOSED from any open status.
    pub fn can_go_to(self, to: NeedStatus) -> bool {
        use NeedStatus::*;
        matches!(
            (self, to),
            (Published, Matching)
                | (Matching, Matched)
                | (Matched, Matching)
                | (Matched, Resolved)
                | (Published | Matching | Matched, Closed)
        )
    }

    /// The statuses reachable in one step.
    pub fn next(self) -> Vec<NeedStatus> {
        NeedStatus::ALL
            .into_iter()
            .filter(|to| self.can_go_to(*to))
            .collect()
    }

    /// Still looking for or working with partners: matches can be proposed and changed.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            NeedStatus::Published | NeedStatus::Matching | NeedStatus::Matched
        )
    }

    pub fn check_step(self, to: NeedStatus) -> ApiResult<()> {
        if self.can_go_to(to) {
            return Ok(());
        }
        Err(ApiError::IllegalTransition {
            entity: "TechNeed",
            from: self.as_str().to_string(),
            to: to.as_str().to_string(),
        })
    }

    /// Refuses to change or match a need that is resolved or closed.
    pub fn check_open(self, what: &str) -> ApiResult<()> {
        if self.is_open() {
            return Ok(());
        }
        Err(ApiError::IllegalTransition {
            entity: "TechNeed",
            from: self.as_str().to_string(),
            to: format!("{what}: resolved and closed needs are closed records"),
        })
    }
}

/// Where a match of a need with a result or an expert (供需对接) stands.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MatchStatus {
    /// 已推荐: proposed to the enterprise.
    Proposed,
    /// 洽谈中: the parties are talking.
    Negotiating,
    /// 已签约: a contract signed, with its amount.
    Contracted,
    /// 已转化: the result put to use in the enterprise (成果转化).
    Transferred,
    /// 未达成: nothing came of it.
    Failed,
}

impl MatchStatus {
    pub const ALL: [MatchStatus; 5] = [
        MatchStatus::Proposed,
        MatchStatus::Negotiating,
        MatchStatus::Contracted,
        MatchStatus::Transferred,
        MatchStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MatchStatus::Proposed => "PROPOSED",
            MatchStatus::Negotiating => "NEGOTIATING",
            MatchStatus::Contracted => "CONTRACTED",
            MatchStatus::Transferred => "TRANSFERRED",
            MatchStatus::Failed => "FAILED",
        }
    }

    /// PROPOSED → NEGOTIATING → CONTRACTED → TRANSFERRED; FAILED before a contract.
    pub fn can_go_to(self, to: MatchStatus) -> bool {
        use MatchStatus::*;
        matches!(
            (self, to),
            (Proposed, Negotiating)
                | (Negotiating, Contracted)
                | (Contracted, Transferred)
                | (Proposed | Negotiating, Failed)
        )
    }

    pub fn next(self) -> Vec<MatchStatus> {
        MatchStatus::ALL
            .into_iter()
            .filter(|to| self.can_go_to(*to))
            .collect()
    }

    /// A contract signed (and perhaps the result put to use).
    pub fn is_contracted(self) -> bool {
        matches!(self, MatchStatus::Contracted | MatchStatus::Transferred)
    }

    pub fn check_step(self, to: MatchStatus) -> ApiResult<()> {
        if self.can_go_to(to) {
            return Ok(());
        }
        Err(ApiError::IllegalTransition {
            entity: "NeedMatch",
            from: self.as_str().to_string(),
            to: to.as_str().to_string(),
        })
    }
}

/// How an association serves an enterprise on site.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VisitKind {
    /// 学会服务企业行: a learned society's visit to an enterprise ("省级学会XX企业行").
    SocietyVisit,
    /// 专家服务团: a team of experts sent to an enterprise.
    ExpertTeam,
}

impl VisitKind {
    pub const ALL: [VisitKind; 2] = [VisitKind::SocietyVisit, VisitKind::ExpertTeam];

    pub fn as_str(self) -> &'static str {
        match self {
            VisitKind::SocietyVisit => "SOCIETY_VISIT",
            VisitKind::ExpertTeam => "EXPERT_TEAM",
        }
    }
}

/// Where a service visit stands.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VisitStatus {
    /// 计划: planned.
    Planned,
    /// 已开展: held, with the problems taken up and solved.
    Held,
    /// 已取消
    Cancelled,
}

impl VisitStatus {
    pub const ALL: [VisitStatus; 3] = [
        VisitStatus::Planned,
        VisitStatus::Held,
        VisitStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VisitStatus::Planned => "PLANNED",
            VisitStatus::Held => "HELD",
            VisitStatus::Cancelled => "CANCELLED",
        }
    }

    /// PLANNED → HELD or CANCELLED.
    pub fn can_go_to(self, to: VisitStatus) -> bool {
        matches!(
            (self, to),
            (
                VisitStatus::Planned,
                VisitStatus::Held | VisitStatus::Cancelled
            )
        )
    }

    pub fn next(self) -> Vec<VisitStatus> {
        VisitStatus::ALL
            .into_iter()
            .filter(|to| self.can_go_to(*to))
            .collect()
    }

    pub fn check_step(self, to: VisitStatus) -> ApiResult<()> {
        if self.can_go_to(to) {
            return Ok(());
        }
        Err(ApiError::IllegalTransition {
            entity: "ServiceVisit",
            from: self.as_str().to_string(),
            to: to.as_str().to_string(),
        })
    }

    /// Refuses what only a visit in `status` takes.
    pub fn check_is(self, status: VisitStatus, what: &str) -> ApiResult<()> {
        if self == status {
            return Ok(());
        }
        Err(ApiError::IllegalTransition {
            entity: "ServiceVisit",
            from: self.as_str().to_string(),
            to: format!("{what}: only {} visits take it", status.as_str()),
        })
    }
}

/// A designation of the 科创中国 pilot programme a unit carries.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PilotKind {
    /// 科创中国试点城市
    PilotCity,
    /// 科创中国创新枢纽城市
    HubCity,
    /// 科创中国试点园区 (or 创新基地)
    PilotPark,
}

impl PilotKind {
    pub const ALL: [PilotKind; 3] = [
        PilotKind::PilotCity,
        PilotKind::HubCity,
        PilotKind::PilotPark,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PilotKind::PilotCity => "PILOT_CITY",
            PilotKind::HubCity => "HUB_CITY",
            PilotKind::PilotPark => "PILOT_PARK",
        }
    }
}

/// What kind of innovation event: matchmaking, or academic exchange (学术交流).
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventKind {
    /// 供需对接会: needs and results presented and matched (科创会·市州行, 天府科技云
    /// 供需对接).
    Matchmaking,
    /// 学术会议, 学术年会: an academic conference.
    Conference,
    /// 学术沙龙, 高端沙龙: a salon.
    Salon,
    /// 产业技术研讨会: an industry technology seminar.
    IndustrySeminar,
    /// 成果路演: results presented to enterprises and investors.
    Roadshow,
}

impl EventKind {
    pub const ALL: [EventKind; 5] = [
        EventKind::Matchmaking,
        EventKind::Conference,
        EventKind::Salon,
        EventKind::IndustrySeminar,
        EventKind::Roadshow,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Matchmaking => "MATCHMAKING",
            EventKind::Conference => "CONFERENCE",
            EventKind::Salon => "SALON",
            EventKind::IndustrySeminar => "INDUSTRY_SEMINAR",
            EventKind::Roadshow => "ROADSHOW",
        }
    }
}

/// Where an innovation event stands.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventStatus {
    /// 筹备中: planned.
    Planned,
    /// 已举办: held, with its attendance.
    Held,
    /// 已取消
    Cancelled,
}

impl EventStatus {
    pub const ALL: [EventStatus; 3] = [
        EventStatus::Planned,
        EventStatus::Held,
        EventStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventStatus::Planned => "PLANNED",
            EventStatus::Held => "HELD",
            EventStatus::Cancelled => "CANCELLED",
        }
    }

    /// PLANNED → HELD or CANCELLED.
    pub fn can_go_to(self, to: EventStatus) -> bool {
        matches!(
            (self, to),
            (
                EventStatus::Planned,
                EventStatus::Held | EventStatus::Cancelled
            )
        )
    }

    pub fn next(self) -> Vec<EventStatus> {
        EventStatus::ALL
            .into_iter()
            .filter(|to| self.can_go_to(*to))
            .collect()
    }

    pub fn check_step(self, to: EventStatus) -> ApiResult<()> {
        if self.can_go_to(to) {
            return Ok(());
        }
        Err(ApiError::IllegalTransition {
            entity: "InnovationEvent",
            from: self.as_str().to_string(),
            to: to.as_str().to_string(),
        })
    }

    /// Refuses what only an event in `status` takes.
    pub fn check_is(self, status: EventStatus, what: &str) -> ApiResult<()> {
        if self == status {
            return Ok(());
        }
        Err(ApiError::IllegalTransition {
            entity: "InnovationEvent",
            from: self.as_str().to_string(),
            to: format!("{what}: only {} events take it", status.as_str()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_need_workflow_allows_exactly_the_documented_steps() {
        use NeedStatus::*;
        let allowed = [
            (Published, Matching),
            (Matching, Matched),
            (Matched, Matching),
            (Matched, Resolved),
            (Published, Closed),
            (Matching, Closed),
            (Matched, Closed),
        ];
        for from in NeedStatus::ALL {
            for to in NeedStatus::ALL {
                assert_eq!(
                    from.can_go_to(to),
                    allowed.contains(&(from, to)),
                    "{from:?} -> {to:?}"
                );
            }
        }
        assert!(Matched.is_open() && !Resolved.is_open() && !Closed.is_open());
    }

    #[test]
    fn the_match_workflow_allows_exactly_the_documented_steps() {
        use MatchStatus::*;
        let allowed = [
            (Proposed, Negotiating),
            (Negotiating, Contracted),
            (Contracted, Transferred),
            (Proposed, Failed),
            (Negotiating, Failed),
        ];
        for from in MatchStatus::ALL {
            for to in MatchStatus::ALL {
                assert_eq!(
                    from.can_go_to(to),
                    allowed.contains(&(from, to)),
                    "{from:?} -> {to:?}"
                );
            }
        }
        assert!(Transferred.is_contracted() && !Failed.is_contracted());
    }

    #[test]
    fn an_event_is_held_or_cancelled_once_planned_and_nothing_after() {
        use EventStatus::*;
        assert_eq!(Planned.next(), vec![Held, Cancelled]);
        assert!(Held.next().is_empty() && Cancelled.next().is_empty());
        assert!(Planned.check_step(Held).is_ok() && Held.check_step(Cancelled).is_err());
        assert!(Planned.check_is(Held, "attendance").is_err());
    }

    #[test]
    fn a_visit_is_held_or_cancelled_once_planned_and_nothing_after() {
        use VisitStatus::*;
        assert_eq!(Planned.next(), vec![Held, Cancelled]);
        assert!(Held.next().is_empty() && Cancelled.next().is_empty());
        assert!(Held.check_is(Held, "outcome").is_ok());
        assert!(Planned.check_is(Held, "outcome").is_err());
    }
}
