-- Serving innovation-driven development (为创新驱动发展服务, 科创中国): enterprises' technology
-- needs (企业技术需求) with their workflow, scientific results on offer (科技成果), and the
-- matches between them brokered by the associations (供需对接), down to the contract signed
-- and the result put to use (成果转化).
-- Units and workers are owned by other subgraphs: they are referenced by ID only.

-- 企业技术需求: a problem an enterprise asks help with. The publishing unit is the enterprise
-- itself (a unit of kind ENTERPRISE) or the association publishing on behalf of a company
-- that is not a unit (`enterprise_name`).
create table tech_need (
    tech_need_id uuid primary key,
    unit_id uuid not null,
    enterprise_name text,
    title text not null,
    field text not null check (field in ('ELECTRONIC_INFORMATION', 'ADVANCED_MANUFACTURING',
        'NEW_MATERIALS', 'BIOMEDICINE', 'MODERN_AGRICULTURE', 'ENERGY_ENVIRONMENT',
        'NEW_ENERGY', 'DIGITAL_ECONOMY')),
    problem text not null,
    -- 万元, what the enterprise offers to spend; null when not stated.
    budget numeric(14, 2) check (budget >= 0),
    deadline date,
    status text not null default 'PUBLISHED' check (status in ('PUBLISHED', 'MATCHING',
        'MATCHED', 'RESOLVED', 'CLOSED')),
    -- The local (UTC+8) day it was published, and the day it left the open statuses
    -- (RESOLVED or CLOSED); reopening is not a step, so it never returns.
    published_on date not null,
    ended_on date,
    version int not null default 1,
    created_at timestamptz not null default now(),
    created_by text not null,
    updated_at timestamptz not null default now(),
    updated_by text not null,
    archived_at timestamptz,
    archived_by text,
    constraint tech_need_ended_check check (
        (status in ('RESOLVED', 'CLOSED')) = (ended_on is not null)
        and (ended_on is null or ended_on >= published_on))
);
create index tech_need_unit_idx on tech_need (unit_id, tech_need_id desc);
create index tech_need_status_idx on tech_need (status, tech_need_id desc);
create index tech_need_field_idx on tech_need (field, tech_need_id desc);
create trigger tech_need_updated_at before update on tech_need for each row execute function set_updated_at();

-- 科技成果: a result on offer for transfer, owned by a unit (a university, a society, an
-- institute) and, when a person holds it, one of talent's workers.
create table science_result (
    science_result_id uuid primary key,
    owner_unit_id uuid not null,
    owner_worker_id uuid,
    title text not null,
    field text not null check (field in ('ELECTRONIC_INFORMATION', 'ADVANCED_MANUFACTURING',
        'NEW_MATERIALS', 'BIOMEDICINE', 'MODERN_AGRICULTURE', 'ENERGY_ENVIRONMENT',
        'NEW_ENERGY', 'DIGITAL_ECONOMY')),
    maturity text not null check (maturity in ('LABORATORY', 'PROTOTYPE', 'PILOT',
        'INDUSTRIALIZED')),
    patent_numbers text[] not null default '{}',
    licensing text not null check (licensing in ('TRANSFER', 'LICENSE', 'EQUITY',
        'JOINT_DEVELOPMENT')),
    licensing_terms text,
    offered_on date not null,
    version int not null default 1,
    created_at timestamptz not null default now(),
    created_by text not null,
    updated_at timestamptz not null default now(),
    updated_by text not null,
    archived_at timestamptz,
    archived_by text
);
create index science_result_unit_idx on science_result (owner_unit_id, science_result_id desc);
create index science_result_worker_idx on science_result (owner_worker_id, science_result_id desc)
    where owner_worker_id is not null;
create index science_result_field_idx on science_result (field, science_result_id desc);
create trigger science_result_updated_at before update on science_result for each row execute function set_updated_at();

-- 供需对接: a need brought together with a result or an expert (talent's worker), and how
-- it ended: a contract signed (its amount in 万元) and, after it, the result put to use
-- (成果转化), or nothing.
create table need_match (
    need_match_id uuid primary key,
    tech_need_id uuid not null references tech_need (tech_need_id),
    science_result_id uuid references science_result (science_result_id),
    expert_id uuid,
    status text not null default 'PROPOSED' check (status in ('PROPOSED', 'NEGOTIATING',
        'CONTRACTED', 'TRANSFERRED', 'FAILED')),
    proposed_on date not null,
    contract_signed_on date,
    contract_amount numeric(14, 2) check (contract_amount >= 0),
    transferred_on date,
    version int not null default 1,
    created_at timestamptz not null default now(),
    created_by text not null,
    updated_at timestamptz not null default now(),
    updated_by text not null,
    archived_at timestamptz,
    archived_by text,
    constraint need_match_party_check check (science_result_id is not null or expert_id is not null),
    constraint need_match_contract_check check (
        (contract_signed_on is null) = (contract_amount is null)
        and (status not in ('CONTRACTED', 'TRANSFERRED') or contract_signed_on is not null)
        and (status = 'TRANSFERRED') = (transferred_on is not null))
);
create index need_match_need_idx on need_match (tech_need_id, need_match_id);
create index need_match_result_idx on need_match (science_result_id, need_match_id)
    where science_result_id is not null;
create index need_match_expert_idx on need_match (expert_id, need_match_id desc)
    where expert_id is not null;
-- One live match per need and partner: proposing the same result or expert again is refused.
create unique index need_match_result_once_idx on need_match (tech_need_id, science_result_id)
    where science_result_id is not null and status <> 'FAILED';
create unique index need_match_expert_once_idx on need_match (tech_need_id, expert_id)
    where expert_id is not null and science_result_id is null and status <> 'FAILED';
create trigger need_match_updated_at before update on need_match for each row execute function set_updated_at();
