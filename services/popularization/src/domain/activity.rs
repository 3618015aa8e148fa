//! 科普活动: the activity workflow and the checks on an activity's fields.

use chrono::{Datelike, NaiveDate};
use uuid::Uuid;

use kexie_subgraph_kit::{validate, ApiError, ApiResult};

use super::{
    distinct, ActivityKind, ActivityMode, ActivityStatus, ActivityTopic, Audience, PartnerBureau,
};

pub const MAX_TITLE: usize = 200;

impl ActivityStatus {
    /// Whether the workflow allows going from `self` to `to`: a planned activity is held or
    /// cancelled, and that is final.
    pub fn can_become(self, to: ActivityStatus) -> bool {
        matches!(
            (self, to),
            (ActivityStatus::Planned, ActivityStatus::Held)
                | (ActivityStatus::Planned, ActivityStatus::Cancelled)
        )
    }

    /// Refuses a step the workflow does not allow.
    pub fn check_transition(self, to: ActivityStatus) -> ApiResult<()> {
        if self.can_become(to) {
            return Ok(());
        }
        Err(ApiError::IllegalTransition {
            entity: "Activity",
            from: self.as_str().to_string(),
            to: to.as_str().to_string(),
        })
    }
}

/// An activity's own fields (everything but its organizer and its status).
#[derive(Clone, Debug, PartialEq)]
pub struct ActivityFields {
    pub title: String,
    pub kind: ActivityKind,
    /// The bureaus co-organizing it; empty when the association organizes it alone.
    pub partner_bureaus: Vec<PartnerBureau>,
    pub venue_id: Option<Uuid>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub audiences: Vec<Audience>,
    /// What it is about; empty when no theme is recorded.
    pub topics: Vec<ActivityTopic>,
    /// Expected while planned, the final count once held.
    pub participants: i32,
    /// Views, listeners or viewers reached online.
    pub online_reach: i32,
    pub mode: ActivityMode,
}

impl ActivityFields {
    /// Checks and normalizes the fields of an activity in `status`, on the local day `today`.
    pub fn checked(self, status: ActivityStatus, today: NaiveDate) -> ApiResult<ActivityFields> {
        let title = validate::text("title", &self.title, MAX_TITLE)?;
        validate::year("startsOn", self.starts_on.year())?;
        validate::year("endsOn", self.ends_on.year())?;
        validate::date_order("endsOn", Some(self.starts_on), Some(self.ends_on))?;
        let audiences = distinct(&self.audiences);
        if audiences.is_empty() {
            return Err(ApiError::validation(
                "audiences",
                kexie_subgraph_kit::text!("must name at least one audience", "请至少指定一类受众"),
            ));
        }
        validate::non_negative("participants", self.participants)?;
        validate::non_negative("onlineReach", self.online_reach)?;
        if status == ActivityStatus::Held {
            check_held_by(self.starts_on, today, "startsOn")?;
        }
        Ok(ActivityFields {
            title,
            audiences,
            topics: distinct(&self.topics),
            partner_bureaus: distinct(&self.partner_bureaus),
            ..self
        })
    }

    /// Whether partner bureaus co-organize it.
    pub fn co_organized(&self) -> bool {
        !self.partner_bureaus.is_empty()
    }
}

/// An activity can only have been held once it has started.
pub fn check_held_by(starts_on: NaiveDate, today: NaiveDate, field: &str) -> ApiResult<()> {
    if starts_on > today {
        return Err(ApiError::validation(
            field,
            kexie_subgraph_kit::text!(
                "an activity starting on {starts_on} cannot have been held by {today}",
                "{starts_on} 开始的活动不可能在 {today} 前已举办"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    fn science_day() -> ActivityFields {
        ActivityFields {
            title: " 2025年全国科普日涪城区主场活动 ".to_string(),
            kind: ActivityKind::ScienceDay,
            partner_bureaus: vec![PartnerBureau::Education, PartnerBureau::Education],
            venue_id: None,
            starts_on: date(2025, 9, 20),
            ends_on: date(2025, 9, 21),
            audiences: vec![Audience::Youth, Audience::GeneralPublic, Audience::Youth],
            topics: vec![ActivityTopic::FoodSafety, ActivityTopic::FoodSafety],
            participants: 800,
            online_reach: 12_000,
            mode: ActivityMode::Hybrid,
        }
    }

    #[test]
    fn a_planned_activity_is_held_or_cancelled_once() {
        use ActivityStatus::*;
        assert!(Planned.can_become(Held));
        assert!(Planned.can_become(Cancelled));
        assert!(!Held.can_become(Cancelled));
        assert!(!Cancelled.can_become(Held));
        assert!(!Held.can_become(Planned));
        assert!(!Planned.can_become(Planned));
    }

    #[test]
    fn fields_are_trimmed_and_lists_deduplicated() {
        let fields = science_day()
            .checked(ActivityStatus::Planned, date(2025, 1, 1))
            .unwrap();
        assert_eq!(fields.title, "2025年全国科普日涪城区主场活动");
        assert_eq!(fields.partner_bureaus, vec![PartnerBureau::Education]);
        assert_eq!(
            fields.audiences,
            vec![Audience::Youth, Audience::GeneralPublic]
        );
        assert!(fields.co_organized());
    }

    #[test]
    fn bad_fields_are_refused() {
        let today = date(2026, 1, 1);
        let mut backwards = science_day();
        backwards.ends_on = date(2025, 9, 19);
        assert!(backwards.checked(ActivityStatus::Planned, today).is_err());
        let mut nobody = science_day();
        nobody.audiences.clear();
        assert!(nobody.checked(ActivityStatus::Planned, today).is_err());
        let mut negative = science_day();
        negative.online_reach = -1;
        assert!(negative.checked(ActivityStatus::Planned, today).is_err());
        let mut untitled = science_day();
        untitled.title = "   ".into();
        assert!(untitled.checked(ActivityStatus::Planned, today).is_err());
    }

    #[test]
    fn only_a_started_activity_can_have_been_held() {
        assert!(science_day()
            .checked(ActivityStatus::Held, date(2025, 9, 20))
            .is_ok());
        assert!(science_day()
            .checked(ActivityStatus::Held, date(2025, 9, 19))
            .is_err());
    }
}
