-- Outgoing e-mail: the outbox every message waits in until the SMTP server
-- took it, each person's mail settings, the mark on notifications still to
-- be mailed, and password-reset links.

-- One message to one person. It is rendered when queued (subject, both
-- parts, headers as JSON pairs) and sent as stored; a send job claims it
-- with a lease (locked_until), so a node that dies mid-send leaves it to
-- the next claim. While a claim holds, next_attempt_at is when its lease
-- ends, so a due message and an abandoned claim are found alike.
CREATE TABLE mail_outbox (
    id              BIGSERIAL PRIMARY KEY,
    state           TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
    -- What the message is about: a notification kind, 'digest' or
    -- 'password_reset'.
    kind            TEXT NOT NULL,
    user_id         BIGINT REFERENCES users (id) ON DELETE SET NULL,
    -- The recipient's address, and their name as the To header shows it.
    recipients      TEXT NOT NULL,
    to_name         TEXT NOT NULL DEFAULT '',
    subject         TEXT NOT NULL,
    record_ref      TEXT NOT NULL DEFAULT '',
    message_id      TEXT NOT NULL DEFAULT '',
    headers         TEXT NOT NULL DEFAULT '[]',
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL DEFAULT '',
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    next_attempt_at TIMESTAMPTZ NOT NULL,
    locked_by       TEXT,
    locked_until    TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at, id) WHERE state IN ('queued', 'sending');
CREATE INDEX mail_outbox_state ON mail_outbox (state, id);
CREATE INDEX mail_outbox_sent ON mail_outbox (sent_at) WHERE state = 'sent';

-- A notification still to be mailed: 'pending' until the dispatcher has
-- taken it, 'digest' while it waits for its reader's digest; NULL once
-- handled (and for every notification written before mail existed).
ALTER TABLE notifications ADD COLUMN mail_state TEXT;
CREATE INDEX notifications_mail ON notifications (mail_state, id) WHERE mail_state IS NOT NULL;

-- A person's choices; no row is the default: every category on, each
-- notification mailed as it comes.
CREATE TABLE mail_settings (
    user_id     BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    digest      BOOLEAN NOT NULL DEFAULT FALSE,
    -- Categories switched off, comma-separated.
    off         TEXT NOT NULL DEFAULT '',
    updated_at  TIMESTAMPTZ NOT NULL
);

-- Password-reset links: only the SHA-256 of the token is kept. A link
-- works once, until expires_at, and only while it is its account's newest.
CREATE TABLE password_resets (
    id          BIGSERIAL PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ
);
CREATE INDEX password_resets_user ON password_resets (user_id);

-- Every request for a reset link, known address or not, for the throttle
-- per address (its SHA-256) and per client address.
CREATE TABLE password_reset_requests (
    id          BIGSERIAL PRIMARY KEY,
    email_hash  TEXT NOT NULL,
    ip          TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX password_reset_requests_email ON password_reset_requests (email_hash, created_at);
CREATE INDEX password_reset_requests_ip ON password_reset_requests (ip, created_at);
