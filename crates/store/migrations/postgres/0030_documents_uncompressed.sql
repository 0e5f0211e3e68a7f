-- PDFs are already deflated, and attached files are mostly compressed
-- formats too (PDF, JPEG): PostgreSQL's own compression of them (pglz) cost
-- about a quarter of its CPU in the benchmark and saves next to nothing.
-- Store them out of line, uncompressed. (Rows already stored stay as they
-- are.)
alter table documents alter column pdf set storage external;
alter table attachments alter column content set storage external;
