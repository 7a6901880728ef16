-- Problems (PRB-): the cause behind one or more incidents, investigated
-- until its root cause is known (a known error, with a workaround agents
-- apply), then fixed by a change and closed. The incidents a problem
-- explains are record_links of type caused_by (incident -> problem); the
-- CIs it touches are in record_cis (kind 'problem'); its services are in
-- problem_services.
CREATE TABLE problems (
    id              BIGSERIAL PRIMARY KEY,
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
    fix_change_id   BIGINT,
    assignee_id     BIGINT REFERENCES users (id),
    created_by      BIGINT REFERENCES users (id),
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    known_error_at  TIMESTAMPTZ,
    resolved_at     TIMESTAMPTZ,
    closed_at       TIMESTAMPTZ,
    version         INTEGER NOT NULL DEFAULT 1,
    -- Problems' words, kept by the database itself: agents search known
    -- errors by them.
    search          TSVECTOR GENERATED ALWAYS AS (to_tsvector('english',
                        title || ' ' || description || ' ' || root_cause || ' ' || workaround)) STORED
);
CREATE INDEX problems_state ON problems (state, id);
CREATE INDEX problems_created ON problems (created_at, id);
CREATE INDEX problems_closed ON problems (closed_at) WHERE closed_at IS NOT NULL;
CREATE INDEX problems_search ON problems USING GIN (search);

CREATE TABLE problem_services (
    problem_id  BIGINT NOT NULL REFERENCES problems (id) ON DELETE CASCADE,
    service_id  BIGINT NOT NULL REFERENCES services (id),
    PRIMARY KEY (problem_id, service_id)
);
CREATE INDEX problem_services_service ON problem_services (service_id, problem_id);

CREATE TABLE problem_journal (
    id           BIGSERIAL PRIMARY KEY,
    problem_id   BIGINT NOT NULL REFERENCES problems (id),
    kind         TEXT NOT NULL CHECK (kind IN ('created', 'work_note', 'change')),
    author_id    BIGINT REFERENCES users (id),
    author_name  TEXT NOT NULL,
    body         TEXT NOT NULL DEFAULT '',
    changes      TEXT NOT NULL DEFAULT '[]',
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX problem_journal_problem ON problem_journal (problem_id, id);

CREATE FUNCTION problem_journal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the problem journal is append-only'; END $$;
CREATE TRIGGER problem_journal_append_only BEFORE UPDATE OR DELETE ON problem_journal
FOR EACH ROW EXECUTE FUNCTION problem_journal_append_only();
