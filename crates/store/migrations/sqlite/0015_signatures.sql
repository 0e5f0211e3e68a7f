-- applicants' electronic signatures (CMS) accepted for an application, with
-- what the verifier read from them, so that they can be checked again
-- later; numbered per application from 1
create table signatures (
    application_id text not null references applications (id),
    idx integer not null,
    -- the CMS SignedData as received, DER
    cms blob not null,
    -- the exact bytes signed (the draft's to_sign)
    content blob not null,
    -- the signer's certificate, DER
    certificate blob not null,
    -- the certificate's serial number, lowercase hex, and its issuer
    serial text not null,
    issuer text not null,
    subject text not null,
    iin text not null,
    -- the signingTime the CMS carries (microseconds), when it carries one
    signing_time bigint,
    -- the verifier's verdict ("valid") and algorithm
    verdict text not null,
    algorithm text not null,
    verified_at bigint not null,
    constraint signatures_pkey primary key (application_id, idx)
);
