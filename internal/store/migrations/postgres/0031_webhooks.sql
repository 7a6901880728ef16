-- Outbound webhooks: receivers that subscribe to the activity feed, the
-- outbox of deliveries to them, and how far the dispatcher has read the
-- feed.

-- A subscription. The secret signs every delivery, so it is kept as
-- given (a hash could not sign); it is shown once, when created or
-- rotated, and never again.
CREATE TABLE webhooks (
    id                 BIGSERIAL PRIMARY KEY,
    url                TEXT NOT NULL,
    -- JSON list of activity kinds, or ["*"] for every kind.
    events             TEXT NOT NULL DEFAULT '["*"]',
    secret             TEXT NOT NULL,
    secret_changed_at  TIMESTAMPTZ NOT NULL,
    description        TEXT NOT NULL DEFAULT '',
    -- Off: no deliveries are collected for it.
    active             BOOLEAN NOT NULL DEFAULT TRUE,
    -- Paused: deliveries are collected and wait until it is resumed.
    paused_at          TIMESTAMPTZ,
    pause_reason       TEXT NOT NULL DEFAULT '',
    -- The run of failed attempts since the last success.
    failures           INTEGER NOT NULL DEFAULT 0,
    failing_since      TIMESTAMPTZ,
    last_attempt_at    TIMESTAMPTZ,
    last_status        INTEGER NOT NULL DEFAULT 0,
    last_error         TEXT NOT NULL DEFAULT '',
    -- Feed entries up to this id were written before the subscription
    -- existed and are not delivered to it.
    from_activity_id   BIGINT NOT NULL DEFAULT 0,
    created_by         BIGINT REFERENCES users (id),
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1
);

-- The outbox: one row per feed entry and subscription, written in the
-- transaction that moves the cursor. A pending row is sent when it is due
-- and no earlier pending row of the same record and subscription waits.
CREATE TABLE webhook_deliveries (
    id               BIGSERIAL PRIMARY KEY,
    webhook_id       BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    activity_id      BIGINT,
    kind             TEXT NOT NULL,
    entity           TEXT NOT NULL,
    entity_id        BIGINT NOT NULL,
    ref              TEXT NOT NULL DEFAULT '',
    -- The JSON body without its delivery_id, which is added when sent.
    payload          TEXT NOT NULL,
    state            TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_at          TIMESTAMPTZ NOT NULL,
    locked_by        TEXT,
    locked_until     TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL,
    last_attempt_at  TIMESTAMPTZ,
    status           INTEGER NOT NULL DEFAULT 0,
    duration_ms      INTEGER NOT NULL DEFAULT 0,
    response         TEXT NOT NULL DEFAULT '',
    error            TEXT NOT NULL DEFAULT '',
    delivered_at     TIMESTAMPTZ
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_record ON webhook_deliveries (webhook_id, entity, entity_id, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_age ON webhook_deliveries (created_at);

-- How far the dispatcher has read the activity feed. It starts at the
-- feed's end: history written before webhooks existed is not sent.
CREATE TABLE webhook_cursor (
    id                INTEGER PRIMARY KEY CHECK (id = 1),
    last_activity_id  BIGINT NOT NULL DEFAULT 0,
    updated_at        TIMESTAMPTZ
);
INSERT INTO webhook_cursor (id, last_activity_id) SELECT 1, COALESCE(MAX(id), 0) FROM activity;
