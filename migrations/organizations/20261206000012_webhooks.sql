-- Webhooks (事件推送): partners' and city admins' subscriptions, the events every subgraph's
-- outbox relays here (see 20261206000010_outbox.sql and kexie_subgraph_kit::outbox), and
-- each event's delivery to each subscription that wants it.

-- A subscriber's endpoint and the event types it wants. A partner's subscription belongs
-- to its API key (revoking the key stops it); a city admin's to nobody in particular.
-- The secret signs every delivery (HMAC-SHA256); it is shown when the subscription is
-- created or its secret rotated, and kept to sign with.
create table webhook_subscription (
    webhook_subscription_id uuid primary key,
    api_key_id uuid references api_key (api_key_id),
    url text not null check (length(url) between 8 and 2000),
    event_types text[] not null check (cardinality(event_types) between 1 and 200),
    description text check (length(description) <= 500),
    secret text not null,
    active boolean not null default true,
    version int not null default 1,
    created_at timestamptz not null default now(),
    created_by text not null,
    updated_at timestamptz not null default now(),
    updated_by text not null,
    archived_at timestamptz,
    archived_by text
);
create trigger webhook_subscription_updated_at before update on webhook_subscription
    for each row execute function set_updated_at();
create index webhook_subscription_key_idx on webhook_subscription (api_key_id);

-- Where each subgraph's relayed events stand: the last `seq` stored here.
create table webhook_source (
    source text primary key,
    seq bigint not null default 0
);
insert into webhook_source (source)
values ('organizations'), ('talent'), ('popularization'), ('advice'), ('innovation');

-- Every event that some subscription wanted when it arrived, numbered in arrival order
-- (which is commit order within each subgraph).
create table webhook_event (
    webhook_event_seq bigint generated always as identity primary key,
    event_id uuid not null unique,
    source text not null references webhook_source (source),
    source_seq bigint not null,
    event_type text not null,
    record_type text not null,
    record_id uuid not null,
    record_version int,
    unit_id uuid,
    from_status text,
    to_status text,
    occurred_at timestamptz not null,
    received_at timestamptz not null default now(),
    unique (source, source_seq)
);

-- One event's delivery to one subscription. PENDING until the endpoint answers 2xx
-- (DELIVERED) or the retries run out (FAILED); `redeliverWebhookDelivery` makes it PENDING
-- again. A subscription's deliveries go out one at a time, in event order; a delivery being
-- attempted is leased, so a process that stops mid-delivery leaves it to be tried again.
create table webhook_delivery (
    webhook_delivery_id uuid primary key,
    webhook_subscription_id uuid not null
        references webhook_subscription (webhook_subscription_id),
    webhook_event_seq bigint not null references webhook_event (webhook_event_seq),
    status text not null default 'PENDING' check (status in ('PENDING', 'DELIVERED', 'FAILED')),
    attempts int not null default 0,
    -- When the current round of retries began (creation or redelivery): retries stop after
    -- the configured window from here.
    retrying_since timestamptz not null default now(),
    next_attempt_at timestamptz not null default now(),
    leased_until timestamptz,
    last_attempt_at timestamptz,
    last_status_code int,
    last_error text,
    delivered_at timestamptz,
    created_at timestamptz not null default now(),
    unique (webhook_subscription_id, webhook_event_seq)
);
create index webhook_delivery_pending_idx on webhook_delivery (webhook_subscription_id, webhook_event_seq)
    where status = 'PENDING';
create index webhook_delivery_list_idx on webhook_delivery (webhook_subscription_id, webhook_event_seq desc);
