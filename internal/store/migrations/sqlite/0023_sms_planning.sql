-- Planning and improvement (clauses 6.1, 6.2, 9.4, 10.2): the risk and
-- opportunity register scored on a configurable matrix, objectives bound
-- to a measure Steward computes, the improvement register and the defined
-- service reports with the record of each one produced.

-- The risk criteria: the labels of the matrix's five likelihood and five
-- impact levels and the bands a score (likelihood x impact, 1 to 25) falls
-- in, as JSON; one row.
CREATE TABLE risk_criteria (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    likelihood_labels  TEXT NOT NULL,
    impact_labels      TEXT NOT NULL,
    bands              TEXT NOT NULL,
    appetite           INTEGER NOT NULL DEFAULT 8,
    updated_by         INTEGER REFERENCES users (id),
    updated_at         TEXT,
    version            INTEGER NOT NULL DEFAULT 1
);
INSERT INTO risk_criteria (id, likelihood_labels, impact_labels, bands) VALUES (1,
 '["Rare","Unlikely","Possible","Likely","Almost certain"]',
 '["Negligible","Minor","Moderate","Major","Severe"]',
 '[{"name":"low","max":4},{"name":"medium","max":9},{"name":"high","max":15},{"name":"critical","max":25}]');

CREATE TABLE risks (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    title                TEXT NOT NULL,
    description          TEXT NOT NULL DEFAULT '',
    kind                 TEXT NOT NULL DEFAULT 'risk' CHECK (kind IN ('risk', 'opportunity')),
    category             TEXT NOT NULL DEFAULT '',
    process_key          TEXT NOT NULL DEFAULT '',
    owner_id             INTEGER REFERENCES users (id),
    likelihood           INTEGER NOT NULL CHECK (likelihood BETWEEN 1 AND 5),
    impact               INTEGER NOT NULL CHECK (impact BETWEEN 1 AND 5),
    treatment            TEXT NOT NULL DEFAULT 'undecided' CHECK (treatment IN ('undecided', 'reduce', 'accept', 'avoid', 'transfer', 'exploit', 'enhance', 'share')),
    treatment_plan       TEXT NOT NULL DEFAULT '',
    residual_likelihood  INTEGER CHECK (residual_likelihood BETWEEN 1 AND 5),
    residual_impact      INTEGER CHECK (residual_impact BETWEEN 1 AND 5),
    status               TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'treating', 'accepted', 'closed')),
    review_due           TEXT,
    reviewed_on          TEXT,
    created_by           INTEGER REFERENCES users (id),
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    version              INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX risks_status ON risks (status, review_due);
CREATE TABLE risk_services (
    risk_id     INTEGER NOT NULL REFERENCES risks (id) ON DELETE CASCADE,
    service_id  INTEGER NOT NULL REFERENCES services (id),
    PRIMARY KEY (risk_id, service_id)
);
CREATE TABLE risk_cis (
    risk_id  INTEGER NOT NULL REFERENCES risks (id) ON DELETE CASCADE,
    ci_id    INTEGER NOT NULL REFERENCES cis (id),
    PRIMARY KEY (risk_id, ci_id)
);

-- 6.2: an objective is a target on one of Steward's measures (metric_key
-- names a kpi metric) over a trailing period, due by a date; progress is
-- computed, never typed in.
CREATE TABLE objectives (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    title        TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    owner_id     INTEGER REFERENCES users (id),
    metric_key   TEXT NOT NULL,
    period_days  INTEGER NOT NULL DEFAULT 90 CHECK (period_days BETWEEN 1 AND 3660),
    target       REAL NOT NULL,
    direction    TEXT NOT NULL CHECK (direction IN ('at_least', 'at_most')),
    baseline     REAL,
    starts_on    TEXT NOT NULL,
    due_on       TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'achieved', 'missed', 'withdrawn')),
    created_by   INTEGER REFERENCES users (id),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    CHECK (due_on > starts_on)
);

-- 10.2: opportunities for improvement, evaluated, approved, prioritised
-- and measured before and after (on a kpi metric when one fits).
CREATE TABLE improvements (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    source          TEXT NOT NULL DEFAULT 'suggestion' CHECK (source IN ('suggestion', 'audit', 'nonconformity', 'management_review', 'incident', 'problem', 'complaint', 'customer')),
    source_ref      TEXT NOT NULL DEFAULT '',
    criteria        TEXT NOT NULL DEFAULT '',
    priority        TEXT NOT NULL DEFAULT 'medium' CHECK (priority IN ('low', 'medium', 'high')),
    status          TEXT NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'approved', 'rejected', 'in_progress', 'done')),
    owner_id        INTEGER REFERENCES users (id),
    approved_by     INTEGER REFERENCES users (id),
    approved_at     TEXT,
    metric_key      TEXT NOT NULL DEFAULT '',
    baseline_value  REAL,
    baseline_at     TEXT,
    result_value    REAL,
    result_at       TEXT,
    due_on          TEXT,
    done_at         TEXT,
    created_by      INTEGER REFERENCES users (id),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX improvements_status ON improvements (status, priority);

-- 9.4: the service reports the organisation has agreed to produce, and the
-- record of each one produced.
CREATE TABLE report_definitions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL,
    content      TEXT NOT NULL DEFAULT '',
    audience     TEXT NOT NULL DEFAULT '',
    frequency    TEXT NOT NULL CHECK (frequency IN ('weekly', 'monthly', 'quarterly', 'yearly')),
    source       TEXT NOT NULL DEFAULT '',
    owner_id     INTEGER REFERENCES users (id),
    next_due     TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE report_runs (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    definition_id  INTEGER NOT NULL REFERENCES report_definitions (id) ON DELETE CASCADE,
    period_from    TEXT NOT NULL,
    period_to      TEXT NOT NULL,
    produced_by    INTEGER REFERENCES users (id),
    produced_at    TEXT NOT NULL,
    link           TEXT NOT NULL DEFAULT '',
    note           TEXT NOT NULL DEFAULT '',
    CHECK (period_to >= period_from)
);
CREATE INDEX report_runs_definition ON report_runs (definition_id, produced_at);
