-- Information security (8.7.3): security groups, security incidents with
-- their impact, breach assessment and notification clocks, the register
-- of controls (ISO/IEC 27001:2022 Annex A numbers and titles), and the
-- advisories devices are matched against.

-- Members of a security group (and administrators) see security incidents.
ALTER TABLE support_groups ADD COLUMN security BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE security_incidents (
    id                     BIGSERIAL PRIMARY KEY,
    title                  TEXT NOT NULL,
    description            TEXT NOT NULL DEFAULT '',
    state                  TEXT NOT NULL CHECK (state IN ('reported', 'triaged', 'contained', 'eradicated', 'recovered', 'closed')),
    confidentiality        TEXT NOT NULL DEFAULT 'none' CHECK (confidentiality IN ('none', 'low', 'medium', 'high')),
    integrity              TEXT NOT NULL DEFAULT 'none' CHECK (integrity IN ('none', 'low', 'medium', 'high')),
    availability           TEXT NOT NULL DEFAULT 'none' CHECK (availability IN ('none', 'low', 'medium', 'high')),
    personal_data          TEXT NOT NULL DEFAULT 'unknown' CHECK (personal_data IN ('unknown', 'yes', 'no')),
    breach                 TEXT NOT NULL DEFAULT 'undecided' CHECK (breach IN ('undecided', 'not_notifiable', 'authority', 'authority_and_subjects')),
    breach_reason          TEXT NOT NULL DEFAULT '',
    breach_decided_at      TIMESTAMPTZ,
    aware_at               TIMESTAMPTZ NOT NULL,
    authority_notified_at  TIMESTAMPTZ,
    subjects_notified_at   TIMESTAMPTZ,
    incident_id            BIGINT REFERENCES incidents (id),
    owner_id               BIGINT REFERENCES users (id),
    closure                TEXT NOT NULL DEFAULT '',
    created_by             BIGINT REFERENCES users (id),
    created_at             TIMESTAMPTZ NOT NULL,
    updated_at             TIMESTAMPTZ NOT NULL,
    closed_at              TIMESTAMPTZ,
    version                INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX security_incidents_state ON security_incidents (state, id);
CREATE INDEX security_incidents_incident ON security_incidents (incident_id) WHERE incident_id IS NOT NULL;

CREATE TABLE security_incident_journal (
    id                    BIGSERIAL PRIMARY KEY,
    security_incident_id  BIGINT NOT NULL REFERENCES security_incidents (id) ON DELETE CASCADE,
    kind                  TEXT NOT NULL, -- created, change, work_note
    author_id             BIGINT REFERENCES users (id),
    author_name           TEXT NOT NULL DEFAULT '',
    body                  TEXT NOT NULL DEFAULT '',
    changes               TEXT NOT NULL DEFAULT '[]',
    created_at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX security_incident_journal_record ON security_incident_journal (security_incident_id, id);

-- One row per Annex A control the organisation has decided on; the
-- control's number and title come from the catalogue in the code.
CREATE TABLE security_controls (
    ref            TEXT PRIMARY KEY,
    applicability  TEXT NOT NULL DEFAULT 'undecided' CHECK (applicability IN ('undecided', 'applicable', 'not_applicable')),
    justification  TEXT NOT NULL DEFAULT '',
    owner_id       BIGINT REFERENCES users (id),
    status         TEXT NOT NULL DEFAULT 'not_started' CHECK (status IN ('not_started', 'planned', 'partial', 'implemented')),
    notes          TEXT NOT NULL DEFAULT '',
    updated_at     TIMESTAMPTZ NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE security_control_risks (
    control_ref  TEXT NOT NULL REFERENCES security_controls (ref) ON DELETE CASCADE,
    risk_id      BIGINT NOT NULL REFERENCES risks (id) ON DELETE CASCADE,
    PRIMARY KEY (control_ref, risk_id)
);
CREATE INDEX security_control_risks_risk ON security_control_risks (risk_id);

-- Evidence: a record number (DOC-000003, CHG-000012) or a link.
CREATE TABLE security_control_evidence (
    id           BIGSERIAL PRIMARY KEY,
    control_ref  TEXT NOT NULL REFERENCES security_controls (ref) ON DELETE CASCADE,
    label        TEXT NOT NULL,
    target       TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX security_control_evidence_ref ON security_control_evidence (control_ref, id);

CREATE TABLE security_advisories (
    id           BIGSERIAL PRIMARY KEY,
    ref          TEXT NOT NULL,
    product      TEXT NOT NULL,
    affected     TEXT NOT NULL,
    fixed        TEXT NOT NULL DEFAULT '',
    severity     TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    published    TEXT NOT NULL, -- YYYY-MM-DD
    summary      TEXT NOT NULL DEFAULT '',
    imported_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX security_advisories_ref ON security_advisories (lower(ref), lower(product));
