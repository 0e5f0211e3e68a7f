-- gateway messages received at our endpoint, by message id: a message sent
-- again (the sender retried after a lost answer) is not applied twice
create table gateway_inbox (
    message_id text not null,
    service_id text not null,
    sender_id text not null,
    correlation_id text,
    payload text not null,
    received_at bigint not null,
    constraint gateway_inbox_pkey primary key (message_id)
);
