-- The work queues: indexes over open incidents only. At a desk that has
-- run for a year nineteen incidents in twenty are closed, and a queue that
-- walked the full indexes would read past all of them to find the few
-- open ones (see internal/incident/list.go). Each index here holds only
-- the open incidents.
--
-- The condition is written out in literals and the lists state it the same
-- way, so that the planner can prove a queue is within an index even for a
-- generic plan of a prepared statement.

-- All open work, in each order the queue pages offer. They carry the
-- columns the queues filter on, so that a walk checks those in the index
-- and reads only the incidents it shows.
CREATE INDEX incidents_open_updated ON incidents (updated_at, id, group_id, assignee_id, priority, major)
    WHERE state IN ('new', 'in_progress', 'on_hold');
CREATE INDEX incidents_open_created ON incidents (created_at, id, group_id, assignee_id, priority, major)
    WHERE state IN ('new', 'in_progress', 'on_hold');
CREATE INDEX incidents_open_priority ON incidents (priority, id, group_id, assignee_id, major)
    WHERE state IN ('new', 'in_progress', 'on_hold');

-- Waiting for someone to pick it up, per group (few enough to sort in
-- any other order); and the major incidents.
CREATE INDEX incidents_open_unassigned ON incidents (group_id, updated_at, id)
    WHERE assignee_id IS NULL AND state IN ('new', 'in_progress', 'on_hold');
CREATE INDEX incidents_open_major ON incidents (updated_at, id)
    WHERE major AND state IN ('new', 'in_progress', 'on_hold');
