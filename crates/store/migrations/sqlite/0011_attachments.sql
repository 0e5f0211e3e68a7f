-- the documents an applicant attaches (electronic copies), written with the
-- change that brings them; numbered per application from 1, like events
create table attachments (
    application_id text not null references applications (id),
    idx integer not null,
    kind text not null,
    name text not null,
    media_type text not null,
    size bigint not null,
    -- of content, lowercase hex, computed by the store
    sha256 text not null,
    content blob not null,
    created_at bigint not null,
    constraint attachments_pkey primary key (application_id, idx),
    constraint attachments_size_check check (size = length(content))
);
