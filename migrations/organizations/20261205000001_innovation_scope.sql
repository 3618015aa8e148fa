-- The scope of partner keys that follow innovation's needs, results and matches (科技局,
-- 工信局): kexie_contract::principal::Scope::ReadInnovation.
alter table api_key drop constraint api_key_scopes_check;
alter table api_key add constraint api_key_scopes_check check (scopes <@ array['venues-activities:read',
    'activities:co-organize', 'talent:read-public', 'advice:submit', 'innovation:read']::text[]);
