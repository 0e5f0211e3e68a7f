-- the documents Qyzmet issues (a result, a receipt) as PDFs: one per
-- application and purpose. A result is first a draft, replaced while
-- unsealed when the draft is made again; once sealed (the head's CMS over
-- exactly these bytes) it never changes
create table documents (
    code text not null,
    application_id text not null references applications (id),
    -- result or receipt
    purpose text not null,
    -- approval, refusal or receipt
    kind text not null,
    -- the registration number printed on it
    number text not null,
    -- who issues it, as printed (the provider's name)
    issuer text not null,
    pdf bytea not null,
    -- of pdf, lowercase hex
    sha256 text not null,
    -- detached CMS SignedData over pdf, DER
    seal bytea,
    -- the signer as the seal names them
    signer text,
    created_at bigint not null,
    sealed_at bigint,
    constraint documents_pkey primary key (code),
    constraint documents_application_purpose_key unique (application_id, purpose)
);
