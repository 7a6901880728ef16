-- Approvals of every kind of record in one table, kept by the shared
-- approvals package: one row per decision owed, by a named user or by any
-- one member of a group (approver_id NULL), with the decision once made.
-- A request's approvals keep their ids; a change's board becomes one row
-- per member, carrying that member's decision.
CREATE TABLE approvals (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    record_kind      TEXT NOT NULL,
    record_id        INTEGER NOT NULL,
    approver_id      INTEGER REFERENCES users (id),
    group_id         INTEGER REFERENCES support_groups (id),
    state            TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'cancelled')),
    comment          TEXT NOT NULL DEFAULT '',
    decided_by       INTEGER REFERENCES users (id),
    decided_by_name  TEXT NOT NULL DEFAULT '',
    created_at       TEXT NOT NULL,
    decided_at       TEXT,
    CHECK (approver_id IS NOT NULL OR group_id IS NOT NULL)
);
CREATE INDEX approvals_record ON approvals (record_kind, record_id, id);
CREATE INDEX approvals_approver ON approvals (approver_id, state, id);
CREATE INDEX approvals_group ON approvals (group_id, state, id);

INSERT INTO approvals (id, record_kind, record_id, approver_id, group_id, state, comment, decided_by, decided_by_name, created_at, decided_at)
SELECT ra.id, 'request', ra.request_id, ra.approver_id, ra.group_id, ra.state, ra.comment, ra.decided_by,
       COALESCE(u.name, ''), ra.created_at, ra.decided_at
FROM request_approvals ra LEFT JOIN users u ON u.id = ra.decided_by
ORDER BY ra.id;

-- Decided members first, in the order they decided, so that ids keep the
-- order of the decisions.
INSERT INTO approvals (record_kind, record_id, approver_id, state, comment, decided_by, decided_by_name, created_at, decided_at)
SELECT 'change', a.change_id, a.user_id,
       CASE d.decision WHEN 'approve' THEN 'approved' WHEN 'reject' THEN 'rejected' ELSE 'pending' END,
       COALESCE(d.comment, ''), d.user_id, COALESCE(d.user_name, ''), COALESCE(d.created_at, c.updated_at), d.created_at
FROM change_approvers a
JOIN changes c ON c.id = a.change_id
LEFT JOIN change_approvals d ON d.change_id = a.change_id AND d.user_id = a.user_id
ORDER BY a.change_id, d.id IS NULL, d.id, a.user_id;

DROP TABLE change_approvals;
DROP TABLE change_approvers;
DROP TABLE request_approvals;

-- The old tables' names stay readable, for reports written against them.
CREATE VIEW request_approvals AS
SELECT id, record_id AS request_id, approver_id, group_id, state, comment, decided_by, created_at, decided_at
FROM approvals WHERE record_kind = 'request';
CREATE VIEW change_approvers AS
SELECT record_id AS change_id, approver_id AS user_id
FROM approvals WHERE record_kind = 'change';
CREATE VIEW change_approvals AS
SELECT id, record_id AS change_id, decided_by AS user_id, decided_by_name AS user_name,
       CASE state WHEN 'approved' THEN 'approve' ELSE 'reject' END AS decision, comment, decided_at AS created_at
FROM approvals WHERE record_kind = 'change' AND state IN ('approved', 'rejected');
