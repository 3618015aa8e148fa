-- What an activity is about (科普主题), beside its form: the themes the associations' plans
-- count ("开展防灾减灾、食品安全宣传活动等20场(次)以上"). An activity may have several; none
-- when no theme is recorded.
alter table activity add column topics text[] not null default '{}' check (topics <@ array[
    'DISASTER_PREVENTION', 'FOOD_SAFETY', 'HEALTH', 'AGRICULTURAL_TECHNOLOGY', 'ECOLOGY',
    'DIGITAL_LITERACY', 'SCIENTIST_SPIRIT']::text[]);
create index activity_topics_idx on activity using gin (topics);

-- What the figures count, now with topics: held activities by topic, and for the targets
-- the held activities on disaster prevention or food safety.
create or replace function figure_contributions(entity_ids uuid[])
    returns table (entity_id uuid, unit_id uuid, figure text, key text, day date, delta bigint)
    language sql stable
    begin atomic
        with venues as (
            select v.venue_id, v.owner_unit_id, v.kind, v.opened_on
            from venue v
            where v.venue_id = any(entity_ids) and v.archived_at is null
        ),
        -- Each recorded status from the day of its change until the day of the next change
        -- (a change followed by another on the same day never stands at a day's end).
        changes as (
            select c.entity_id as venue_id, c.to_status as status, local_day(c.changed_at) as start,
                   lead(local_day(c.changed_at)) over (partition by c.entity_id
                                                       order by c.changed_at, c.status_change_id) as stop
            from status_change c
            where c.entity_id in (select venue_id from venues)
        ),
        spans as (
            -- Before its first change a venue has no status.
            select v.venue_id, null::text as status, '-infinity'::date as start,
                   (select min(c.start) from changes c where c.venue_id = v.venue_id) as stop
            from venues v
            union all
            select venue_id, status, start, stop from changes
        ),
        -- From its opening date on, a venue not yet open (or with no status) counts as OPEN.
        statuses as (
            select s.venue_id, s.status, s.start,
                   case when s.status in ('PLANNED', 'UNDER_CONSTRUCTION')
                        then least(s.stop, v.opened_on) else s.stop end as stop
            from spans s join venues v on v.venue_id = s.venue_id
            where s.status is not null
            union all
            select s.venue_id, 'OPEN', greatest(s.start, v.opened_on), s.stop
            from spans s join venues v on v.venue_id = s.venue_id
            where (s.status is null or s.status in ('PLANNED', 'UNDER_CONSTRUCTION'))
              and v.opened_on is not null
        )
        -- Venues by their status on a day, and the open ones by kind.
        select v.venue_id, v.owner_unit_id, f.figure, f.key, span.day, span.delta
        from statuses s
        join venues v on v.venue_id = s.venue_id
        cross join lateral (values ('VENUES_BY_STATUS', s.status),
                                   ('OPEN_VENUES_BY_KIND', case when s.status = 'OPEN' then v.kind end))
            as f(figure, key)
        cross join lateral figure_span(s.start, s.stop) as span
        where f.key is not null
        union all
        -- Activities held (as they stand now), on the day they start: count, participants
        -- and online reach by kind, count and participants by each audience.
        select a.activity_id, a.organizer_unit_id, f.figure, f.key, a.starts_on, f.amount
        from activity a
        cross join lateral (values ('ACTIVITIES_BY_KIND', a.kind, 1::bigint),
                                   ('PARTICIPANTS_BY_KIND', a.kind, a.participants::bigint),
                                   ('ONLINE_REACH', '', a.online_reach::bigint)) as f(figure, key, amount)
        where a.activity_id = any(entity_ids) and a.status = 'HELD' and a.archived_at is null
        union all
        select a.activity_id, a.organizer_unit_id, f.figure, audience, a.starts_on, f.amount
        from activity a
        cross join unnest(a.audiences) as audience
        cross join lateral (values ('ACTIVITIES_BY_AUDIENCE', 1::bigint),
                                   ('PARTICIPANTS_BY_AUDIENCE', a.participants::bigint)) as f(figure, amount)
        where a.activity_id = any(entity_ids) and a.status = 'HELD' and a.archived_at is null
        union all
        -- Activities held by each topic, on the day they start.
        select a.activity_id, a.organizer_unit_id, 'ACTIVITIES_BY_TOPIC', topic, a.starts_on, 1::bigint
        from activity a
        cross join unnest(a.topics) as topic
        where a.activity_id = any(entity_ids) and a.status = 'HELD' and a.archived_at is null
        union all
        -- For the targets: activities held on disaster prevention or food safety (once each,
        -- whichever of the two they are about), on the day they start.
        select a.activity_id, a.organizer_unit_id, 'SAFETY_ACTIVITIES', '', a.starts_on, 1::bigint
        from activity a
        where a.activity_id = any(entity_ids) and a.status = 'HELD' and a.archived_at is null
          and a.topics && array['DISASTER_PREVENTION', 'FOOD_SAFETY']::text[]
        union all
        -- For the targets: lectures for the elderly held, on the day they start; science
        -- museums open from their opening date until the day of the step that closed them
        -- (closed with no recorded step, or not yet open: never).
        select a.activity_id, a.organizer_unit_id, 'ELDERLY_LECTURES', '', a.starts_on, 1::bigint
        from activity a
        where a.activity_id = any(entity_ids) and a.status = 'HELD' and a.archived_at is null
          and a.kind = 'LECTURE' and 'ELDERLY' = any(a.audiences)
        union all
        select v.venue_id, v.owner_unit_id, 'SCIENCE_MUSEUMS', '', span.day, span.delta
        from venue v
        cross join lateral figure_span(
            v.opened_on,
            case when v.status = 'OPEN' then null
                 when v.status = 'CLOSED' then coalesce(
                     (select max(local_day(c.changed_at)) from status_change c
                      where c.entity_id = v.venue_id and c.to_status = 'CLOSED'),
                     '-infinity')
                 else '-infinity' end) as span
        where v.venue_id = any(entity_ids) and v.kind = 'SCIENCE_MUSEUM' and v.archived_at is null;
    end;

select figure_refresh(array(select activity_id from activity));
