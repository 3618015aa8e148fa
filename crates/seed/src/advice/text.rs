//! The words of the demo data: titles, summaries and bodies of submissions, research
//! topics, campaign descriptions, notes and instructions, in the vocabulary of the
//! associations' work reports.

use rand::rngs::StdRng;
use rand::Rng;

use kexie_advice::domain::{CampaignKind, LeaderLevel, SubmissionCategory, SubmissionStatus};

fn pick<'a>(rng: &mut StdRng, choices: &[&'a str]) -> &'a str {
    choices[rng.gen_range(0..choices.len())]
}

/// The place a unit stands for, as the texts name it: "涪城区科学技术协会" → "涪城",
/// "北川羌族自治县科协" → "北川", "绵阳市科学技术协会" → "绵阳".
pub fn region_name(unit_name: &str) -> String {
    let place = place_name(unit_name);
    if let Some(short) = place.strip_suffix("羌族自治县") {
        return short.to_string();
    }
    let chars: Vec<char> = place.chars().collect();
    match chars.last() {
        Some('区' | '县' | '市') if chars.len() > 2 => chars[..chars.len() - 1].iter().collect(),
        _ => place.to_string(),
    }
}

/// "涪城区科学技术协会" → "涪城区".
pub fn place_name(unit_name: &str) -> &str {
    unit_name
        .strip_suffix("科学技术协会")
        .or_else(|| unit_name.strip_suffix("科协"))
        .unwrap_or(unit_name)
}

/// The Party committee and government a unit's advice goes to.
pub fn committee(place: &str) -> &'static str {
    match place.chars().last() {
        Some('县') => "县委、县政府",
        Some('区') => "区委、区政府",
        _ => "市委、市政府",
    }
}

pub fn campaign_title(kind: CampaignKind, year: i32, region: &str) -> String {
    match kind {
        CampaignKind::IdeaSolicitation => format!("{year}年“我为{region}发展献一计”活动"),
        CampaignKind::ResearchTopicCall => format!("{year}年度{region}科协优秀调研课题征集"),
        CampaignKind::KeyTechBottleneck => {
            format!("{year}年{region}产业发展“卡脖子”问题征集")
        }
    }
}

pub fn campaign_description(kind: CampaignKind, year: i32, place: &str) -> String {
    match kind {
        CampaignKind::IdeaSolicitation => format!(
            "为广泛汇聚科技工作者智慧，面向全{place}科技工作者征集意见建议，围绕产业发展、乡村振兴、\
             生态保护、民生改善等重点难点问题献计献策，优秀建议经提炼后报送{}参阅。",
            committee(place)
        ),
        CampaignKind::ResearchTopicCall => format!(
            "围绕{}关注的重点、产业发展的难点，面向各学会、高校科协和广大科技工作者征集{year}年度\
             调研课题，确定1—2个重点主题开展专题调研，形成高质量决策咨询报告。",
            committee(place)
        ),
        CampaignKind::KeyTechBottleneck => format!(
            "面向企业、高校和科研院所征集制约{place}重点产业发展的“卡脖子”问题和新兴产业核心技术\
             问题，争取纳入科协智库开展课题研究，组织专家联合攻关。"
        ),
    }
}

const INDUSTRY: &[&str] = &[
    "电子信息产业",
    "新材料产业",
    "智能装备制造",
    "汽车零部件产业",
    "生物医药产业",
    "数字经济",
    "绿色食品加工",
    "新能源产业",
    "节能环保产业",
    "军民融合产业",
];
const AGRICULTURE: &[&str] = &[
    "猕猴桃",
    "茶叶",
    "蚕桑",
    "食用菌",
    "中药材",
    "生猪养殖",
    "柑橘",
    "高山蔬菜",
    "稻渔综合种养",
    "核桃",
    "魔芋",
];
const ECOLOGY: &[&str] = &[
    "涪江流域生态",
    "农村生活污水",
    "城乡生活垃圾分类",
    "工业固体废物",
    "农业面源污染",
    "城市黑臭水体",
    "土壤污染",
    "大气污染联防联控",
];
const HEALTH: &[&str] = &[
    "基层医疗卫生服务",
    "县域医共体",
    "老年慢病管理",
    "中医药传承创新",
    "心理健康服务",
    "儿童青少年近视防控",
    "突发公共卫生事件应急",
    "智慧医疗",
];
const EDUCATION: &[&str] = &[
    "青少年科技教育",
    "农村中学科技馆",
    "科学教师队伍",
    "中小学人工智能教育",
    "职业教育产教融合",
    "研学实践教育",
    "校外科普资源",
];
const TALENT: &[&str] = &[
    "青年科技人才",
    "乡村振兴人才",
    "高层次人才引进",
    "科技特派员",
    "田秀才土专家",
    "产业工人技能",
    "院士专家工作站",
];
const GOVERNANCE: &[&str] = &[
    "基层科协组织",
    "科技成果转化机制",
    "科技社团参与社会治理",
    "营商环境",
    "应急科普体系",
    "数字政府",
    "科技评价",
];
const KEY_TECH: &[&str] = &[
    "高端芯片封装",
    "工业软件",
    "高性能传感器",
    "精密减速器",
    "锂电池正极材料",
    "特种陶瓷材料",
    "中药材种苗脱毒",
    "茶叶加工装备",
    "食用菌菌种选育",
    "激光器核心器件",
];

fn subjects(category: SubmissionCategory) -> &'static [&'static str] {
    match category {
        SubmissionCategory::Industry => INDUSTRY,
        SubmissionCategory::Agriculture => AGRICULTURE,
        SubmissionCategory::Ecology => ECOLOGY,
        SubmissionCategory::Health => HEALTH,
        SubmissionCategory::Education => EDUCATION,
        SubmissionCategory::Talent => TALENT,
        SubmissionCategory::Governance => GOVERNANCE,
        SubmissionCategory::KeyTechBottleneck => KEY_TECH,
    }
}

fn title_templates(category: SubmissionCategory) -> &'static [&'static str] {
    match category {
        SubmissionCategory::Industry => &[
            "关于推动{s}高质量发展的建议",
            "关于加快{s}数字化、智能化改造的建议",
            "关于完善{s}产业链配套的建议",
            "关于支持{s}中小企业技术创新的建议",
            "关于打造{s}集群的几点建议",
        ],
        SubmissionCategory::Agriculture => &[
            "关于做大做强{s}特色产业的建议",
            "关于加强{s}病虫害绿色防控的建议",
            "关于推广{s}标准化生产技术的建议",
            "关于提升{s}精深加工水平的建议",
            "关于以{s}产业助推乡村振兴的建议",
        ],
        SubmissionCategory::Ecology => &[
            "关于加强{s}治理的建议",
            "关于{s}综合整治的对策建议",
            "关于建立{s}长效监测机制的建议",
        ],
        SubmissionCategory::Health => &[
            "关于完善{s}体系的建议",
            "关于加快{s}发展的建议",
            "关于提升{s}能力的建议",
        ],
        SubmissionCategory::Education => &[
            "关于加强{s}的建议",
            "关于推进{s}建设的建议",
            "关于统筹{s}的几点建议",
        ],
        SubmissionCategory::Talent => &[
            "关于完善{s}培养机制的建议",
            "关于加强{s}服务保障的建议",
            "关于充分发挥{s}作用的建议",
        ],
        SubmissionCategory::Governance => &[
            "关于健全{s}工作机制的建议",
            "关于深化{s}改革的建议",
            "关于优化{s}的建议",
        ],
        SubmissionCategory::KeyTechBottleneck => &[
            "{s}关键技术“卡脖子”问题及攻关建议",
            "关于突破{s}技术瓶颈的建议",
            "关于组织{s}联合攻关的建议",
        ],
    }
}

const PROBLEMS: &[&str] = &[
    "整体规模偏小，龙头带动作用不强",
    "关键技术和专业人才支撑不足",
    "资金投入渠道单一，融资难、融资贵问题突出",
    "产学研协同不够紧密，科技成果转化率不高",
    "基础设施和公共服务配套滞后",
    "标准化、品牌化程度不高，市场竞争力偏弱",
    "部门统筹协调不够，政策落地存在“最后一公里”问题",
    "基层技术推广服务体系薄弱",
];
const MEASURES: &[&str] = &[
    "加强顶层设计，制定专项规划和扶持政策",
    "设立专项资金，引导社会资本投入",
    "依托院士专家工作站和高校院所组建技术攻关团队",
    "完善科技成果转化激励机制，打通成果转化“最后一公里”",
    "加大人才引育力度，实施青年科技人才托举工程",
    "发挥学会和科技志愿者作用，开展技术培训和科普服务",
    "建立部门协同推进机制，明确责任单位和时间节点",
    "推进标准化建设，培育区域公共品牌",
];
const PROGRESS: &[&str] = &[
    "在各级党委、政府的重视下取得了一定成效",
    "相关工作稳步推进，基础不断夯实",
    "发展势头良好，但与先进地区相比仍有不小差距",
];

/// Three distinct entries of `list`.
fn three<'a>(rng: &mut StdRng, list: &[&'a str]) -> [&'a str; 3] {
    let first = rng.gen_range(0..list.len());
    let second = (first + 1 + rng.gen_range(0..list.len() - 2)) % list.len();
    let mut third = (second + 1) % list.len();
    if third == first {
        third = (third + 1) % list.len();
    }
    [list[first], list[second], list[third]]
}

/// A submission's title, summary and body.
pub fn submission(
    rng: &mut StdRng,
    category: SubmissionCategory,
    place: &str,
) -> (String, String, String) {
    let subject = pick(rng, subjects(category));
    let title = pick(rng, title_templates(category)).replace("{s}", subject);
    let [p1, p2, p3] = three(rng, PROBLEMS);
    let [m1, m2, m3] = three(rng, MEASURES);
    let summary = format!("针对{place}{subject}{p1}、{p2}等问题，建议{m1}，{m2}。");
    let body = format!(
        "一、基本情况\n{subject}是{place}经济社会发展的重要方面，近年来{}。\n\
         二、存在的问题\n一是{p1}；二是{p2}；三是{p3}。\n\
         三、对策建议\n（一）{m1}。\n（二）{m2}。\n（三）{m3}。",
        pick(rng, PROGRESS)
    );
    (title, summary, body)
}

/// The note staff write on a workflow step.
pub fn step_note(rng: &mut StdRng, to: SubmissionStatus, committee: &str) -> Option<String> {
    let note = match to {
        SubmissionStatus::Draft => return None,
        SubmissionStatus::Submitted => pick(
            rng,
            &["提交建议", "按要求修改后重新提交", "通过建言直通车报送"],
        )
        .to_string(),
        SubmissionStatus::UnderReview => {
            pick(rng, &["进入审核", "已请相关学会专家审读", "分送专家组评审"]).to_string()
        }
        SubmissionStatus::Refined => pick(
            rng,
            &[
                "已提炼成专报",
                "经专家论证，已提炼要点",
                "整理形成《科技工作者建议》专报",
            ],
        )
        .to_string(),
        SubmissionStatus::Forwarded => format!("以《科技工作者建议》报送{committee}"),
        SubmissionStatus::Instructed => "领导作出批示".to_string(),
        SubmissionStatus::Adopted => pick(
            rng,
            &[
                "建议被有关部门采纳",
                "相关措施已写入工作方案",
                "建议已转化为政策文件",
            ],
        )
        .to_string(),
        SubmissionStatus::Returned => pick(
            rng,
            &[
                "请补充调研数据后重新提交",
                "建议的可操作性不强，请修改完善",
                "请聚焦一个问题，压缩篇幅",
            ],
        )
        .to_string(),
        SubmissionStatus::Closed => pick(
            rng,
            &[
                "经研究暂不采纳",
                "与已报送建议重复",
                "相关工作已在推进，不再报送",
            ],
        )
        .to_string(),
    };
    Some(note)
}

/// Who wrote the instruction, and what.
pub fn instruction(
    rng: &mut StdRng,
    level: LeaderLevel,
    category: SubmissionCategory,
) -> (String, String) {
    let leader = match level {
        LeaderLevel::County => pick(rng, &["区（县）委书记", "区（县）长", "分管副区（县）长"]),
        LeaderLevel::City => pick(
            rng,
            &["市委书记", "市长", "市委副书记", "常务副市长", "分管副市长"],
        ),
        LeaderLevel::Provincial => pick(rng, &["省委常委", "分管副省长", "省政府秘书长"]),
        LeaderLevel::National => "国务院有关领导同志",
    };
    let department = match category {
        SubmissionCategory::Industry => "经济和信息化局",
        SubmissionCategory::Agriculture => "农业农村局",
        SubmissionCategory::Ecology => "生态环境局",
        SubmissionCategory::Health => "卫生健康委",
        SubmissionCategory::Education => "教育局",
        SubmissionCategory::Talent => "人才工作领导小组办公室",
        SubmissionCategory::Governance => "发展改革委",
        SubmissionCategory::KeyTechBottleneck => "科技局",
    };
    let note = match rng.gen_range(0..3) {
        0 => format!("请{department}认真研究吸收。"),
        1 => format!("建议很好，请{department}结合实际抓好落实。"),
        _ => format!("请{department}牵头研究，提出具体措施。"),
    };
    (leader.to_string(), note)
}

const THEMES: &[&str] = &[
    "科技成果转化",
    "中药材产业提质增效",
    "茶叶加工工艺优化",
    "基层科普阵地建设",
    "老年人数字素养提升",
    "青少年科学素质提升",
    "乡村振兴科技人才支撑",
    "科技型中小企业创新能力",
    "电子信息产业链安全",
    "新材料产业集群发展",
    "涪江流域生态保护",
    "县域医共体建设",
    "学会服务地方经济",
    "企业科协组织建设",
    "科技志愿服务体系",
    "农村科普示范基地运行",
    "院士专家工作站绩效",
    "现代科技馆体系建设",
    "产业工人创新能力",
    "应急科普能力",
];

/// A research topic's title and its consultation report's title and summary.
pub fn research_topic(rng: &mut StdRng, place: &str) -> (String, String, String) {
    let theme = pick(rng, THEMES);
    let title = match rng.gen_range(0..4) {
        0 => format!("{place}{theme}研究"),
        1 => format!("{place}{theme}现状与对策研究"),
        2 => format!("关于{place}{theme}的调查与思考"),
        _ => format!("{place}{theme}路径研究"),
    };
    let report_title = format!("关于{place}{theme}的调研报告");
    let summary = format!(
        "课题组深入{}个单位开展实地调研，召开座谈会{}场，梳理出{}等问题，提出{}条对策建议。",
        rng.gen_range(6..30),
        rng.gen_range(2..8),
        three(rng, PROBLEMS)[0],
        rng.gen_range(4..10)
    );
    (title, report_title, summary)
}

/// The note on a research topic's step.
pub fn topic_note(
    rng: &mut StdRng,
    to: kexie_advice::domain::ResearchTopicStatus,
) -> Option<String> {
    use kexie_advice::domain::ResearchTopicStatus::*;
    let note = match to {
        Proposed => return None,
        Approved => pick(rng, &["经专家评审，同意立项", "列入年度重点调研课题"]),
        Rejected => pick(rng, &["与已立项课题重复", "选题过大，建议聚焦后明年再报"]),
        InProgress => pick(rng, &["召开开题会", "课题组已赴基层开展调研"]),
        Concluded => pick(rng, &["通过结题验收", "报告已报送市委、市政府参阅"]),
    };
    Some(note.to_string())
}
