-- School–enterprise cooperation (校企合作): an agreement between a university (or institute)
-- of the tree and an enterprise, in force from the day signed to its end (none: open-ended).
create table cooperation_agreement (
    cooperation_agreement_id uuid primary key,
    university_unit_id uuid not null,
    enterprise_unit_id uuid,
    enterprise_name text,
    title text not null,
    field text not null check (field in ('ELECTRONIC_INFORMATION', 'ADVANCED_MANUFACTURING',
        'NEW_MATERIALS', 'BIOMEDICINE', 'MODERN_AGRICULTURE', 'ENERGY_ENVIRONMENT',
        'NEW_ENERGY', 'DIGITAL_ECONOMY')),
    signed_on date not null,
    ends_on date,
    version int not null default 1,
    created_at timestamptz not null default now(),
    created_by text not null,
    updated_at timestamptz not null default now(),
    updated_by text not null,
    archived_at timestamptz,
    archived_by text,
    constraint cooperation_agreement_enterprise_check check (enterprise_unit_id is not null or enterprise_name is not null),
    constraint cooperation_agreement_dates_check check (ends_on is null or ends_on >= signed_on)
);
create index cooperation_agreement_unit_idx on cooperation_agreement (university_unit_id, cooperation_agreement_id desc);
create index cooperation_agreement_enterprise_idx on cooperation_agreement (enterprise_unit_id, cooperation_agreement_id desc)
    where enterprise_unit_id is not null;
create trigger cooperation_agreement_updated_at before update on cooperation_agreement for each row execute function set_updated_at();

-- 科创中国 pilot designations a unit carries (试点城市, 创新枢纽城市, 试点园区), from a year
-- to a year (none: still in force).
create table pilot_designation (
    pilot_designation_id uuid primary key,
    unit_id uuid not null,
    kind text not null check (kind in ('PILOT_CITY', 'HUB_CITY', 'PILOT_PARK')),
    name text not null,
    from_year int not null check (from_year between 2000 and 2100),
    to_year int check (to_year between 2000 and 2100),
    version int not null default 1,
    created_at timestamptz not null default now(),
    created_by text not null,
    updated_at timestamptz not null default now(),
    updated_by text not null,
    archived_at timestamptz,
    archived_by text,
    constraint pilot_designation_years_check check (to_year is null or to_year >= from_year)
);
create index pilot_designation_unit_idx on pilot_designation (unit_id, pilot_designation_id desc);
create trigger pilot_designation_updated_at before update on pilot_designation for each row execute function set_updated_at();

-- What the figures count, now with cooperation and pilots: agreements signed (by the day
-- signed) and in force (a stock from the day signed to the day after its end), and pilot
-- designations in force (a stock from 1 January of the first year to 1 January after the
-- last), by kind. Counted in the university's and the designated unit's figures.
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
          and v.status = 'HELD'
        union all
        select a.cooperation_agreement_id, a.university_unit_id, f.figure, '', f.day, f.delta
        from cooperation_agreement a
        cross join lateral (
            select 'COOPERATION_AGREEMENTS', a.signed_on, 1::bigint
            union all select 'COOPERATION_IN_FORCE', s.day, s.delta
                      from figure_span(a.signed_on, a.ends_on + 1) as s
        ) as f(figure, day, delta)
        where a.cooperation_agreement_id = any(entity_ids) and a.archived_at is null
        union all
        select p.pilot_designation_id, p.unit_id, 'PILOTS_BY_KIND', p.kind, s.day, s.delta
        from pilot_designation p
        cross join lateral figure_span(make_date(p.from_year, 1, 1),
                                       make_date(p.to_year + 1, 1, 1)) as s
        where p.pilot_designation_id = any(entity_ids) and p.archived_at is null;
    end;

select figure_track('cooperation_agreement', 'cooperation_agreement_id');
select figure_track('pilot_designation', 'pilot_designation_id');

create or replace function figure_entities() returns setof uuid
    language sql stable
    begin atomic
        select tech_need_id from tech_need
        union all select science_result_id from science_result
        union all select service_visit_id from service_visit
        union all select cooperation_agreement_id from cooperation_agreement
        union all select pilot_designation_id from pilot_designation;
    end;

select figure_refresh_all();
