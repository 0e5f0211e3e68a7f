-- how many events the read model has seen written, so that the audit can
-- tell a chain cut short from a whole one (rev counts appends, and an append
-- may carry any number of events); existing rows take their last seq
alter table applications add column event_count bigint not null default 0;

update applications set event_count = coalesce(
    (select max(seq) from events where events.application_id = applications.id), 0);
