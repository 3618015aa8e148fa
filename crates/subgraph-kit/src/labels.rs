//! The Chinese label of every enum value of the hub's API, for people: what an app shows
//! for `HELD` is 已举办. One table for the whole supergraph, served by the organizations
//! subgraph as `enumLabels` so that a front end fetches it once; a test of the hub checks
//! that every value of every enum in `schema/supergraph.graphql` has its label here.

/// An enum's values and their labels, in the schema's order.
pub struct EnumLabels {
    pub name: &'static str,
    pub values: &'static [(&'static str, &'static str)],
}

/// Every enum of the API.
pub const ENUMS: &[EnumLabels] = &[
    // Shared.
    EnumLabels {
        name: "Every",
        values: &[("MONTH", "按月"), ("QUARTER", "按季度"), ("YEAR", "按年")],
    },
    EnumLabels {
        name: "PartnerBureau",
        values: &[
            ("EDUCATION", "教育局"),
            ("AGRICULTURE", "农业农村局"),
            ("VETERAN_CADRES", "老干部局"),
            ("WOMENS_FEDERATION", "妇联"),
            ("SCIENCE_TECHNOLOGY", "科技局"),
            ("INDUSTRY_IT", "工信局"),
            ("ORGANIZATION_DEPARTMENT", "组织部"),
            ("HEALTH", "卫健委"),
            ("OTHER", "其他部门"),
        ],
    },
    EnumLabels {
        name: "TargetMetric",
        values: &[
            ("NEW_ENTERPRISE_ASSOCIATIONS", "新建企业科协"),
            ("EXEMPLARY_GRASSROOTS_ASSOCIATIONS", "示范基层科协"),
            ("COUNTY_SCIENCE_MUSEUMS", "县级科技馆"),
            ("VOLUNTEER_SERVICES", "科技志愿者下基层"),
            ("ACADEMICIAN_REPORTS", "院士报告会、高端论坛"),
            ("SCIENCE_DAY_EVENTS", "全国科普日活动"),
            ("RURAL_POPULARIZATION_EVENTS", "农村科普活动"),
            ("ELDERLY_LECTURES", "老年人科普讲座"),
            ("SAFETY_POPULARIZATION_EVENTS", "防灾减灾、食品安全宣传"),
            ("CERTIFIED_WORKSTATIONS", "省级认证专家工作站"),
            ("RESEARCH_TOPICS", "调研课题"),
            ("ADOPTED_SUBMISSIONS", "建议被采纳"),
            ("RESOLVED_TECH_NEEDS", "企业技术难题解决"),
            ("TECH_CONTRACTS", "技术合同签约"),
            ("SOCIETY_ENTERPRISE_VISITS", "学会服务企业行"),
            ("PARTY_BUILDING_EVENTS", "学会党建宣讲培训"),
            ("MAINSTREAM_MEDIA_REPORTS", "中央、省级媒体宣传报道"),
        ],
    },
    // Organizations.
    EnumLabels {
        name: "UnitKind",
        values: &[
            ("CITY", "市科协"),
            ("DISTRICT", "区/县科协"),
            ("TOWNSHIP", "乡镇/街道科协"),
            ("ENTERPRISE", "企业科协"),
            ("UNIVERSITY", "高校科协"),
            ("SOCIETY", "学会/协会/研究会"),
            ("RURAL_TECH", "农技协"),
            ("SENIOR", "老科协"),
        ],
    },
    EnumLabels {
        name: "UnitStatus",
        values: &[
            ("ACTIVE", "正常"),
            ("MERGED", "已合并"),
            ("DISSOLVED", "已撤销"),
        ],
    },
    EnumLabels {
        name: "UnitNeed",
        values: &[
            ("READ_SUBTREE", "查看本级及下级"),
            ("WRITE", "录入和修改"),
            ("ADMINISTER", "组织管理"),
        ],
    },
    EnumLabels {
        name: "LeaderRole",
        values: &[
            ("CHAIR", "主席"),
            ("VICE_CHAIR", "副主席"),
            ("SECRETARY_GENERAL", "秘书长"),
        ],
    },
    EnumLabels {
        name: "ThreeHeadsPost",
        values: &[
            ("HOSPITAL_DIRECTOR", "医院院长"),
            ("SCHOOL_PRINCIPAL", "学校校长"),
            ("AGRICULTURAL_STATION_HEAD", "农技站站长"),
        ],
    },
    EnumLabels {
        name: "PartyBuildingKind",
        values: &[
            ("LECTURE", "宣讲"),
            ("TRAINING", "培训"),
            ("OBSERVATION", "观摩会"),
            ("WORK_MEETING", "党建工作会"),
        ],
    },
    EnumLabels {
        name: "MediaLevel",
        values: &[
            ("CENTRAL", "中央媒体"),
            ("PROVINCIAL", "省级媒体"),
            ("CITY", "市级媒体"),
            ("COUNTY", "县级媒体"),
        ],
    },
    EnumLabels {
        name: "OrganizationFigure",
        values: &[
            ("UNITS", "组织数"),
            ("NEW_UNITS", "新建组织"),
            ("TERMS_OVERDUE", "逾期未换届"),
            ("PARTY_BUILDING_ACTIVITIES", "党建活动"),
            ("MEDIA_REPORTS", "媒体报道"),
        ],
    },
    EnumLabels {
        name: "PartnerCallOutcome",
        values: &[
            ("OK", "成功"),
            ("ERRORS", "出错"),
            ("RATE_LIMITED", "超出频率限制"),
            ("REFUSED", "已拒绝"),
        ],
    },
    EnumLabels {
        name: "Permission",
        values: &[
            ("READ_STAFF_DATA", "查看工作数据"),
            ("READ_SUBTREE", "查看本级及下级统计"),
            ("WRITE_RECORDS", "录入和修改"),
            ("ADMINISTER_UNITS", "组织管理"),
            ("MANAGE_API_KEYS", "接口密钥管理"),
            ("READ_VENUES_AND_ACTIVITIES", "查看全部阵地和活动"),
            ("CO_ORGANIZE_ACTIVITIES", "联合举办科普活动"),
            ("READ_PUBLIC_TALENT", "查看人才公开信息"),
            ("SUBMIT_ADVICE", "报送建言"),
            ("READ_INNOVATION", "查看创新服务信息"),
            ("CO_ORGANIZE_INNOVATION_EVENTS", "联合举办创新活动"),
        ],
    },
    EnumLabels {
        name: "ViewerReach",
        values: &[
            ("CITY", "全市"),
            ("PUBLIC", "公开信息"),
            ("SCOPES", "按授权范围"),
            ("SUBTREE", "本级及下级"),
        ],
    },
    EnumLabels {
        name: "ViewerRole",
        values: &[
            ("ANONYMOUS", "访客"),
            ("UNIT_STAFF", "工作人员"),
            ("UNIT_ADMIN", "单位管理员"),
            ("LEADERSHIP", "领导"),
            ("CITY_ADMIN", "市级管理员"),
            ("PARTNER", "合作单位"),
        ],
    },
    EnumLabels {
        name: "WebhookDeliveryStatus",
        values: &[
            ("PENDING", "待推送"),
            ("DELIVERED", "已送达"),
            ("FAILED", "推送失败"),
        ],
    },
    // Talent.
    EnumLabels {
        name: "Gender",
        values: &[("MALE", "男"), ("FEMALE", "女")],
    },
    EnumLabels {
        name: "ProfessionalTitle",
        values: &[
            ("SENIOR", "正高级"),
            ("JUNIOR", "初级"),
            ("INTERMEDIATE", "中级"),
            ("ASSOCIATE_SENIOR", "副高级"),
        ],
    },
    EnumLabels {
        name: "HonorLevel",
        values: &[
            ("PROVINCIAL", "省级"),
            ("CITY", "市级"),
            ("DISTRICT", "区县级"),
            ("NATIONAL", "国家级"),
        ],
    },
    EnumLabels {
        name: "NominationStatus",
        values: &[
            ("NOMINATED", "已推荐"),
            ("SHORTLISTED", "入围"),
            ("AWARDED", "获评"),
            ("NOT_SELECTED", "未入选"),
        ],
    },
    EnumLabels {
        name: "WorkstationKind",
        values: &[
            ("ACADEMICIAN_EXPERT", "院士专家工作站"),
            ("DOCTORAL_INNOVATION", "博士创新工作站"),
            ("EXPERT_ENTERPRISE", "科技专家企业工作站"),
            ("SCIENCE_BACKYARD", "科技小院"),
        ],
    },
    EnumLabels {
        name: "CertificationLevel",
        values: &[
            ("PROVINCIAL", "省级"),
            ("CITY", "市级"),
            ("NONE", "未认证"),
            ("NATIONAL", "国家级"),
        ],
    },
    EnumLabels {
        name: "WorkstationStatus",
        values: &[
            ("ACTIVE", "运行中"),
            ("SUSPENDED", "暂停"),
            ("CLOSED", "撤销"),
        ],
    },
    EnumLabels {
        name: "TalentFigure",
        values: &[
            ("WORKERS", "科技工作者"),
            ("VOLUNTEERS", "科技志愿者"),
            ("RURAL_EXPERTS", "农村专家"),
            ("HONORS", "荣誉"),
            ("NOMINATIONS", "推荐提名"),
            ("WORKSTATIONS", "工作站"),
        ],
    },
    // Popularization.
    EnumLabels {
        name: "VenueKind",
        values: &[
            ("ONLINE", "线上阵地"),
            ("SCIENCE_MUSEUM", "科技馆"),
            ("CAMPUS_MUSEUM", "校园科技馆"),
            ("COMMUNITY_HALL", "社区科普馆"),
            ("POPULARIZATION_BASE", "科普基地"),
            ("DEMO_COMMUNITY", "科普示范社区"),
            ("RURAL_DEMO_BASE", "农村科普示范基地"),
            ("WORKERS_HOME", "科技工作者之家"),
        ],
    },
    EnumLabels {
        name: "VenueStatus",
        values: &[
            ("CLOSED", "已关闭"),
            ("PLANNED", "规划中"),
            ("UNDER_CONSTRUCTION", "在建"),
            ("OPEN", "已开放"),
        ],
    },
    EnumLabels {
        name: "ActivityKind",
        values: &[
            ("LECTURE", "科普讲座"),
            ("TRAINING", "培训"),
            ("SCIENCE_DAY", "全国科普日活动"),
            ("VOLUNTEER_SERVICE", "科技志愿者下基层"),
            ("ACADEMICIAN_REPORT", "院士报告会、高端论坛"),
            ("COMPETITION", "竞赛"),
            ("EXHIBITION", "科普展览"),
            ("STUDY_TOUR", "科普研学游"),
            ("BROADCAST", "农村科普大喇叭"),
        ],
    },
    EnumLabels {
        name: "ActivityMode",
        values: &[
            ("ONLINE", "线上"),
            ("OFFLINE", "线下"),
            ("HYBRID", "线上线下结合"),
        ],
    },
    EnumLabels {
        name: "ActivityStatus",
        values: &[
            ("PLANNED", "计划中"),
            ("HELD", "已举办"),
            ("CANCELLED", "已取消"),
        ],
    },
    EnumLabels {
        name: "ActivityTopic",
        values: &[
            ("HEALTH", "健康科普"),
            ("DISASTER_PREVENTION", "防灾减灾"),
            ("FOOD_SAFETY", "食品安全"),
            ("AGRICULTURAL_TECHNOLOGY", "农业实用技术"),
            ("ECOLOGY", "生态环保"),
            ("DIGITAL_LITERACY", "数字素养"),
            ("SCIENTIST_SPIRIT", "科学家精神"),
        ],
    },
    EnumLabels {
        name: "Audience",
        values: &[
            ("YOUTH", "青少年"),
            ("ELDERLY", "老年人"),
            ("FARMERS", "农民"),
            ("INDUSTRIAL_WORKERS", "产业工人"),
            ("CIVIL_SERVANTS", "公务员"),
            ("GENERAL_PUBLIC", "社会公众"),
        ],
    },
    EnumLabels {
        name: "PopularizationFigure",
        values: &[
            ("VENUES", "科普阵地"),
            ("OPEN_VENUES", "开放阵地"),
            ("ACTIVITIES", "科普活动"),
            ("PARTICIPANTS", "参与人次"),
            ("ONLINE_REACH", "线上覆盖人次"),
        ],
    },
    // Advice.
    EnumLabels {
        name: "CampaignKind",
        values: &[
            ("IDEA_SOLICITATION", "献一计"),
            ("RESEARCH_TOPIC_CALL", "年度调研课题征集"),
            ("KEY_TECH_BOTTLENECK", "卡脖子问题征集"),
        ],
    },
    EnumLabels {
        name: "SubmissionCategory",
        values: &[
            ("EDUCATION", "教育"),
            ("AGRICULTURE", "农业农村"),
            ("HEALTH", "医疗卫生"),
            ("ECOLOGY", "生态环保"),
            ("KEY_TECH_BOTTLENECK", "卡脖子技术"),
            ("INDUSTRY", "产业发展"),
            ("TALENT", "人才"),
            ("GOVERNANCE", "社会治理"),
        ],
    },
    EnumLabels {
        name: "SubmissionChannel",
        values: &[
            ("DIRECT", "直通车"),
            ("CAMPAIGN", "征集活动"),
            ("SOCIETY_RESEARCH", "学会调研"),
        ],
    },
    EnumLabels {
        name: "SubmissionStatus",
        values: &[
            ("CLOSED", "未采纳"),
            ("DRAFT", "草稿"),
            ("SUBMITTED", "已征集"),
            ("UNDER_REVIEW", "审核中"),
            ("REFINED", "已提炼"),
            ("FORWARDED", "已报送"),
            ("INSTRUCTED", "已获批示"),
            ("ADOPTED", "已采纳"),
            ("RETURNED", "已退回"),
        ],
    },
    EnumLabels {
        name: "LeaderLevel",
        values: &[
            ("PROVINCIAL", "省级"),
            ("CITY", "市级"),
            ("COUNTY", "县(区)级"),
            ("NATIONAL", "国家级"),
        ],
    },
    EnumLabels {
        name: "ResearchTopicStatus",
        values: &[
            ("PROPOSED", "申报"),
            ("APPROVED", "立项"),
            ("IN_PROGRESS", "研究中"),
            ("CONCLUDED", "结题"),
            ("REJECTED", "未立项"),
        ],
    },
    EnumLabels {
        name: "ResearchAward",
        values: &[
            ("FIRST", "一等奖"),
            ("SECOND", "二等奖"),
            ("THIRD", "三等奖"),
        ],
    },
    EnumLabels {
        name: "AdviceFigure",
        values: &[
            ("RESEARCH_TOPICS", "调研课题"),
            ("ADOPTED_SUBMISSIONS", "被采纳建议"),
            ("SUBMISSIONS", "建言"),
            ("ADOPTION_RATE", "采纳率"),
            ("INSTRUCTIONS", "领导批示"),
            ("CONSULTATION_REPORTS", "咨询报告"),
        ],
    },
    // Innovation.
    EnumLabels {
        name: "TechField",
        values: &[
            ("ELECTRONIC_INFORMATION", "电子信息"),
            ("ADVANCED_MANUFACTURING", "先进制造"),
            ("NEW_MATERIALS", "新材料"),
            ("BIOMEDICINE", "生物医药"),
            ("MODERN_AGRICULTURE", "现代农业"),
            ("ENERGY_ENVIRONMENT", "节能环保"),
            ("NEW_ENERGY", "新能源"),
            ("DIGITAL_ECONOMY", "数字经济"),
        ],
    },
    EnumLabels {
        name: "ResultMaturity",
        values: &[
            ("LABORATORY", "实验室阶段"),
            ("PROTOTYPE", "样机/样品阶段"),
            ("PILOT", "中试阶段"),
            ("INDUSTRIALIZED", "产业化阶段"),
        ],
    },
    EnumLabels {
        name: "Licensing",
        values: &[
            ("TRANSFER", "转让"),
            ("LICENSE", "许可"),
            ("EQUITY", "作价入股"),
            ("JOINT_DEVELOPMENT", "合作开发"),
        ],
    },
    EnumLabels {
        name: "NeedStatus",
        values: &[
            ("CLOSED", "已关闭"),
            ("PUBLISHED", "已发布"),
            ("MATCHING", "对接中"),
            ("MATCHED", "已对接"),
            ("RESOLVED", "已解决"),
        ],
    },
    EnumLabels {
        name: "MatchStatus",
        values: &[
            ("FAILED", "未达成"),
            ("PROPOSED", "已推荐"),
            ("NEGOTIATING", "洽谈中"),
            ("CONTRACTED", "已签约"),
            ("TRANSFERRED", "已转化"),
        ],
    },
    EnumLabels {
        name: "VisitKind",
        values: &[
            ("SOCIETY_VISIT", "学会服务企业行"),
            ("EXPERT_TEAM", "专家服务团"),
        ],
    },
    EnumLabels {
        name: "VisitStatus",
        values: &[
            ("PLANNED", "计划"),
            ("HELD", "已开展"),
            ("CANCELLED", "已取消"),
        ],
    },
    EnumLabels {
        name: "PilotKind",
        values: &[
            ("PILOT_CITY", "科创中国试点城市"),
            ("HUB_CITY", "科创中国创新枢纽城市"),
            ("PILOT_PARK", "科创中国试点园区"),
        ],
    },
    EnumLabels {
        name: "EventKind",
        values: &[
            ("MATCHMAKING", "供需对接会"),
            ("CONFERENCE", "学术会议"),
            ("SALON", "学术沙龙"),
            ("INDUSTRY_SEMINAR", "产业技术研讨会"),
            ("ROADSHOW", "成果路演"),
        ],
    },
    EnumLabels {
        name: "EventStatus",
        values: &[
            ("PLANNED", "筹备中"),
            ("HELD", "已举办"),
            ("CANCELLED", "已取消"),
        ],
    },
    EnumLabels {
        name: "InnovationFigure",
        values: &[
            ("RESOLVED_TECH_NEEDS", "已解决技术需求"),
            ("TECH_NEEDS", "技术需求"),
            ("OPEN_TECH_NEEDS", "待解决技术需求"),
            ("MATCHES", "供需对接"),
            ("CONTRACTS", "签约项目"),
            ("CONTRACT_VALUE", "合同金额"),
            ("TRANSFERS", "成果转化"),
            ("SCIENCE_RESULTS", "科技成果"),
            ("SERVICE_VISITS", "服务走访"),
            ("PROBLEMS_SOLVED", "解决问题"),
            ("COOPERATION_AGREEMENTS", "合作协议"),
            ("EVENTS", "创新活动"),
        ],
    },
    // Sort orders of lists (`orderBy`).
    // Sort orders of lists (`orderBy`).
    EnumLabels {
        name: "OrderDirection",
        values: &[("ASC", "升序"), ("DESC", "降序")],
    },
    EnumLabels {
        name: "ActivityOrderField",
        values: &[
            ("TITLE", "标题"),
            ("UPDATED_AT", "更新时间"),
            ("CREATED_AT", "创建时间"),
            ("STARTS_ON", "开始日期"),
            ("STATUS", "状态"),
        ],
    },
    EnumLabels {
        name: "CampaignOrderField",
        values: &[
            ("TITLE", "标题"),
            ("UPDATED_AT", "更新时间"),
            ("CREATED_AT", "创建时间"),
            ("KIND", "类型"),
            ("OPENS_ON", "征集开始日期"),
        ],
    },
    EnumLabels {
        name: "CooperationAgreementOrderField",
        values: &[
            ("TITLE", "标题"),
            ("UPDATED_AT", "更新时间"),
            ("CREATED_AT", "创建时间"),
            ("SIGNED_ON", "签订日期"),
        ],
    },
    EnumLabels {
        name: "HonorOrderField",
        values: &[
            ("YEAR", "年度"),
            ("LEVEL", "级别"),
            ("UPDATED_AT", "更新时间"),
            ("CREATED_AT", "创建时间"),
            ("NAME", "名称"),
        ],
    },
    EnumLabels {
        name: "InnovationEventOrderField",
        values: &[
            ("TITLE", "标题"),
            ("UPDATED_AT", "更新时间"),
            ("CREATED_AT", "创建时间"),
            ("STARTS_ON", "开始日期"),
            ("STATUS", "状态"),
        ],
    },
    EnumLabels {
        name: "MediaReportOrderField",
        values: &[
            ("TITLE", "标题"),
            ("PUBLISHED_ON", "发布日期"),
            ("LEVEL", "级别"),
            ("UPDATED_AT", "更新时间"),
            ("CREATED_AT", "创建时间"),
        ],
    },
    EnumLabels {
        name: "NeedMatchOrderField",
        values: &[
            ("UPDATED_AT", "更新时间"),
            ("CREATED_AT", "创建时间"),
            ("STATUS", "状态"),
            ("PROPOSED_ON", "对接日期"),
        ],
    },
    EnumLabels {
        name: "NominationOrderField",
        values: &[
            ("YEAR", "年度"),
            ("UPDATED_AT", "更新时间"),
            ("CREATED_AT", "创建时间"),
            ("STATUS", "状态"),
            ("HONOR_NAME", "荣誉名称"),
        ],
    },
    EnumLabels {
        name: "PartyBuildingActivityOrderField",
        values: &[
            ("TITLE", "标题"),
            ("UPDATED_AT", "更新时间"),
            ("CREATED_AT", "创建时间"),
            ("HELD_ON", "举办日期"),
            ("KIND", "类型"),
        ],
    },
    EnumLabels {
        name: "ResearchTopicOrderField",
        values: &[
            ("YEAR", "年度"),
            ("TITLE", "标题"),
            ("UPDATED_AT", "更新时间"),
            ("CREATED_AT", "创建时间"),
            ("STATUS", "状态"),
        ],
    },
    EnumLabels {
        name: "ScienceResultOrderField",
        values: &[
            ("TITLE", "标题"),
            ("UPDATED_AT", "更新时间"),
            ("CREATED_AT", "创建时间"),
            ("OFFERED_ON", "发布日期"),
        ],
    },
    EnumLabels {
        name: "ServiceVisitOrderField",
        values: &[
            ("TITLE", "标题"),
            ("UPDATED_AT", "更新时间"),
            ("CREATED_AT", "创建时间"),
            ("STATUS", "状态"),
            ("VISITED_ON", "走访日期"),
        ],
    },
    EnumLabels {
        name: "SubmissionOrderField",
        values: &[
            ("TITLE", "标题"),
            ("UPDATED_AT", "更新时间"),
            ("CREATED_AT", "创建时间"),
            ("STATUS", "状态"),
        ],
    },
    EnumLabels {
        name: "TargetOrderField",
        values: &[
            ("YEAR", "年度"),
            ("UPDATED_AT", "更新时间"),
            ("CREATED_AT", "创建时间"),
            ("METRIC", "指标"),
        ],
    },
    EnumLabels {
        name: "TechNeedOrderField",
        values: &[
            ("TITLE", "标题"),
            ("PUBLISHED_ON", "发布日期"),
            ("UPDATED_AT", "更新时间"),
            ("CREATED_AT", "创建时间"),
            ("STATUS", "状态"),
        ],
    },
    EnumLabels {
        name: "TermOrderField",
        values: &[
            ("UPDATED_AT", "更新时间"),
            ("CREATED_AT", "创建时间"),
            ("NUMBER", "届次"),
            ("STARTS_ON", "开始日期"),
            ("ENDS_ON", "结束日期"),
        ],
    },
    EnumLabels {
        name: "UnitOrderField",
        values: &[
            ("UPDATED_AT", "更新时间"),
            ("CREATED_AT", "创建时间"),
            ("KIND", "类型"),
            ("NAME", "名称"),
            ("STATUS", "状态"),
        ],
    },
    EnumLabels {
        name: "VenueOrderField",
        values: &[
            ("UPDATED_AT", "更新时间"),
            ("CREATED_AT", "创建时间"),
            ("KIND", "类型"),
            ("NAME", "名称"),
            ("STATUS", "状态"),
        ],
    },
    EnumLabels {
        name: "WorkerOrderField",
        values: &[
            ("UPDATED_AT", "更新时间"),
            ("CREATED_AT", "创建时间"),
            ("NAME", "名称"),
        ],
    },
    EnumLabels {
        name: "WorkstationOrderField",
        values: &[
            ("UPDATED_AT", "更新时间"),
            ("CREATED_AT", "创建时间"),
            ("KIND", "类型"),
            ("NAME", "名称"),
            ("STATUS", "状态"),
        ],
    },
];

/// The Chinese name of each kind of record, by its GraphQL type, for messages about records
/// (`NOT_FOUND`, `CONFLICT`, `ILLEGAL_TRANSITION`).
pub const RECORDS: &[(&str, &str)] = &[
    ("Activity", "科普活动"),
    ("ApiKey", "API 密钥"),
    ("Campaign", "征集活动"),
    ("CooperationAgreement", "校企合作协议"),
    ("Honor", "荣誉"),
    ("InnovationEvent", "创新活动"),
    ("LeadershipRole", "领导职务"),
    ("MediaReport", "媒体报道"),
    ("NeedMatch", "供需对接"),
    ("Nomination", "荣誉推荐"),
    ("PartyBuildingActivity", "党建活动"),
    ("PilotDesignation", "试点称号"),
    ("ResearchTopic", "调研课题"),
    ("Resident expert", "入驻专家"),
    ("ScienceResult", "科技成果"),
    ("ServiceVisit", "服务走访"),
    ("Submission", "建言献策"),
    ("Target", "目标任务"),
    ("TechNeed", "技术需求"),
    ("Term", "换届"),
    ("Unit", "组织"),
    ("Venue", "科普场馆"),
    ("WebhookDelivery", "事件推送"),
    ("WebhookSubscription", "事件订阅"),
    ("Worker", "科技工作者"),
    ("Workstation", "工作站"),
];

/// The Chinese name of a kind of record (its GraphQL type), or the type itself.
pub fn record_label(record: &str) -> &str {
    RECORDS
        .iter()
        .find(|(known, _)| *known == record)
        .map(|(_, label)| *label)
        .unwrap_or(record)
}

/// The label of `value` of the enum `name` — or of the first enum that has the value — or
/// the value itself.
pub fn value_label<'a>(name: &str, value: &'a str) -> &'a str {
    label(name, value)
        .or_else(|| {
            ENUMS.iter().find_map(|labels| {
                labels
                    .values
                    .iter()
                    .find(|(known, _)| *known == value)
                    .map(|(_, label)| *label)
            })
        })
        .unwrap_or(value)
}

/// The label of `value` of the enum `name`, if the table has it.
pub fn label(name: &str, value: &str) -> Option<&'static str> {
    ENUMS
        .iter()
        .find(|labels| labels.name == name)?
        .values
        .iter()
        .find(|(known, _)| *known == value)
        .map(|(_, label)| *label)
}
