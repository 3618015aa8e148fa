-- API keys of partner bureaus (教育局, 农业农村局 …) and the log of their calls. A key is
-- `kx_<key id as 32 hex>_<43 characters of URL-safe base64>`, shown once when it is created;
-- only its SHA-256 is kept. Keys are never changed, only revoked.
create table api_key (
    api_key_id uuid primary key,
    -- SHA-256 of the whole key.
    key_hash bytea not null check (length(key_hash) = 32),
    -- `kx_<first 8 hex of the id>…`, to recognise a key in lists without the key itself.
    display_prefix text not null,
    name text not null check (length(name) between 1 and 200),
    -- The partner bureau the key speaks for (popularization's PartnerBureau).
    bureau text not null check (bureau in ('EDUCATION', 'AGRICULTURE', 'VETERAN_CADRES',
        'WOMENS_FEDERATION', 'SCIENCE_TECHNOLOGY', 'INDUSTRY_IT', 'ORGANIZATION_DEPARTMENT',
        'HEALTH', 'OTHER')),
    -- kexie_shared::principal::Scope names.
    scopes text[] not null check (scopes <@ array['venues-activities:read',
        'activities:co-organize', 'talent:read-public', 'advice:submit']::text[]),
    requests_per_minute int not null default 600 check (requests_per_minute between 1 and 100000),
    version int not null default 1,
    created_at timestamptz not null default now(),
    created_by text not null,
    updated_at timestamptz not null default now(),
    updated_by text not null,
    revoked_at timestamptz,
    revoked_by text
);
create trigger api_key_updated_at before update on api_key for each row execute function set_updated_at();

-- One row per call a partner made with a key, as the gateway reports it after answering.
-- An append-only log: no version, no updates. Its ID carries the time of the call.
create table partner_call (
    partner_call_id uuid primary key,
    api_key_id uuid not null references api_key (api_key_id),
    -- The operation's name; null for anonymous operations and requests that never got one.
    operation text,
    called_at timestamptz not null,
    -- ok: answered without errors; errors: GraphQL errors in the answer (or a request
    -- refused before execution); rate_limited: over the key's limit (429); refused: the
    -- key is revoked (401).
    outcome text not null check (outcome in ('ok', 'errors', 'rate_limited', 'refused')),
    status int not null check (status between 100 and 599),
    duration_ms int not null check (duration_ms >= 0)
);
create index partner_call_key_idx on partner_call (api_key_id, partner_call_id desc);
create index partner_call_called_at_idx on partner_call (called_at);
