//! The advice domain (建言献策, 决策咨询): kinds, categories and channels, the two workflows
//! with the steps they allow, and the checks on worker references.

use async_graphql::Enum;
use chrono::{FixedOffset, NaiveDate, Offset as _, Utc};

use kexie_subgraph_kit::{ApiError, ApiResult};

/// What a campaign collects.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CampaignKind {
    /// 献一计: ideas for the region's development ("我为XX发展献一计").
    IdeaSolicitation,
    /// 年度调研课题征集: the yearly call for research topics.
    ResearchTopicCall,
    /// 卡脖子问题征集: key technology bottlenecks of local industry.
    KeyTechBottleneck,
}

impl CampaignKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignKind::IdeaSolicitation => "IDEA_SOLICITATION",
            CampaignKind::ResearchTopicCall => "RESEARCH_TOPIC_CALL",
            CampaignKind::KeyTechBottleneck => "KEY_TECH_BOTTLENECK",
        }
    }
}

/// The field a submission is about.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SubmissionCategory {
    /// 产业发展
    Industry,
    /// 农业农村
    Agriculture,
    /// 生态环保
    Ecology,
    /// 医疗卫生
    Health,
    /// 教育
    Education,
    /// 人才
    Talent,
    /// 社会治理
    Governance,
    /// 卡脖子: a key technology bottleneck
    KeyTechBottleneck,
}

impl SubmissionCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionCategory::Industry => "INDUSTRY",
            SubmissionCategory::Agriculture => "AGRICULTURE",
            SubmissionCategory::Ecology => "ECOLOGY",
            SubmissionCategory::Health => "HEALTH",
            SubmissionCategory::Education => "EDUCATION",
            SubmissionCategory::Talent => "TALENT",
            SubmissionCategory::Governance => "GOVERNANCE",
            SubmissionCategory::KeyTechBottleneck => "KEY_TECH_BOTTLENECK",
        }
    }
}

/// How a submission reached the association.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SubmissionChannel {
    /// 直通车: sent straight in by S&T workers or partner bureaus.
    Direct,
    /// In answer to a campaign (征集活动); such a submission names its campaign.
    Campaign,
    /// From a learned society's research (学会调研).
    SocietyResearch,
}

impl SubmissionChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionChannel::Direct => "DIRECT",
            SubmissionChannel::Campaign => "CAMPAIGN",
            SubmissionChannel::SocietyResearch => "SOCIETY_RESEARCH",
        }
    }
}

/// Where a submission stands in "征集、提炼、报送" (collect, refine, forward).
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SubmissionStatus {
    /// Being written; editable.
    Draft,
    /// 征集: received by the association.
    Submitted,
    /// Being reviewed by the association's staff and experts.
    UnderReview,
    /// 提炼: condensed into a piece fit to forward.
    Refined,
    /// 报送: forwarded to the Party committee and government.
    Forwarded,
    /// 批示: a leader wrote an instruction on it.
    Instructed,
    /// 采纳: adopted by the government or its departments.
    Adopted,
    /// Sent back to the authors for revision; editable, then submitted again.
    Returned,
    /// Not adopted; the end of its road.
    Closed,
}

impl SubmissionStatus {
    pub const ALL: [SubmissionStatus; 9] = [
        SubmissionStatus::Draft,
        SubmissionStatus::Submitted,
        SubmissionStatus::UnderReview,
        SubmissionStatus::Refined,
        SubmissionStatus::Forwarded,
        SubmissionStatus::Instructed,
        SubmissionStatus::Adopted,
        SubmissionStatus::Returned,
        SubmissionStatus::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionStatus::Draft => "DRAFT",
            SubmissionStatus::Submitted => "SUBMITTED",
            SubmissionStatus::UnderReview => "UNDER_REVIEW",
            SubmissionStatus::Refined => "REFINED",
            SubmissionStatus::Forwarded => "FORWARDED",
            SubmissionStatus::Instructed => "INSTRUCTED",
            SubmissionStatus::Adopted => "ADOPTED",
            SubmissionStatus::Returned => "RETURNED",
            SubmissionStatus::Closed => "CLOSED",
        }
    }

    /// Whether the workflow allows the step from `self` to `to`.
    pub fn can_go_to(self, to: SubmissionStatus) -> bool {
        use SubmissionStatus::*;
        matches!(
            (self, to),
            (Draft, Submitted)
                | (Submitted, UnderReview)
                | (UnderReview, Refined)
                | (UnderReview, Returned)
                | (UnderReview, Closed)
                | (Refined, Forwarded)
                | (Refined, Closed)
                | (Forwarded, Instructed)
                | (Instructed, Adopted)
                | (Returned, Submitted)
        )
    }

    /// The statuses reachable in one step.
    pub fn next(self) -> Vec<SubmissionStatus> {
        SubmissionStatus::ALL
            .into_iter()
            .filter(|to| self.can_go_to(*to))
            .collect()
    }

    /// Only the authors' own versions can be changed: a submission under the association's
    /// handling is frozen until it is returned for revision.
    pub fn is_editable(self) -> bool {
        matches!(self, SubmissionStatus::Draft | SubmissionStatus::Returned)
    }

    /// Refuses a step the workflow does not allow.
    pub fn check_step(self, to: SubmissionStatus) -> ApiResult<()> {
        if self.can_go_to(to) {
            return Ok(());
        }
        Err(ApiError::IllegalTransition {
            entity: "Submission",
            from: self.as_str().to_string(),
            to: to.as_str().to_string(),
        })
    }

    /// Refuses an edit of a submission the association is handling.
    pub fn check_editable(self) -> ApiResult<()> {
        if self.is_editable() {
            return Ok(());
        }
        Err(ApiError::IllegalTransition {
            entity: "Submission",
            from: self.as_str().to_string(),
            to: "edited: only DRAFT and RETURNED submissions can be changed".to_string(),
        })
    }
}

/// The level of the leader who wrote an instruction (批示).
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LeaderLevel {
    /// 县(区)级
    County,
    /// 市级
    City,
    /// 省级
    Provincial,
    /// 国家级
    National,
}

impl LeaderLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LeaderLevel::County => "COUNTY",
            LeaderLevel::City => "CITY",
            LeaderLevel::Provincial => "PROVINCIAL",
            LeaderLevel::National => "NATIONAL",
        }
    }
}

/// Where a research topic (调研课题) stands.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ResearchTopicStatus {
    /// 申报: proposed in answer to the yearly call.
    Proposed,
    /// 立项: approved.
    Approved,
    /// Research under way.
    InProgress,
    /// 结题: concluded with its consultation report (决策咨询报告).
    Concluded,
    /// Not approved.
    Rejected,
}

impl ResearchTopicStatus {
    pub const ALL: [ResearchTopicStatus; 5] = [
        ResearchTopicStatus::Proposed,
        ResearchTopicStatus::Approved,
        ResearchTopicStatus::InProgress,
        ResearchTopicStatus::Concluded,
        ResearchTopicStatus::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ResearchTopicStatus::Proposed => "PROPOSED",
            ResearchTopicStatus::Approved => "APPROVED",
            ResearchTopicStatus::InProgress => "IN_PROGRESS",
            ResearchTopicStatus::Concluded => "CONCLUDED",
            ResearchTopicStatus::Rejected => "REJECTED",
        }
    }

    pub fn can_go_to(self, to: ResearchTopicStatus) -> bool {
        use ResearchTopicStatus::*;
        matches!(
            (self, to),
            (Proposed, Approved)
                | (Proposed, Rejected)
                | (Approved, InProgress)
                | (InProgress, Concluded)
        )
    }

    pub fn next(self) -> Vec<ResearchTopicStatus> {
        ResearchTopicStatus::ALL
            .into_iter()
            .filter(|to| self.can_go_to(*to))
            .collect()
    }

    /// A concluded or rejected topic is a closed record.
    pub fn is_editable(self) -> bool {
        !matches!(
            self,
            ResearchTopicStatus::Concluded | ResearchTopicStatus::Rejected
        )
    }

    pub fn check_step(self, to: ResearchTopicStatus) -> ApiResult<()> {
        if self.can_go_to(to) {
            return Ok(());
        }
        Err(ApiError::IllegalTransition {
            entity: "ResearchTopic",
            from: self.as_str().to_string(),
            to: to.as_str().to_string(),
        })
    }

    pub fn check_editable(self) -> ApiResult<()> {
        if self.is_editable() {
            return Ok(());
        }
        Err(ApiError::IllegalTransition {
            entity: "ResearchTopic",
            from: self.as_str().to_string(),
            to: "edited: concluded and rejected topics are closed records".to_string(),
        })
    }

    /// Only a concluded topic's result can be judged outstanding (优秀调研成果评选).
    pub fn check_awardable(self) -> ApiResult<()> {
        if self == ResearchTopicStatus::Concluded {
            return Ok(());
        }
        Err(ApiError::IllegalTransition {
            entity: "ResearchTopic",
            from: self.as_str().to_string(),
            to: "awarded: only CONCLUDED topics can be awarded".to_string(),
        })
    }
}

/// The prize of an outstanding research result (优秀调研成果).
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ResearchAward {
    /// 一等奖
    First,
    /// 二等奖
    Second,
    /// 三等奖
    Third,
}

impl ResearchAward {
    pub fn as_str(self) -> &'static str {
        match self {
            ResearchAward::First => "FIRST",
            ResearchAward::Second => "SECOND",
            ResearchAward::Third => "THIRD",
        }
    }
}

pub use kexie_subgraph_kit::id::worker_ids;

/// China Standard Time (UTC+8, no daylight saving): the associations' working day, for
/// "today" and submission dates.
pub fn china_time() -> FixedOffset {
    // Within the ±24 h FixedOffset accepts, so the fallback is never taken.
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix())
}

/// Today in China.
pub fn china_today() -> NaiveDate {
    Utc::now().with_timezone(&china_time()).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_submission_workflow_allows_exactly_the_documented_steps() {
        use SubmissionStatus::*;
        let allowed = [
            (Draft, Submitted),
            (Submitted, UnderReview),
            (UnderReview, Refined),
            (UnderReview, Returned),
            (UnderReview, Closed),
            (Refined, Forwarded),
            (Refined, Closed),
            (Forwarded, Instructed),
            (Instructed, Adopted),
            (Returned, Submitted),
        ];
        for from in SubmissionStatus::ALL {
            for to in SubmissionStatus::ALL {
                assert_eq!(
                    from.can_go_to(to),
                    allowed.contains(&(from, to)),
                    "{from:?} -> {to:?}"
                );
            }
        }
        assert!(Draft.is_editable() && Returned.is_editable());
        assert!(!Submitted.is_editable() && !Forwarded.is_editable());
    }

    #[test]
    fn research_topics_are_rejected_only_from_proposed_and_awarded_only_when_concluded() {
        use ResearchTopicStatus::*;
        assert!(Proposed.can_go_to(Rejected));
        assert!(!Approved.can_go_to(Rejected));
        assert!(!Proposed.can_go_to(Concluded));
        assert_eq!(InProgress.next(), vec![Concluded]);
        assert!(Concluded.check_awardable().is_ok());
        assert!(InProgress.check_awardable().is_err());
    }
}
