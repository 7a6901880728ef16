-- Incoming e-mail: every message taken by the SMTP listener or read from
-- the IMAP mailbox, with what became of it; the raw message while it is
-- still needed (held for an agent, or its files not yet on the record);
-- which service addresses lead where; and the settings.

-- One row per message. dedup_key (a hash of the sender and the Message-ID,
-- or of the raw message when it has none) is written in the transaction that processes
-- the message, so a message delivered or read twice is processed once.
-- Rows without a key are notes that a message was deferred (rate limit):
-- the sender's server delivers it again later.
CREATE TABLE mail_in_log (
    id             BIGSERIAL PRIMARY KEY,
    received_at    TIMESTAMPTZ NOT NULL,
    via            TEXT NOT NULL CHECK (via IN ('smtp', 'imap')),
    dedup_key      TEXT,
    message_id     TEXT NOT NULL DEFAULT '',
    sender         TEXT NOT NULL DEFAULT '',
    sender_name    TEXT NOT NULL DEFAULT '',
    recipients     TEXT NOT NULL DEFAULT '',
    subject        TEXT NOT NULL DEFAULT '',
    size           BIGINT NOT NULL DEFAULT 0,
    outcome        TEXT NOT NULL CHECK (outcome IN ('opened', 'commented', 'held', 'refused', 'ignored', 'deferred', 'discarded')),
    reason         TEXT NOT NULL DEFAULT '',
    detail         TEXT NOT NULL DEFAULT '',
    record_kind    TEXT NOT NULL DEFAULT '',
    record_id      BIGINT,
    -- The comment a reply became, which its files belong to.
    comment_id     BIGINT,
    user_id        BIGINT REFERENCES users (id),
    mailbox        TEXT NOT NULL DEFAULT '',
    uid_validity   BIGINT NOT NULL DEFAULT 0,
    uid            BIGINT NOT NULL DEFAULT 0,
    files_pending  BOOLEAN NOT NULL DEFAULT FALSE,
    decided_by     BIGINT REFERENCES users (id),
    decided_at     TIMESTAMPTZ
);
CREATE UNIQUE INDEX mail_in_log_dedup ON mail_in_log (dedup_key);
CREATE INDEX mail_in_log_sender ON mail_in_log (sender, received_at);
CREATE INDEX mail_in_log_imap ON mail_in_log (mailbox, uid_validity, uid);
CREATE INDEX mail_in_log_outcome ON mail_in_log (outcome, id);

-- The message as received, kept while it is held or its files are being
-- added to the record; removed once neither is the case.
CREATE TABLE mail_in_raw (
    log_id  BIGINT PRIMARY KEY REFERENCES mail_in_log (id) ON DELETE CASCADE,
    data    BYTEA NOT NULL
);

-- Service addresses and where a new message sent to one leads: a
-- customer, a support group and/or a catalogue item. Deleting what an
-- address leads to leaves the address (its page says the target is
-- gone; mail to it goes to the service desk). domains lists the sender
-- domains, comma separated, whose new accounts join the customer.
CREATE TABLE mail_in_addresses (
    id           BIGSERIAL PRIMARY KEY,
    address      TEXT NOT NULL UNIQUE,
    customer_id  BIGINT REFERENCES customers (id) ON DELETE SET NULL,
    group_id     BIGINT REFERENCES support_groups (id) ON DELETE SET NULL,
    item_id      BIGINT REFERENCES catalog_items (id) ON DELETE SET NULL,
    domains      TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE mail_in_settings (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    body        TEXT NOT NULL DEFAULT '{}',
    updated_by  BIGINT REFERENCES users (id),
    updated_at  TIMESTAMPTZ
);
INSERT INTO mail_in_settings (id, body) VALUES (1, '{}');
