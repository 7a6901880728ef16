-- Service continuity (8.7.2): requirements per service, plans covering
-- one or more services with their ordered steps and contacts, tests and
-- exercises with the recovery figures achieved and the actions they
-- raised, and invocations of a plan with their review. Durations are
-- whole minutes.
CREATE TABLE continuity_requirements (
    service_id         BIGINT PRIMARY KEY REFERENCES services (id) ON DELETE CASCADE,
    rto_minutes        INTEGER NOT NULL CHECK (rto_minutes > 0),
    rpo_minutes        INTEGER NOT NULL CHECK (rpo_minutes >= 0),
    min_service_level  TEXT NOT NULL DEFAULT '',
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE continuity_plans (
    id             BIGSERIAL PRIMARY KEY,
    title          TEXT NOT NULL,
    summary        TEXT NOT NULL DEFAULT '',
    state          TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'approved', 'retired')),
    plan_version   INTEGER NOT NULL DEFAULT 1,
    owner_id       BIGINT REFERENCES users (id),
    review_on      TEXT, -- YYYY-MM-DD
    approved_by    BIGINT REFERENCES users (id),
    approved_at    TIMESTAMPTZ,
    created_by     BIGINT REFERENCES users (id),
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE continuity_plan_services (
    plan_id     BIGINT NOT NULL REFERENCES continuity_plans (id) ON DELETE CASCADE,
    service_id  BIGINT NOT NULL REFERENCES services (id),
    PRIMARY KEY (plan_id, service_id)
);
CREATE INDEX continuity_plan_services_service ON continuity_plan_services (service_id);

CREATE TABLE continuity_plan_steps (
    id        BIGSERIAL PRIMARY KEY,
    plan_id   BIGINT NOT NULL REFERENCES continuity_plans (id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    title     TEXT NOT NULL,
    detail    TEXT NOT NULL DEFAULT '',
    owner_id  BIGINT REFERENCES users (id)
);
CREATE INDEX continuity_plan_steps_plan ON continuity_plan_steps (plan_id, position);

CREATE TABLE continuity_plan_contacts (
    id        BIGSERIAL PRIMARY KEY,
    plan_id   BIGINT NOT NULL REFERENCES continuity_plans (id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    name      TEXT NOT NULL,
    role      TEXT NOT NULL DEFAULT '',
    phone     TEXT NOT NULL DEFAULT '',
    email     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX continuity_plan_contacts_plan ON continuity_plan_contacts (plan_id, position);

CREATE TABLE continuity_tests (
    id                    BIGSERIAL PRIMARY KEY,
    plan_id               BIGINT NOT NULL REFERENCES continuity_plans (id) ON DELETE CASCADE,
    kind                  TEXT NOT NULL CHECK (kind IN ('tabletop', 'simulation', 'full_failover')),
    held_on               TEXT NOT NULL, -- YYYY-MM-DD
    scenario              TEXT NOT NULL DEFAULT '',
    rto_achieved_minutes  INTEGER CHECK (rto_achieved_minutes >= 0),
    rpo_achieved_minutes  INTEGER CHECK (rpo_achieved_minutes >= 0),
    issues                TEXT NOT NULL DEFAULT '',
    notes                 TEXT NOT NULL DEFAULT '',
    created_by            BIGINT REFERENCES users (id),
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL,
    version               INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX continuity_tests_plan ON continuity_tests (plan_id, held_on);

CREATE TABLE continuity_test_actions (
    id              BIGSERIAL PRIMARY KEY,
    test_id         BIGINT NOT NULL REFERENCES continuity_tests (id) ON DELETE CASCADE,
    title           TEXT NOT NULL,
    owner_id        BIGINT REFERENCES users (id),
    due_on          TEXT,
    done_at         TIMESTAMPTZ,
    improvement_id  BIGINT REFERENCES improvements (id),
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX continuity_test_actions_test ON continuity_test_actions (test_id);

CREATE TABLE continuity_invocations (
    id                  BIGSERIAL PRIMARY KEY,
    plan_id             BIGINT NOT NULL REFERENCES continuity_plans (id) ON DELETE CASCADE,
    started_at          TIMESTAMPTZ NOT NULL,
    ended_at            TIMESTAMPTZ,
    summary             TEXT NOT NULL,
    data_loss_minutes   INTEGER CHECK (data_loss_minutes >= 0),
    review              TEXT NOT NULL DEFAULT '',
    reviewed_by         BIGINT REFERENCES users (id),
    reviewed_at         TIMESTAMPTZ,
    created_by          BIGINT REFERENCES users (id),
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    version             INTEGER NOT NULL DEFAULT 1,
    CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE INDEX continuity_invocations_plan ON continuity_invocations (plan_id, started_at);
