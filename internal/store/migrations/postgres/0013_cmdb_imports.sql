-- CMDB imports as durable jobs: each import is a row with its state and
-- progress, its files staged in chunks, and the errors found so far, so
-- that a large import commits in short transactions and resumes from its
-- last committed chunk after a restart.

CREATE TABLE cmdb_imports (
    id                 BIGSERIAL PRIMARY KEY,
    state              TEXT NOT NULL CHECK (state IN ('uploading', 'queued', 'validating', 'applying', 'done', 'refused', 'failed')),
    dry_run            BOOLEAN NOT NULL DEFAULT FALSE,
    continue_on_error  BOOLEAN NOT NULL DEFAULT FALSE,
    change_ref         TEXT NOT NULL DEFAULT '',
    ci_format          TEXT NOT NULL DEFAULT '',  -- csv or json; '' without a CI file
    rel_format         TEXT NOT NULL DEFAULT '',
    actor_type         TEXT NOT NULL,
    actor_id           BIGINT,
    actor_name         TEXT NOT NULL DEFAULT '',
    phase              TEXT NOT NULL DEFAULT '',  -- validate, cis or relationships
    lines_done         INTEGER NOT NULL DEFAULT 0, -- records of the phase read and, when applying, committed
    report             TEXT NOT NULL DEFAULT '{}', -- counts and changes so far; the errors are rows below
    error              TEXT NOT NULL DEFAULT '',
    created_at         TIMESTAMPTZ NOT NULL,
    started_at         TIMESTAMPTZ,
    finished_at        TIMESTAMPTZ
);
CREATE INDEX cmdb_imports_created ON cmdb_imports (created_at, id);

-- The files of an import, in chunks of at most 1 MiB.
CREATE TABLE cmdb_import_files (
    import_id  BIGINT NOT NULL REFERENCES cmdb_imports (id) ON DELETE CASCADE,
    file       TEXT NOT NULL CHECK (file IN ('cis', 'relationships')),
    seq        INTEGER NOT NULL,
    data       BYTEA NOT NULL,
    PRIMARY KEY (import_id, file, seq)
);

-- The errors an import found, in the order it found them (the first 1,000).
CREATE TABLE cmdb_import_errors (
    import_id  BIGINT NOT NULL REFERENCES cmdb_imports (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    file       TEXT NOT NULL,
    line       INTEGER NOT NULL,
    field      TEXT NOT NULL DEFAULT '',
    message    TEXT NOT NULL,
    PRIMARY KEY (import_id, seq)
);
