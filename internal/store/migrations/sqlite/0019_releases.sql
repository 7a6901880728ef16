-- Releases (REL-) and their deployments (8.5.3): a release groups changes,
-- carries its acceptance criteria and test results, and records each
-- deployment to an environment and a CI with its verification and, when
-- it was undone, its rollback.
CREATE TABLE releases (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    title                TEXT NOT NULL,
    description          TEXT NOT NULL DEFAULT '',
    type                 TEXT NOT NULL CHECK (type IN ('major', 'minor', 'emergency')),
    state                TEXT NOT NULL CHECK (state IN ('planned', 'building', 'testing', 'deploying', 'deployed',
                             'closed', 'cancelled')),
    planned_start        TEXT,
    planned_end          TEXT,
    acceptance_criteria  TEXT NOT NULL DEFAULT '',
    test_results         TEXT NOT NULL DEFAULT '',
    created_by           INTEGER REFERENCES users (id),
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    closed_at            TEXT,
    version              INTEGER NOT NULL DEFAULT 1,
    CHECK (planned_end IS NULL OR planned_start IS NULL OR planned_end > planned_start)
);
CREATE INDEX releases_state ON releases (state, id);
CREATE INDEX releases_type ON releases (type, id);

CREATE TABLE release_changes (
    release_id  INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    change_id   INTEGER NOT NULL REFERENCES changes (id),
    created_at  TEXT NOT NULL,
    PRIMARY KEY (release_id, change_id)
);
CREATE INDEX release_changes_change ON release_changes (change_id, release_id);

-- One deployment of a release to one CI in one environment. Verification
-- goes from pending to passed or failed once; a rollback, once recorded,
-- closes the deployment.
CREATE TABLE release_deployments (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    release_id          INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    environment         TEXT NOT NULL,
    ci_id               INTEGER NOT NULL REFERENCES cis (id),
    version_label       TEXT NOT NULL DEFAULT '',
    deployed_at         TEXT NOT NULL,
    deployed_by         INTEGER REFERENCES users (id),
    verification        TEXT NOT NULL DEFAULT 'pending' CHECK (verification IN ('pending', 'passed', 'failed')),
    verification_notes  TEXT NOT NULL DEFAULT '',
    verified_at         TEXT,
    verified_by         INTEGER REFERENCES users (id),
    rolled_back_at      TEXT,
    rollback_reason     TEXT NOT NULL DEFAULT '',
    rolled_back_by      INTEGER REFERENCES users (id),
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX release_deployments_release ON release_deployments (release_id, id);
CREATE INDEX release_deployments_ci ON release_deployments (ci_id, id);

CREATE TABLE release_journal (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    release_id   INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,          -- created, change, comment, work_note
    author_id    INTEGER REFERENCES users (id),
    author_name  TEXT NOT NULL DEFAULT '',
    body         TEXT NOT NULL DEFAULT '',
    changes      TEXT NOT NULL DEFAULT '[]',
    created_at   TEXT NOT NULL
);
CREATE INDEX release_journal_release ON release_journal (release_id, id);
