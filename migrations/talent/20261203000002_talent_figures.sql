-- What talent's records contribute to the figure ledger (see 20261203000001_figure_ledger.sql
-- and the figures' descriptions in TalentFigures). Entities: a worker (with the honors of
-- the worker, which count where the worker is at home now), a nomination, a workstation.
create function figure_contributions(entity_ids uuid[])
    returns table (entity_id uuid, unit_id uuid, figure text, key text, day date, delta bigint)
    language sql stable
    begin atomic
        -- Workers at home in a unit from the day registered until the day archived; of
        -- them volunteers and rural experts, flags as they are now.
        select w.worker_id, w.home_unit_id, f.figure, '', s.day, s.delta
        from worker w
        cross join lateral (values ('WORKERS', true), ('VOLUNTEERS', w.is_volunteer),
                                   ('RURAL_EXPERTS', w.is_rural_expert)) as f(figure, counted)
        cross join lateral figure_span(local_day(w.created_at), local_day(w.archived_at)) as s
        where w.worker_id = any(entity_ids) and f.counted
        union all
        -- Honors by level, on the day recorded when that lies in the honor's year, else on
        -- the last day of its year; archived honors never count.
        select w.worker_id, w.home_unit_id, 'HONORS_BY_LEVEL', h.level,
               case when extract(year from local_day(h.created_at)) = h.year
                    then local_day(h.created_at) else make_date(h.year, 12, 31) end,
               1
        from worker w
        join honor h on h.worker_id = w.worker_id
        where w.worker_id = any(entity_ids) and h.archived_at is null
        union all
        -- Nominations by present status, on the day put forward.
        select n.nomination_id, n.nominating_unit_id, 'NOMINATIONS_BY_STATUS', n.status,
               local_day(n.created_at), 1
        from nomination n
        where n.nomination_id = any(entity_ids) and n.archived_at is null
        union all
        -- Workstations by kind and present certification, working from the founding date
        -- (else the day recorded) until the day of the step that closed it (closed with no
        -- recorded step: never counted).
        select s.workstation_id, s.host_unit_id, f.figure, f.key, span.day, span.delta
        from workstation s
        cross join lateral (values ('WORKSTATIONS_BY_KIND', s.kind),
                                   ('WORKSTATIONS_BY_CERTIFICATION', s.certification)) as f(figure, key)
        cross join lateral figure_span(
            coalesce(s.founded_on, local_day(s.created_at)),
            case when s.status = 'CLOSED' then coalesce(
                (select max(local_day(c.changed_at)) from status_change c
                 where c.entity_id = s.workstation_id and c.to_status = 'CLOSED'),
                '-infinity') end) as span
        where s.workstation_id = any(entity_ids) and s.archived_at is null;
    end;

select figure_track('worker', 'worker_id');
select figure_track('honor', 'worker_id');
select figure_track('nomination', 'nomination_id');
select figure_track('workstation', 'workstation_id');
select figure_track('status_change', 'entity_id');

-- The ledger of the records already there.
select figure_refresh(array(select worker_id from worker));
select figure_refresh(array(select nomination_id from nomination));
select figure_refresh(array(select workstation_id from workstation));
