-- Innovation events (创新活动): matchmaking (供需对接会, such as 科创会·市州行) and academic
-- exchange (学术交流: conferences, salons, industry seminars, roadshows). An event has an
-- organizing unit, the partner bureaus co-organizing it, the needs and results presented
-- there, and — once held — how many came; matches record the event that brokered them.
create table innovation_event (
    innovation_event_id uuid primary key,
    -- The organizing unit: an association or a society.
    unit_id uuid not null,
    kind text not null check (kind in ('MATCHMAKING', 'CONFERENCE', 'SALON',
        'INDUSTRY_SEMINAR', 'ROADSHOW')),
    title text not null,
    place text,
    starts_on date not null,
    ends_on date not null,
    partner_bureaus text[] not null default '{}' check (partner_bureaus <@ array['EDUCATION',
        'AGRICULTURE', 'VETERAN_CADRES', 'WOMENS_FEDERATION', 'SCIENCE_TECHNOLOGY', 'INDUSTRY_IT',
        'ORGANIZATION_DEPARTMENT', 'HEALTH', 'OTHER']::text[]),
    -- PLANNED → HELD (with the attendance) or CANCELLED.
    status text not null default 'PLANNED' check (status in ('PLANNED', 'HELD', 'CANCELLED')),
    participants int not null default 0 check (participants >= 0),
    enterprises int not null default 0 check (enterprises >= 0),
    summary text,
    version int not null default 1,
    created_at timestamptz not null default now(),
    created_by text not null,
    updated_at timestamptz not null default now(),
    updated_by text not null,
    archived_at timestamptz,
    archived_by text,
    constraint innovation_event_dates_check check (ends_on >= starts_on),
    constraint innovation_event_attendance_check check (
        status = 'HELD' or (participants = 0 and enterprises = 0))
);
create index innovation_event_unit_idx on innovation_event (unit_id, innovation_event_id desc);
create index innovation_event_day_idx on innovation_event (starts_on, innovation_event_id desc);
create index innovation_event_partner_bureaus_idx on innovation_event using gin (partner_bureaus);
create trigger innovation_event_updated_at before update on innovation_event for each row execute function set_updated_at();

-- The needs presented at an event (需求发布), in the order given.
create table innovation_event_need (
    innovation_event_id uuid not null references innovation_event (innovation_event_id) on delete cascade,
    tech_need_id uuid not null references tech_need (tech_need_id),
    position int not null check (position >= 0),
    primary key (innovation_event_id, tech_need_id)
);
create index innovation_event_need_need_idx on innovation_event_need (tech_need_id);

-- The results presented at an event (成果路演, 成果发布), in the order given.
create table innovation_event_result (
    innovation_event_id uuid not null references innovation_event (innovation_event_id) on delete cascade,
    science_result_id uuid not null references science_result (science_result_id),
    position int not null check (position >= 0),
    primary key (innovation_event_id, science_result_id)
);
create index innovation_event_result_result_idx on innovation_event_result (science_result_id);

-- The event at which a match was brokered, if any.
alter table need_match add column innovation_event_id uuid references innovation_event (innovation_event_id);
create index need_match_event_idx on need_match (innovation_event_id, need_match_id desc)
    where innovation_event_id is not null;

-- What the figures count, now with events: held events by kind, their participants and the
-- needs and results presented, on the event's first day; and the matches brokered at an
-- event, on the day proposed (with their need, where matches count).
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
            union all select 'EVENT_MATCHES', '', m.proposed_on, 1::bigint
                      where m.innovation_event_id is not null
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
        where p.pilot_designation_id = any(entity_ids) and p.archived_at is null
        union all
        select e.innovation_event_id, e.unit_id, f.figure, f.key, e.starts_on, f.delta
        from innovation_event e
        cross join lateral (
            select 'EVENTS_BY_KIND', e.kind, 1::bigint
            union all select 'EVENT_PARTICIPANTS', '', e.participants::bigint
            union all select 'EVENT_NEEDS_PRESENTED', '', count(*)::bigint
                      from innovation_event_need n where n.innovation_event_id = e.innovation_event_id
            union all select 'EVENT_RESULTS_PRESENTED', '', count(*)::bigint
                      from innovation_event_result r where r.innovation_event_id = e.innovation_event_id
        ) as f(figure, key, delta)
        where e.innovation_event_id = any(entity_ids) and e.archived_at is null
          and e.status = 'HELD';
    end;

select figure_track('innovation_event', 'innovation_event_id');
select figure_track('innovation_event_need', 'innovation_event_id');
select figure_track('innovation_event_result', 'innovation_event_id');

create or replace function figure_entities() returns setof uuid
    language sql stable
    begin atomic
        select tech_need_id from tech_need
        union all select science_result_id from science_result
        union all select service_visit_id from service_visit
        union all select cooperation_agreement_id from cooperation_agreement
        union all select pilot_designation_id from pilot_designation
        union all select innovation_event_id from innovation_event;
    end;

select figure_refresh_all();
