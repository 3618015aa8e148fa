//! Words the demo data is made of: disciplines, employers, honors and workstation names as
//! the associations' own texts use them.

/// Disciplines of workers in townships and rural professional technical associations.
pub const RURAL_DISCIPLINES: &[&str] = &[
    "农学",
    "园艺",
    "畜牧兽医",
    "植物保护",
    "水产养殖",
    "食用菌栽培",
    "农业经济管理",
    "茶学",
    "蚕学",
    "中药材栽培",
    "果树栽培",
    "农业机械化",
];

/// Disciplines of the three heads' staff in townships (三长: hospital, school, agriculture).
pub const TOWNSHIP_DISCIPLINES: &[&str] = &["临床医学", "护理学", "教育学", "农学", "畜牧兽医"];

pub const ENTERPRISE_DISCIPLINES: &[&str] = &[
    "机械工程",
    "电子信息工程",
    "材料科学与工程",
    "化学工程",
    "计算机科学与技术",
    "自动化",
    "生物制药",
    "食品科学与工程",
    "环境工程",
    "车辆工程",
    "通信工程",
];

pub const UNIVERSITY_DISCIPLINES: &[&str] = &[
    "计算机科学与技术",
    "材料科学与工程",
    "土木工程",
    "环境科学",
    "数学",
    "物理学",
    "化学",
    "生物学",
    "机械工程",
    "管理科学与工程",
    "核技术及应用",
    "中医学",
    "教育学",
];

pub const ADMINISTRATION_DISCIPLINES: &[&str] = &[
    "科技管理",
    "农学",
    "临床医学",
    "教育学",
    "经济学",
    "新闻传播学",
];

pub const ACADEMICIAN_DISCIPLINES: &[&str] = &[
    "作物遗传育种",
    "材料科学与工程",
    "核技术及应用",
    "机械工程",
    "计算机科学与技术",
    "流体力学",
];

/// A learned society's field, from a word in its name: the discipline its members
/// profess and the kind of place they work.
pub const SOCIETY_FIELDS: &[(&str, &[&str], &[&str])] = &[
    (
        "医",
        &["临床医学", "公共卫生"],
        &["人民医院", "中心医院", "疾病预防控制中心"],
    ),
    ("护理", &["护理学"], &["人民医院", "妇幼保健院"]),
    ("药", &["药学", "中药学"], &["人民医院", "药品检验所"]),
    ("中医", &["中医学", "针灸推拿学"], &["中医医院"]),
    (
        "农",
        &["农学", "园艺"],
        &["农业科学研究院", "农业技术推广中心"],
    ),
    ("林", &["林学", "生态学"], &["林业科学研究所", "国有林场"]),
    ("水利", &["水利工程"], &["水利规划设计院", "水务局"]),
    ("气象", &["大气科学"], &["气象局"]),
    (
        "计算机",
        &["计算机科学与技术", "软件工程"],
        &["信息技术有限公司", "大数据中心"],
    ),
    ("电子", &["电子信息工程", "通信工程"], &["电子科技有限公司"]),
    (
        "机械",
        &["机械工程", "自动化"],
        &["精密机械有限公司", "装备制造有限公司"],
    ),
    (
        "土木",
        &["土木工程", "建筑学"],
        &["建筑设计研究院", "城乡规划设计院"],
    ),
    (
        "畜牧",
        &["畜牧兽医", "动物医学"],
        &["畜牧站", "动物疫病预防控制中心"],
    ),
    ("植物", &["植物保护"], &["植保植检站"]),
    ("茶", &["茶学"], &["茶业有限公司", "茶叶研究所"]),
    ("环境", &["环境科学", "环境工程"], &["生态环境监测站"]),
    ("心理", &["心理学"], &["心理卫生中心", "实验中学"]),
    (
        "科普",
        &["新闻传播学", "科技管理"],
        &["科技馆", "融媒体中心"],
    ),
    (
        "青少年",
        &["教育学", "物理学"],
        &["实验中学", "青少年活动中心"],
    ),
    ("老年", &["科技管理"], &["老干部活动中心"]),
];

pub const GENERAL_DISCIPLINES: &[&str] = &["科技管理", "经济学", "工程管理", "教育学"];

/// Employers in a township, after the township's name: the three heads' institutions and
/// the agricultural services.
pub const TOWNSHIP_EMPLOYERS: &[&str] = &[
    "卫生院",
    "中心学校",
    "农业综合服务站",
    "人民政府",
    "畜牧兽医站",
];

/// Employers at district and city level, after the place's name.
pub const ADMINISTRATION_EMPLOYERS: &[&str] = &[
    "人民医院",
    "农业农村局",
    "第一中学",
    "科学技术协会",
    "疾病预防控制中心",
    "农业技术推广中心",
    "科学技术局",
];

/// Where rural experts work, after the association's place and crop.
pub const RURAL_EMPLOYERS: &[&str] = &["种植专业合作社", "家庭农场", "产业园", "养殖专业合作社"];

pub const CROPS: &[&str] = &[
    "猕猴桃",
    "茶叶",
    "蚕桑",
    "食用菌",
    "中药材",
    "柑橘",
    "蔬菜",
    "核桃",
    "魔芋",
    "水稻",
];

/// Honors anyone may receive.
pub const GENERAL_HONORS: &[&str] = &["最美科技工作者", "优秀科技工作者", "科普工作先进个人"];
/// 青年科技人才托举工程 and the like.
pub const YOUNG_HONORS: &[&str] = &["青年科技人才托举工程", "优秀青年科技人才"];
pub const VOLUNTEER_HONORS: &[&str] = &["优秀科技志愿者", "科技志愿服务先进个人"];
/// For 田秀才/土专家.
pub const RURAL_HONORS: &[&str] = &["乡土科普人才", "农村科普带头人", "乡村振兴科技带头人"];
/// 企业"创新达人".
pub const ENTERPRISE_HONORS: &[&str] = &["企业创新达人", "优秀科技专家"];
pub const SENIOR_HONORS: &[&str] = &["老科技工作者突出贡献奖"];
pub const SOCIETY_HONORS: &[&str] = &["优秀学会工作者"];
/// Honors only the nation confers.
pub const NATIONAL_HONORS: &[&str] = &["全国创新争先奖", "全国优秀科技工作者"];
pub const NATIONAL_YOUNG_HONORS: &[&str] = &["中国青年科技奖"];

/// Notes staff leave on nomination steps.
pub const SHORTLIST_NOTES: &[&str] = &["材料齐全，进入评审", "经初审入围", "推荐材料审核通过"];
pub const AWARD_NOTES: &[&str] = &["评审委员会表决通过", "经公示无异议，予以表彰", "评审通过"];
pub const NOT_SELECTED_NOTES: &[&str] = &["名额有限，未入选", "综合评审未入选", "推荐材料不完整"];
pub const SUSPEND_NOTES: &[&str] = &[
    "企业停产整顿",
    "入站专家调离，暂停运行",
    "考核不合格，限期整改",
];
pub const RESUME_NOTES: &[&str] = &["整改完成，恢复运行", "新专家进站，恢复运行"];
pub const CLOSE_NOTES: &[&str] = &["合作期满", "企业注销，撤销工作站", "连续两年考核不合格"];

/// Domains of the e-mail addresses workers give.
pub const MAIL_DOMAINS: &[&str] = &["163.com", "126.com", "sina.com", "foxmail.com"];
