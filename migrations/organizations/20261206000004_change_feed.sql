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

alter table unit add column changed_xid xid8 not null default pg_current_xact_id();
create trigger unit_changed_xid before update on unit for each row execute function set_changed_xid();
create index unit_change_idx on unit (changed_xid, unit_id);

alter table term add column changed_xid xid8 not null default pg_current_xact_id();
create trigger term_changed_xid before update on term for each row execute function set_changed_xid();
create index term_change_idx on term (changed_xid, term_id);

alter table target add column changed_xid xid8 not null default pg_current_xact_id();
create trigger target_changed_xid before update on target for each row execute function set_changed_xid();
create index target_change_idx on target (changed_xid, target_id);

alter table party_building_activity add column changed_xid xid8 not null default pg_current_xact_id();
create trigger party_building_activity_changed_xid before update on party_building_activity for each row execute function set_changed_xid();
create index party_building_activity_change_idx on party_building_activity (changed_xid, party_building_activity_id);

alter table media_report add column changed_xid xid8 not null default pg_current_xact_id();
create trigger media_report_changed_xid before update on media_report for each row execute function set_changed_xid();
create index media_report_change_idx on media_report (changed_xid, media_report_id);
