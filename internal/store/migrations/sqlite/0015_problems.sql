-- Problems (PRB-): the cause behind one or more incidents, investigated
-- until its root cause is known (a known error, with a workaround agents
-- apply), then fixed by a change and closed. The incidents a problem
-- explains are record_links of type caused_by (incident -> problem); the
-- CIs it touches are in record_cis (kind 'problem'); its services are in
-- problem_services.
CREATE TABLE problems (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL CHECK (state IN ('new', 'investigating', 'known_error', 'resolved', 'closed', 'cancelled')),
    -- The incident category the problem concerns, for trends and recurrence.
    category        TEXT NOT NULL DEFAULT '',
    root_cause      TEXT NOT NULL DEFAULT '',
    cause_category  TEXT NOT NULL DEFAULT '',
    workaround      TEXT NOT NULL DEFAULT '',
    -- The change that fixes the problem; the changes table comes in a later
    -- migration, so the service checks that it exists.
    fix_change_id   INTEGER,
    assignee_id     INTEGER REFERENCES users (id),
    created_by      INTEGER REFERENCES users (id),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    known_error_at  TEXT,
    resolved_at     TEXT,
    closed_at       TEXT,
    version         INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX problems_state ON problems (state, id);
CREATE INDEX problems_created ON problems (created_at, id);
CREATE INDEX problems_closed ON problems (closed_at) WHERE closed_at IS NOT NULL;

CREATE TABLE problem_services (
    problem_id  INTEGER NOT NULL REFERENCES problems (id) ON DELETE CASCADE,
    service_id  INTEGER NOT NULL REFERENCES services (id),
    PRIMARY KEY (problem_id, service_id)
);
CREATE INDEX problem_services_service ON problem_services (service_id, problem_id);

CREATE TABLE problem_journal (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    problem_id   INTEGER NOT NULL REFERENCES problems (id),
    kind         TEXT NOT NULL CHECK (kind IN ('created', 'work_note', 'change')),
    author_id    INTEGER REFERENCES users (id),
    author_name  TEXT NOT NULL,
    body         TEXT NOT NULL DEFAULT '',
    changes      TEXT NOT NULL DEFAULT '[]',
    created_at   TEXT NOT NULL
);
CREATE INDEX problem_journal_problem ON problem_journal (problem_id, id);
CREATE TRIGGER problem_journal_no_update BEFORE UPDATE ON problem_journal
BEGIN SELECT RAISE(ABORT, 'the problem journal is append-only'); END;
CREATE TRIGGER problem_journal_no_delete BEFORE DELETE ON problem_journal
BEGIN SELECT RAISE(ABORT, 'the problem journal is append-only'); END;

-- Problems' words (title, description, root cause, workaround), kept by
-- the database itself: agents search known errors by them.
CREATE VIRTUAL TABLE problem_fts USING fts5 (
    title, description, root_cause, workaround, content = 'problems', content_rowid = 'id', tokenize = 'porter unicode61'
);
CREATE TRIGGER problems_fts_insert AFTER INSERT ON problems BEGIN
    INSERT INTO problem_fts (rowid, title, description, root_cause, workaround)
    VALUES (new.id, new.title, new.description, new.root_cause, new.workaround);
END;
CREATE TRIGGER problems_fts_update AFTER UPDATE OF title, description, root_cause, workaround ON problems BEGIN
    INSERT INTO problem_fts (problem_fts, rowid, title, description, root_cause, workaround)
    VALUES ('delete', old.id, old.title, old.description, old.root_cause, old.workaround);
    INSERT INTO problem_fts (rowid, title, description, root_cause, workaround)
    VALUES (new.id, new.title, new.description, new.root_cause, new.workaround);
END;
CREATE TRIGGER problems_fts_delete AFTER DELETE ON problems BEGIN
    INSERT INTO problem_fts (problem_fts, rowid, title, description, root_cause, workaround)
    VALUES ('delete', old.id, old.title, old.description, old.root_cause, old.workaround);
END;

