-- The management system's own records (ISO/IEC 20000-1 clauses 4, 5 and
-- 7): the organisation's context and interested parties, the scope of the
-- SMS, the register of documented information with its versions and
-- acknowledgements, the processes with their owners and RACI, and staff
-- competence. Dates without a time (review dates, training dates) are
-- YYYY-MM-DD text on both engines.

-- 4.1: internal and external issues that bear on the SMS, each dated and
-- reviewed; climate_decision records whether climate change was judged
-- relevant ('relevant' or 'not_relevant') on the issue that decides it.
CREATE TABLE context_issues (
    id                BIGSERIAL PRIMARY KEY,
    title             TEXT NOT NULL,
    description       TEXT NOT NULL DEFAULT '',
    origin            TEXT NOT NULL CHECK (origin IN ('internal', 'external')),
    category          TEXT NOT NULL DEFAULT '',
    effect            TEXT NOT NULL DEFAULT '',
    climate_decision  TEXT CHECK (climate_decision IN ('relevant', 'not_relevant')),
    owner_id          BIGINT REFERENCES users (id),
    identified_on     TEXT NOT NULL,
    review_due        TEXT,
    reviewed_on       TEXT,
    status            TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_by        BIGINT REFERENCES users (id),
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX context_issues_review ON context_issues (review_due) WHERE status = 'open';

-- 4.2: interested parties and their requirements, traced to services.
CREATE TABLE interested_parties (
    id           BIGSERIAL PRIMARY KEY,
    name         TEXT NOT NULL,
    category     TEXT NOT NULL DEFAULT 'other' CHECK (category IN ('customer', 'user', 'supplier', 'regulator', 'staff', 'owner', 'partner', 'other')),
    origin       TEXT NOT NULL DEFAULT 'external' CHECK (origin IN ('internal', 'external')),
    contact      TEXT NOT NULL DEFAULT '',
    customer_id  BIGINT REFERENCES customers (id),
    review_due   TEXT,
    reviewed_on  TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE party_requirements (
    id           BIGSERIAL PRIMARY KEY,
    party_id     BIGINT NOT NULL REFERENCES interested_parties (id) ON DELETE CASCADE,
    requirement  TEXT NOT NULL,
    source       TEXT NOT NULL DEFAULT '',
    service_id   BIGINT REFERENCES services (id),
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX party_requirements_party ON party_requirements (party_id, id);

-- 4.3: the scope statement, versioned: every save is a new version and the
-- newest approved one is in force.
CREATE TABLE scope_statements (
    id           BIGSERIAL PRIMARY KEY,
    number       INTEGER NOT NULL UNIQUE,
    statement    TEXT NOT NULL,
    units        TEXT NOT NULL DEFAULT '',
    locations    TEXT NOT NULL DEFAULT '',
    parties      TEXT NOT NULL DEFAULT '',
    exclusions   TEXT NOT NULL DEFAULT '',
    created_by   BIGINT REFERENCES users (id),
    created_at   TIMESTAMPTZ NOT NULL,
    approved_by  BIGINT REFERENCES users (id),
    approved_at  TIMESTAMPTZ
);
CREATE TABLE scope_services (
    scope_id    BIGINT NOT NULL REFERENCES scope_statements (id) ON DELETE CASCADE,
    service_id  BIGINT NOT NULL REFERENCES services (id),
    PRIMARY KEY (scope_id, service_id)
);

-- 5.2, 6.3, 7.1, 7.4, 7.5: the register of documented information. A
-- document has versions; the approved one in force is current_version_id.
-- attributes holds the typed fields some types carry (an SMS plan's
-- period, a resource plan's staff and budget planned and actual), as JSON.
CREATE TABLE documents (
    id                  BIGSERIAL PRIMARY KEY,
    title               TEXT NOT NULL,
    doc_type            TEXT NOT NULL CHECK (doc_type IN ('policy', 'sms_plan', 'resource_plan', 'communication_plan', 'plan', 'process', 'procedure', 'sla', 'record', 'other')),
    process_key         TEXT NOT NULL DEFAULT '',
    owner_id            BIGINT REFERENCES users (id),
    approver_id         BIGINT REFERENCES users (id),
    status              TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'approved', 'retired')),
    current_version_id  BIGINT,
    next_review         TEXT,
    retention           TEXT NOT NULL DEFAULT '',
    requires_ack        INTEGER NOT NULL DEFAULT 0,
    superseded_by       BIGINT REFERENCES documents (id),
    attributes          TEXT NOT NULL DEFAULT '{}',
    created_by          BIGINT REFERENCES users (id),
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    version             INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX documents_type ON documents (doc_type, status);
CREATE INDEX documents_review ON documents (next_review) WHERE status = 'approved';

-- Each version's text (Markdown) or attached file, and who approved it when.
CREATE TABLE document_versions (
    id             BIGSERIAL PRIMARY KEY,
    document_id    BIGINT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    number         INTEGER NOT NULL,
    body           TEXT NOT NULL DEFAULT '',
    attachment_id  BIGINT REFERENCES attachments (id),
    change_note    TEXT NOT NULL DEFAULT '',
    created_by     BIGINT REFERENCES users (id),
    created_at     TIMESTAMPTZ NOT NULL,
    approved_by    BIGINT REFERENCES users (id),
    approved_at    TIMESTAMPTZ,
    UNIQUE (document_id, number)
);

-- 7.3: who has read and accepted which version.
CREATE TABLE document_acknowledgements (
    version_id       BIGINT NOT NULL REFERENCES document_versions (id) ON DELETE CASCADE,
    user_id          BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    acknowledged_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (version_id, user_id)
);

-- 4.4, 5.3: the SMS's processes, each with an owner, a RACI and the
-- processes it hands work to.
CREATE TABLE processes (
    id           BIGSERIAL PRIMARY KEY,
    key          TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    clause       TEXT NOT NULL DEFAULT '',
    description  TEXT NOT NULL DEFAULT '',
    owner_id     BIGINT REFERENCES users (id),
    updated_at   TIMESTAMPTZ,
    version      INTEGER NOT NULL DEFAULT 1
);
INSERT INTO processes (key, name, clause) VALUES
('service_planning', 'Service planning', '8.2.2'),
('parties', 'Control of parties in the service lifecycle', '8.2.3'),
('catalogue', 'Service catalogue management', '8.2.4'),
('asset', 'Asset management', '8.2.5'),
('configuration', 'Configuration management', '8.2.6'),
('business_relationship', 'Business relationship management', '8.3.2'),
('service_level', 'Service level management', '8.3.3'),
('supplier', 'Supplier management', '8.3.4'),
('budgeting', 'Budgeting and accounting for services', '8.4.1'),
('demand', 'Demand management', '8.4.2'),
('capacity', 'Capacity management', '8.4.3'),
('change', 'Change management', '8.5.1'),
('design_transition', 'Service design and transition', '8.5.2'),
('release', 'Release and deployment management', '8.5.3'),
('incident', 'Incident management', '8.6.1'),
('request', 'Service request management', '8.6.2'),
('problem', 'Problem management', '8.6.3'),
('availability', 'Service availability management', '8.7.1'),
('continuity', 'Service continuity management', '8.7.2'),
('security', 'Information security management', '8.7.3'),
('risk', 'Risk and opportunity management', '6.1'),
('documents', 'Control of documented information', '7.5'),
('internal_audit', 'Internal audit', '9.2'),
('management_review', 'Management review', '9.3'),
('reporting', 'Service reporting', '9.4'),
('improvement', 'Nonconformity, corrective action and improvement', '10');

-- One line of a process's RACI: an activity and who is Responsible,
-- Accountable, Consulted or Informed, a person or a group.
CREATE TABLE process_raci (
    id          BIGSERIAL PRIMARY KEY,
    process_id  BIGINT NOT NULL REFERENCES processes (id) ON DELETE CASCADE,
    activity    TEXT NOT NULL,
    user_id     BIGINT REFERENCES users (id),
    group_id    BIGINT REFERENCES support_groups (id),
    letter      TEXT NOT NULL CHECK (letter IN ('R', 'A', 'C', 'I')),
    CHECK ((user_id IS NULL) <> (group_id IS NULL))
);
CREATE INDEX process_raci_process ON process_raci (process_id, id);

CREATE TABLE process_interfaces (
    from_id      BIGINT NOT NULL REFERENCES processes (id) ON DELETE CASCADE,
    to_id        BIGINT NOT NULL REFERENCES processes (id) ON DELETE CASCADE,
    description  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (from_id, to_id),
    CHECK (from_id <> to_id)
);

-- 7.2: the competence matrix (job roles x skills, the level each role
-- needs), people's roles and assessed levels, and training records with
-- their expiry and effectiveness check. Levels run 1 (aware) to 4 (expert).
CREATE TABLE skills (
    id           BIGSERIAL PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    description  TEXT NOT NULL DEFAULT '',
    version      INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE job_roles (
    id           BIGSERIAL PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    description  TEXT NOT NULL DEFAULT '',
    version      INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE job_role_skills (
    role_id   BIGINT NOT NULL REFERENCES job_roles (id) ON DELETE CASCADE,
    skill_id  BIGINT NOT NULL REFERENCES skills (id) ON DELETE CASCADE,
    level     INTEGER NOT NULL CHECK (level BETWEEN 1 AND 4),
    PRIMARY KEY (role_id, skill_id)
);
CREATE TABLE user_job_roles (
    user_id  BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id  BIGINT NOT NULL REFERENCES job_roles (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, role_id)
);
CREATE TABLE user_skills (
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    skill_id     BIGINT NOT NULL REFERENCES skills (id) ON DELETE CASCADE,
    level        INTEGER NOT NULL CHECK (level BETWEEN 1 AND 4),
    assessed_on  TEXT NOT NULL,
    PRIMARY KEY (user_id, skill_id)
);
CREATE TABLE trainings (
    id                     BIGSERIAL PRIMARY KEY,
    user_id                BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind                   TEXT NOT NULL DEFAULT 'training' CHECK (kind IN ('training', 'induction', 'awareness', 'certification')),
    title                  TEXT NOT NULL,
    skill_id               BIGINT REFERENCES skills (id),
    provider               TEXT NOT NULL DEFAULT '',
    completed_on           TEXT NOT NULL,
    expires_on             TEXT,
    effectiveness          TEXT NOT NULL DEFAULT 'pending' CHECK (effectiveness IN ('pending', 'effective', 'not_effective')),
    effectiveness_checked_on TEXT,
    notes                  TEXT NOT NULL DEFAULT '',
    version                INTEGER NOT NULL DEFAULT 1,
    created_at             TIMESTAMPTZ NOT NULL,
    CHECK (expires_on IS NULL OR expires_on > completed_on)
);
CREATE INDEX trainings_user ON trainings (user_id, completed_on);
