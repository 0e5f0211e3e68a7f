-- side effects, written with the change that causes them, run by the job runner
create table outbox (
    id bigint generated always as identity primary key,
    kind text not null,
    payload text not null,
    status text not null default 'pending',
    attempts bigint not null default 0,
    run_at bigint not null,
    locked_until bigint,
    last_error text,
    created_at bigint not null,
    finished_at bigint
);

create index outbox_due_idx on outbox (status, run_at, id);
