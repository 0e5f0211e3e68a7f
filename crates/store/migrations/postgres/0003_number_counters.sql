-- human-readable application numbers, one sequence per prefix and year
create table number_counters (
    prefix text not null,
    year bigint not null,
    last bigint not null,
    constraint number_counters_pkey primary key (prefix, year)
);
