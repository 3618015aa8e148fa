-- Units of the association tree (city → districts/counties → townships, with base
-- organizations hanging beside that line), their terms of office (换届), leadership roles,
-- and yearly targets (工作台账). Tree changes are numbered in unit_event and published to
-- the other subgraphs.

create table unit (
    unit_id uuid primary key,
    parent_id uuid references unit (unit_id),
    -- '/<root id>/…/<own id>/'; a unit's subtree is every unit whose path starts with its own.
    path text not null,
    name text not null,
    short_name text,
    kind text not null check (kind in
        ('CITY', 'DISTRICT', 'TOWNSHIP', 'ENTERPRISE', 'UNIVERSITY', 'SOCIETY', 'RURAL_TECH', 'SENIOR')),
    -- GB/T 2260: six digits down to county level, nine for a township.
    division_code text check (division_code ~ '^[0-9]{6}([0-9]{3})?$'),
    status text not null default 'ACTIVE' check (status in ('ACTIVE', 'MERGED', 'DISSOLVED')),
    merged_into_id uuid references unit (unit_id),
    founded_on date,
    -- The year the unit was named an exemplary grassroots association (示范基层科协).
    exemplary_year int,
    member_count int not null default 0 check (member_count >= 0),
    version int not null default 1,
    created_at timestamptz not null default now(),
    created_by text not null,
    updated_at timestamptz not null default now(),
    updated_by text not null,
    archived_at timestamptz,
    archived_by text
);
create unique index unit_division_code_key on unit (division_code) where status = 'ACTIVE';
create unique index unit_single_root_key on unit ((parent_id is null)) where parent_id is null;
create index unit_parent_idx on unit (parent_id, unit_id desc);
create index unit_path_idx on unit (path text_pattern_ops);
create index unit_kind_idx on unit (kind, unit_id desc);
create trigger unit_updated_at before update on unit for each row execute function set_updated_at();

-- Every change of the tree, numbered without gaps in commit order (writers hold an advisory
-- lock), with the new state of every unit it touched.
create table unit_event (
    seq bigint primary key,
    units jsonb not null,
    created_at timestamptz not null default now()
);

-- 换届: a unit's term of office.
create table term (
    term_id uuid primary key,
    unit_id uuid not null references unit (unit_id),
    number int not null check (number >= 1),
    starts_on date not null,
    ends_on date not null check (ends_on >= starts_on),
    version int not null default 1,
    created_at timestamptz not null default now(),
    created_by text not null,
    updated_at timestamptz not null default now(),
    updated_by text not null,
    archived_at timestamptz,
    archived_by text
);
create unique index term_unit_number_key on term (unit_id, number) where archived_at is null;
create index term_unit_idx on term (unit_id, term_id desc);
create trigger term_updated_at before update on term for each row execute function set_updated_at();

-- Chair, vice chairs, secretary-general; at township level the "three heads" (三长) serve
-- as vice chairs.
create table leadership_role (
    leadership_role_id uuid primary key,
    unit_id uuid not null references unit (unit_id),
    term_id uuid references term (term_id),
    person_name text not null,
    role text not null check (role in ('CHAIR', 'VICE_CHAIR', 'SECRETARY_GENERAL')),
    three_heads_post text check (three_heads_post in ('HOSPITAL_DIRECTOR', 'SCHOOL_PRINCIPAL', 'AGRICULTURAL_STATION_HEAD')),
    post text,
    starts_on date,
    ends_on date check (ends_on >= starts_on),
    version int not null default 1,
    created_at timestamptz not null default now(),
    created_by text not null,
    updated_at timestamptz not null default now(),
    updated_by text not null,
    archived_at timestamptz,
    archived_by text
);
create index leadership_role_unit_idx on leadership_role (unit_id, leadership_role_id desc);
create trigger leadership_role_updated_at before update on leadership_role for each row execute function set_updated_at();

-- 工作台账: per unit, year and metric, a target value, a responsible person and a deadline.
create table target (
    target_id uuid primary key,
    unit_id uuid not null references unit (unit_id),
    year int not null check (year between 1900 and 2100),
    metric text not null check (metric in ('NEW_ENTERPRISE_ASSOCIATIONS', 'EXEMPLARY_GRASSROOTS_ASSOCIATIONS',
        'COUNTY_SCIENCE_MUSEUMS', 'VOLUNTEER_SERVICES', 'ACADEMICIAN_REPORTS', 'SCIENCE_DAY_EVENTS',
        'RURAL_POPULARIZATION_EVENTS', 'ELDERLY_LECTURES', 'CERTIFIED_WORKSTATIONS', 'RESEARCH_TOPICS',
        'ADOPTED_SUBMISSIONS')),
    target_value int not null check (target_value >= 0),
    responsible_person text not null,
    deadline date not null,
    note text,
    version int not null default 1,
    created_at timestamptz not null default now(),
    created_by text not null,
    updated_at timestamptz not null default now(),
    updated_by text not null,
    archived_at timestamptz,
    archived_by text
);
create unique index target_unit_year_metric_key on target (unit_id, year, metric) where archived_at is null;
create index target_unit_idx on target (unit_id, target_id desc);
create index target_year_idx on target (year, target_id desc);
create trigger target_updated_at before update on target for each row execute function set_updated_at();
