-- the package's detached CMS (base64) as received with the message, kept
-- with the inbox record so the package's signature can be checked again
-- later (null: a message that carried none)
alter table gateway_inbox add column package_signature text;
