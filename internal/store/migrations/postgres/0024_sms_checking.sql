-- Checking and correcting (clauses 9.2, 9.3 and 10.1): the internal audit
-- programme and its audits with their clause checklists, nonconformities
-- with their corrective actions, and management reviews with the input
-- pack compiled from the records.

CREATE TABLE audit_programmes (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT NOT NULL,
    period_start  TEXT NOT NULL,
    period_end    TEXT NOT NULL,
    owner_id      BIGINT REFERENCES users (id),
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    CHECK (period_end > period_start)
);

-- An internal audit: its scope (processes and clauses of a standard), its
-- auditors, and its checklist. The table is internal_audits because
-- audit_log is the audit trail.
CREATE TABLE internal_audits (
    id             BIGSERIAL PRIMARY KEY,
    programme_id   BIGINT REFERENCES audit_programmes (id),
    title          TEXT NOT NULL,
    standard       TEXT NOT NULL DEFAULT 'iso20000-1',
    scope          TEXT NOT NULL DEFAULT '',
    criteria       TEXT NOT NULL DEFAULT '',
    -- The clauses named in the audit besides its processes' own: 'all'
    -- for the whole standard, or clause numbers separated by commas.
    clauses        TEXT NOT NULL DEFAULT '',
    lead_id        BIGINT REFERENCES users (id),
    state          TEXT NOT NULL DEFAULT 'planned' CHECK (state IN ('planned', 'in_progress', 'reported', 'cancelled')),
    planned_on     TEXT NOT NULL,
    started_at     TIMESTAMPTZ,
    reported_at    TIMESTAMPTZ,
    summary        TEXT NOT NULL DEFAULT '',
    created_by     BIGINT REFERENCES users (id),
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX internal_audits_state ON internal_audits (state, planned_on);
CREATE TABLE internal_audit_processes (
    audit_id    BIGINT NOT NULL REFERENCES internal_audits (id) ON DELETE CASCADE,
    process_id  BIGINT NOT NULL REFERENCES processes (id),
    PRIMARY KEY (audit_id, process_id)
);
CREATE TABLE internal_audit_auditors (
    audit_id  BIGINT NOT NULL REFERENCES internal_audits (id) ON DELETE CASCADE,
    user_id   BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (audit_id, user_id)
);
-- One checklist line per clause in scope, with its result and evidence
-- (JSON list of {label, url}).
CREATE TABLE internal_audit_items (
    id            BIGSERIAL PRIMARY KEY,
    audit_id      BIGINT NOT NULL REFERENCES internal_audits (id) ON DELETE CASCADE,
    clause        TEXT NOT NULL,
    title         TEXT NOT NULL DEFAULT '',
    question      TEXT NOT NULL DEFAULT '',
    result        TEXT NOT NULL DEFAULT 'not_assessed' CHECK (result IN ('not_assessed', 'conforming', 'minor_nc', 'major_nc', 'observation', 'ofi')),
    notes         TEXT NOT NULL DEFAULT '',
    evidence      TEXT NOT NULL DEFAULT '[]',
    assessed_by   BIGINT REFERENCES users (id),
    assessed_at   TIMESTAMPTZ,
    UNIQUE (audit_id, clause)
);

-- 10.1: nonconformities (NC-), from an audit, a complaint, an incident, a
-- review or elsewhere; source_ref names the record (INC-000123, an audit
-- checklist line). Closing needs the actions done and effectiveness
-- checked.
CREATE TABLE nonconformities (
    id                        BIGSERIAL PRIMARY KEY,
    title                     TEXT NOT NULL,
    description               TEXT NOT NULL DEFAULT '',
    source                    TEXT NOT NULL DEFAULT 'other' CHECK (source IN ('audit', 'complaint', 'incident', 'review', 'other')),
    source_ref                TEXT NOT NULL DEFAULT '',
    audit_item_id             BIGINT REFERENCES internal_audit_items (id),
    clause                    TEXT NOT NULL DEFAULT '',
    severity                  TEXT NOT NULL DEFAULT 'minor' CHECK (severity IN ('minor', 'major')),
    state                     TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'action', 'verifying', 'closed', 'cancelled')),
    owner_id                  BIGINT REFERENCES users (id),
    reaction                  TEXT NOT NULL DEFAULT '',
    root_cause                TEXT NOT NULL DEFAULT '',
    raised_on                 TEXT NOT NULL,
    due_on                    TEXT,
    effectiveness_due         TEXT,
    effectiveness             TEXT CHECK (effectiveness IN ('effective', 'not_effective')),
    effectiveness_checked_at  TIMESTAMPTZ,
    effectiveness_checked_by  BIGINT REFERENCES users (id),
    closed_at                 TIMESTAMPTZ,
    created_by                BIGINT REFERENCES users (id),
    created_at                TIMESTAMPTZ NOT NULL,
    updated_at                TIMESTAMPTZ NOT NULL,
    version                   INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX nonconformities_state ON nonconformities (state, raised_on);

-- 9.3: management reviews. inputs is the pack compiled from the records
-- when the review is prepared (JSON, kept as it was then); attendees
-- show top management's part (5.1).
CREATE TABLE management_reviews (
    id                  BIGSERIAL PRIMARY KEY,
    title               TEXT NOT NULL,
    planned_on          TEXT NOT NULL,
    held_on             TEXT,
    period_from         TEXT NOT NULL,
    period_to           TEXT NOT NULL,
    chair_id            BIGINT REFERENCES users (id),
    state               TEXT NOT NULL DEFAULT 'planned' CHECK (state IN ('planned', 'held', 'closed', 'cancelled')),
    inputs              TEXT NOT NULL DEFAULT '{}',
    inputs_compiled_at  TIMESTAMPTZ,
    minutes             TEXT NOT NULL DEFAULT '',
    decisions           TEXT NOT NULL DEFAULT '',
    created_by          BIGINT REFERENCES users (id),
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    version             INTEGER NOT NULL DEFAULT 1,
    CHECK (period_to > period_from)
);
CREATE TABLE management_review_attendees (
    review_id  BIGINT NOT NULL REFERENCES management_reviews (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    role       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (review_id, user_id)
);

-- Actions with an owner and a due date, raised by a nonconformity
-- (corrective actions), a management review or an audit.
CREATE TABLE sms_actions (
    id           BIGSERIAL PRIMARY KEY,
    source_kind  TEXT NOT NULL CHECK (source_kind IN ('nonconformity', 'management_review', 'internal_audit')),
    source_id    BIGINT NOT NULL,
    title        TEXT NOT NULL,
    owner_id     BIGINT NOT NULL REFERENCES users (id),
    due_on       TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
    done_at      TIMESTAMPTZ,
    note         TEXT NOT NULL DEFAULT '',
    created_by   BIGINT REFERENCES users (id),
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX sms_actions_source ON sms_actions (source_kind, source_id);
CREATE INDEX sms_actions_open ON sms_actions (status, due_on);
