-- An application's row is a little over PostgreSQL's 2 KB threshold, so
-- every step compresses its `state` (the case's JSON) again before writing
-- the row: lz4 does that several times faster than the default pglz, at
-- about the same size. Only where the server was built with lz4 (the
-- Debian and upstream packages of 14 and later are); elsewhere pglz stays. Rows already
-- stored keep their compression until their next step.
do $$
begin
    if exists (select 1 from pg_settings
               where name = 'default_toast_compression'
                 and 'lz4' = any(enumvals)) then
        -- run as a string: a server before PostgreSQL 14 does not know
        -- the syntax, and would refuse the whole block otherwise
        execute 'alter table applications alter column state set compression lz4';
    end if;
end
$$;

-- A sealed result's CMS (about 2.5 KB: the signature and the certificates)
-- takes its row over the same threshold, and PostgreSQL tried pglz on it
-- before moving it out of line; a signature does not compress. Out of line
-- and uncompressed at once, as the PDFs (0030).
alter table documents alter column seal set storage external;
