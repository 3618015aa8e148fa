-- The innovation records whose writes leave webhook events (see 20261206000010_outbox.sql).

create constraint trigger tech_need_outbox after insert or update on tech_need
    deferrable initially deferred for each row
    execute function outbox_capture('tech_need', 'TechNeed', 'tech_need_id', 'unit_id');

create constraint trigger science_result_outbox after insert or update on science_result
    deferrable initially deferred for each row
    execute function outbox_capture('science_result', 'ScienceResult', 'science_result_id', 'owner_unit_id');

create constraint trigger need_match_outbox after insert or update on need_match
    deferrable initially deferred for each row
    execute function outbox_capture('need_match', 'NeedMatch', 'need_match_id', '');

create constraint trigger service_visit_outbox after insert or update on service_visit
    deferrable initially deferred for each row
    execute function outbox_capture('service_visit', 'ServiceVisit', 'service_visit_id', 'unit_id');

create constraint trigger innovation_event_outbox after insert or update on innovation_event
    deferrable initially deferred for each row
    execute function outbox_capture('innovation_event', 'InnovationEvent', 'innovation_event_id', 'unit_id');

create constraint trigger cooperation_agreement_outbox after insert or update on cooperation_agreement
    deferrable initially deferred for each row
    execute function outbox_capture('cooperation_agreement', 'CooperationAgreement', 'cooperation_agreement_id', 'university_unit_id');
