-- The data version: advanced after every write, it keys cached rollups (see
-- kexie_shared::rollup).
create sequence data_version;
