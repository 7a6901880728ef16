-- Changes (CHG-): the record a change manager assesses, approves,
-- schedules and reviews. The CIs a change touches are in record_cis
-- (kind 'change'); the services it touches are in change_services.
-- Windows are half-open: [planned_start, planned_end).
CREATE TABLE changes (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    title                TEXT NOT NULL,
    type                 TEXT NOT NULL CHECK (type IN ('standard', 'normal', 'emergency')),
    state                TEXT NOT NULL CHECK (state IN ('draft', 'assessment', 'approval', 'scheduled',
                             'implementing', 'review', 'closed', 'rejected', 'cancelled')),
    description          TEXT NOT NULL DEFAULT '',
    justification        TEXT NOT NULL DEFAULT '',
    requester_id         INTEGER REFERENCES users (id),
    group_id             INTEGER REFERENCES support_groups (id),
    assignee_id          INTEGER REFERENCES users (id),
    template_id          INTEGER,
    -- The risk questionnaire's answers (JSON object) and the level they
    -- give, combined with the impact: low, medium, high, '' until assessed.
    risk_answers         TEXT NOT NULL DEFAULT '{}',
    risk                 TEXT NOT NULL DEFAULT '',
    -- The impact analysis as it stood when last computed (JSON).
    impact_analysis      TEXT NOT NULL DEFAULT '',
    implementation_plan  TEXT NOT NULL DEFAULT '',
    test_plan            TEXT NOT NULL DEFAULT '',
    backout_plan         TEXT NOT NULL DEFAULT '',
    planned_start        TEXT,
    planned_end          TEXT,
    actual_start         TEXT,
    actual_end           TEXT,
    outcome              TEXT NOT NULL DEFAULT '' CHECK (outcome IN ('', 'successful', 'successful_with_issues',
                             'failed', 'backed_out')),
    review               TEXT NOT NULL DEFAULT '',
    created_by           INTEGER REFERENCES users (id),
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    closed_at            TEXT,
    version              INTEGER NOT NULL DEFAULT 1,
    CHECK (planned_end IS NULL OR planned_start IS NULL OR planned_end > planned_start)
);
CREATE INDEX changes_created ON changes (created_at, id);
CREATE INDEX changes_updated ON changes (updated_at, id);
CREATE INDEX changes_state ON changes (state, created_at, id);
CREATE INDEX changes_assignee ON changes (assignee_id, planned_start);
-- Windows that occupy the calendar, for conflicts and the calendar views.
CREATE INDEX changes_window ON changes (planned_start, planned_end)
    WHERE planned_start IS NOT NULL AND state NOT IN ('closed', 'cancelled', 'rejected');

CREATE TABLE change_services (
    change_id   INTEGER NOT NULL REFERENCES changes (id) ON DELETE CASCADE,
    service_id  INTEGER NOT NULL REFERENCES services (id),
    PRIMARY KEY (change_id, service_id)
);
CREATE INDEX change_services_service ON change_services (service_id, change_id);
