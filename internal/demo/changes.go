package demo

import (
	"context"
	"fmt"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/change"
	"steward/internal/cmdb"
	"steward/internal/schedule"
	"steward/internal/store"
)

// loadChanges shows change management in use: boards for normal and
// emergency changes, a standard change catalogue, and changes in every
// stage: a standard change from a template, an emergency change with its
// review, a failed change that caused an incident, one awaiting its
// board, and two whose windows overlap on the same CI.
func loadChanges(ctx context.Context, db *store.DB) error {
	var n int
	if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM changes").Scan(&n); err != nil || n > 0 {
		return err
	}
	d, err := newChangeDemo(ctx, db)
	if err != nil {
		return err
	}
	return d.play(ctx)
}

type changeDemo struct {
	db                        *store.DB
	svc                       *change.Service
	ada, mei, jonas, sam, tom *auth.Principal
	alex                      *auth.Principal
	cis                       []int64
	now                       time.Time
}

func newChangeDemo(ctx context.Context, db *store.DB) (*changeDemo, error) {
	d := &changeDemo{db: db, now: time.Now().UTC().Truncate(time.Minute)}
	d.svc = &change.Service{DB: db, CMDB: cmdb.NewService(db, nil), Conflicts: (&schedule.Service{DB: db}).Conflicts}
	for _, u := range []struct {
		dst   **auth.Principal
		email string
	}{{&d.ada, "admin@steward.demo"}, {&d.mei, "mei.chen@steward.demo"}, {&d.jonas, "jonas.berg@steward.demo"},
		{&d.sam, "sam.patel@steward.demo"}, {&d.tom, "tom.okafor@steward.demo"}, {&d.alex, "agent@steward.demo"}} {
		user, err := auth.UserByEmail(ctx, db, u.email)
		if err != nil {
			return nil, fmt.Errorf("demo user %s: %w", u.email, err)
		}
		*u.dst = &auth.Principal{UserID: user.ID, Email: user.Email, Name: user.Name, Role: user.Role, GroupIDs: user.GroupIDs}
	}
	rows, err := db.Query(ctx, `SELECT c.id FROM cis c JOIN ci_types t ON t.id = c.type_id
		WHERE t.name IN ('Server', 'Database', 'Application', 'Network device') ORDER BY c.id LIMIT 4`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		d.cis = append(d.cis, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(d.cis) < 4 {
		return nil, fmt.Errorf("demo changes: the CMDB has %d CIs to change, want 4", len(d.cis))
	}
	return d, nil
}

// boards makes the change advisory boards and points the policy at them.
func (d *changeDemo) boards(ctx context.Context) error {
	return d.db.InTx(ctx, func(tx *store.Tx) error {
		at := store.TS(d.now)
		for _, b := range []struct {
			name    string
			members []*auth.Principal
			where   string
		}{
			{"Change advisory board", []*auth.Principal{d.ada, d.mei, d.jonas, d.sam}, "type = 'normal'"},
			{"Emergency change advisory board", []*auth.Principal{d.ada, d.tom}, "type = 'emergency'"},
		} {
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO support_groups (name, created_at, updated_at) VALUES (?, ?, ?) RETURNING id`,
				b.name, at, at).Scan(&id); err != nil {
				return err
			}
			for _, m := range b.members {
				if _, err := tx.Exec(ctx, "INSERT INTO group_members (group_id, user_id) VALUES (?, ?)", id, m.UserID); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(ctx, "UPDATE change_approval_policies SET group_id = ? WHERE "+b.where, id); err != nil {
				return err
			}
		}
		return nil
	})
}

func (d *changeDemo) template(ctx context.Context, name, risk string, approved bool, impl, test, back string) (change.Template, error) {
	return d.svc.SaveTemplate(ctx, d.ada, 0, change.TemplateInput{Name: &name, Description: ptrTo("A routine change agreed once."),
		ImplementationPlan: &impl, TestPlan: &test, BackoutPlan: &back, Risk: &risk, Approved: &approved}, 0)
}

func ptrTo[T any](v T) *T { return &v }

// step is one move of a demo change.
func (d *changeDemo) step(ctx context.Context, p *auth.Principal, c *change.Change, pt change.Patch) error {
	next, err := d.svc.Update(ctx, p, c.ID, pt, 0)
	if err != nil {
		return fmt.Errorf("demo change %s: %w", c.Title, err)
	}
	*c = next
	return nil
}

func (d *changeDemo) window(pt *change.Patch, start time.Time, hours int) {
	pt.PlannedStart.Set, pt.PlannedStart.V = true, start
	pt.PlannedEnd.Set, pt.PlannedEnd.V = true, start.Add(time.Duration(hours)*time.Hour)
}

// assessed fills what a normal or emergency change needs up to approval.
func (d *changeDemo) assessed(answers map[string]string, impl, test, back string) change.Patch {
	return change.Patch{State: ptrTo(change.Approval), RiskAnswers: answers, ImplementationPlan: &impl, TestPlan: &test, BackoutPlan: &back}
}

var lowRisk = map[string]string{"tested": "yes", "done_before": "often", "backout": "yes", "outage": "no", "business_hours": "no"}
var mediumRisk = map[string]string{"tested": "partly", "done_before": "once", "backout": "untested", "outage": "degraded", "business_hours": "no"}

func (d *changeDemo) play(ctx context.Context) error {
	if err := d.boards(ctx); err != nil {
		return err
	}
	cert, err := d.template(ctx, "Renew a TLS certificate", "low", true, "Request the certificate, install it on the load balancer, reload.",
		"Check the chain and expiry from outside.", "Reinstall the previous certificate.")
	if err != nil {
		return err
	}
	if _, err := d.template(ctx, "Restart an application server", "low", true, "Drain the node, restart the service, put it back.",
		"Health check green for five minutes.", "None needed: the node stays out of the pool."); err != nil {
		return err
	}
	if _, err := d.template(ctx, "Update switch firmware", "medium", false, "Upload the image, reboot in the window.",
		"Ports up, no errors for an hour.", "Boot the previous image."); err != nil {
		return err
	}
	ack := ptrTo("Agreed with the other change's owner in the weekly board")
	run := func(steps ...func() error) error {
		for _, s := range steps {
			if err := s(); err != nil {
				return err
			}
		}
		return nil
	}

	// A standard change from its template, done last week; a CI change names it.
	std, err := d.svc.Create(ctx, d.alex, change.NewChange{Title: "Renew the portal's TLS certificate", TemplateID: &cert.ID,
		Justification: "The certificate expires in 14 days.", CIIDs: []int64{d.cis[0]}}, nil)
	if err != nil {
		return err
	}
	lastWeek := d.now.AddDate(0, 0, -7)
	pt := change.Patch{State: ptrTo(change.Assessment)}
	d.window(&pt, lastWeek, 1)
	if err := run(
		func() error { return d.step(ctx, d.alex, &std, pt) },
		func() error {
			return d.step(ctx, d.alex, &std, change.Patch{State: ptrTo(change.Scheduled), AcknowledgeConflicts: ack})
		},
		func() error {
			return d.step(ctx, d.alex, &std, change.Patch{State: ptrTo(change.Implementing), ActualStart: ptrTo(lastWeek.Add(5 * time.Minute))})
		},
		func() error {
			return d.step(ctx, d.alex, &std, change.Patch{State: ptrTo(change.Review), Outcome: ptrTo(change.Successful), ActualEnd: ptrTo(lastWeek.Add(40 * time.Minute))})
		},
		func() error { return d.step(ctx, d.alex, &std, change.Patch{State: ptrTo(change.Closed)}) },
	); err != nil {
		return err
	}
	c := cmdb.NewService(d.db, nil)
	if _, err := c.UpdateCI(ctx, audit.Actor{Type: "user", ID: d.alex.UserID, Name: d.alex.Name}, d.cis[0],
		cmdb.CIPatch{Location: ptrTo("Rack B4, Building A"), ChangeRef: std.Number}, 0); err != nil {
		return fmt.Errorf("demo CI change under %s: %w", std.Number, err)
	}

	// An emergency change, approved by the emergency board, closed with its review.
	em, err := d.svc.Create(ctx, d.mei, change.NewChange{Title: "Patch the VPN gateway against an actively exploited flaw",
		Type: change.Emergency, Description: "Apply the vendor's hotfix to both VPN gateways.",
		Justification: "The flaw is exploited in the wild; the vendor rates it critical.", CIIDs: []int64{d.cis[1]}}, nil)
	if err != nil {
		return err
	}
	three := d.now.AddDate(0, 0, -3)
	pt = change.Patch{State: ptrTo(change.Assessment)}
	d.window(&pt, three, 2)
	if err := run(
		func() error { return d.step(ctx, d.mei, &em, pt) },
		func() error {
			return d.step(ctx, d.mei, &em, d.assessed(mediumRisk, "Fail over to the secondary, patch the primary, fail back, patch the secondary.",
				"Connect from outside with a test account on each gateway.", "Roll back the hotfix from the vendor's console."))
		},
		func() error {
			_, err := d.svc.Decide(ctx, d.tom, em.ID, "approve", "Go ahead tonight; keep the bridge open.")
			return err
		},
		func() error {
			return d.step(ctx, d.mei, &em, change.Patch{State: ptrTo(change.Scheduled), AcknowledgeConflicts: ack})
		},
		func() error {
			return d.step(ctx, d.mei, &em, change.Patch{State: ptrTo(change.Implementing), ActualStart: ptrTo(three.Add(10 * time.Minute))})
		},
		func() error {
			return d.step(ctx, d.mei, &em, change.Patch{State: ptrTo(change.Review), Outcome: ptrTo(change.SuccessfulWithIssues), ActualEnd: ptrTo(three.Add(150 * time.Minute))})
		},
		func() error {
			return d.step(ctx, d.mei, &em, change.Patch{State: ptrTo(change.Closed),
				Review: ptrTo("Failover took 20 minutes longer than planned: the secondary's licence had lapsed. Licence renewed; failover added to the monthly test.")})
		},
	); err != nil {
		return err
	}

	// A normal change that failed, was backed out and caused an incident.
	failed, err := d.svc.Create(ctx, d.alex, change.NewChange{Title: "Move the file shares to the new storage array", Type: change.Normal,
		Description: "Migrate the departmental shares.", Justification: "The old array leaves support at the end of the month.",
		CIIDs: []int64{d.cis[2]}}, nil)
	if err != nil {
		return err
	}
	ten := d.now.AddDate(0, 0, -10)
	pt = change.Patch{State: ptrTo(change.Assessment)}
	d.window(&pt, ten, 4)
	if err := run(
		func() error { return d.step(ctx, d.alex, &failed, pt) },
		func() error {
			return d.step(ctx, d.alex, &failed, d.assessed(lowRisk, "Copy, switch the DFS links, keep the old shares read-only.",
				"Open a file from each share as a member of each department.", "Point the DFS links back at the old array."))
		},
		func() error {
			_, err := d.svc.Decide(ctx, d.mei, failed.ID, "approve", "Fine, the copy was rehearsed.")
			return err
		},
		func() error {
			return d.step(ctx, d.alex, &failed, change.Patch{State: ptrTo(change.Scheduled), AcknowledgeConflicts: ack})
		},
		func() error {
			return d.step(ctx, d.alex, &failed, change.Patch{State: ptrTo(change.Implementing), ActualStart: ptrTo(ten)})
		},
		func() error {
			return d.step(ctx, d.alex, &failed, change.Patch{State: ptrTo(change.Review), Outcome: ptrTo(change.BackedOut), ActualEnd: ptrTo(ten.Add(5 * time.Hour))})
		},
		func() error {
			return d.step(ctx, d.alex, &failed, change.Patch{State: ptrTo(change.Closed),
				Review: ptrTo("Permissions on two shares did not copy; users lost access. Backed out. The copy tool now runs with the ACL option; a new change will follow.")})
		},
	); err != nil {
		return err
	}
	if err := d.causedIncident(ctx, failed.ID); err != nil {
		return err
	}

	// One awaiting its board.
	waiting, err := d.svc.Create(ctx, d.jonas, change.NewChange{Title: "Upgrade the ERP database to the next major version", Type: change.Normal,
		Description: "An in-place upgrade that links the data files rather than copying them.", Justification: "The current version leaves support in three months.",
		CIIDs: []int64{d.cis[3]}, AssigneeID: &d.jonas.UserID}, nil)
	if err != nil {
		return err
	}
	pt = change.Patch{State: ptrTo(change.Assessment)}
	d.window(&pt, d.now.AddDate(0, 0, 12).Truncate(24*time.Hour).Add(20*time.Hour), 6)
	if err := run(
		func() error { return d.step(ctx, d.jonas, &waiting, pt) },
		func() error {
			return d.step(ctx, d.jonas, &waiting, d.assessed(mediumRisk, "Stop the ERP, take a snapshot, upgrade in place, refresh the statistics, start.",
				"The ERP's month-end report runs and matches last month's figures.", "Restore the snapshot and start the old version."))
		},
		func() error {
			_, err := d.svc.Decide(ctx, d.mei, waiting.ID, "approve", "Plan is sound; snapshot restore was tested last quarter.")
			return err
		},
	); err != nil {
		return err
	}

	// Two changes whose windows overlap on the same CI.
	next := d.now.AddDate(0, 0, 5).Truncate(24 * time.Hour).Add(22 * time.Hour)
	fw, err := d.svc.Create(ctx, d.alex, change.NewChange{Title: "Update the firmware of the core switch", Type: change.Normal,
		Description: "Vendor release fixes a memory leak.", Justification: "Two crashes this quarter traced to the leak.",
		CIIDs: []int64{d.cis[1]}, AssigneeID: &d.alex.UserID}, nil)
	if err != nil {
		return err
	}
	pt = change.Patch{State: ptrTo(change.Assessment)}
	d.window(&pt, next, 3)
	if err := run(
		func() error { return d.step(ctx, d.alex, &fw, pt) },
		func() error {
			return d.step(ctx, d.alex, &fw, d.assessed(lowRisk, "Upload the image, reboot in the window.", "Ports up, no errors for an hour.", "Boot the previous image."))
		},
		func() error {
			_, err := d.svc.Decide(ctx, d.sam, fw.ID, "approve", "OK for the weekend window.")
			return err
		},
		func() error {
			return d.step(ctx, d.alex, &fw, change.Patch{State: ptrTo(change.Scheduled), AcknowledgeConflicts: ack})
		},
	); err != nil {
		return err
	}
	psu := next.Add(time.Hour)
	end := psu.Add(2 * time.Hour)
	power, err := d.svc.Create(ctx, d.tom, change.NewChange{Title: "Replace a power supply in the core switch", Type: change.Normal,
		Description: "PSU 2 reports a fan fault.", Justification: "The switch runs on one PSU until it is replaced.",
		CIIDs: []int64{d.cis[1]}, PlannedStart: &psu, PlannedEnd: &end, AssigneeID: &d.tom.UserID}, nil)
	if err != nil {
		return err
	}
	if err := d.step(ctx, d.tom, &power, change.Patch{State: ptrTo(change.Assessment)}); err != nil {
		return err
	}

	// A draft.
	if _, err := d.svc.Create(ctx, d.sam, change.NewChange{Title: "Retire the old intranet server", Type: change.Normal}, nil); err != nil {
		return err
	}
	return d.backdate(ctx, map[int64]int{std.ID: 9, em.ID: 4, failed.ID: 14, waiting.ID: 2, fw.ID: 1})
}

// backdate moves the demo changes' raising into the past, so that their
// lead time reads as it would have.
func (d *changeDemo) backdate(ctx context.Context, days map[int64]int) error {
	for id, n := range days {
		raised := d.now.AddDate(0, 0, -n)
		if _, err := d.db.Exec(ctx, "UPDATE changes SET created_at = ? WHERE id = ?", store.TS(raised), id); err != nil {
			return err
		}
		// Approved the day it was raised, well before its window.
		if _, err := d.db.Exec(ctx, "UPDATE changes SET approved_at = ? WHERE id = ? AND approved_at IS NOT NULL",
			store.TS(raised.Add(3*time.Hour)), id); err != nil {
			return err
		}
	}
	return nil
}

// causedIncident links the newest incident to change id as its cause.
func (d *changeDemo) causedIncident(ctx context.Context, id int64) error {
	var inc int64
	if err := store.ScanErr(d.db.QueryRow(ctx, "SELECT id FROM incidents ORDER BY id DESC LIMIT 1").Scan(&inc)); err != nil {
		return err
	}
	_, err := d.db.Exec(ctx, `INSERT INTO record_links (from_kind, from_id, type, to_kind, to_id, created_by, created_at)
		VALUES ('incident', ?, 'caused_by', 'change', ?, ?, ?)`, inc, id, d.alex.UserID, store.TS(d.now))
	return err
}
