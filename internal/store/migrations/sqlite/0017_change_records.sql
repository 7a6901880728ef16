-- Change records: their journal, the board that approves them and its
-- decisions, the policy that chooses the board, and the standard change
-- catalogue.

-- How approval went: the rule the board decides by (any, all, majority),
-- the board's name as people read it, and when the change was approved
-- (by its board, or by its template for a standard change).
ALTER TABLE changes ADD COLUMN approval_rule TEXT NOT NULL DEFAULT '';
ALTER TABLE changes ADD COLUMN approval_board TEXT NOT NULL DEFAULT '';
ALTER TABLE changes ADD COLUMN approved_at TEXT;

CREATE TABLE change_journal (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    change_id    INTEGER NOT NULL REFERENCES changes (id),
    kind         TEXT NOT NULL CHECK (kind IN ('created', 'comment', 'work_note', 'change', 'approval', 'conflicts')),
    author_id    INTEGER REFERENCES users (id),
    author_name  TEXT NOT NULL,
    body         TEXT NOT NULL DEFAULT '',
    changes      TEXT NOT NULL DEFAULT '[]',
    created_at   TEXT NOT NULL
);
CREATE INDEX change_journal_change ON change_journal (change_id, id);
CREATE TRIGGER change_journal_no_update BEFORE UPDATE ON change_journal
BEGIN SELECT RAISE(ABORT, 'the change journal is append-only'); END;
CREATE TRIGGER change_journal_no_delete BEFORE DELETE ON change_journal
BEGIN SELECT RAISE(ABORT, 'the change journal is append-only'); END;

-- Which board approves a change, by type and risk ('' matches any risk).
-- The first row by position that matches decides. A row names a support
-- group (its members decide) or named approvers (user ids, JSON), or
-- neither: then the administrators decide.
CREATE TABLE change_approval_policies (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    position    INTEGER NOT NULL,
    name        TEXT NOT NULL,
    type        TEXT NOT NULL CHECK (type IN ('normal', 'emergency')),
    risk        TEXT NOT NULL DEFAULT '' CHECK (risk IN ('', 'low', 'medium', 'high')),
    group_id    INTEGER REFERENCES support_groups (id),
    approvers   TEXT NOT NULL DEFAULT '[]',
    rule        TEXT NOT NULL CHECK (rule IN ('any', 'all', 'majority')),
    updated_at  TEXT NOT NULL
);
CREATE INDEX change_approval_policies_order ON change_approval_policies (position, id);
INSERT INTO change_approval_policies (position, name, type, risk, rule, updated_at) VALUES
    (10, 'Change advisory board (low risk)', 'normal', 'low', 'any', '2026-01-01T00:00:00.000000Z'),
    (20, 'Change advisory board (medium risk)', 'normal', 'medium', 'majority', '2026-01-01T00:00:00.000000Z'),
    (30, 'Change advisory board (high risk)', 'normal', 'high', 'all', '2026-01-01T00:00:00.000000Z'),
    (40, 'Emergency change advisory board', 'emergency', '', 'any', '2026-01-01T00:00:00.000000Z');

-- Who may decide on a change in approval, chosen when it entered approval.
CREATE TABLE change_approvers (
    change_id  INTEGER NOT NULL REFERENCES changes (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (change_id, user_id)
);
CREATE INDEX change_approvers_user ON change_approvers (user_id, change_id);

-- Each decision, once per approver.
CREATE TABLE change_approvals (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    change_id   INTEGER NOT NULL REFERENCES changes (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    user_name   TEXT NOT NULL,
    decision    TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
    comment     TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    UNIQUE (change_id, user_id)
);

-- The standard change catalogue: pre-filled plans and risk, usable once
-- approved.
CREATE TABLE change_templates (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    name                 TEXT NOT NULL,
    description          TEXT NOT NULL DEFAULT '',
    implementation_plan  TEXT NOT NULL DEFAULT '',
    test_plan            TEXT NOT NULL DEFAULT '',
    backout_plan         TEXT NOT NULL DEFAULT '',
    risk                 TEXT NOT NULL CHECK (risk IN ('low', 'medium', 'high')),
    approved             BOOLEAN NOT NULL DEFAULT FALSE,
    approved_by          INTEGER REFERENCES users (id),
    approved_at          TEXT,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    version              INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX change_templates_name ON change_templates (name);

-- A change page lists the CI changes made under it.
CREATE INDEX ci_history_change_ref ON ci_history (change_ref) WHERE change_ref <> '';
