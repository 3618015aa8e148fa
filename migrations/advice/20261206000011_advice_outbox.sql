-- The advice records whose writes leave webhook events (see 20261206000010_outbox.sql).

create constraint trigger campaign_outbox after insert or update on campaign
    deferrable initially deferred for each row
    execute function outbox_capture('campaign', 'Campaign', 'campaign_id', 'organizer_id');

create constraint trigger submission_outbox after insert or update on submission
    deferrable initially deferred for each row
    execute function outbox_capture('submission', 'Submission', 'submission_id', 'submitting_unit_id');

create constraint trigger research_topic_outbox after insert or update on research_topic
    deferrable initially deferred for each row
    execute function outbox_capture('research_topic', 'ResearchTopic', 'research_topic_id', 'lead_unit_id');
