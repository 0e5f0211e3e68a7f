-- the hash of the application's last event, changed in the same conditional
-- update as the rev, so that an append seals its events after the head it
-- read with the row instead of reading the chain again; existing rows take
-- their last event's hash (the genesis hash when there is none)
alter table applications add column last_hash text not null
    default '0000000000000000000000000000000000000000000000000000000000000000';

update applications set last_hash = coalesce(
    (select hash from events where events.application_id = applications.id
     order by seq desc limit 1),
    '0000000000000000000000000000000000000000000000000000000000000000');
