-- One event processor at a time per database: the node holding the lease
-- (owner, until lease_until) reads the inbox; others wait for it to lapse.
ALTER TABLE event_cursor ADD COLUMN owner TEXT;
ALTER TABLE event_cursor ADD COLUMN lease_until TEXT;

-- The integration a device last reported through, so that its offline
-- alert is raised (and resolved) where its events come from.
ALTER TABLE device_status ADD COLUMN integration_id INTEGER;
