-- bearer tokens, stored as their hash so a database leak gives no live token
create table sessions (
    token_hash text not null,
    username text not null references users (username),
    expires_at bigint not null,
    created_at bigint not null,
    constraint sessions_pkey primary key (token_hash)
);

create index sessions_username_idx on sessions (username);
create index sessions_expires_idx on sessions (expires_at);
