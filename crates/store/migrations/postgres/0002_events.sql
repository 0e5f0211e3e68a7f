-- the append-only, hash-chained history of each application
create table events (
    application_id text not null references applications (id),
    seq bigint not null,
    type text not null,
    -- text in the chain's own format (UTC, Z, microseconds): hashed as stored
    at text not null,
    actor text not null,
    data text not null,
    hash text not null,
    prev_hash text not null,
    constraint events_pkey primary key (application_id, seq)
);

create function events_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'events are append-only';
end;
$$;

create trigger events_no_update before update or delete or truncate on events
    for each statement execute function events_append_only();
