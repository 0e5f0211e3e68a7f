-- The staff's queues say how many cases they hold and how many of those
-- are overdue (Store::count_applications, up to its cap). Each count is
-- read off one index alone, however many cases the database holds:
-- a clerk's and a head's size off applications_queue_idx; a specialist's
-- size and overdue part off the first index below (the cases with an
-- assignee only); a clerk's and a head's overdue part off the second,
-- which holds the overdue cases only (the count names `overdue = true`
-- as written here, so that the planner may take it).
create index applications_assigned_count_idx on applications (assignee, step_role, overdue, status)
    where assignee is not null;
create index applications_queue_late_idx on applications (provider, step_role, status)
    where overdue = true;
