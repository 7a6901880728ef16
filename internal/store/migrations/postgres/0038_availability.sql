-- Availability (8.7.1): outages as records. An outage belongs to one
-- service; a full outage weighs 1, a partial one the share of the service
-- lost. Its end is NULL while it lasts.
CREATE TABLE outages (
    id           BIGSERIAL PRIMARY KEY,
    service_id   BIGINT NOT NULL REFERENCES services (id),
    started_at   TIMESTAMPTZ NOT NULL,
    ended_at     TIMESTAMPTZ,
    weight       DOUBLE PRECISION NOT NULL DEFAULT 1 CHECK (weight > 0 AND weight <= 1),
    source       TEXT NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'incident', 'alert')),
    incident_id  BIGINT REFERENCES incidents (id),
    reason       TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    CHECK (ended_at IS NULL OR ended_at > started_at)
);
CREATE INDEX outages_service ON outages (service_id, started_at);
CREATE INDEX outages_incident ON outages (incident_id) WHERE incident_id IS NOT NULL;
