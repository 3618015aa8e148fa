-- The associations' own work beside the four services: party building in the societies
-- (学会党建: 宣讲, 培训, 观摩会, 党建工作会 — "开展…宣讲、培训活动不少于20场(次)") and
-- publicity (宣传: reports in the media — "在中央、省级主流媒体刊登信息53篇"). Each is a
-- record of what was done, entered afterwards; the figures and targets count them.

create table party_building_activity (
    party_building_activity_id uuid primary key,
    -- The organizing unit: a society, or an association for its societies.
    unit_id uuid not null references unit (unit_id),
    kind text not null check (kind in ('LECTURE', 'TRAINING', 'OBSERVATION', 'WORK_MEETING')),
    title text not null,
    held_on date not null,
    -- Who spoke or taught (e.g. an expert of the Party school 党校).
    speaker text,
    participants int not null default 0 check (participants >= 0),
    version int not null default 1,
    created_at timestamptz not null default now(),
    created_by text not null,
    updated_at timestamptz not null default now(),
    updated_by text not null,
    archived_at timestamptz,
    archived_by text
);
create index party_building_activity_unit_idx on party_building_activity (unit_id, party_building_activity_id desc);
create index party_building_activity_day_idx on party_building_activity (held_on, party_building_activity_id desc);
create trigger party_building_activity_updated_at before update on party_building_activity for each row execute function set_updated_at();

create table media_report (
    media_report_id uuid primary key,
    -- The unit whose work was reported (and that records it).
    unit_id uuid not null references unit (unit_id),
    title text not null,
    -- The newspaper, channel or account that published it.
    outlet text not null,
    level text not null check (level in ('CENTRAL', 'PROVINCIAL', 'CITY', 'COUNTY')),
    published_on date not null,
    url text,
    version int not null default 1,
    created_at timestamptz not null default now(),
    created_by text not null,
    updated_at timestamptz not null default now(),
    updated_by text not null,
    archived_at timestamptz,
    archived_by text
);
create index media_report_unit_idx on media_report (unit_id, media_report_id desc);
create index media_report_day_idx on media_report (published_on, media_report_id desc);
create trigger media_report_updated_at before update on media_report for each row execute function set_updated_at();

-- What the figures count, now with party building and publicity.
create or replace function figure_contributions(entity_ids uuid[])
    returns table (entity_id uuid, unit_id uuid, figure text, key text, day date, delta bigint)
    language sql stable
    begin atomic
        with units as (
            -- Active from the founding day (founding date, else the day recorded) until the
            -- day of the step to its present status when it is merged or dissolved (no
            -- recorded step: never active).
            select u.unit_id, u.kind, u.exemplary_year,
                   coalesce(u.founded_on, local_day(u.created_at)) as founded,
                   case when u.status <> 'ACTIVE' then coalesce(
                       (select max(local_day(c.changed_at)) from status_change c
                        where c.entity_id = u.unit_id and c.to_status = u.status),
                       '-infinity') end as inactive_from
            from unit u
            where u.unit_id = any(entity_ids)
        ),
        terms as (
            -- A term is the latest begun from its start until the next term (by number)
            -- begins; overdue within that from the day after it ended.
            select t.unit_id, greatest(t.starts_on, t.ends_on + 1) as overdue_from,
                   min(t.starts_on) over (partition by t.unit_id order by t.number desc
                                          rows between unbounded preceding and 1 preceding) as next_start
            from term t
            where t.unit_id = any(entity_ids) and t.archived_at is null
        )
        -- Units active on a day, by kind.
        select u.unit_id, u.unit_id, 'UNITS_BY_KIND', u.kind, s.day, s.delta
        from units u
        cross join lateral figure_span(u.founded, u.inactive_from) as s
        union all
        -- Units founded on a day, by kind.
        select u.unit_id, u.unit_id, 'NEW_UNITS', u.kind, u.founded, 1::bigint
        from units u
        union all
        -- For the targets: units named exemplary, on the first day of that year.
        select u.unit_id, u.unit_id, 'EXEMPLARY_UNITS', '', make_date(u.exemplary_year, 1, 1), 1::bigint
        from units u
        where u.exemplary_year is not null
        union all
        -- Units active on a day whose latest term begun by then had ended before it.
        select u.unit_id, u.unit_id, 'TERMS_OVERDUE', '', s.day, s.delta
        from terms t
        join units u on u.unit_id = t.unit_id
        cross join lateral figure_span(greatest(t.overdue_from, u.founded),
                                       least(t.next_start, u.inactive_from)) as s
        union all
        -- Party-building activities by kind and their participants, on the day held.
        select a.party_building_activity_id, a.unit_id, f.figure, f.key, a.held_on, f.delta
        from party_building_activity a
        cross join lateral (values ('PARTY_BUILDING_BY_KIND', a.kind, 1::bigint),
                                   ('PARTY_BUILDING_PARTICIPANTS', '', a.participants::bigint))
            as f(figure, key, delta)
        where a.party_building_activity_id = any(entity_ids) and a.archived_at is null
        union all
        -- Media reports by the level of the outlet, on the day published.
        select m.media_report_id, m.unit_id, 'MEDIA_REPORTS_BY_LEVEL', m.level, m.published_on, 1::bigint
        from media_report m
        where m.media_report_id = any(entity_ids) and m.archived_at is null;
    end;

select figure_track('party_building_activity', 'party_building_activity_id');
select figure_track('media_report', 'media_report_id');

create or replace function figure_entities() returns setof uuid
    language sql stable
    begin atomic
        select unit_id from unit
        union all select party_building_activity_id from party_building_activity
        union all select media_report_id from media_report;
    end;
