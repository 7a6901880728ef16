-- Foundation: organisations, accounts, incidents, journal, audit trail, jobs.
-- Timestamps are UTC text in the fixed layout 2006-01-02T15:04:05.000000Z.

CREATE TABLE customers (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX customers_name ON customers (lower(name));

CREATE TABLE support_groups (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX support_groups_name ON support_groups (lower(name));

CREATE TABLE users (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    email          TEXT NOT NULL,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('admin', 'agent', 'requester', 'auditor')),
    customer_id    INTEGER REFERENCES customers (id),
    password_hash  TEXT NOT NULL DEFAULT '',
    active         BOOLEAN NOT NULL DEFAULT TRUE,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX users_email ON users (email);
CREATE INDEX users_customer ON users (customer_id);

CREATE TABLE group_members (
    group_id  INTEGER NOT NULL REFERENCES support_groups (id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE sessions (
    id_hash       TEXT PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    last_used_at  TEXT,
    revoked_at    TEXT
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (token_hash);

CREATE TABLE login_failures (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    email   TEXT NOT NULL,
    ip      TEXT NOT NULL,
    at      TEXT NOT NULL
);
CREATE INDEX login_failures_email ON login_failures (email, at);
CREATE INDEX login_failures_ip ON login_failures (ip, at);

CREATE TABLE settings (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE incidents (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    title              TEXT NOT NULL,
    description        TEXT NOT NULL DEFAULT '',
    requester_id       INTEGER REFERENCES users (id),
    customer_id        INTEGER REFERENCES customers (id),
    category           TEXT NOT NULL DEFAULT '',
    subcategory        TEXT NOT NULL DEFAULT '',
    impact             TEXT NOT NULL,
    urgency            TEXT NOT NULL,
    priority           INTEGER NOT NULL,
    state              TEXT NOT NULL,
    hold_reason        TEXT NOT NULL DEFAULT '',
    group_id           INTEGER REFERENCES support_groups (id),
    assignee_id        INTEGER REFERENCES users (id),
    service            TEXT NOT NULL DEFAULT '',
    major              BOOLEAN NOT NULL DEFAULT FALSE,
    resolution_code    TEXT NOT NULL DEFAULT '',
    resolution_notes   TEXT NOT NULL DEFAULT '',
    reopen_count       INTEGER NOT NULL DEFAULT 0,
    created_by         INTEGER REFERENCES users (id),
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    first_response_at  TEXT,
    resolved_at        TEXT,
    closed_at          TEXT,
    version            INTEGER NOT NULL DEFAULT 1
);
-- Lists walk one of these in sort order and stop after a page: each serves
-- "one value of this column, newest first". Filters with several values
-- are checked while walking (see internal/incident/list.go).
CREATE INDEX incidents_created ON incidents (created_at, id);
CREATE INDEX incidents_updated ON incidents (updated_at, id);
CREATE INDEX incidents_state ON incidents (state, created_at, id);
CREATE INDEX incidents_priority ON incidents (priority, id);
CREATE INDEX incidents_group ON incidents (group_id, created_at, id);
CREATE INDEX incidents_assignee ON incidents (assignee_id, created_at, id);
CREATE INDEX incidents_customer ON incidents (customer_id, created_at, id);
CREATE INDEX incidents_requester ON incidents (requester_id, created_at, id);
CREATE INDEX incidents_category ON incidents (category, created_at, id);

CREATE VIRTUAL TABLE incident_fts USING fts5 (
    title, description, comments, tokenize = 'porter unicode61'
);

CREATE TABLE incident_journal (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id  INTEGER NOT NULL REFERENCES incidents (id),
    kind         TEXT NOT NULL CHECK (kind IN ('created', 'comment', 'work_note', 'change')),
    author_id    INTEGER REFERENCES users (id),
    author_name  TEXT NOT NULL,
    body         TEXT NOT NULL DEFAULT '',
    changes      TEXT NOT NULL DEFAULT '[]',
    created_at   TEXT NOT NULL
);
CREATE INDEX incident_journal_incident ON incident_journal (incident_id, id);

CREATE TRIGGER incident_journal_no_update BEFORE UPDATE ON incident_journal
BEGIN SELECT RAISE(ABORT, 'the incident journal is append-only'); END;
CREATE TRIGGER incident_journal_no_delete BEFORE DELETE ON incident_journal
BEGIN SELECT RAISE(ABORT, 'the incident journal is append-only'); END;

CREATE TABLE audit_log (
    seq          INTEGER PRIMARY KEY,
    at           TEXT NOT NULL,
    actor_type   TEXT NOT NULL,
    actor_id     INTEGER,
    actor_name   TEXT NOT NULL,
    action       TEXT NOT NULL,
    entity       TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    data         TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, seq);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

CREATE TABLE jobs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT NOT NULL,
    dedup_key     TEXT,
    payload       TEXT NOT NULL DEFAULT '{}',
    run_at        TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'pending',
    attempts      INTEGER NOT NULL DEFAULT 0,
    locked_by     TEXT,
    locked_until  TEXT,
    last_error    TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    finished_at   TEXT
);
CREATE INDEX jobs_due ON jobs (state, run_at);
CREATE UNIQUE INDEX jobs_dedup ON jobs (kind, dedup_key) WHERE dedup_key IS NOT NULL AND state = 'pending';

CREATE TABLE idempotency_keys (
    user_id       INTEGER NOT NULL,
    key           TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    status        INTEGER NOT NULL,
    body          TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
