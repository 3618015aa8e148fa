-- The organizations records whose writes leave webhook events (see 20261206000010_outbox.sql).

create constraint trigger unit_outbox after insert or update on unit
    deferrable initially deferred for each row
    execute function outbox_capture('unit', 'Unit', 'unit_id', 'unit_id');

create constraint trigger term_outbox after insert or update on term
    deferrable initially deferred for each row
    execute function outbox_capture('term', 'Term', 'term_id', 'unit_id');

create constraint trigger target_outbox after insert or update on target
    deferrable initially deferred for each row
    execute function outbox_capture('target', 'Target', 'target_id', 'unit_id');

create constraint trigger party_building_activity_outbox after insert or update on party_building_activity
    deferrable initially deferred for each row
    execute function outbox_capture('party_building_activity', 'PartyBuildingActivity', 'party_building_activity_id', 'unit_id');

create constraint trigger media_report_outbox after insert or update on media_report
    deferrable initially deferred for each row
    execute function outbox_capture('media_report', 'MediaReport', 'media_report_id', 'unit_id');
