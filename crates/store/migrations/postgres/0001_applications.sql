-- the read model: one row a case, written with its events in one transaction
create table applications (
    id text not null,
    number text not null,
    service text not null,
    version text not null,
    channel text not null,
    provider text not null,
    status text not null,
    step text,
    step_role text,
    due_at bigint,
    -- due_at, or the largest bigint when there is none, so keyset paging by
    -- deadline needs no null handling
    sort_due bigint not null,
    overdue boolean not null default false,
    assignee text,
    applicant_iin text not null,
    intake_actor text not null,
    created_at bigint not null,
    updated_at bigint not null,
    rev bigint not null,
    state text not null,
    constraint applications_pkey primary key (id),
    constraint applications_number_key unique (number)
);

create index applications_queue_idx on applications (provider, status, step_role, sort_due, id);
create index applications_worklist_idx on applications (assignee, status, sort_due, id);
-- serves both the overdue list and the deadline worker (not overdue yet,
-- sort_due before now)
create index applications_overdue_idx on applications (overdue, sort_due, id);
create index applications_applicant_idx on applications (applicant_iin, created_at, id);
create index applications_service_idx on applications (service, created_at, id);
create index applications_created_idx on applications (created_at, id);
