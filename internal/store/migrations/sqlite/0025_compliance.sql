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
