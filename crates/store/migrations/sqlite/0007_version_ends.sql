-- administrators ending a regulation version, layered over the catalog files
create table version_ends (
    id integer primary key autoincrement,
    service text not null,
    version text not null,
    effective_until bigint not null,
    at bigint not null,
    actor text not null
);
