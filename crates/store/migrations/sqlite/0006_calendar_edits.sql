-- administrators' changes to the calendar, layered over the catalog files
create table calendar_edits (
    id integer primary key autoincrement,
    at bigint not null,
    actor text not null,
    edit text not null,
    reason text not null
);
