-- Configuration and asset management (8.2.5, 8.2.6): CI types with typed
-- attributes, configuration items, relationships with a direction of
-- impact, the change history every node replays to keep its impact graph
-- current, baselines, verification runs, assets and incident links.

CREATE TABLE ci_types (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    attributes   TEXT NOT NULL DEFAULT '[]', -- [{name, type, required, unique, values, ref_type}]
    builtin      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX ci_types_name ON ci_types (lower(name));

CREATE TABLE cis (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    type_id      INTEGER NOT NULL REFERENCES ci_types (id),
    name         TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('planned', 'in_use', 'maintenance', 'retired')),
    owner_id     INTEGER REFERENCES users (id),
    group_id     INTEGER REFERENCES support_groups (id),
    customer_id  INTEGER REFERENCES customers (id),
    service_id   INTEGER REFERENCES services (id), -- a business service CI may stand for a catalogue service
    location     TEXT NOT NULL DEFAULT '',
    attributes   TEXT NOT NULL DEFAULT '{}',
    redundancy   TEXT NOT NULL DEFAULT '', -- {"failed_when_down": N} or {"failed_when_down_percent": P}
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX cis_type ON cis (type_id, id);
CREATE INDEX cis_status ON cis (status, id);
CREATE INDEX cis_name ON cis (lower(name), id);
CREATE INDEX cis_customer ON cis (customer_id, id);
CREATE INDEX cis_service ON cis (service_id) WHERE service_id IS NOT NULL;

-- The values of each type's unique attributes, so imports and event
-- sources find a CI by serial number or device id.
CREATE TABLE ci_identifiers (
    type_id    INTEGER NOT NULL REFERENCES ci_types (id),
    attribute  TEXT NOT NULL,
    value      TEXT NOT NULL,
    ci_id      INTEGER NOT NULL REFERENCES cis (id) ON DELETE CASCADE,
    PRIMARY KEY (type_id, attribute, value)
);
CREATE INDEX ci_identifiers_ci ON ci_identifiers (ci_id);

CREATE TABLE ci_relationships (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id   INTEGER NOT NULL REFERENCES cis (id) ON DELETE CASCADE,
    target_id   INTEGER NOT NULL REFERENCES cis (id) ON DELETE CASCADE,
    type        TEXT NOT NULL CHECK (type IN ('depends_on', 'used_by', 'runs_on', 'hosts', 'connected_to', 'member_of')),
    created_at  TEXT NOT NULL,
    CHECK (source_id <> target_id)
);
CREATE UNIQUE INDEX ci_relationships_edge ON ci_relationships (source_id, target_id, type);
CREATE INDEX ci_relationships_target ON ci_relationships (target_id, type);

-- Every change to a CI or a relationship, in order: who, when, old, new and
-- the change record that authorised it. Nodes replay it (by seq) to keep
-- their in-memory impact graph in step with the database.
CREATE TABLE ci_history (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    ci_id        INTEGER NOT NULL,
    at           TEXT NOT NULL,
    actor_id     INTEGER,
    actor_name   TEXT NOT NULL,
    action       TEXT NOT NULL, -- create, update, delete, relate, unrelate
    field        TEXT NOT NULL DEFAULT '',
    old_value    TEXT,
    new_value    TEXT,
    change_ref   TEXT NOT NULL DEFAULT '',
    related_id   INTEGER,       -- relate/unrelate: the other CI
    rel_type     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ci_history_ci ON ci_history (ci_id, seq);

CREATE TRIGGER ci_history_no_update BEFORE UPDATE ON ci_history
BEGIN SELECT RAISE(ABORT, 'the CI history is append-only'); END;
CREATE TRIGGER ci_history_no_delete BEFORE DELETE ON ci_history
BEGIN SELECT RAISE(ABORT, 'the CI history is append-only'); END;

CREATE TABLE incident_cis (
    incident_id  INTEGER NOT NULL REFERENCES incidents (id),
    ci_id        INTEGER NOT NULL REFERENCES cis (id),
    created_at   TEXT NOT NULL,
    PRIMARY KEY (incident_id, ci_id)
);
CREATE INDEX incident_cis_ci ON incident_cis (ci_id);

CREATE TABLE ci_baselines (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    filter      TEXT,          -- {"type_id", "status", "customer_id"} when the CIs were chosen by filter; NULL when listed
    ci_count    INTEGER NOT NULL DEFAULT 0,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX ci_baselines_name ON ci_baselines (lower(name));

CREATE TABLE ci_baseline_items (
    baseline_id  INTEGER NOT NULL REFERENCES ci_baselines (id) ON DELETE CASCADE,
    ci_id        INTEGER NOT NULL,
    snapshot     TEXT NOT NULL, -- the CI and its relationships as they were
    PRIMARY KEY (baseline_id, ci_id)
);

CREATE TABLE ci_verifications (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    baseline_id  INTEGER REFERENCES ci_baselines (id),
    note         TEXT NOT NULL DEFAULT '',
    verified_by  TEXT NOT NULL,
    actor_id     INTEGER,
    created_at   TEXT NOT NULL
);

CREATE TABLE ci_verification_items (
    verification_id  INTEGER NOT NULL REFERENCES ci_verifications (id) ON DELETE CASCADE,
    ci_id            INTEGER NOT NULL,
    result           TEXT NOT NULL CHECK (result IN ('ok', 'differs', 'missing')),
    differences      TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (verification_id, ci_id)
);

CREATE TABLE assets (
    ci_id          INTEGER PRIMARY KEY REFERENCES cis (id) ON DELETE CASCADE,
    asset_tag      TEXT NOT NULL DEFAULT '',
    purchase_date  TEXT,          -- YYYY-MM-DD
    cost           INTEGER,       -- cents
    supplier       TEXT NOT NULL DEFAULT '',
    contract       TEXT NOT NULL DEFAULT '',
    warranty_end   TEXT,          -- YYYY-MM-DD
    lifecycle      TEXT NOT NULL DEFAULT '{}', -- {"ordered": "...", "received": ..., "deployed": ..., "retire_by": ..., "disposed": ...}
    seats_owned    INTEGER,       -- software licences
    licence_end    TEXT,          -- YYYY-MM-DD
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX assets_warranty ON assets (warranty_end) WHERE warranty_end IS NOT NULL;
CREATE INDEX assets_licence ON assets (licence_end) WHERE licence_end IS NOT NULL;

-- The default CI types; admins may change them and add their own.
INSERT INTO ci_types (name, description, attributes, builtin, created_at, updated_at) VALUES
('Business service', 'A service as customers see it; may stand for a catalogue service.', '[]', TRUE, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z'),
('Application', 'Software that delivers part of a service.', '[{"name":"version","type":"string","required":false,"unique":false},{"name":"vendor","type":"string","required":false,"unique":false},{"name":"url","type":"string","required":false,"unique":false}]', TRUE, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z'),
('Database', 'A database instance.', '[{"name":"engine","type":"enum","values":["postgresql","mysql","mariadb","sqlserver","oracle","sqlite","other"],"required":false,"unique":false},{"name":"version","type":"string","required":false,"unique":false}]', TRUE, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z'),
('Server', 'A physical or virtual server.', '[{"name":"hostname","type":"string","required":true,"unique":true},{"name":"serial_number","type":"string","unique":true,"required":false},{"name":"ip_address","type":"ip","required":false,"unique":false},{"name":"os","type":"string","required":false,"unique":false},{"name":"cpu_cores","type":"number","required":false,"unique":false},{"name":"memory_gb","type":"number","required":false,"unique":false},{"name":"virtual","type":"boolean","required":false,"unique":false}]', TRUE, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z'),
('Cluster', 'A cluster or pool whose members stand in for each other; set its redundancy.', '[]', TRUE, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z'),
('Network device', 'A switch, router, firewall or access point.', '[{"name":"serial_number","type":"string","unique":true,"required":false},{"name":"ip_address","type":"ip","required":false,"unique":false},{"name":"model","type":"string","required":false,"unique":false},{"name":"role","type":"enum","values":["switch","router","firewall","access_point","load_balancer"],"required":false,"unique":false}]', TRUE, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z'),
('Site', 'A location: an office, plant, data centre or field site.', '[{"name":"code","type":"string","required":true,"unique":true},{"name":"address","type":"string","required":false,"unique":false},{"name":"country","type":"string","required":false,"unique":false}]', TRUE, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z'),
('IoT gateway', 'A gateway that connects field devices.', '[{"name":"device_id","type":"string","required":true,"unique":true},{"name":"firmware","type":"string","required":false,"unique":false},{"name":"ip_address","type":"ip","required":false,"unique":false},{"name":"site","type":"reference","ref_type":"Site","required":false,"unique":false}]', TRUE, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z'),
('Sensor', 'A field device reporting through a gateway.', '[{"name":"device_id","type":"string","required":true,"unique":true},{"name":"model","type":"string","required":false,"unique":false},{"name":"firmware","type":"string","required":false,"unique":false},{"name":"installed_on","type":"date","required":false,"unique":false}]', TRUE, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z'),
('Fleet', 'An aggregate of many devices (by site, model or firmware) with a percentage rule, so services need not depend on each device.', '[{"name":"criterion","type":"enum","values":["site","model","firmware","other"],"required":false,"unique":false}]', TRUE, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z'),
('Software', 'A licensed software product; its asset record holds the seats owned.', '[{"name":"vendor","type":"string","required":false,"unique":false},{"name":"product","type":"string","required":false,"unique":false},{"name":"version","type":"string","required":false,"unique":false}]', TRUE, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z');
