-- A representative acting under a power of attorney sees the applications
-- they made, as the applicant does.
alter table applications add column representative_iin text;
create index applications_representative_idx on applications (representative_iin, created_at, id);
