//! The organization domain: kinds of units and where each may hang in the tree, division
//! codes, leadership roles and target metrics.

use async_graphql::Enum;
use serde::{Deserialize, Serialize};

use kexie_subgraph_kit::error::Text;
use kexie_subgraph_kit::{ApiError, ApiResult};

pub use kexie_subgraph_kit::unit_tree::UnitKind;

/// Where a unit of a kind may hang in the tree and which division code it carries.
pub trait Placement {
    /// Whether a unit of this kind may hang under a unit of kind `parent` (`None`: the root).
    fn check_parent(self, parent: Option<UnitKind>) -> ApiResult<()>;

    /// Checks a division code against this kind and the parent's code (GB/T 2260: a city
    /// `5119 00`, its districts `5119 xx`, their townships `5119xx yyy`).
    fn check_division_code(self, code: Option<&str>, parent_code: Option<&str>) -> ApiResult<()>;
}

impl Placement for UnitKind {
    fn check_parent(self, parent: Option<UnitKind>) -> ApiResult<()> {
        let allowed = match (self, parent) {
            (UnitKind::City, None) => true,
            (UnitKind::District, Some(UnitKind::City)) => true,
            (UnitKind::Township, Some(UnitKind::District)) => true,
            (kind, Some(parent)) if !kind.is_administrative() => parent.is_administrative(),
            _ => false,
        };
        if allowed {
            return Ok(());
        }
        let message = match (self, parent) {
            (UnitKind::City, Some(_)) => kexie_subgraph_kit::text!(
                "a city association is the root and has no parent",
                "市科协是根组织，没有上级"
            ),
            (_, None) => kexie_subgraph_kit::text!(
                "a {} unit needs a parent unit",
                "{} 类组织须有上级组织",
                self.as_str()
            ),
            (kind, Some(parent)) => kexie_subgraph_kit::text!(
                "a {} unit cannot hang under a {} unit",
                "{} 类组织不能隶属于 {} 类组织",
                kind.as_str(),
                parent.as_str()
            ),
        };
        Err(ApiError::validation("parentId", message))
    }

    fn check_division_code(self, code: Option<&str>, parent_code: Option<&str>) -> ApiResult<()> {
        let invalid = |message: Text| Err(ApiError::validation("divisionCode", message));
        let Some(code) = code else {
            return if self.is_administrative() {
                invalid(kexie_subgraph_kit::text!(
                    "a {} unit needs an administrative division code",
                    "{} 类组织须有行政区划代码",
                    self.as_str()
                ))
            } else {
                Ok(())
            };
        };
        let digits = code.len();
        if !code.bytes().all(|byte| byte.is_ascii_digit()) {
            return invalid(kexie_subgraph_kit::text!(
                "{code:?} is not made of digits",
                "{code:?} 不全是数字"
            ));
        }
        match self {
            UnitKind::City if digits != 6 || !code.ends_with("00") => {
                invalid(kexie_subgraph_kit::text!(
                    "a city code has six digits ending in 00, got {code:?}",
                    "市级代码为六位、以 00 结尾，实际为 {code:?}"
                ))
            }
            UnitKind::District if digits != 6 || code.ends_with("00") => {
                invalid(kexie_subgraph_kit::text!(
                    "a district or county code has six digits not ending in 00, got {code:?}",
                    "区县代码为六位、不以 00 结尾，实际为 {code:?}"
                ))
            }
            UnitKind::District if parent_code.is_some_and(|city| city[..4] != code[..4]) => {
                invalid(kexie_subgraph_kit::text!(
                    "district code {code:?} does not lie in the city's {:?}",
                    "区县代码 {code:?} 不在所属市 {:?} 之内",
                    parent_code.unwrap_or_default()
                ))
            }
            UnitKind::Township if digits != 9 => invalid(kexie_subgraph_kit::text!(
                "a township code has nine digits, got {code:?}",
                "乡镇代码为九位，实际为 {code:?}"
            )),
            UnitKind::Township
                if parent_code.is_some_and(|district| !code.starts_with(district)) =>
            {
                invalid(kexie_subgraph_kit::text!(
                    "township code {code:?} does not lie in the district's {:?}",
                    "乡镇代码 {code:?} 不在所属区县 {:?} 之内",
                    parent_code.unwrap_or_default()
                ))
            }
            kind if !kind.is_administrative() => invalid(kexie_subgraph_kit::text!(
                "a {} unit is not an administrative division and has no division code",
                "{} 类组织不是行政区划，没有行政区划代码",
                kind.as_str()
            )),
            _ => Ok(()),
        }
    }
}

/// A unit's state over time: units are merged (townships) or dissolved, never deleted.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, sqlx::Type, Serialize, Deserialize)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UnitStatus {
    Active,
    /// Merged into another unit, under which it and its records now hang.
    Merged,
    Dissolved,
}

impl UnitStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UnitStatus::Active => "ACTIVE",
            UnitStatus::Merged => "MERGED",
            UnitStatus::Dissolved => "DISSOLVED",
        }
    }
}

/// A leadership post of a unit.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LeaderRole {
    /// 主席
    Chair,
    /// 副主席
    ViceChair,
    /// 秘书长
    SecretaryGeneral,
}

/// 三长: at township level, these heads serve as vice chairs.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ThreeHeadsPost {
    /// 医院院长
    HospitalDirector,
    /// 学校校长
    SchoolPrincipal,
    /// 农技站站长
    AgriculturalStationHead,
}

/// What kind of party-building activity a society held (学会党建).
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PartyBuildingKind {
    /// 宣讲: a lecture on the Party's policies (党的二十大精神宣讲 …).
    Lecture,
    /// 培训: training.
    Training,
    /// 观摩会: a visit to learn from another society's party building.
    Observation,
    /// 党建工作会: a party-building work meeting.
    WorkMeeting,
}

impl PartyBuildingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PartyBuildingKind::Lecture => "LECTURE",
            PartyBuildingKind::Training => "TRAINING",
            PartyBuildingKind::Observation => "OBSERVATION",
            PartyBuildingKind::WorkMeeting => "WORK_MEETING",
        }
    }
}

/// The level of the outlet that published a report (宣传报道).
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MediaLevel {
    /// 中央媒体
    Central,
    /// 省级媒体
    Provincial,
    /// 市级媒体
    City,
    /// 县级媒体 (融媒体中心)
    County,
}

impl MediaLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaLevel::Central => "CENTRAL",
            MediaLevel::Provincial => "PROVINCIAL",
            MediaLevel::City => "CITY",
            MediaLevel::County => "COUNTY",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn townships_hang_under_districts_and_base_organizations_under_the_administrative_line() {
        assert!(UnitKind::Township
            .check_parent(Some(UnitKind::District))
            .is_ok());
        assert!(UnitKind::Township
            .check_parent(Some(UnitKind::City))
            .is_err());
        assert!(UnitKind::Enterprise
            .check_parent(Some(UnitKind::Township))
            .is_ok());
        assert!(UnitKind::Enterprise
            .check_parent(Some(UnitKind::Society))
            .is_err());
        assert!(UnitKind::City.check_parent(None).is_ok());
        assert!(UnitKind::District.check_parent(None).is_err());
    }

    #[test]
    fn division_codes_follow_gb_t_2260_and_nest() {
        assert!(UnitKind::City
            .check_division_code(Some("511900"), None)
            .is_ok());
        assert!(UnitKind::District
            .check_division_code(Some("511902"), Some("511900"))
            .is_ok());
        assert!(UnitKind::District
            .check_division_code(Some("512002"), Some("511900"))
            .is_err());
        assert!(UnitKind::Township
            .check_division_code(Some("511902101"), Some("511902"))
            .is_ok());
        assert!(UnitKind::Township
            .check_division_code(Some("511903101"), Some("511902"))
            .is_err());
        assert!(UnitKind::Township
            .check_division_code(Some("51190210"), Some("511902"))
            .is_err());
        assert!(UnitKind::District
            .check_division_code(None, Some("511900"))
            .is_err());
        assert!(UnitKind::Society
            .check_division_code(Some("511902"), None)
            .is_err());
        assert!(UnitKind::Society.check_division_code(None, None).is_ok());
        assert!(UnitKind::City
            .check_division_code(Some("51a900"), None)
            .is_err());
    }
}
