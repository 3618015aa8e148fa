-- Serving S&T workers (服务科技工作者): the workers themselves, their honors (荣誉), the
-- nominations units make for honors (举荐), and expert workstations (工作站) with their
-- resident experts. Units are referenced by ID only; the local unit_replica resolves
-- subtrees.

-- 科技工作者
create table worker (
    worker_id uuid primary key,
    name text not null,
    gender text not null check (gender in ('MALE', 'FEMALE')),
    birth_year int check (birth_year between 1900 and 2100),
    -- 学科, free text.
    discipline text,
    -- 职称; rural experts (田秀才/土专家) often hold none.
    title text check (title in ('JUNIOR', 'INTERMEDIATE', 'ASSOCIATE_SENIOR', 'SENIOR')),
    employer text,
    home_unit_id uuid not null,
    is_volunteer boolean not null default false,
    is_rural_expert boolean not null default false,
    is_young_talent boolean not null default false,
    is_academician boolean not null default false,
    phone text,
    email text,
    version int not null default 1,
    created_at timestamptz not null default now(),
    created_by text not null,
    updated_at timestamptz not null default now(),
    updated_by text not null,
    archived_at timestamptz,
    archived_by text
);
-- Lists walk worker_id newest first; gender (two values) and the substring filters
-- (discipline, name) are checked along that walk, where an index would not help.
create index worker_home_unit_idx on worker (home_unit_id, worker_id desc);
create index worker_title_idx on worker (title, worker_id desc);
create index worker_volunteer_idx on worker (worker_id desc) where is_volunteer;
create index worker_rural_expert_idx on worker (worker_id desc) where is_rural_expert;
create index worker_young_talent_idx on worker (worker_id desc) where is_young_talent;
create index worker_academician_idx on worker (worker_id desc) where is_academician;
create trigger worker_updated_at before update on worker for each row execute function set_updated_at();

-- 荣誉: entered directly (historical records) or created by an awarded nomination.
create table honor (
    honor_id uuid primary key,
    worker_id uuid not null references worker (worker_id),
    name text not null,
    level text not null check (level in ('NATIONAL', 'PROVINCIAL', 'CITY', 'DISTRICT')),
    year int not null check (year between 1900 and 2100),
    conferring_unit_id uuid,
    -- The nomination whose award created this record.
    nomination_id uuid unique,
    version int not null default 1,
    created_at timestamptz not null default now(),
    created_by text not null,
    updated_at timestamptz not null default now(),
    updated_by text not null,
    archived_at timestamptz,
    archived_by text
);
-- The same honor twice in one year for one worker is a data-entry mistake.
create unique index honor_worker_name_year_key on honor (worker_id, name, year) where archived_at is null;
create index honor_worker_idx on honor (worker_id, honor_id desc);
create index honor_level_idx on honor (level, honor_id desc);
create index honor_year_idx on honor (year, honor_id desc);
create index honor_conferring_unit_idx on honor (conferring_unit_id, honor_id desc);
create trigger honor_updated_at before update on honor for each row execute function set_updated_at();

-- 举荐: a unit nominates a worker for an honor; NOMINATED → SHORTLISTED → AWARDED or
-- NOT_SELECTED (also NOMINATED → NOT_SELECTED). The award creates the honor record.
create table nomination (
    nomination_id uuid primary key,
    worker_id uuid not null references worker (worker_id),
    honor_name text not null,
    honor_level text not null check (honor_level in ('NATIONAL', 'PROVINCIAL', 'CITY', 'DISTRICT')),
    year int not null check (year between 1900 and 2100),
    nominating_unit_id uuid not null,
    conferring_unit_id uuid,
    reason text,
    status text not null default 'NOMINATED'
        check (status in ('NOMINATED', 'SHORTLISTED', 'AWARDED', 'NOT_SELECTED')),
    honor_id uuid references honor (honor_id),
    version int not null default 1,
    created_at timestamptz not null default now(),
    created_by text not null,
    updated_at timestamptz not null default now(),
    updated_by text not null,
    archived_at timestamptz,
    archived_by text,
    check ((status = 'AWARDED') = (honor_id is not null))
);
-- One worker, one honor, one year: a second nomination is a duplicate.
create unique index nomination_worker_honor_year_key on nomination (worker_id, honor_name, year)
    where archived_at is null;
create index nomination_unit_idx on nomination (nominating_unit_id, nomination_id desc);
create index nomination_worker_idx on nomination (worker_id, nomination_id desc);
create index nomination_status_idx on nomination (status, nomination_id desc);
create index nomination_year_idx on nomination (year, nomination_id desc);
create index nomination_level_idx on nomination (honor_level, nomination_id desc);
create trigger nomination_updated_at before update on nomination for each row execute function set_updated_at();

-- 工作站: 院士专家工作站, 博士创新工作站, 科技专家企业工作站, 科技小院.
create table workstation (
    workstation_id uuid primary key,
    kind text not null
        check (kind in ('ACADEMICIAN_EXPERT', 'DOCTORAL_INNOVATION', 'EXPERT_ENTERPRISE', 'SCIENCE_BACKYARD')),
    name text not null,
    host_unit_id uuid not null,
    host_enterprise text,
    certification text not null default 'NONE'
        check (certification in ('NONE', 'CITY', 'PROVINCIAL', 'NATIONAL')),
    founded_on date,
    status text not null default 'ACTIVE' check (status in ('ACTIVE', 'SUSPENDED', 'CLOSED')),
    version int not null default 1,
    created_at timestamptz not null default now(),
    created_by text not null,
    updated_at timestamptz not null default now(),
    updated_by text not null,
    archived_at timestamptz,
    archived_by text
);
create index workstation_host_unit_idx on workstation (host_unit_id, workstation_id desc);
create index workstation_kind_idx on workstation (kind, workstation_id desc);
create index workstation_certification_idx on workstation (certification, workstation_id desc);
create index workstation_status_idx on workstation (status, workstation_id desc);
create index workstation_founded_idx on workstation (founded_on, workstation_id desc);
create trigger workstation_updated_at before update on workstation for each row execute function set_updated_at();

-- The experts resident in a workstation (入站专家).
create table workstation_resident (
    workstation_id uuid not null references workstation (workstation_id),
    worker_id uuid not null references worker (worker_id),
    added_at timestamptz not null default now(),
    added_by text not null,
    primary key (workstation_id, worker_id)
);
create index workstation_resident_worker_idx on workstation_resident (worker_id);
