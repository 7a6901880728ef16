package improvement_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/improvement"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// The machine, walked exhaustively: every status x action either moves as
// the table says or is refused, and nothing leaves done or rejected.
func TestImprovementMachine(t *testing.T) {
	for _, st := range improvement.Statuses {
		for _, a := range improvement.Actions {
			to, ok := improvement.Machine[st][a]
			if ok && (st == "done" || st == "rejected") {
				t.Errorf("%s can still be %s", st, a)
			}
			if ok && !contains(improvement.Statuses, to) {
				t.Errorf("%s --%s--> %q, not a status", st, a, to)
			}
		}
	}
	if improvement.Machine["proposed"]["approve"] != "approved" || improvement.Machine["in_progress"]["finish"] != "done" {
		t.Error("the main path proposed -> approved -> in progress -> done is broken")
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func TestImprovementMeasuredBeforeAndAfter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		now := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
		svc := improvement.NewService(e.DB)
		svc.Now = func() time.Time { return now }
		u, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: "a@imp.test", Name: "Ada", Role: auth.Admin, Password: "a-long-password"})
		if err != nil {
			t.Fatal(err)
		}
		ada := audit.Actor{Type: "user", ID: u.ID, Name: "Ada"}
		s := func(v string) *string { return &v }
		incident := func(created time.Time, hours int) {
			t.Helper()
			err := e.DB.InTx(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO incidents (title, impact, urgency, priority, state, created_at, updated_at, resolved_at)
					VALUES ('i', 'low', 'low', 3, 'resolved', ?, ?, ?)`, store.TS(created), store.TS(created), store.TS(created.Add(time.Duration(hours)*time.Hour)))
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}

		if _, err := svc.Create(ctx, ada, improvement.Input{Title: s("x"), Source: s("rumour"), MetricKey: s("nope"), DueOn: s("soon")}); err == nil {
			t.Fatal("bad source, measure and date accepted")
		} else {
			var inv *domainerr.Invalid
			if !errors.As(err, &inv) || inv.Fields["source"] == "" || inv.Fields["metric_key"] == "" || inv.Fields["due_on"] == "" {
				t.Errorf("messages: %v", err)
			}
		}
		i, err := svc.Create(ctx, ada, improvement.Input{Title: s("Known-error panel"), MetricKey: s("incident.mttr_hours")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Act(ctx, ada, i.ID, "approve", 0); err == nil {
			t.Fatal("approved without criteria")
		} else if inv := new(domainerr.Invalid); !errors.As(err, &inv) || inv.Fields["criteria"] == "" {
			t.Errorf("approval without criteria: %v", err)
		}
		if _, err := svc.Act(ctx, ada, i.ID, "finish", 0); !errors.Is(err, store.ErrConflict) {
			t.Errorf("finishing a proposal: %v", err)
		}
		i, err = svc.Update(ctx, ada, i.ID, improvement.Input{Criteria: s("Mean time to resolve falls by a fifth")}, i.Version)
		if err != nil {
			t.Fatal(err)
		}

		incident(now.AddDate(0, 0, -20), 30) // before: 30 h
		if i, err = svc.Act(ctx, ada, i.ID, "approve", i.Version); err != nil {
			t.Fatal(err)
		}
		if i.ApprovedBy == nil || *i.ApprovedBy != u.ID || i.ApprovedAt == nil || i.BaselineValue == nil || *i.BaselineValue != 30 {
			t.Errorf("approved: by %v at %v baseline %v", i.ApprovedBy, i.ApprovedAt, i.BaselineValue)
		}
		if _, err := svc.Update(ctx, ada, i.ID, improvement.Input{MetricKey: s("change.success_rate")}, 0); err == nil {
			t.Error("the measure changed after its baseline was taken")
		}
		if i, err = svc.Act(ctx, ada, i.ID, "start", i.Version); err != nil {
			t.Fatal(err)
		}
		// Months later the incidents resolve faster.
		now = now.AddDate(0, 6, 0)
		incident(now.AddDate(0, 0, -5), 10)
		if i, err = svc.Act(ctx, ada, i.ID, "finish", i.Version); err != nil {
			t.Fatal(err)
		}
		if i.Status != "done" || i.ResultValue == nil || *i.ResultValue != 10 || i.Difference == nil || *i.Difference != -20 ||
			i.Improved == nil || !*i.Improved {
			t.Errorf("done: status %s result %v difference %v improved %v", i.Status, i.ResultValue, i.Difference, i.Improved)
		}
		if _, err := svc.Act(ctx, ada, i.ID, "reject", 0); err == nil {
			t.Error("a done improvement was rejected")
		}
		var audited int
		if err := e.DB.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log WHERE entity = 'improvement'").Scan(&audited); err != nil || audited != 5 {
			t.Errorf("audit entries: %d %v, want 5", audited, err)
		}
	})
}
