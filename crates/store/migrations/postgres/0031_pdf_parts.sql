-- byte ranges that many stored PDFs share (the objects of their embedded
-- fonts: two thirds of a receipt or a result), kept once, under their
-- SHA-256. A document with `parts` keeps in `pdf` only its own bytes;
-- `parts` lists where the shared ones go ("AT+LEN:SHA256", comma-separated,
-- AT an offset in the whole PDF), and `sha256` is still the whole PDF's.
-- Documents stored before keep `parts` null: `pdf` is whole.
create table pdf_parts (
    sha256 text not null,
    bytes bytea not null,
    constraint pdf_parts_pkey primary key (sha256)
);
-- already deflated (see 0030)
alter table pdf_parts alter column bytes set storage external;
alter table documents add column parts text;
