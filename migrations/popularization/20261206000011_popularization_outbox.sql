-- The popularization records whose writes leave webhook events (see 20261206000010_outbox.sql).

create constraint trigger venue_outbox after insert or update on venue
    deferrable initially deferred for each row
    execute function outbox_capture('venue', 'Venue', 'venue_id', 'owner_unit_id');

create constraint trigger activity_outbox after insert or update on activity
    deferrable initially deferred for each row
    execute function outbox_capture('activity', 'Activity', 'activity_id', 'organizer_unit_id');
