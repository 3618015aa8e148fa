-- The order changes commit in, for partners' incremental sync (`filter.updatedSince`): each
-- record carries the ID of the transaction that last wrote it. `updated_at` cannot serve:
-- it is the writing transaction's start, and a transaction that started earlier may commit
-- later, behind a reader that already paged past its time.
create function set_changed_xid() returns trigger language plpgsql as $$
begin
    new.changed_xid := pg_current_xact_id();
    return new;
end;
$$;

alter table worker add column changed_xid xid8 not null default pg_current_xact_id();
create trigger worker_changed_xid before update on worker for each row execute function set_changed_xid();
create index worker_change_idx on worker (changed_xid, worker_id);

alter table honor add column changed_xid xid8 not null default pg_current_xact_id();
create trigger honor_changed_xid before update on honor for each row execute function set_changed_xid();
create index honor_change_idx on honor (changed_xid, honor_id);

alter table nomination add column changed_xid xid8 not null default pg_current_xact_id();
create trigger nomination_changed_xid before update on nomination for each row execute function set_changed_xid();
create index nomination_change_idx on nomination (changed_xid, nomination_id);

alter table workstation add column changed_xid xid8 not null default pg_current_xact_id();
create trigger workstation_changed_xid before update on workstation for each row execute function set_changed_xid();
create index workstation_change_idx on workstation (changed_xid, workstation_id);
