-- Serving Party and government decisions (建言献策, 决策咨询): campaigns that collect advice,
-- the advice submissions themselves with their authors and their workflow ("征集、提炼、
-- 报送"), and research topics (调研课题) with their consultation reports and awards.
-- Units and workers are owned by other subgraphs: they are referenced by ID only.

-- 征集活动: "我为XX发展献一计", the yearly call for research topics, the collection of key
-- technology bottlenecks (卡脖子问题).
create table campaign (
    campaign_id uuid primary key,
    organizer_id uuid not null,
    title text not null,
    kind text not null check (kind in ('IDEA_SOLICITATION', 'RESEARCH_TOPIC_CALL', 'KEY_TECH_BOTTLENECK')),
    opens_on date not null,
    closes_on date not null,
    description text,
    version int not null default 1,
    created_at timestamptz not null default now(),
    created_by text not null,
    updated_at timestamptz not null default now(),
    updated_by text not null,
    archived_at timestamptz,
    archived_by text,
    constraint campaign_dates_check check (closes_on >= opens_on)
);
create index campaign_organizer_idx on campaign (organizer_id, campaign_id desc);
create index campaign_kind_idx on campaign (kind, campaign_id desc);
create index campaign_dates_idx on campaign (opens_on, closes_on);
create trigger campaign_updated_at before update on campaign for each row execute function set_updated_at();

-- 建议: one piece of advice and where it stands in the workflow. The leader's written
-- instruction (批示) is kept on the submission once it is received.
create table submission (
    submission_id uuid primary key,
    submitting_unit_id uuid not null,
    campaign_id uuid references campaign (campaign_id),
    title text not null,
    summary text not null,
    body text not null,
    category text not null check (category in ('INDUSTRY', 'AGRICULTURE', 'ECOLOGY', 'HEALTH',
        'EDUCATION', 'TALENT', 'GOVERNANCE', 'KEY_TECH_BOTTLENECK')),
    channel text not null check (channel in ('DIRECT', 'CAMPAIGN', 'SOCIETY_RESEARCH')),
    status text not null default 'DRAFT' check (status in ('DRAFT', 'SUBMITTED', 'UNDER_REVIEW',
        'REFINED', 'FORWARDED', 'INSTRUCTED', 'ADOPTED', 'RETURNED', 'CLOSED')),
    -- The local (UTC+8) day it was first submitted; a resubmission after RETURNED keeps it.
    submitted_on date,
    instruction_leader_level text check (instruction_leader_level in ('COUNTY', 'CITY', 'PROVINCIAL', 'NATIONAL')),
    instruction_leader text,
    instruction_note text,
    instructed_on date,
    version int not null default 1,
    created_at timestamptz not null default now(),
    created_by text not null,
    updated_at timestamptz not null default now(),
    updated_by text not null,
    archived_at timestamptz,
    archived_by text,
    constraint submission_campaign_channel_check check (channel <> 'CAMPAIGN' or campaign_id is not null),
    constraint submission_instruction_check check (
        (instruction_leader_level is null) = (instructed_on is null)
        and (status not in ('INSTRUCTED', 'ADOPTED') or instructed_on is not null))
);
create index submission_unit_idx on submission (submitting_unit_id, submission_id desc);
create index submission_status_idx on submission (status, submission_id desc);
create index submission_category_idx on submission (category, submission_id desc);
create index submission_channel_idx on submission (channel, submission_id desc);
create index submission_campaign_idx on submission (campaign_id, submission_id desc);
create index submission_submitted_on_idx on submission (submitted_on, submission_id desc);
create trigger submission_updated_at before update on submission for each row execute function set_updated_at();

-- The authors of a submission, in the order given. Workers live in the talent subgraph.
create table submission_author (
    submission_id uuid not null references submission (submission_id) on delete cascade,
    worker_id uuid not null,
    position int not null check (position >= 0),
    primary key (submission_id, worker_id)
);
create index submission_author_worker_idx on submission_author (worker_id, submission_id desc);

-- 调研课题: a research topic of a year, its consultation report (决策咨询报告) once
-- concluded, and its prize when the result is judged outstanding (优秀调研成果).
create table research_topic (
    research_topic_id uuid primary key,
    lead_unit_id uuid not null,
    year int not null check (year between 1900 and 2100),
    title text not null,
    status text not null default 'PROPOSED' check (status in ('PROPOSED', 'APPROVED', 'IN_PROGRESS',
        'CONCLUDED', 'REJECTED')),
    report_title text,
    report_summary text,
    report_submitted_on date,
    award text check (award in ('FIRST', 'SECOND', 'THIRD')),
    awarded_at timestamptz,
    version int not null default 1,
    created_at timestamptz not null default now(),
    created_by text not null,
    updated_at timestamptz not null default now(),
    updated_by text not null,
    archived_at timestamptz,
    archived_by text,
    constraint research_topic_report_check check (
        (report_title is null) = (report_submitted_on is null)
        and (status <> 'CONCLUDED' or report_title is not null)),
    constraint research_topic_award_concluded_check check (award is null or status = 'CONCLUDED')
);
create index research_topic_unit_idx on research_topic (lead_unit_id, research_topic_id desc);
create index research_topic_year_idx on research_topic (year, research_topic_id desc);
create index research_topic_status_idx on research_topic (status, research_topic_id desc);
create index research_topic_awarded_idx on research_topic (research_topic_id desc) where award is not null;
create trigger research_topic_updated_at before update on research_topic for each row execute function set_updated_at();

-- The members of a research topic's team, in the order given.
create table research_topic_member (
    research_topic_id uuid not null references research_topic (research_topic_id) on delete cascade,
    worker_id uuid not null,
    position int not null check (position >= 0),
    primary key (research_topic_id, worker_id)
);
create index research_topic_member_worker_idx on research_topic_member (worker_id, research_topic_id desc);
