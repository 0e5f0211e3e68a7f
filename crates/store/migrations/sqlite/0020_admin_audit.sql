-- what administrators changed (users, calendar, regulation versions, the
-- outbox, recomputed deadlines): who, when, what; written in the transaction
-- of the change itself and, like the events, never changed afterwards
create table admin_audit (
    id integer primary key autoincrement,
    at bigint not null,
    actor text not null,
    action text not null,
    target text not null,
    data text not null
);

create trigger admin_audit_no_update before update on admin_audit
begin
    select raise(abort, 'the administrators'' audit is append-only');
end;

create trigger admin_audit_no_delete before delete on admin_audit
begin
    select raise(abort, 'the administrators'' audit is append-only');
end;
