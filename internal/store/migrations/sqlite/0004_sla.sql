-- Service level management (8.3.3): business calendars, agreements and
-- their definitions. Windows, holidays, filters, conditions and goals are
-- JSON documents validated by internal/calendar and internal/sla.

CREATE TABLE calendars (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    time_zone   TEXT NOT NULL,
    windows     TEXT NOT NULL DEFAULT '[]',
    holidays    TEXT NOT NULL DEFAULT '[]',
    builtin     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX calendars_name ON calendars (lower(name));

-- The built-in round-the-clock calendar; it cannot be changed or removed.
INSERT INTO calendars (name, time_zone, windows, builtin, created_at, updated_at) VALUES ('24x7', 'UTC',
 '[{"weekday":"sunday","start":"00:00","end":"24:00"},{"weekday":"monday","start":"00:00","end":"24:00"},{"weekday":"tuesday","start":"00:00","end":"24:00"},{"weekday":"wednesday","start":"00:00","end":"24:00"},{"weekday":"thursday","start":"00:00","end":"24:00"},{"weekday":"friday","start":"00:00","end":"24:00"},{"weekday":"saturday","start":"00:00","end":"24:00"}]',
 TRUE, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z');

CREATE TABLE agreements (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    kind              TEXT NOT NULL CHECK (kind IN ('sla', 'ola', 'uc')),
    name              TEXT NOT NULL,
    description       TEXT NOT NULL DEFAULT '',
    customer_id       INTEGER REFERENCES customers (id),
    group_id          INTEGER REFERENCES support_groups (id),
    supplier_name     TEXT NOT NULL DEFAULT '',
    supplier_contact  TEXT NOT NULL DEFAULT '',
    contract_start    TEXT,           -- YYYY-MM-DD
    contract_end      TEXT,           -- YYYY-MM-DD
    documents         TEXT NOT NULL DEFAULT '[]',
    review_date       TEXT,           -- YYYY-MM-DD, next review with the other party
    active            BOOLEAN NOT NULL DEFAULT TRUE,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX agreements_name ON agreements (lower(name));

CREATE TABLE sla_definitions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    agreement_id  INTEGER NOT NULL REFERENCES agreements (id),
    name          TEXT NOT NULL,
    applies_to    TEXT NOT NULL CHECK (applies_to IN ('incident', 'request')),
    metric        TEXT NOT NULL CHECK (metric IN ('response', 'resolution')),
    filter        TEXT NOT NULL DEFAULT '[]',
    conditions    TEXT NOT NULL DEFAULT '{}',
    goals         TEXT NOT NULL DEFAULT '[]',
    warnings      TEXT NOT NULL DEFAULT '[50,75,90]',
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX sla_definitions_agreement ON sla_definitions (agreement_id);
