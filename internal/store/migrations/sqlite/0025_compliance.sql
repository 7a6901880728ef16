-- Compliance (clauses 4 to 10 and their evidence): snapshots of every
-- evaluation of the evidence rules, and people's self-assessments that sit
-- beside the computed status without overriding it.
CREATE TABLE compliance_snapshots (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    standard    TEXT NOT NULL,
    taken_at    TEXT NOT NULL,
    taken_by    INTEGER REFERENCES users (id),
    origin      TEXT NOT NULL DEFAULT 'manual' CHECK (origin IN ('manual', 'schedule')),
    score       REAL NOT NULL,
    counts      TEXT NOT NULL DEFAULT '{}',
    body        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    chain_head  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX compliance_snapshots_taken ON compliance_snapshots (standard, taken_at);

CREATE TABLE compliance_assessments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    standard     TEXT NOT NULL,
    clause       TEXT NOT NULL,
    rating       TEXT NOT NULL CHECK (rating IN ('met', 'partly_met', 'not_met')),
    comment      TEXT NOT NULL DEFAULT '',
    evidence     TEXT NOT NULL DEFAULT '[]',
    assessed_by  INTEGER REFERENCES users (id),
    assessed_at  TEXT NOT NULL,
    UNIQUE (standard, clause)
);

-- The evidence rules count over bounded periods; these let them read only
-- the period. SLA outcomes by the day they were decided, carrying what the
-- rules filter on so the count never visits the timers themselves; major
-- incidents by when they were resolved; changes by when implementation
-- started; CI changes by when they were made.
CREATE INDEX sla_timers_outcome ON sla_timers (decided_at, ticket_kind, metric, state, agreement_id) WHERE decided_at IS NOT NULL;
CREATE INDEX incidents_major_resolved ON incidents (resolved_at) WHERE major;
CREATE INDEX changes_actual_start ON changes (actual_start) WHERE actual_start IS NOT NULL;
CREATE INDEX ci_history_at ON ci_history (at);
-- The CIs without owner or group, few in a kept CMDB, so the rule finds
-- them without reading every CI.
CREATE INDEX cis_unowned ON cis (status, id) WHERE owner_id IS NULL AND group_id IS NULL;
