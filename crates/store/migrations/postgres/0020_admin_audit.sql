-- what administrators changed (users, calendar, regulation versions, the
-- outbox, recomputed deadlines): who, when, what; written in the transaction
-- of the change itself and, like the events, never changed afterwards
create table admin_audit (
    id bigint generated always as identity primary key,
    at bigint not null,
    actor text not null,
    action text not null,
    target text not null,
    data text not null
);

create function admin_audit_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'the administrators'' audit is append-only';
end;
$$;

create trigger admin_audit_no_change before update or delete or truncate on admin_audit
    for each statement execute function admin_audit_append_only();
