-- The target metric of societies' visits to enterprises (学会服务企业行), which innovation
-- measures (kexie_subgraph_kit::target::TargetMetric).
alter table target drop constraint target_metric_check;
alter table target add constraint target_metric_check check (metric in (
    'NEW_ENTERPRISE_ASSOCIATIONS', 'EXEMPLARY_GRASSROOTS_ASSOCIATIONS', 'COUNTY_SCIENCE_MUSEUMS',
    'VOLUNTEER_SERVICES', 'ACADEMICIAN_REPORTS', 'SCIENCE_DAY_EVENTS',
    'RURAL_POPULARIZATION_EVENTS', 'ELDERLY_LECTURES', 'CERTIFIED_WORKSTATIONS',
    'RESEARCH_TOPICS', 'ADOPTED_SUBMISSIONS', 'RESOLVED_TECH_NEEDS', 'TECH_CONTRACTS',
    'SOCIETY_ENTERPRISE_VISITS'));
