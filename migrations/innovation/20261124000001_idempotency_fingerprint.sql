-- The fingerprint of the input a create claimed its idempotency key for (SHA-256 of the
-- input's canonical JSON, see kexie_shared::idempotency): the key reused with a different
-- input is refused. Keys claimed before this have none and match any input, as they did.
alter table idempotency_key add column fingerprint bytea;
