-- Releases (REL-) and their deployments (8.5.3): a release groups changes,
-- carries its acceptance criteria and test results, and records each
-- deployment to an environment and a CI with its verification and, when
-- it was undone, its rollback.
CREATE TABLE releases (
    id                   BIGSERIAL PRIMARY KEY,
    title                TEXT NOT NULL,
    description          TEXT NOT NULL DEFAULT '',
    type                 TEXT NOT NULL CHECK (type IN ('major', 'minor', 'emergency')),
    state                TEXT NOT NULL CHECK (state IN ('planned', 'building', 'testing', 'deploying', 'deployed',
                             'closed', 'cancelled')),
    planned_start        TIMESTAMPTZ,
    planned_end          TIMESTAMPTZ,
    acceptance_criteria  TEXT NOT NULL DEFAULT '',
    test_results         TEXT NOT NULL DEFAULT '',
    created_by           BIGINT REFERENCES users (id),
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL,
    closed_at            TIMESTAMPTZ,
    version              INTEGER NOT NULL DEFAULT 1,
    CHECK (planned_end IS NULL OR planned_start IS NULL OR planned_end > planned_start)
);
CREATE INDEX releases_state ON releases (state, id);
CREATE INDEX releases_type ON releases (type, id);

CREATE TABLE release_changes (
    release_id  BIGINT NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    change_id   BIGINT NOT NULL REFERENCES changes (id),
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (release_id, change_id)
);
CREATE INDEX release_changes_change ON release_changes (change_id, release_id);

-- One deployment of a release to one CI in one environment. Verification
-- goes from pending to passed or failed once; a rollback, once recorded,
-- closes the deployment.
CREATE TABLE release_deployments (
    id                  BIGSERIAL PRIMARY KEY,
    release_id          BIGINT NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    environment         TEXT NOT NULL,
    ci_id               BIGINT NOT NULL REFERENCES cis (id),
    version_label       TEXT NOT NULL DEFAULT '',
    deployed_at         TIMESTAMPTZ NOT NULL,
    deployed_by         BIGINT REFERENCES users (id),
    verification        TEXT NOT NULL DEFAULT 'pending' CHECK (verification IN ('pending', 'passed', 'failed')),
    verification_notes  TEXT NOT NULL DEFAULT '',
    verified_at         TIMESTAMPTZ,
    verified_by         BIGINT REFERENCES users (id),
    rolled_back_at      TIMESTAMPTZ,
    rollback_reason     TEXT NOT NULL DEFAULT '',
    rolled_back_by      BIGINT REFERENCES users (id),
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX release_deployments_release ON release_deployments (release_id, id);
CREATE INDEX release_deployments_ci ON release_deployments (ci_id, id);

CREATE TABLE release_journal (
    id           BIGSERIAL PRIMARY KEY,
    release_id   BIGINT NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,          -- created, change, comment, work_note
    author_id    BIGINT REFERENCES users (id),
    author_name  TEXT NOT NULL DEFAULT '',
    body         TEXT NOT NULL DEFAULT '',
    changes      TEXT NOT NULL DEFAULT '[]',
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX release_journal_release ON release_journal (release_id, id);
