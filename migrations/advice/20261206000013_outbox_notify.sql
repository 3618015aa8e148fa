-- The outbox relay waits for news instead of polling: the capture notifies the channel
-- `outbox_<schema>` (delivered at commit, once per transaction), which the relay of that
-- subgraph listens on (`kexie_subgraph_kit::outbox`). Otherwise as `20261206000010_outbox.sql`.
--
-- The same file in every subgraph's migrations (crates/subgraph-kit/tests/migrations.rs).

create or replace function outbox_capture() returns trigger language plpgsql as $$
declare
    after jsonb := to_jsonb(new);
    before jsonb := case when tg_op = 'UPDATE' then to_jsonb(old) end;
    change text;
begin
    -- Only what the API shows as a change: a new version (a unit re-pathed below a moved
    -- one keeps its version, and nothing of it the API shows changed).
    if coalesce(current_setting('kexie.outbox', true), '') = 'off'
       or before ->> 'version' is not distinct from after ->> 'version' then
        return null;
    end if;
    change := case
        when tg_op = 'INSERT' then 'created'
        when before ->> 'archived_at' is null and after ->> 'archived_at' is not null then 'archived'
        when before ->> 'status' is distinct from after ->> 'status' then 'status_changed'
        when before ->> 'parent_id' is distinct from after ->> 'parent_id' then 'moved'
        else 'updated'
    end;
    perform pg_advisory_xact_lock(hashtext(current_schema() || '.outbox'));
    insert into outbox_event (seq, event_id, event_type, record_type, record_id, record_version,
                              unit_id, from_status, to_status, occurred_at)
    values (nextval('outbox_event_seq'), gen_random_uuid(), tg_argv[0] || '.' || change,
            tg_argv[1], (after ->> tg_argv[2])::uuid, (after ->> 'version')::int,
            case when tg_argv[3] <> '' then (after ->> tg_argv[3])::uuid end,
            case when change = 'status_changed' then before ->> 'status' end,
            case when change in ('created', 'status_changed') then after ->> 'status' end,
            clock_timestamp());
    -- Wakes the relay, which otherwise looks only now and then. Sent when the
    -- transaction commits, once however many events it left.
    perform pg_notify('outbox_' || current_schema(), '');
    return null;
end;
$$;
