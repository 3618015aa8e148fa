-- Webhook events (事件推送): every write to a record a subscriber can follow leaves an event
-- in this outbox, in the writing transaction. The relay (`kexie_subgraph_kit::outbox`)
-- hands the events on to the organizations subgraph, which delivers them to the
-- subscribers' endpoints. An event says what changed — the record's type, ID and version,
-- its unit, a status change — never the record's content, which a subscriber reads through
-- the API with its own rights.
--
-- `seq` numbers the events in commit order: the capture runs when the transaction commits
-- (a deferred trigger) and takes this schema's outbox lock until the commit is done, so
-- no two transactions number events at once. A reader that has seen event n has seen
-- every committed event before it, and a record's events come in the order of its writes,
-- one per version.
--
-- A bulk load (the demo seeder) may set `kexie.outbox` to 'off' for its transaction: a
-- demo city being written is nobody's news.
--
-- The same file in every subgraph's migrations (crates/subgraph-kit/tests/migrations.rs);
-- each subgraph's own migration attaches `outbox_capture` to its record tables.

create sequence outbox_event_seq;

create table outbox_event (
    seq bigint primary key,
    event_id uuid not null unique,
    -- `<record>.<change>`: activity.created, activity.status_changed, unit.moved …
    event_type text not null,
    -- The record's GraphQL type.
    record_type text not null,
    record_id uuid not null,
    record_version int,
    unit_id uuid,
    from_status text,
    to_status text,
    occurred_at timestamptz not null
);

-- How far the organizations subgraph has taken this outbox: events up to here are in its
-- own store, and may be dropped here after a day.
create table outbox_relay (
    only_row boolean primary key default true check (only_row),
    acknowledged_seq bigint not null default 0
);
insert into outbox_relay default values;

-- The trigger's arguments: the record's name in event types (`activity`), its GraphQL type
-- (`Activity`), its ID column and its unit column ('' when it has none).
create function outbox_capture() returns trigger language plpgsql as $$
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
    return null;
end;
$$;
