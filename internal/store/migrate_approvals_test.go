package store_test

import (
	"context"
	"testing"
	"time"

	"steward/internal/store"
	"steward/internal/store/storetest"
)

// TestApprovalsMoveToOneTable writes a request's approvals and a change's
// board and decisions in the tables they had before migration 46, then
// runs it: every approval is kept in approvals under its kind, a request's
// approvals keep their ids, each board member becomes one row carrying
// their decision, new rows take fresh ids, and the old names still read.
func TestApprovalsMoveToOneTable(t *testing.T) {
	ctx := context.Background()
	for _, e := range emptyEngines(t) {
		t.Run(e.DB.Dialect().String(), func(t *testing.T) {
			migs, err := store.Migrations(e.DB.Dialect())
			if err != nil {
				t.Fatal(err)
			}
			run := func(sql string, args ...any) {
				t.Helper()
				if err := e.DB.InTx(ctx, func(tx *store.Tx) error { _, err := tx.Exec(ctx, sql, args...); return err }); err != nil {
					t.Fatal(err)
				}
			}
			for _, m := range migs {
				if m.Version < 46 {
					run(m.SQL)
				}
			}
			now := store.TS(time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC))
			later := store.TS(time.Date(2026, 5, 4, 11, 0, 0, 0, time.UTC))
			for i, name := range []string{"Ann", "Ben", "Cat"} {
				run(`INSERT INTO users (id, email, name, role, created_at, updated_at) VALUES (?, ?, ?, 'agent', ?, ?)`,
					i+1, name+"@move.test", name, now, now)
			}
			run(`INSERT INTO support_groups (id, name, created_at, updated_at) VALUES (1, 'Buyers', ?, ?)`, now, now)
			run(`INSERT INTO services (id, name, status, criticality, created_at, updated_at) VALUES (1, 'Mail', 'live', 'low', ?, ?)`, now, now)
			run(`INSERT INTO catalog_items (id, service_id, name, created_at, updated_at) VALUES (1, 1, 'Laptop', ?, ?)`, now, now)
			run(`INSERT INTO requests (id, title, requester_id, service_id, item_id, priority, state, created_at, updated_at)
				VALUES (1, 'A laptop', 3, 1, 1, 3, 'in_fulfilment', ?, ?)`, now, now)
			run(`INSERT INTO request_approvals (id, request_id, approver_id, group_id, state, comment, decided_by, created_at, decided_at)
				VALUES (40, 1, NULL, 1, 'approved', 'Fine', 2, ?, ?)`, now, later)
			run(`INSERT INTO request_approvals (id, request_id, approver_id, group_id, state, created_at)
				VALUES (41, 1, 1, NULL, 'cancelled', ?)`, now)
			run(`INSERT INTO changes (id, title, type, state, approval_rule, approval_board, created_at, updated_at)
				VALUES (1, 'Patch mail', 'normal', 'approval', 'majority', 'CAB', ?, ?)`, now, later)
			for _, u := range []int{1, 2, 3} {
				run(`INSERT INTO change_approvers (change_id, user_id) VALUES (1, ?)`, u)
			}
			run(`INSERT INTO change_approvals (change_id, user_id, user_name, decision, comment, created_at)
				VALUES (1, 3, 'Cat (then)', 'reject', 'Not now', ?)`, now)
			run(`INSERT INTO change_approvals (change_id, user_id, user_name, decision, comment, created_at)
				VALUES (1, 1, 'Ann', 'approve', '', ?)`, later)
			for _, m := range migs {
				if m.Version == 46 {
					run(m.SQL)
				}
			}

			count := func(q string, args ...any) int { t.Helper(); return storetest.Count(t, e.DB, q, args...) }
			if n := count(`SELECT COUNT(*) FROM approvals WHERE record_kind = 'request' AND record_id = 1 AND id = 40
				AND group_id = 1 AND approver_id IS NULL AND state = 'approved' AND comment = 'Fine' AND decided_by = 2 AND decided_by_name = 'Ben'`); n != 1 {
				t.Error("the group's approval of the request did not keep its id and decision")
			}
			if n := count(`SELECT COUNT(*) FROM approvals WHERE id = 41 AND record_kind = 'request' AND approver_id = 1 AND state = 'cancelled'`); n != 1 {
				t.Error("the withdrawn approval did not move")
			}
			if n := count(`SELECT COUNT(*) FROM approvals WHERE record_kind = 'change' AND record_id = 1`); n != 3 {
				t.Errorf("%d rows for the change's board, want one per member", n)
			}
			if n := count(`SELECT COUNT(*) FROM approvals WHERE record_kind = 'change' AND approver_id = 3 AND state = 'rejected'
				AND decided_by = 3 AND decided_by_name = 'Cat (then)' AND comment = 'Not now' AND decided_at IS NOT NULL`); n != 1 {
				t.Error("Cat's rejection did not move with the name it was made under")
			}
			if n := count(`SELECT COUNT(*) FROM approvals WHERE record_kind = 'change' AND approver_id = 2 AND state = 'pending' AND decided_by IS NULL`); n != 1 {
				t.Error("Ben's undecided place on the board did not move")
			}
			// Decisions keep their order: Cat decided before Ann.
			if n := count(`SELECT COUNT(*) FROM approvals a JOIN approvals b ON b.record_kind = a.record_kind AND b.record_id = a.record_id
				WHERE a.record_kind = 'change' AND a.approver_id = 3 AND b.approver_id = 1 AND a.id < b.id`); n != 1 {
				t.Error("the change's decisions lost their order")
			}
			run(`INSERT INTO approvals (record_kind, record_id, approver_id, state, created_at) VALUES ('request', 1, 2, 'pending', ?)`, now)
			if n := count(`SELECT COUNT(*) FROM approvals WHERE id > 41 AND approver_id = 2 AND state = 'pending' AND record_kind = 'request'`); n != 1 {
				t.Error("a new approval did not take a fresh id")
			}
			// Reports written against the old tables still read them.
			if n := count(`SELECT COUNT(*) FROM request_approvals WHERE request_id = 1 AND state = 'approved'`); n != 1 {
				t.Errorf("request_approvals reads %d approved, want 1", n)
			}
			if n := count(`SELECT COUNT(*) FROM change_approvers WHERE change_id = 1`); n != 3 {
				t.Errorf("change_approvers reads %d, want 3", n)
			}
			if n := count(`SELECT COUNT(*) FROM change_approvals WHERE change_id = 1 AND decision = 'reject' AND user_name = 'Cat (then)'`); n != 1 {
				t.Errorf("change_approvals reads %d rejections, want 1", n)
			}

			// Migration 47 puts every approval there is in the first round,
			// current; the old names read only the current round.
			for _, m := range migs {
				if m.Version == 47 {
					run(m.SQL)
				}
			}
			if n := count(`SELECT COUNT(*) FROM approvals WHERE round = 1 AND superseded_at IS NULL`); n != 6 {
				t.Errorf("%d approvals in a current first round after migration 47, want all 6", n)
			}
			run(`UPDATE approvals SET superseded_at = ? WHERE record_kind = 'change' AND record_id = 1`, later)
			run(`INSERT INTO approvals (record_kind, record_id, approver_id, state, created_at, round) VALUES ('change', 1, 2, 'pending', ?, 2)`, later)
			if n := count(`SELECT COUNT(*) FROM change_approvers WHERE change_id = 1`); n != 1 {
				t.Errorf("change_approvers reads %d after a new round, want its one member", n)
			}
			if n := count(`SELECT COUNT(*) FROM change_approvals WHERE change_id = 1`); n != 0 {
				t.Errorf("change_approvals reads %d decisions of a superseded round", n)
			}
			if n := count(`SELECT COUNT(*) FROM approvals WHERE record_kind = 'change' AND record_id = 1`); n != 4 {
				t.Errorf("%d approvals of the change, want the first round's 3 kept with the second's", n)
			}
		})
	}
}
