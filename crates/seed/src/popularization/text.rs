//! The words of the demo data: names of places, venues and activities, taken from the
//! vocabulary of the associations' own work reports.

use rand::rngs::StdRng;
use rand::Rng;

use kexie_popularization::domain::{ActivityKind, Audience};

/// Picks one of `choices`.
pub fn pick<'a>(rng: &mut StdRng, choices: &[&'a str]) -> &'a str {
    choices[rng.gen_range(0..choices.len())]
}

/// A unit's name without the association: "涪城区科学技术协会" → "涪城区",
/// "青义镇科协" → "青义镇", "西南科技大学科协" → "西南科技大学".
pub fn host_name(unit_name: &str) -> &str {
    let trimmed = unit_name
        .trim_end_matches("科学技术协会")
        .trim_end_matches("科协")
        .trim_end_matches("专业技术协会");
    if trimmed.is_empty() {
        unit_name
    } else {
        trimmed
    }
}

/// How an activity's title names its organizer: the place or company for the
/// administrative line and enterprises and universities ("青义镇", "西南科技大学"), the
/// whole name for associations whose name says what they are ("绵阳市农学会",
/// "游仙区老科协", "青义猕猴桃专业技术协会").
pub fn organizer_name<'a>(unit_name: &'a str, kind: &str) -> &'a str {
    match kind {
        "SOCIETY" | "SENIOR" | "RURAL_TECH" => unit_name,
        _ => host_name(unit_name),
    }
}

/// The crop or trade a name mentions, if any ("青义猕猴桃专业技术协会" → "猕猴桃").
pub fn crop_in(name: &str) -> Option<&'static str> {
    CROPS.iter().copied().find(|crop| name.contains(crop))
}

/// A township's or district's place name without its administrative suffix:
/// "青义镇" → "青义", "涪城区" → "涪城", "北川羌族自治县" → "北川".
pub fn place_core(host: &str) -> &str {
    for suffix in ["羌族自治县", "街道", "镇", "乡", "区", "县", "市"] {
        if let Some(core) = host.strip_suffix(suffix) {
            if !core.is_empty() {
                return core;
            }
        }
    }
    host
}

const ROADS: &[&str] = &[
    "人民路",
    "建设路",
    "文化路",
    "科技路",
    "长虹大道",
    "临园路",
    "公园路",
    "滨江路",
    "学府路",
    "兴业路",
    "迎宾大道",
    "富乐路",
];
const VILLAGES: &[&str] = &[
    "青石", "双河", "新华", "红旗", "金桥", "桂花", "柏林", "龙泉", "永兴", "白鹤", "太平", "和平",
];
const COMMUNITIES: &[&str] = &[
    "幸福", "和谐", "花园", "滨河", "朝阳", "锦江", "紫荆", "文昌", "南山", "东城", "翠竹", "长乐",
];

/// A street address in a district or city: "涪城区科技路118号".
pub fn street_address(rng: &mut StdRng, area: &str) -> String {
    format!("{area}{}{}号", pick(rng, ROADS), rng.gen_range(1..400))
}

/// An address in a township: "涪城区青义镇双河村" or "…幸福社区".
pub fn township_address(rng: &mut StdRng, district: &str, township: &str) -> String {
    if township.ends_with("街道") || rng.gen_bool(0.3) {
        format!("{district}{township}{}社区", pick(rng, COMMUNITIES))
    } else {
        format!("{district}{township}{}村", pick(rng, VILLAGES))
    }
}

pub fn community_name(rng: &mut StdRng) -> &'static str {
    pick(rng, COMMUNITIES)
}

pub const CROPS: &[&str] = &[
    "猕猴桃",
    "茶叶",
    "蚕桑",
    "食用菌",
    "中药材",
    "生猪养殖",
    "柑橘",
    "蔬菜",
    "水产养殖",
    "核桃",
    "魔芋",
    "水稻",
    "油菜",
    "肉牛养殖",
];
const TECHNIQUES: &[&str] = &[
    "种植技术",
    "病虫害绿色防控",
    "高效栽培技术",
    "标准化生产技术",
    "农产品电商销售",
    "机械化生产",
];
const BASE_THEMES: &[&str] = &[
    "防震减灾",
    "气象",
    "生态环保",
    "中医药",
    "航空航天",
    "现代农业",
    "水利",
    "地质",
    "食品安全",
    "消防安全",
];

pub fn base_theme(rng: &mut StdRng) -> &'static str {
    pick(rng, BASE_THEMES)
}

const LECTURE_TOPICS: &[&str] = &[
    "防灾减灾",
    "食品安全",
    "健康养生",
    "防范电信网络诈骗",
    "合理膳食",
    "慢性病防治",
    "心理健康",
    "应急救护",
    "人工智能",
    "低碳生活",
    "垃圾分类",
    "科学用药",
    "破除封建迷信",
    "航天科普",
    "气象科普",
    "节约用水",
    "传染病防控",
];
const ELDERLY_TOPICS: &[&str] = &[
    "智能手机使用",
    "防范养老诈骗",
    "健康养生",
    "慢性病防治",
    "防跌倒",
    "合理用药",
];
const FIVE_INTO: &[&str] = &["校园", "社区", "农村", "企业", "机关"];
const VOLUNTEER_SERVICES: &[&str] = &[
    "农技指导服务",
    "义诊和健康咨询",
    "科普宣传服务",
    "文化科技卫生“三下乡”",
    "应急科普服务",
    "科技助农直播",
];
const FORUM_FIELDS: &[&str] = &[
    "现代农业",
    "生物医药",
    "新材料",
    "人工智能",
    "电子信息",
    "中医药",
    "生态环保",
    "航空航天",
    "智能制造",
];
const EXHIBITION_THEMES: &[&str] = &[
    "航天科技",
    "人工智能",
    "防灾减灾",
    "生态环保",
    "科学家精神",
    "健康生活",
    "数字生活",
    "古代科技",
    "海洋科普",
];
const BROADCAST_TOPICS: &[&str] = &[
    "春耕备耕",
    "病虫害防治",
    "防汛减灾",
    "森林防火",
    "秋收秋种",
    "冬季畜禽养殖",
    "农村用电安全",
    "食品安全",
    "防范电信诈骗",
    "健康生活",
];

/// What an activity is called, from its kind, its first audience, its host (see
/// [`organizer_name`]), the district or city it takes place in, and when it starts.
#[allow(clippy::too_many_arguments)]
pub fn activity_title(
    rng: &mut StdRng,
    kind: ActivityKind,
    audience: Audience,
    host: &str,
    area: &str,
    organizer_kind: &str,
    year: i32,
    winter: bool,
) -> String {
    match kind {
        ActivityKind::Lecture => match audience {
            Audience::Elderly => format!("{host}老年人{}科普讲座", pick(rng, ELDERLY_TOPICS)),
            _ if rng.gen_bool(0.06) => format!("{host}科学家精神宣讲报告会"),
            _ if organizer_kind == "SOCIETY" => {
                format!("{host}“{}”科普报告会", pick(rng, LECTURE_TOPICS))
            }
            _ => format!("{host}{}科普讲座", pick(rng, LECTURE_TOPICS)),
        },
        ActivityKind::ScienceDay => {
            if matches!(organizer_kind, "CITY" | "DISTRICT") && rng.gen_bool(0.3) {
                format!("{year}年全国科普日{host}主场活动")
            } else {
                format!("{year}年全国科普日{host}科普进{}活动", pick(rng, FIVE_INTO))
            }
        }
        ActivityKind::VolunteerService => {
            format!("科技志愿者下基层·{host}{}", pick(rng, VOLUNTEER_SERVICES))
        }
        ActivityKind::AcademicianReport => match rng.gen_range(0..3) {
            0 => format!("院士专家{}行报告会", place_core(area)),
            1 => format!("{host}{}高端学术论坛", pick(rng, FORUM_FIELDS)),
            _ => format!("{host}院士科学家精神报告会"),
        },
        ActivityKind::Training => match audience {
            // A rural association trains in its own crop, which its name already says.
            Audience::Farmers if winter => {
                let crop = if crop_in(host).is_some() {
                    ""
                } else {
                    pick(rng, CROPS)
                };
                format!("科技之冬·{host}{crop}{}培训", pick(rng, TECHNIQUES))
            }
            Audience::Farmers => {
                let crop = if crop_in(host).is_some() {
                    ""
                } else {
                    pick(rng, CROPS)
                };
                format!("{host}新型职业农民{crop}培训班")
            }
            Audience::IndustrialWorkers => {
                if rng.gen_bool(0.5) {
                    format!("{host}企业创新能力培训")
                } else {
                    format!("{host}产业工人技能提升培训")
                }
            }
            Audience::CivilServants => format!("{host}领导干部和公务员科学素质培训"),
            _ if organizer_kind == "TOWNSHIP" => format!("{host}新入职“三长”科普培训"),
            _ => format!("{host}科普志愿者培训"),
        },
        ActivityKind::Competition => match audience {
            Audience::IndustrialWorkers => format!("{host}产业工人创新方法大赛"),
            Audience::Farmers => format!("{host}新型职业农民爱科技用科技知识竞赛"),
            Audience::Youth => {
                if rng.gen_bool(0.5) {
                    format!("{host}青少年科技创新大赛")
                } else {
                    format!("{host}青少年机器人竞赛")
                }
            }
            _ => format!("{host}科普知识竞赛"),
        },
        ActivityKind::Exhibition => format!("{host}{}科普展", pick(rng, EXHIBITION_THEMES)),
        ActivityKind::StudyTour => {
            if rng.gen_bool(0.5) {
                format!("天府科普（研学）游·{host}青少年研学活动")
            } else {
                format!("{host}青少年科普研学游")
            }
        }
        ActivityKind::Broadcast => {
            format!("{host}农村科普大喇叭·{}", pick(rng, BROADCAST_TOPICS))
        }
    }
}

/// Why a planned activity was called off.
pub fn cancellation_note(rng: &mut StdRng) -> &'static str {
    pick(
        rng,
        &[
            "因天气原因取消",
            "与上级活动时间冲突，取消",
            "场地调整，活动取消",
            "报名人数不足，取消",
            "因疫情防控要求取消",
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_places_lose_their_suffixes() {
        assert_eq!(host_name("涪城区科学技术协会"), "涪城区");
        assert_eq!(host_name("青义镇科协"), "青义镇");
        assert_eq!(host_name("青义猕猴桃专业技术协会"), "青义猕猴桃");
        assert_eq!(host_name("绵阳市农学会"), "绵阳市农学会");
        assert_eq!(place_core("北川羌族自治县"), "北川");
        assert_eq!(place_core("青义镇"), "青义");
        assert_eq!(place_core("城南街道"), "城南");
        assert_eq!(organizer_name("游仙区老科协", "SENIOR"), "游仙区老科协");
        assert_eq!(organizer_name("游仙区科学技术协会", "DISTRICT"), "游仙区");
        assert_eq!(crop_in("青义猕猴桃专业技术协会"), Some("猕猴桃"));
    }
}
