-- How devices bind to CIs changed (an agent mapped a device): every
-- mapping bumps the version, and the event processor, on whichever node
-- it runs, drops what it cached and rebinds its alerts when it moves.
CREATE TABLE device_map_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO device_map_version (id, version) VALUES (1, 0);
