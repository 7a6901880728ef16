-- Availability (8.7.1): outages as records. An outage belongs to one
-- service; a full outage weighs 1, a partial one the share of the service
-- lost. Its end is NULL while it lasts.
CREATE TABLE outages (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id   INTEGER NOT NULL REFERENCES services (id),
    started_at   TEXT NOT NULL,
    ended_at     TEXT,
    weight       REAL NOT NULL DEFAULT 1 CHECK (weight > 0 AND weight <= 1),
    source       TEXT NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'incident', 'alert')),
    incident_id  INTEGER REFERENCES incidents (id),
    reason       TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    CHECK (ended_at IS NULL OR ended_at > started_at)
);
CREATE INDEX outages_service ON outages (service_id, started_at);
CREATE INDEX outages_incident ON outages (incident_id) WHERE incident_id IS NOT NULL;
