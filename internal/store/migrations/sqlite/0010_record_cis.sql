-- Configuration items affected by a record of any kind, in one table for
-- every kind (incidents today; problems and changes next).
CREATE TABLE record_cis (
    kind        TEXT NOT NULL,
    record_id   INTEGER NOT NULL,
    ci_id       INTEGER NOT NULL REFERENCES cis (id),
    created_at  TEXT NOT NULL,
    PRIMARY KEY (kind, record_id, ci_id)
);
CREATE INDEX record_cis_ci ON record_cis (ci_id, kind, record_id);
INSERT INTO record_cis (kind, record_id, ci_id, created_at)
    SELECT 'incident', incident_id, ci_id, created_at FROM incident_cis;
DROP TABLE incident_cis;
