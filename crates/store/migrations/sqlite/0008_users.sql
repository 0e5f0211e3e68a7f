create table users (
    username text not null,
    role text not null,
    provider text,
    password_hash text not null,
    iin text,
    display_name text not null,
    created_at bigint not null,
    disabled boolean not null default false,
    constraint users_pkey primary key (username),
    constraint users_iin_key unique (iin)
);
