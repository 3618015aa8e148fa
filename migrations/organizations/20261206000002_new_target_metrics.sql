-- The target metrics of disaster-prevention and food-safety popularization (防灾减灾、食品安全
-- 宣传活动, measured by popularization), of societies' party-building lectures and training
-- (学会党建宣讲、培训) and of reports in central and provincial media (中央、省级主流媒体刊登),
-- both measured here (kexie_subgraph_kit::target::TargetMetric).
alter table target drop constraint target_metric_check;
alter table target add constraint target_metric_check check (metric in (
    'NEW_ENTERPRISE_ASSOCIATIONS', 'EXEMPLARY_GRASSROOTS_ASSOCIATIONS', 'COUNTY_SCIENCE_MUSEUMS',
    'VOLUNTEER_SERVICES', 'ACADEMICIAN_REPORTS', 'SCIENCE_DAY_EVENTS',
    'RURAL_POPULARIZATION_EVENTS', 'ELDERLY_LECTURES', 'SAFETY_POPULARIZATION_EVENTS',
    'CERTIFIED_WORKSTATIONS', 'RESEARCH_TOPICS', 'ADOPTED_SUBMISSIONS', 'RESOLVED_TECH_NEEDS',
    'TECH_CONTRACTS', 'SOCIETY_ENTERPRISE_VISITS', 'PARTY_BUILDING_EVENTS',
    'MAINSTREAM_MEDIA_REPORTS'));
