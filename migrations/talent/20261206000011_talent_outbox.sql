-- The talent records whose writes leave webhook events (see 20261206000010_outbox.sql).

create constraint trigger worker_outbox after insert or update on worker
    deferrable initially deferred for each row
    execute function outbox_capture('worker', 'Worker', 'worker_id', 'home_unit_id');

create constraint trigger honor_outbox after insert or update on honor
    deferrable initially deferred for each row
    execute function outbox_capture('honor', 'Honor', 'honor_id', '');

create constraint trigger nomination_outbox after insert or update on nomination
    deferrable initially deferred for each row
    execute function outbox_capture('nomination', 'Nomination', 'nomination_id', 'nominating_unit_id');

create constraint trigger workstation_outbox after insert or update on workstation
    deferrable initially deferred for each row
    execute function outbox_capture('workstation', 'Workstation', 'workstation_id', 'host_unit_id');
