-- Availability (8.7.1): outages as records. An outage belongs to one
-- service; a full outage weighs 1, a partial one the share of the service
-- lost. Its end is NULL while it lasts. Outages derived from an incident
-- name it (source 'incident' for a major incident, 'alert' for one opened
-- by event management); once a person edits one (edited_at), derivation
-- leaves it alone.
CREATE TABLE outages (
    id           BIGSERIAL PRIMARY KEY,
    service_id   BIGINT NOT NULL REFERENCES services (id),
    started_at   TIMESTAMPTZ NOT NULL,
    ended_at     TIMESTAMPTZ,
    weight       DOUBLE PRECISION NOT NULL DEFAULT 1 CHECK (weight > 0 AND weight <= 1),
    source       TEXT NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'incident', 'alert')),
    incident_id  BIGINT REFERENCES incidents (id),
    summary      TEXT NOT NULL DEFAULT '',
    edited_at    TIMESTAMPTZ,
    created_by   BIGINT REFERENCES users (id),
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    CHECK (ended_at IS NULL OR ended_at > started_at)
);
CREATE INDEX outages_service ON outages (service_id, started_at);
CREATE INDEX outages_open ON outages (service_id) WHERE ended_at IS NULL;
-- One derived outage per incident and service.
CREATE UNIQUE INDEX outages_incident ON outages (incident_id, service_id) WHERE incident_id IS NOT NULL;

-- A derived outage its service's owner removed (a false alarm): derivation
-- does not bring it back.
CREATE TABLE outage_dismissals (
    incident_id  BIGINT NOT NULL REFERENCES incidents (id),
    service_id   BIGINT NOT NULL REFERENCES services (id),
    reason       TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (incident_id, service_id)
);

-- The availability agreed for a service, in percent of its agreed hours:
-- the working time of a business calendar, round the clock when none.
CREATE TABLE availability_targets (
    service_id   BIGINT PRIMARY KEY REFERENCES services (id) ON DELETE CASCADE,
    target       DOUBLE PRECISION NOT NULL CHECK (target > 0 AND target <= 100),
    calendar_id  BIGINT REFERENCES calendars (id),
    updated_at   TIMESTAMPTZ NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1
);

-- How far derivation has read the incidents: their last update seen.
CREATE TABLE outage_derivation (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    through  TIMESTAMPTZ NOT NULL,
    last_id  BIGINT NOT NULL DEFAULT 0
);
