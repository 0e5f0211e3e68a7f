-- The deadline pass claims the applications it ticks, so that several nodes
-- divide the work instead of all taking the same rows: the claim holds until
-- this instant (microseconds since the epoch), after which a node that died
-- mid-pass leaves the application to another.
alter table applications add column clock_lease bigint;
