//! 科普阵地: the venue workflow and the checks on a venue's fields.

use chrono::{Datelike, NaiveDate};

use kexie_subgraph_kit::{validate, ApiError, ApiResult};

use super::{VenueKind, VenueStatus};

pub const MAX_NAME: usize = 100;
pub const MAX_ADDRESS: usize = 200;
pub const MAX_CO_BUILDER: usize = 100;
pub const MAX_CO_BUILDERS: usize = 20;

impl VenueStatus {
    /// Whether the workflow allows going from `self` to `to`.
    pub fn can_become(self, to: VenueStatus) -> bool {
        use VenueStatus::*;
        matches!(
            (self, to),
            (Planned, UnderConstruction) | (UnderConstruction, Open) | (Open, Closed)
                // A plan given up.
                | (Planned, Closed)
        )
    }

    /// Refuses a step the workflow does not allow.
    pub fn check_transition(self, to: VenueStatus) -> ApiResult<()> {
        if self.can_become(to) {
            return Ok(());
        }
        Err(ApiError::IllegalTransition {
            entity: "Venue",
            from: self.as_str().to_string(),
            to: to.as_str().to_string(),
        })
    }

    /// A venue is registered as planned, under construction or already open (an existing
    /// museum entered into the hub); never as closed.
    pub fn check_initial(self) -> ApiResult<()> {
        if self == VenueStatus::Closed {
            return Err(ApiError::validation(
                "status",
                kexie_subgraph_kit::text!(
                    "a venue cannot be registered as CLOSED",
                    "场馆不能以 CLOSED（已关闭）状态登记"
                ),
            ));
        }
        Ok(())
    }

    /// Whether a venue in this status has (or may have) an opening date.
    fn has_opened(self) -> bool {
        matches!(self, VenueStatus::Open | VenueStatus::Closed)
    }
}

/// A venue's own fields (everything but its owner and its status).
#[derive(Clone, Debug, PartialEq)]
pub struct VenueFields {
    pub name: String,
    pub kind: VenueKind,
    /// 共建单位: who built or runs it with the owner.
    pub co_builders: Vec<String>,
    pub address: Option<String>,
    pub longitude: Option<f64>,
    pub latitude: Option<f64>,
    /// Square metres.
    pub floor_area: Option<f64>,
    pub opened_on: Option<NaiveDate>,
    pub yearly_visitors: Option<i32>,
}

impl VenueFields {
    /// Checks and normalizes the fields of a venue that is (or will be) in `status`, on
    /// the local day `today`.
    pub fn checked(self, status: VenueStatus, today: NaiveDate) -> ApiResult<VenueFields> {
        let name = validate::text("name", &self.name, MAX_NAME)?;
        let address = validate::optional_text("address", self.address.as_deref(), MAX_ADDRESS)?;
        let co_builders = co_builders(&self.co_builders)?;
        let (longitude, latitude) = coordinates(self.longitude, self.latitude)?;
        if let Some(area) = self.floor_area {
            if !area.is_finite() {
                return Err(ApiError::validation(
                    "floorArea",
                    kexie_subgraph_kit::text!("must be a number", "须为数字"),
                ));
            }
            validate::non_negative("floorArea", area)?;
        }
        if let Some(visitors) = self.yearly_visitors {
            validate::non_negative("yearlyVisitors", visitors)?;
        }
        match (status, self.opened_on) {
            (status, Some(_)) if !status.has_opened() => {
                return Err(ApiError::validation(
                    "openedOn",
                    kexie_subgraph_kit::text!(
                        "a {} venue has not opened and has no opening date",
                        "{} 状态的场馆尚未开放，没有开放日期",
                        status.as_str()
                    ),
                ))
            }
            (VenueStatus::Open, None) => {
                return Err(ApiError::validation(
                    "openedOn",
                    kexie_subgraph_kit::text!(
                        "an open venue needs its opening date",
                        "开放的场馆须填写开放日期"
                    ),
                ))
            }
            (_, Some(opened_on)) if opened_on > today => {
                return Err(ApiError::validation(
                    "openedOn",
                    kexie_subgraph_kit::text!(
                        "{opened_on} is still to come: a venue opens when it opens",
                        "{opened_on} 尚未到来：场馆开放后再登记开放日期"
                    ),
                ))
            }
            (_, Some(opened_on)) => {
                validate::year("openedOn", opened_on.year())?;
            }
            _ => {}
        }
        Ok(VenueFields {
            name,
            kind: self.kind,
            co_builders,
            address,
            longitude,
            latitude,
            floor_area: self.floor_area,
            opened_on: self.opened_on,
            yearly_visitors: self.yearly_visitors,
        })
    }
}

/// Trims the co-builders' names, drops repeats and bounds the list.
fn co_builders(names: &[String]) -> ApiResult<Vec<String>> {
    let mut kept: Vec<String> = Vec::with_capacity(names.len());
    for name in names {
        let name = validate::text("coBuilders", name, MAX_CO_BUILDER)?;
        if !kept.contains(&name) {
            kept.push(name);
        }
    }
    if kept.len() > MAX_CO_BUILDERS {
        return Err(ApiError::validation(
            "coBuilders",
            kexie_subgraph_kit::text!(
                "at most {MAX_CO_BUILDERS} co-builders, got {}",
                "最多 {MAX_CO_BUILDERS} 个共建单位，实际为 {} 个",
                kept.len()
            ),
        ));
    }
    Ok(kept)
}

/// Longitude −180..180 and latitude −90..90, both or neither.
fn coordinates(
    longitude: Option<f64>,
    latitude: Option<f64>,
) -> ApiResult<(Option<f64>, Option<f64>)> {
    match (longitude, latitude) {
        (None, None) => Ok((None, None)),
        (Some(_), None) => Err(ApiError::validation(
            "latitude",
            kexie_subgraph_kit::text!(
                "coordinates need both longitude and latitude",
                "坐标须同时给出经度和纬度"
            ),
        )),
        (None, Some(_)) => Err(ApiError::validation(
            "longitude",
            kexie_subgraph_kit::text!(
                "coordinates need both longitude and latitude",
                "坐标须同时给出经度和纬度"
            ),
        )),
        (Some(longitude), Some(latitude)) => {
            if !(-180.0..=180.0).contains(&longitude) {
                return Err(ApiError::validation(
                    "longitude",
                    kexie_subgraph_kit::text!(
                        "must be between -180 and 180",
                        "须在 -180 到 180 之间"
                    ),
                ));
            }
            if !(-90.0..=90.0).contains(&latitude) {
                return Err(ApiError::validation(
                    "latitude",
                    kexie_subgraph_kit::text!("must be between -90 and 90", "须在 -90 到 90 之间"),
                ));
            }
            Ok((Some(longitude), Some(latitude)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn museum() -> VenueFields {
        VenueFields {
            name: " 三台县科技馆 ".to_string(),
            kind: VenueKind::ScienceMuseum,
            co_builders: vec!["三台县图书馆".into(), " 三台县图书馆".into()],
            address: Some(" ".to_string()),
            longitude: Some(105.09),
            latitude: Some(31.09),
            floor_area: Some(4200.0),
            opened_on: None,
            yearly_visitors: None,
        }
    }

    #[test]
    fn venues_follow_their_workflow_and_nothing_else() {
        use VenueStatus::*;
        assert!(Planned.can_become(UnderConstruction));
        assert!(UnderConstruction.can_become(Open));
        assert!(Open.can_become(Closed));
        assert!(Planned.can_become(Closed));
        assert!(!Planned.can_become(Open));
        assert!(!UnderConstruction.can_become(Planned));
        assert!(!Closed.can_become(Open));
        assert!(!Open.can_become(Open));
        assert!(Closed.check_initial().is_err());
    }

    #[test]
    fn fields_are_trimmed_and_co_builders_deduplicated() {
        let fields = museum().checked(VenueStatus::Planned, today()).unwrap();
        assert_eq!(fields.name, "三台县科技馆");
        assert_eq!(fields.co_builders, vec!["三台县图书馆".to_string()]);
        assert_eq!(fields.address, None);
    }

    #[test]
    fn coordinates_come_in_pairs_within_range() {
        let mut half = museum();
        half.latitude = None;
        assert!(half.checked(VenueStatus::Planned, today()).is_err());
        let mut far = museum();
        far.longitude = Some(181.0);
        assert!(far.checked(VenueStatus::Planned, today()).is_err());
        let mut south = museum();
        south.latitude = Some(-90.5);
        assert!(south.checked(VenueStatus::Planned, today()).is_err());
    }

    #[test]
    fn only_opened_venues_have_an_opening_date() {
        let opened_on = NaiveDate::from_ymd_opt(2025, 9, 1);
        let mut planned = museum();
        planned.opened_on = opened_on;
        assert!(planned
            .clone()
            .checked(VenueStatus::Planned, today())
            .is_err());
        assert!(planned.clone().checked(VenueStatus::Open, today()).is_ok());
        assert!(planned.checked(VenueStatus::Closed, today()).is_ok());
        assert!(museum().checked(VenueStatus::Open, today()).is_err());
        assert!(museum().checked(VenueStatus::Closed, today()).is_ok());
        let mut early = museum();
        early.opened_on = NaiveDate::from_ymd_opt(2026, 11, 24);
        assert!(early.checked(VenueStatus::Open, today()).is_err());
    }

    #[test]
    fn areas_and_visitors_are_not_negative() {
        let mut area = museum();
        area.floor_area = Some(-1.0);
        assert!(area.checked(VenueStatus::Planned, today()).is_err());
        let mut visitors = museum();
        visitors.yearly_visitors = Some(-5);
        assert!(visitors.checked(VenueStatus::Planned, today()).is_err());
    }
}
