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

alter table campaign add column changed_xid xid8 not null default pg_current_xact_id();
create trigger campaign_changed_xid before update on campaign for each row execute function set_changed_xid();
create index campaign_change_idx on campaign (changed_xid, campaign_id);

alter table submission add column changed_xid xid8 not null default pg_current_xact_id();
create trigger submission_changed_xid before update on submission for each row execute function set_changed_xid();
create index submission_change_idx on submission (changed_xid, submission_id);

alter table research_topic add column changed_xid xid8 not null default pg_current_xact_id();
create trigger research_topic_changed_xid before update on research_topic for each row execute function set_changed_xid();
create index research_topic_change_idx on research_topic (changed_xid, research_topic_id);
