-- PostgreSQL's 0030 stores documents and files uncompressed; SQLite never
-- compresses them. Nothing to do: the number is kept in step.
select 1;
