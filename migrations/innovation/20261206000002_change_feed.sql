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

alter table tech_need add column changed_xid xid8 not null default pg_current_xact_id();
create trigger tech_need_changed_xid before update on tech_need for each row execute function set_changed_xid();
create index tech_need_change_idx on tech_need (changed_xid, tech_need_id);

alter table science_result add column changed_xid xid8 not null default pg_current_xact_id();
create trigger science_result_changed_xid before update on science_result for each row execute function set_changed_xid();
create index science_result_change_idx on science_result (changed_xid, science_result_id);

alter table need_match add column changed_xid xid8 not null default pg_current_xact_id();
create trigger need_match_changed_xid before update on need_match for each row execute function set_changed_xid();
create index need_match_change_idx on need_match (changed_xid, need_match_id);

alter table service_visit add column changed_xid xid8 not null default pg_current_xact_id();
create trigger service_visit_changed_xid before update on service_visit for each row execute function set_changed_xid();
create index service_visit_change_idx on service_visit (changed_xid, service_visit_id);

alter table innovation_event add column changed_xid xid8 not null default pg_current_xact_id();
create trigger innovation_event_changed_xid before update on innovation_event for each row execute function set_changed_xid();
create index innovation_event_change_idx on innovation_event (changed_xid, innovation_event_id);

alter table cooperation_agreement add column changed_xid xid8 not null default pg_current_xact_id();
create trigger cooperation_agreement_changed_xid before update on cooperation_agreement for each row execute function set_changed_xid();
create index cooperation_agreement_change_idx on cooperation_agreement (changed_xid, cooperation_agreement_id);

alter table pilot_designation add column changed_xid xid8 not null default pg_current_xact_id();
create trigger pilot_designation_changed_xid before update on pilot_designation for each row execute function set_changed_xid();
create index pilot_designation_change_idx on pilot_designation (changed_xid, pilot_designation_id);
