-- Event management: integrations that send events (HTTP, PagerDuty,
-- Alertmanager, MQTT, NATS), the events as received (immutable, kept for
-- the retention period), the alerts they raise (one active alert per
-- deduplication key), and what binds alerts to CIs and incidents.

-- An integration is one sender or broker subscription. Its routing key is
-- shown once at creation; only its SHA-256 is kept.
CREATE TABLE integrations (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL CHECK (kind IN ('http', 'pagerduty', 'alertmanager', 'mqtt', 'nats')),
    key_hash    TEXT NOT NULL UNIQUE,
    key_hint    TEXT NOT NULL DEFAULT '',
    -- Broker connection and payload mapping (JSON): url, topics, stream,
    -- subjects, mapping.
    config      TEXT NOT NULL DEFAULT '{}',
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    -- A broker consumer's connection as last seen ('connected', or the
    -- error), for the integrations page.
    status      TEXT NOT NULL DEFAULT '',
    status_at   TIMESTAMPTZ,
    created_by  BIGINT REFERENCES users (id),
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);

-- Events as received, the durable inbox: a sender or broker is
-- acknowledged only once its events are here. The processor reads them in
-- id order after event_cursor.last_event_id. No foreign key: an insert
-- checks nothing but the transport duplicate index.
CREATE TABLE events (
    id              BIGSERIAL PRIMARY KEY,
    integration_id  BIGINT NOT NULL,
    received_at     TIMESTAMPTZ NOT NULL,
    occurred_at     TIMESTAMPTZ NOT NULL,
    -- The transport's message id, when it gave one: a second message with
    -- the same id from the same integration is dropped at ingest.
    message_id      TEXT,
    dedup_key       TEXT NOT NULL,
    action          TEXT NOT NULL,
    severity        TEXT NOT NULL,
    source          TEXT NOT NULL DEFAULT '',
    device          TEXT NOT NULL DEFAULT '',
    check_name      TEXT NOT NULL DEFAULT '',
    resource        TEXT NOT NULL DEFAULT '',
    metric          TEXT NOT NULL DEFAULT '',
    summary         TEXT NOT NULL DEFAULT '',
    labels          TEXT NOT NULL DEFAULT '{}',
    payload         TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX events_message ON events (integration_id, message_id) WHERE message_id IS NOT NULL;

-- How far the processor has read the inbox.
CREATE TABLE event_cursor (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    last_event_id  BIGINT NOT NULL DEFAULT 0,
    updated_at     TIMESTAMPTZ
);
INSERT INTO event_cursor (id, last_event_id) VALUES (1, 0);

-- The settings of event processing (JSON, see internal/event/settings.go).
CREATE TABLE event_settings (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    body        TEXT NOT NULL DEFAULT '{}',
    updated_by  BIGINT REFERENCES users (id),
    updated_at  TIMESTAMPTZ
);
INSERT INTO event_settings (id, body) VALUES (1, '{}');

-- One alert per deduplication key while it is not resolved.
CREATE TABLE alerts (
    id               BIGSERIAL PRIMARY KEY,
    integration_id   BIGINT NOT NULL REFERENCES integrations (id),
    dedup_key        TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
    severity         TEXT NOT NULL CHECK (severity IN ('critical', 'major', 'minor', 'warning', 'info', 'ok')),
    summary          TEXT NOT NULL DEFAULT '',
    source           TEXT NOT NULL DEFAULT '',
    device           TEXT NOT NULL DEFAULT '',
    check_name       TEXT NOT NULL DEFAULT '',
    resource         TEXT NOT NULL DEFAULT '',
    metric           TEXT NOT NULL DEFAULT '',
    labels           TEXT NOT NULL DEFAULT '{}',
    count            INTEGER NOT NULL DEFAULT 1,
    first_seen_at    TIMESTAMPTZ NOT NULL,
    last_seen_at     TIMESTAMPTZ NOT NULL,
    acknowledged_at  TIMESTAMPTZ,
    resolved_at      TIMESTAMPTZ,
    ci_id            BIGINT REFERENCES cis (id),
    incident_id      BIGINT REFERENCES incidents (id),
    flapping         BOOLEAN NOT NULL DEFAULT FALSE,
    in_maintenance   BOOLEAN NOT NULL DEFAULT FALSE,
    -- Why a firing alert has no incident: '', 'severity' (below the
    -- rules), 'flapping', 'maintenance', 'unmapped' (device not in the
    -- CMDB and the rules need a CI).
    held             TEXT NOT NULL DEFAULT '',
    -- Recent state changes (JSON array of instants), for flapping.
    transitions      TEXT NOT NULL DEFAULT '[]',
    first_event_id   BIGINT NOT NULL,
    last_event_id    BIGINT NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX alerts_active_key ON alerts (integration_id, dedup_key) WHERE state <> 'resolved';
CREATE INDEX alerts_state ON alerts (state, last_seen_at, id);
CREATE INDEX alerts_key ON alerts (dedup_key, id);
CREATE INDEX alerts_ci ON alerts (ci_id, state) WHERE ci_id IS NOT NULL;
CREATE INDEX alerts_incident ON alerts (incident_id, id) WHERE incident_id IS NOT NULL;

-- Each alert's timeline: opened, repeated with a new severity,
-- acknowledged, resolved, flapping, held in maintenance, incident opened
-- or joined, auto-resolved.
CREATE TABLE alert_log (
    id        BIGSERIAL PRIMARY KEY,
    alert_id  BIGINT NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    at        TIMESTAMPTZ NOT NULL,
    what      TEXT NOT NULL,
    detail    TEXT NOT NULL DEFAULT '',
    event_id  BIGINT
);
CREATE INDEX alert_log_alert ON alert_log (alert_id, id);

-- Devices that sent events but match no CI, for an agent to map. Mapping
-- one adds its identifier to device_aliases.
CREATE TABLE unmapped_devices (
    integration_id  BIGINT NOT NULL REFERENCES integrations (id),
    device          TEXT NOT NULL,
    first_seen_at   TIMESTAMPTZ NOT NULL,
    last_seen_at    TIMESTAMPTZ NOT NULL,
    events          INTEGER NOT NULL DEFAULT 1,
    last_summary    TEXT NOT NULL DEFAULT '',
    ignored         BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (integration_id, device)
);
CREATE INDEX unmapped_devices_seen ON unmapped_devices (last_seen_at);

-- Identifiers an agent mapped by hand to a CI.
CREATE TABLE device_aliases (
    value       TEXT PRIMARY KEY,
    ci_id       BIGINT NOT NULL REFERENCES cis (id) ON DELETE CASCADE,
    created_by  BIGINT REFERENCES users (id),
    created_at  TIMESTAMPTZ NOT NULL
);

-- Each device's last event, for offline detection against its type's
-- expected reporting interval. state: online, offline, unknown.
CREATE TABLE device_status (
    ci_id         INTEGER PRIMARY KEY REFERENCES cis (id) ON DELETE CASCADE,
    last_seen_at  TIMESTAMPTZ NOT NULL,
    state         TEXT NOT NULL DEFAULT 'online' CHECK (state IN ('online', 'offline', 'unknown')),
    changed_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX device_status_seen ON device_status (state, last_seen_at);

-- Binding finds a CI by any of its identifiers' values.
CREATE INDEX ci_identifiers_value ON ci_identifiers (value);

-- Where an incident came from: the desk (by hand, the portal, the API) or
-- an event.
ALTER TABLE incidents ADD COLUMN source TEXT NOT NULL DEFAULT 'desk';
