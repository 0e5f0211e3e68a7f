-- answers to requests sent with an Idempotency-Key, stored with the write they answer
create table idempotency_keys (
    principal text not null,
    key text not null,
    fingerprint text not null,
    status bigint not null,
    body text not null,
    created_at bigint not null,
    constraint idempotency_keys_pkey primary key (principal, key)
);
