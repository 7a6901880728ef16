-- Service catalogue (8.2.4). Incidents refer to a service by id; the free
-- text of the foundation becomes one catalogue entry per distinct name.

CREATE TABLE services (
    id                BIGSERIAL PRIMARY KEY,
    name              TEXT NOT NULL,
    description       TEXT NOT NULL DEFAULT '',
    owner_id          BIGINT REFERENCES users (id),
    status            TEXT NOT NULL CHECK (status IN ('pipeline', 'live', 'retired')),
    support_group_id  BIGINT REFERENCES support_groups (id),
    criticality       TEXT NOT NULL CHECK (criticality IN ('low', 'medium', 'high', 'critical')),
    cost_per_month    BIGINT NOT NULL DEFAULT 0, -- in cents
    hours             TEXT NOT NULL DEFAULT '',
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX services_name ON services (lower(name));

CREATE TABLE service_customers (
    service_id   BIGINT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    customer_id  BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    PRIMARY KEY (service_id, customer_id)
);
CREATE INDEX service_customers_customer ON service_customers (customer_id);

CREATE TABLE service_dependencies (
    service_id     BIGINT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    depends_on_id  BIGINT NOT NULL REFERENCES services (id),
    PRIMARY KEY (service_id, depends_on_id),
    CHECK (service_id <> depends_on_id)
);
CREATE INDEX service_dependencies_on ON service_dependencies (depends_on_id);

ALTER TABLE incidents ADD COLUMN service_id BIGINT REFERENCES services (id);

INSERT INTO services (name, status, criticality, created_at, updated_at)
SELECT min(trim(service)), 'live', 'medium', now(), now()
FROM incidents WHERE trim(service) <> '' GROUP BY lower(trim(service));

UPDATE incidents SET service_id = s.id FROM services s
WHERE trim(incidents.service) <> '' AND lower(s.name) = lower(trim(incidents.service));

CREATE INDEX incidents_service ON incidents (service_id, created_at, id);

-- The free text has become catalogue entries; incidents keep only the reference.
ALTER TABLE incidents DROP COLUMN service;
