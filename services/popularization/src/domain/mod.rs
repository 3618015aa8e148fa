//! The popularization domain: what venues and activities are, their workflows, and the
//! checks every input passes before anything is written.

pub mod activity;
pub mod venue;

use chrono::{NaiveDate, Utc};

/// An enum stored as `text` (with a `check` constraint listing the same values) and exposed
/// as a GraphQL enum. The text of each variant is written once, here, and used for the
/// database, the API and SQL bindings alike.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq, Hash, sqlx::Type)]
        #[sqlx(type_name = "text")]
        pub enum $name {
            $(
                $(#[$variant_meta])*
                #[graphql(name = $text)]
                #[sqlx(rename = $text)]
                $variant,
            )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The value as stored and as sent to clients.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl TextEnum for $name {
            fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

/// An enum kept as text in the database.
pub trait TextEnum: Sized + Copy + PartialEq {
    /// The value a stored text names, if any.
    fn parse(text: &str) -> Option<Self>;
}

/// A list of enum values stored as a `text[]` column (audiences, partner bureaus).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EnumList<T>(pub Vec<T>);

impl<T: TextEnum> TryFrom<Vec<String>> for EnumList<T> {
    type Error = String;

    fn try_from(values: Vec<String>) -> Result<Self, Self::Error> {
        values
            .iter()
            .map(|value| T::parse(value).ok_or_else(|| format!("unknown value {value:?}")))
            .collect::<Result<Vec<_>, _>>()
            .map(EnumList)
    }
}

/// Keeps the first occurrence of every value, in the order given.
pub fn distinct<T: PartialEq + Copy>(values: &[T]) -> Vec<T> {
    let mut kept: Vec<T> = Vec::with_capacity(values.len());
    for value in values {
        if !kept.contains(value) {
            kept.push(*value);
        }
    }
    kept
}

/// The associations work on China Standard Time (UTC+8, no daylight saving): "today" for
/// an opening date or for whether an activity can have been held is the local day.
pub fn local_today() -> NaiveDate {
    (Utc::now().naive_utc() + chrono::Duration::hours(8)).date()
}

text_enum! {
    /// 科普阵地的类型: what kind of venue it is.
    pub enum VenueKind {
        /// 科技馆: a city or county science museum.
        ScienceMuseum = "SCIENCE_MUSEUM",
        /// 校园科技馆, 农村中学科技馆: a museum in a school.
        CampusMuseum = "CAMPUS_MUSEUM",
        /// 社区科普馆
        CommunityHall = "COMMUNITY_HALL",
        /// 科普基地 (科普教育基地)
        PopularizationBase = "POPULARIZATION_BASE",
        /// 科普示范社区
        DemoCommunity = "DEMO_COMMUNITY",
        /// 农村科普示范基地
        RuralDemoBase = "RURAL_DEMO_BASE",
        /// 科技工作者之家
        WorkersHome = "WORKERS_HOME",
        /// 线上阵地: apps, WeChat and video accounts.
        Online = "ONLINE",
    }
}

text_enum! {
    /// Where a venue stands: PLANNED → UNDER_CONSTRUCTION → OPEN → CLOSED, or PLANNED →
    /// CLOSED for a plan given up ("力争建成6家县级科技馆" is tracked through these).
    pub enum VenueStatus {
        /// 规划中
        Planned = "PLANNED",
        /// 在建
        UnderConstruction = "UNDER_CONSTRUCTION",
        /// 已开放
        Open = "OPEN",
        /// 已关闭, or a plan given up.
        Closed = "CLOSED",
    }
}

text_enum! {
    /// 科普活动的类型.
    pub enum ActivityKind {
        /// 科普讲座
        Lecture = "LECTURE",
        /// 全国科普日活动
        ScienceDay = "SCIENCE_DAY",
        /// 科技志愿者下基层
        VolunteerService = "VOLUNTEER_SERVICE",
        /// 院士报告会, 高端论坛
        AcademicianReport = "ACADEMICIAN_REPORT",
        /// 培训: 科技之冬, 新型职业农民培训
        Training = "TRAINING",
        /// 竞赛: 创新方法大赛, 知识竞赛
        Competition = "COMPETITION",
        /// 科普展览
        Exhibition = "EXHIBITION",
        /// 科普研学游
        StudyTour = "STUDY_TOUR",
        /// 农村科普大喇叭
        Broadcast = "BROADCAST",
    }
}

text_enum! {
    /// Where an activity stands: PLANNED → HELD or CANCELLED.
    pub enum ActivityStatus {
        Planned = "PLANNED",
        Held = "HELD",
        Cancelled = "CANCELLED",
    }
}

text_enum! {
    /// The five key audiences of the texts (五大人群) and the general public.
    pub enum Audience {
        /// 青少年
        Youth = "YOUTH",
        /// 老年人
        Elderly = "ELDERLY",
        /// 农民
        Farmers = "FARMERS",
        /// 产业工人
        IndustrialWorkers = "INDUSTRIAL_WORKERS",
        /// 公务员
        CivilServants = "CIVIL_SERVANTS",
        /// 社会公众
        GeneralPublic = "GENERAL_PUBLIC",
    }
}

pub use kexie_subgraph_kit::bureau::PartnerBureau;

impl TextEnum for PartnerBureau {
    fn parse(text: &str) -> Option<Self> {
        PartnerBureau::parse(text)
    }
}

text_enum! {
    /// What an activity is about (科普主题), beside its form (`ActivityKind`): the themes the
    /// associations' plans count ("开展防灾减灾、食品安全宣传活动等20场(次)以上").
    pub enum ActivityTopic {
        /// 防灾减灾: disaster prevention and mitigation, emergency skills.
        DisasterPrevention = "DISASTER_PREVENTION",
        /// 食品安全
        FoodSafety = "FOOD_SAFETY",
        /// 健康科普: health and medicine.
        Health = "HEALTH",
        /// 农业实用技术
        AgriculturalTechnology = "AGRICULTURAL_TECHNOLOGY",
        /// 生态环保
        Ecology = "ECOLOGY",
        /// 数字素养: digital and information literacy.
        DigitalLiteracy = "DIGITAL_LITERACY",
        /// 科学家精神
        ScientistSpirit = "SCIENTIST_SPIRIT",
    }
}

text_enum! {
    /// How an activity reaches its audience (线上、线下、线上线下结合).
    pub enum ActivityMode {
        Online = "ONLINE",
        Offline = "OFFLINE",
        Hybrid = "HYBRID",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_texts_round_trip() {
        for kind in VenueKind::ALL {
            assert_eq!(VenueKind::parse(kind.as_str()), Some(*kind));
        }
        for bureau in PartnerBureau::ALL {
            assert_eq!(PartnerBureau::parse(bureau.as_str()), Some(*bureau));
        }
        assert_eq!(Audience::parse("NOBODY"), None);
    }

    #[test]
    fn stored_lists_parse_or_fail_loudly() {
        let parsed = EnumList::<Audience>::try_from(vec!["YOUTH".into(), "FARMERS".into()]);
        assert_eq!(
            parsed,
            Ok(EnumList(vec![Audience::Youth, Audience::Farmers]))
        );
        assert!(EnumList::<Audience>::try_from(vec!["ALIENS".into()]).is_err());
    }

    #[test]
    fn distinct_keeps_the_first_of_each_in_order() {
        assert_eq!(
            distinct(&[Audience::Farmers, Audience::Youth, Audience::Farmers]),
            vec![Audience::Farmers, Audience::Youth]
        );
    }
}
