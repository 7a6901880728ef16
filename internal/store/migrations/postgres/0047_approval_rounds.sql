-- A record put to its approvers again keeps the earlier decisions: each
-- approval belongs to a round (1 for the first time the record was put to
-- its approvers), and the rounds before the current one are marked
-- superseded at the instant the record was put to its approvers again.
-- Only the current round's approvals (superseded_at NULL) count.
ALTER TABLE approvals ADD COLUMN round INTEGER NOT NULL DEFAULT 1;
ALTER TABLE approvals ADD COLUMN superseded_at TIMESTAMPTZ;

-- The old tables' names read the current round, as the old tables held it.
DROP VIEW request_approvals;
DROP VIEW change_approvers;
DROP VIEW change_approvals;
CREATE VIEW request_approvals AS
SELECT id, record_id AS request_id, approver_id, group_id, state, comment, decided_by, created_at, decided_at
FROM approvals WHERE record_kind = 'request' AND superseded_at IS NULL;
CREATE VIEW change_approvers AS
SELECT record_id AS change_id, approver_id AS user_id
FROM approvals WHERE record_kind = 'change' AND superseded_at IS NULL;
CREATE VIEW change_approvals AS
SELECT id, record_id AS change_id, decided_by AS user_id, decided_by_name AS user_name,
       CASE state WHEN 'approved' THEN 'approve' ELSE 'reject' END AS decision, comment, decided_at AS created_at
FROM approvals WHERE record_kind = 'change' AND state IN ('approved', 'rejected') AND superseded_at IS NULL;
