-- Raising public scientific literacy (科普): the venues (科普阵地) and the popularization
-- activities (科普活动) held in them or around them. Units live in organizations and are
-- referenced by ID only; subtree filters go through the local copy of the tree
-- (unit_replica).
--
-- Search ("search" in the list filters) is a case-insensitive substring of the name or
-- title and has no index of its own: it is evaluated on the newest-first scan that every
-- list does anyway, which at this volume answers within milliseconds; a trigram index would
-- need the pg_trgm extension in a database the four subgraphs share.

-- 科普阵地: a science museum, a campus museum, a community hall, a popularization base, a
-- demonstration community or rural base, a home of S&T workers, or an online channel.
create table venue (
    venue_id uuid primary key,
    owner_unit_id uuid not null,
    name text not null,
    kind text not null check (kind in ('SCIENCE_MUSEUM', 'CAMPUS_MUSEUM', 'COMMUNITY_HALL',
        'POPULARIZATION_BASE', 'DEMO_COMMUNITY', 'RURAL_DEMO_BASE', 'WORKERS_HOME', 'ONLINE')),
    -- PLANNED → UNDER_CONSTRUCTION → OPEN → CLOSED, or PLANNED → CLOSED for an abandoned plan.
    status text not null default 'PLANNED' check (status in ('PLANNED', 'UNDER_CONSTRUCTION', 'OPEN', 'CLOSED')),
    -- Who built or runs it with the owner ("与图书馆共同建设").
    co_builders text[] not null default '{}',
    address text,
    longitude double precision check (longitude between -180 and 180),
    latitude double precision check (latitude between -90 and 90),
    -- Square metres.
    floor_area double precision check (floor_area >= 0),
    opened_on date,
    yearly_visitors int check (yearly_visitors >= 0),
    version int not null default 1,
    created_at timestamptz not null default now(),
    created_by text not null,
    updated_at timestamptz not null default now(),
    updated_by text not null,
    archived_at timestamptz,
    archived_by text,
    constraint venue_coordinates_check check ((longitude is null) = (latitude is null)),
    -- An open venue has opened; one still planned or being built has not.
    constraint venue_opened_on_check check (
        (status <> 'OPEN' or opened_on is not null)
        and (status not in ('PLANNED', 'UNDER_CONSTRUCTION') or opened_on is null))
);
create index venue_owner_idx on venue (owner_unit_id, venue_id desc);
create index venue_kind_idx on venue (kind, venue_id desc);
create index venue_status_idx on venue (status, venue_id desc);
create trigger venue_updated_at before update on venue for each row execute function set_updated_at();

-- 科普活动: one popularization activity, its organizer, the partner bureaus co-organizing it
-- ("借力打力"), its audiences and how many it reached.
create table activity (
    activity_id uuid primary key,
    organizer_unit_id uuid not null,
    title text not null,
    kind text not null check (kind in ('LECTURE', 'SCIENCE_DAY', 'VOLUNTEER_SERVICE',
        'ACADEMICIAN_REPORT', 'TRAINING', 'COMPETITION', 'EXHIBITION', 'STUDY_TOUR', 'BROADCAST')),
    partner_bureaus text[] not null default '{}' check (partner_bureaus <@ array['EDUCATION',
        'AGRICULTURE', 'VETERAN_CADRES', 'WOMENS_FEDERATION', 'SCIENCE_TECHNOLOGY', 'INDUSTRY_IT',
        'ORGANIZATION_DEPARTMENT', 'HEALTH', 'OTHER']::text[]),
    venue_id uuid references venue (venue_id),
    starts_on date not null,
    ends_on date not null,
    audiences text[] not null check (cardinality(audiences) > 0 and audiences <@ array['YOUTH',
        'ELDERLY', 'FARMERS', 'INDUSTRIAL_WORKERS', 'CIVIL_SERVANTS', 'GENERAL_PUBLIC']::text[]),
    participants int not null default 0 check (participants >= 0),
    online_reach int not null default 0 check (online_reach >= 0),
    mode text not null check (mode in ('ONLINE', 'OFFLINE', 'HYBRID')),
    -- PLANNED → HELD or CANCELLED.
    status text not null default 'PLANNED' check (status in ('PLANNED', 'HELD', 'CANCELLED')),
    version int not null default 1,
    created_at timestamptz not null default now(),
    created_by text not null,
    updated_at timestamptz not null default now(),
    updated_by text not null,
    archived_at timestamptz,
    archived_by text,
    constraint activity_dates_check check (ends_on >= starts_on)
);
create index activity_organizer_idx on activity (organizer_unit_id, activity_id desc);
create index activity_kind_idx on activity (kind, activity_id desc);
create index activity_status_idx on activity (status, activity_id desc);
create index activity_mode_idx on activity (mode, activity_id desc);
create index activity_venue_idx on activity (venue_id, activity_id desc);
create index activity_starts_on_idx on activity (starts_on, activity_id desc);
create index activity_audiences_idx on activity using gin (audiences);
create index activity_partner_bureaus_idx on activity using gin (partner_bureaus);
create trigger activity_updated_at before update on activity for each row execute function set_updated_at();
