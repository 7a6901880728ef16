-- Whether a fulfilment task's note is for the service desk only
-- ('internal') or shown to the requester too ('requester'). Notes written
-- before the choice existed stay internal.
ALTER TABLE request_tasks ADD COLUMN note_visibility TEXT NOT NULL DEFAULT 'internal'
    CHECK (note_visibility IN ('internal', 'requester'));
