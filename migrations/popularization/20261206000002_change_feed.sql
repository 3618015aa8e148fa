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

alter table venue add column changed_xid xid8 not null default pg_current_xact_id();
create trigger venue_changed_xid before update on venue for each row execute function set_changed_xid();
create index venue_change_idx on venue (changed_xid, venue_id);

alter table activity add column changed_xid xid8 not null default pg_current_xact_id();
create trigger activity_changed_xid before update on activity for each row execute function set_changed_xid();
create index activity_change_idx on activity (changed_xid, activity_id);
