-- Service to enterprises (学会服务企业行, 专家服务团): a learned society or a team of experts
-- visiting an enterprise, the experts who went (talent's workers), and the enterprise's
-- problems taken up and solved on the visit. Counted in the organizing unit's figures.
create table service_visit (
    service_visit_id uuid primary key,
    -- The organizing unit: a society, an association.
    unit_id uuid not null,
    -- The enterprise visited: a unit of the tree (an enterprise association's enterprise),
    -- or a company named.
    enterprise_unit_id uuid,
    enterprise_name text,
    kind text not null check (kind in ('SOCIETY_VISIT', 'EXPERT_TEAM')),
    title text not null,
    visited_on date not null,
    status text not null default 'PLANNED' check (status in ('PLANNED', 'HELD', 'CANCELLED')),
    problems_taken int not null default 0 check (problems_taken >= 0),
    problems_solved int not null default 0 check (problems_solved >= 0),
    summary text,
    version int not null default 1,
    created_at timestamptz not null default now(),
    created_by text not null,
    updated_at timestamptz not null default now(),
    updated_by text not null,
    archived_at timestamptz,
    archived_by text,
    constraint service_visit_enterprise_check check (enterprise_unit_id is not null or enterprise_name is not null),
    constraint service_visit_problems_check check (
        problems_solved <= problems_taken
        and (status = 'HELD' or (problems_taken = 0 and problems_solved = 0)))
);
create index service_visit_unit_idx on service_visit (unit_id, service_visit_id desc);
create index service_visit_enterprise_idx on service_visit (enterprise_unit_id, service_visit_id desc)
    where enterprise_unit_id is not null;
create index service_visit_day_idx on service_visit (visited_on, service_visit_id desc);
create trigger service_visit_updated_at before update on service_visit for each row execute function set_updated_at();

-- The experts of a visit, in the order given. Workers live in the talent subgraph.
create table service_visit_expert (
    service_visit_id uuid not null references service_visit (service_visit_id) on delete cascade,
    worker_id uuid not null,
    position int not null check (position >= 0),
    primary key (service_visit_id, worker_id)
);
create index service_visit_expert_worker_idx on service_visit_expert (worker_id, service_visit_id desc);

-- What the figures count, now with service visits: held visits by kind, the problems taken
-- up and solved, and the experts' services (人次), on the day of the visit.
create or replace function figure_contributions(entity_ids uuid[])
    returns table (entity_id uuid, unit_id uuid, figure text, key text, day date, delta bigint)
    language sql stable
    begin atomic
        select n.tech_need_id, n.unit_id, f.figure, f.key, f.day, f.delta
        from tech_need n
        cross join lateral (
            select 'NEEDS_BY_STATUS', n.status, n.published_on, 1::bigint
            union all select 'NEEDS_BY_FIELD', n.field, n.published_on, 1::bigint
            union all select 'RESOLVED_NEEDS', '', n.ended_on, 1::bigint where n.status = 'RESOLVED'
            union all select 'OPEN_NEEDS', '', s.day, s.delta from figure_span(n.published_on, n.ended_on) as s
        ) as f(figure, key, day, delta)
        where n.tech_need_id = any(entity_ids) and n.archived_at is null and f.day is not null
        union all
        select n.tech_need_id, n.unit_id, f.figure, f.key, f.day, f.delta
        from tech_need n
        join need_match m on m.tech_need_id = n.tech_need_id
        cross join lateral (
            select 'MATCHES_BY_STATUS', m.status, m.proposed_on, 1::bigint
            union all select 'CONTRACTS', '', m.contract_signed_on, 1::bigint
            union all select 'CONTRACT_VALUE', '', m.contract_signed_on,
                             round(m.contract_amount * 100)::bigint
            union all select 'TRANSFERS', '', m.transferred_on, 1::bigint
        ) as f(figure, key, day, delta)
        where n.tech_need_id = any(entity_ids) and n.archived_at is null and f.day is not null
        union all
        select r.science_result_id, r.owner_unit_id, 'RESULTS_BY_MATURITY', r.maturity,
               r.offered_on, 1::bigint
        from science_result r
        where r.science_result_id = any(entity_ids) and r.archived_at is null
        union all
        select v.service_visit_id, v.unit_id, f.figure, f.key, v.visited_on, f.delta
        from service_visit v
        cross join lateral (
            select 'VISITS_BY_KIND', v.kind, 1::bigint
            union all select 'PROBLEMS_TAKEN', '', v.problems_taken::bigint
            union all select 'PROBLEMS_SOLVED', '', v.problems_solved::bigint
            union all select 'EXPERT_SERVICES', '', count(*)::bigint
                      from service_visit_expert e where e.service_visit_id = v.service_visit_id
        ) as f(figure, key, delta)
        where v.service_visit_id = any(entity_ids) and v.archived_at is null
          and v.status = 'HELD';
    end;

select figure_track('service_visit', 'service_visit_id');
select figure_track('service_visit_expert', 'service_visit_id');

create or replace function figure_entities() returns setof uuid
    language sql stable
    begin atomic
        select tech_need_id from tech_need
        union all select science_result_id from science_result
        union all select service_visit_id from service_visit;
    end;

select figure_refresh_all();
