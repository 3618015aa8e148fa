-- Tables every subgraph keeps in its own schema: idempotency keys for creates, the history
-- of workflow status changes, the updated_at trigger, and the local copy of the unit tree
-- that organizations publishes (see kexie_shared::unit_tree).
create table idempotency_key (
    scope text not null,
    actor text not null,
    key text not null,
    record_id uuid not null,
    created_at timestamptz not null default now(),
    primary key (scope, actor, key)
);

create table status_change (
    status_change_id uuid primary key,
    entity_id uuid not null,
    from_status text,
    to_status text not null,
    actor text not null,
    note text,
    changed_at timestamptz not null default now()
);
create index status_change_entity_idx on status_change (entity_id, changed_at);

create or replace function set_updated_at() returns trigger as $$
begin
    new.updated_at = now();
    return new;
end;
$$ language plpgsql;

create table unit_replica (
    unit_id uuid primary key,
    parent_id uuid,
    path text not null,
    kind text not null,
    status text not null,
    name text not null,
    division_code text
);
create index unit_replica_path_idx on unit_replica (path text_pattern_ops);

create table unit_replica_state (
    singleton boolean primary key default true check (singleton),
    seq bigint not null
);
