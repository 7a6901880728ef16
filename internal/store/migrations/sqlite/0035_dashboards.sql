-- 9.1: KPI definitions as data (a metric, a filter, a period, a target
-- and which way is good), each change a new version, and the figures
-- computed from the records on a schedule into snapshots. A closed
-- period's snapshot is never computed again, so history keeps the version
-- it was computed with.
CREATE TABLE kpi_definitions (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    key               TEXT NOT NULL UNIQUE,
    title             TEXT NOT NULL,
    metric            TEXT NOT NULL,
    filter            TEXT NOT NULL DEFAULT '{}',
    period            TEXT NOT NULL CHECK (period IN ('day', 'week', 'month')),
    target            REAL,
    higher_is_better  BOOLEAN NOT NULL,
    -- Also computed for each customer, for the customers' own dashboards.
    per_customer      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE kpi_definition_versions (
    definition_id     INTEGER NOT NULL REFERENCES kpi_definitions (id) ON DELETE CASCADE,
    version           INTEGER NOT NULL,
    title             TEXT NOT NULL,
    metric            TEXT NOT NULL,
    filter            TEXT NOT NULL,
    period            TEXT NOT NULL,
    target            REAL,
    higher_is_better  BOOLEAN NOT NULL,
    per_customer      BOOLEAN NOT NULL,
    changed_at        TEXT NOT NULL,
    PRIMARY KEY (definition_id, version)
);
-- customer_id 0 is the figure over all customers.
CREATE TABLE kpi_snapshots (
    definition_id  INTEGER NOT NULL REFERENCES kpi_definitions (id) ON DELETE CASCADE,
    customer_id    INTEGER NOT NULL DEFAULT 0,
    period_start   TEXT NOT NULL,
    period_end     TEXT NOT NULL,
    version        INTEGER NOT NULL,
    value          REAL NOT NULL,
    n              INTEGER NOT NULL,
    link           TEXT NOT NULL DEFAULT '',
    closed         BOOLEAN NOT NULL,
    computed_at    TEXT NOT NULL,
    PRIMARY KEY (definition_id, customer_id, period_start)
);
-- The shipped definitions and tiles applied once each, so one an
-- administrator removed does not come back, and one whose metric is
-- registered later is added then.
CREATE TABLE kpi_defaults (
    key         TEXT PRIMARY KEY,
    applied_at  TEXT NOT NULL
);

-- Dashboards: one per role shipped as a default (role_key), and one per
-- person who arranged their own.
CREATE TABLE dashboards (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    role_key    TEXT UNIQUE,
    user_id     INTEGER UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    CHECK ((role_key IS NULL) <> (user_id IS NULL))
);
CREATE TABLE dashboard_tiles (
    dashboard_id  INTEGER NOT NULL REFERENCES dashboards (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    kpi_id        INTEGER NOT NULL REFERENCES kpi_definitions (id) ON DELETE CASCADE,
    PRIMARY KEY (dashboard_id, position)
);
CREATE INDEX dashboard_tiles_kpi ON dashboard_tiles (kpi_id);

-- 9.4: a service report's content (KPIs and tables chosen from lists),
-- its audience (users, roles, customers) and the format it is produced
-- in on schedule; '' is a report recorded by hand.
ALTER TABLE report_definitions ADD COLUMN kpis TEXT NOT NULL DEFAULT '[]';
ALTER TABLE report_definitions ADD COLUMN tables TEXT NOT NULL DEFAULT '[]';
ALTER TABLE report_definitions ADD COLUMN audience_users TEXT NOT NULL DEFAULT '[]';
ALTER TABLE report_definitions ADD COLUMN audience_roles TEXT NOT NULL DEFAULT '[]';
ALTER TABLE report_definitions ADD COLUMN audience_customers TEXT NOT NULL DEFAULT '[]';
ALTER TABLE report_definitions ADD COLUMN format TEXT NOT NULL DEFAULT '' CHECK (format IN ('', 'html', 'pdf', 'csv'));
-- A produced report: for one customer (its figures only) or for staff
-- (customer_id NULL), and the file, kept beside the run.
ALTER TABLE report_runs ADD COLUMN customer_id INTEGER REFERENCES customers (id);
ALTER TABLE report_runs ADD COLUMN file_name TEXT NOT NULL DEFAULT '';
ALTER TABLE report_runs ADD COLUMN file_type TEXT NOT NULL DEFAULT '';
ALTER TABLE report_runs ADD COLUMN file_size INTEGER NOT NULL DEFAULT 0;
CREATE TABLE report_files (
    run_id  INTEGER PRIMARY KEY REFERENCES report_runs (id) ON DELETE CASCADE,
    body    BLOB NOT NULL
);
CREATE INDEX report_definitions_due ON report_definitions (next_due) WHERE format <> '';

-- Periods are measured by when their records were decided.
CREATE INDEX incidents_resolved ON incidents (resolved_at) WHERE resolved_at IS NOT NULL;
CREATE INDEX requests_fulfilled ON requests (fulfilled_at) WHERE fulfilled_at IS NOT NULL;
-- The backlog at a period's end: the records not done yet.
CREATE INDEX incidents_unresolved ON incidents (created_at) WHERE resolved_at IS NULL;
CREATE INDEX requests_unfulfilled ON requests (created_at) WHERE fulfilled_at IS NULL;
