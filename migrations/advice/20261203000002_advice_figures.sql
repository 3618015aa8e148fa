-- What advice's records contribute to the figure ledger (see 20261203000001_figure_ledger.sql
-- and the figures' descriptions in AdviceFigures). Entities: a submission, a research topic.
create function figure_contributions(entity_ids uuid[])
    returns table (entity_id uuid, unit_id uuid, figure text, key text, day date, delta bigint)
    language sql stable
    begin atomic
        -- Submissions by present status, on the day first submitted; instructions by the
        -- leader's level, on the day of the instruction.
        select m.submission_id, m.submitting_unit_id, f.figure, f.key, f.day, 1::bigint
        from submission m
        cross join lateral (values ('SUBMISSIONS_BY_STATUS', m.status, m.submitted_on),
                                   ('INSTRUCTIONS_BY_LEADER_LEVEL', m.instruction_leader_level,
                                    m.instructed_on)) as f(figure, key, day)
        where m.submission_id = any(entity_ids) and m.archived_at is null and f.day is not null
        union all
        -- Research topics by present status, on the first day of their year; consultation
        -- reports on the day delivered.
        select t.research_topic_id, t.lead_unit_id, f.figure, f.key, f.day, 1::bigint
        from research_topic t
        cross join lateral (values ('RESEARCH_TOPICS_BY_STATUS', t.status, make_date(t.year, 1, 1)),
                                   ('CONSULTATION_REPORTS', '', t.report_submitted_on)) as f(figure, key, day)
        where t.research_topic_id = any(entity_ids) and t.archived_at is null and f.day is not null
        union all
        -- For the targets: submissions adopted, once in each year an ADOPTED step was
        -- recorded in, on the first day of that year.
        select m.submission_id, m.submitting_unit_id, 'ADOPTIONS', '', y.first_day, 1::bigint
        from submission m
        cross join lateral (
            select distinct date_trunc('year', local_day(c.changed_at))::date as first_day
            from status_change c
            where c.entity_id = m.submission_id and c.to_status = 'ADOPTED') as y
        where m.submission_id = any(entity_ids) and m.archived_at is null;
    end;

select figure_track('submission', 'submission_id');
select figure_track('research_topic', 'research_topic_id');
select figure_track('status_change', 'entity_id');

-- The ledger of the records already there.
select figure_refresh(array(select submission_id from submission));
select figure_refresh(array(select research_topic_id from research_topic));
