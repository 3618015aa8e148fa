-- What organizations' records contribute to the figure ledger (see
-- 20261203000001_figure_ledger.sql and the figures' descriptions in OrganizationFigures).
-- Entities: a unit, with its status history and its terms.
create function figure_contributions(entity_ids uuid[])
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
                                       least(t.next_start, u.inactive_from)) as s;
    end;

select figure_track('unit', 'unit_id');
select figure_track('term', 'unit_id');
select figure_track('status_change', 'entity_id');

-- The ledger of the records already there.
select figure_refresh(array(select unit_id from unit));
