-- The scope of partner keys that co-organize innovation events (科技局, 工信局 co-running
-- 科创会·市州行): kexie_contract::principal::Scope::CoOrganizeInnovationEvents.
alter table api_key drop constraint api_key_scopes_check;
alter table api_key add constraint api_key_scopes_check check (scopes <@ array['venues-activities:read',
    'activities:co-organize', 'talent:read-public', 'advice:submit', 'innovation:read',
    'innovation-events:co-organize']::text[]);
