-- failed logins, counted per account and per address for the rate limit
create table login_failures (
    id integer primary key autoincrement,
    account text not null,
    address text not null,
    at bigint not null
);

create index login_failures_account_idx on login_failures (account, at);
create index login_failures_address_idx on login_failures (address, at);
