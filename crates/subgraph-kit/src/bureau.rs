//! The government bureaus the associations work with (借力打力): they co-organize
//! activities and events, and partner API keys speak for one of them.

use async_graphql::Enum;

/// A government bureau co-organizing activities and events with the associations
/// ("借力打力": 利用教育局、老干部局、农业农村局、妇联等单位力量).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PartnerBureau {
    /// 教育局
    Education,
    /// 农业农村局
    Agriculture,
    /// 老干部局
    VeteranCadres,
    /// 妇联
    WomensFederation,
    /// 科技局
    ScienceTechnology,
    /// 工信局
    IndustryIt,
    /// 组织部
    OrganizationDepartment,
    /// 卫健委
    Health,
    /// Any other bureau.
    Other,
}

impl PartnerBureau {
    /// Every bureau, in declaration order.
    pub const ALL: &'static [PartnerBureau] = &[
        PartnerBureau::Education,
        PartnerBureau::Agriculture,
        PartnerBureau::VeteranCadres,
        PartnerBureau::WomensFederation,
        PartnerBureau::ScienceTechnology,
        PartnerBureau::IndustryIt,
        PartnerBureau::OrganizationDepartment,
        PartnerBureau::Health,
        PartnerBureau::Other,
    ];

    /// The value as stored, as sent to clients and as a key's `bureau`.
    pub fn as_str(self) -> &'static str {
        match self {
            PartnerBureau::Education => "EDUCATION",
            PartnerBureau::Agriculture => "AGRICULTURE",
            PartnerBureau::VeteranCadres => "VETERAN_CADRES",
            PartnerBureau::WomensFederation => "WOMENS_FEDERATION",
            PartnerBureau::ScienceTechnology => "SCIENCE_TECHNOLOGY",
            PartnerBureau::IndustryIt => "INDUSTRY_IT",
            PartnerBureau::OrganizationDepartment => "ORGANIZATION_DEPARTMENT",
            PartnerBureau::Health => "HEALTH",
            PartnerBureau::Other => "OTHER",
        }
    }

    /// The bureau a stored text or a key's `bureau` names, if any.
    pub fn parse(text: &str) -> Option<PartnerBureau> {
        PartnerBureau::ALL
            .iter()
            .copied()
            .find(|bureau| bureau.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bureau_reads_back_from_its_text() {
        for bureau in PartnerBureau::ALL {
            assert_eq!(PartnerBureau::parse(bureau.as_str()), Some(*bureau));
        }
        assert_eq!(PartnerBureau::parse("education"), None);
    }
}
