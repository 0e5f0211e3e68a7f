-- The clerk's queue asks for one provider's cases in a status by deadline,
-- across every step: the queue index leads with step_role, so it could not
-- give that order and every open case was sorted per page.
create index applications_provider_due_idx on applications (provider, status, sort_due, id);
