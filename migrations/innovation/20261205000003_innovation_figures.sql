-- What innovation's records contribute to the figure ledger (see
-- 20261203000001_figure_ledger.sql and the figures' descriptions in InnovationFigures).
-- Entities: a technology need with its matches (they count in the need's unit), a
-- scientific result.
create function figure_contributions(entity_ids uuid[])
    returns table (entity_id uuid, unit_id uuid, figure text, key text, day date, delta bigint)
    language sql stable
    begin atomic
        -- Needs by present status and by field, on the day published; open needs as a
        -- stock from the day published to the day they were resolved or closed; resolved
        -- needs on the day resolved.
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
        -- A need's matches by present status on the day proposed; contracts, their value
        -- (in hundredths of 万元) on the day signed; results put to use on that day.
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
        -- Results offered, by maturity, on the day offered.
        select r.science_result_id, r.owner_unit_id, 'RESULTS_BY_MATURITY', r.maturity,
               r.offered_on, 1::bigint
        from science_result r
        where r.science_result_id = any(entity_ids) and r.archived_at is null;
    end;

select figure_track('tech_need', 'tech_need_id');
select figure_track('need_match', 'tech_need_id');
select figure_track('science_result', 'science_result_id');

-- The figure ledger by subtree (see figure_subtree.sql) on the replicated unit tree.
create view figure_tree as select unit_id, path from unit_replica;

-- Every entity whose records the figures count.
create function figure_entities() returns setof uuid
    language sql stable
    begin atomic
        select tech_need_id from tech_need
        union all select science_result_id from science_result;
    end;

select figure_track_tree('unit_replica');
select figure_refresh_all();
