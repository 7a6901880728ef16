package servicereport_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/servicereport"
	"steward/internal/store/storetest"
)

func TestProducingAReportMovesItsDueDate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		svc := servicereport.NewService(e.DB)
		svc.Now = func() time.Time { return time.Date(2026, 6, 15, 9, 0, 0, 0, time.UTC) }
		u, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: "r@rep.test", Name: "Ria", Role: auth.Agent, Password: "a-long-password"})
		if err != nil {
			t.Fatal(err)
		}
		s := func(v string) *string { return &v }
		var inv *domainerr.Invalid
		if _, err := svc.Create(ctx, audit.System, servicereport.Input{Name: s("SLA"), OwnerID: &u.ID, Frequency: s("daily"), NextDue: s("June")}); !errors.As(err, &inv) ||
			inv.Fields["frequency"] == "" || inv.Fields["next_due"] == "" {
			t.Errorf("bad definition: %v", err)
		}
		for _, c := range []struct {
			freq, due, next string
			overdue         bool
		}{
			{"weekly", "2026-06-10", "2026-06-17", true},
			{"monthly", "2026-01-31", "2026-02-28", true},
			{"quarterly", "2026-07-01", "2026-10-01", false},
			{"yearly", "2026-06-15", "2027-06-15", false},
		} {
			d, err := svc.Create(ctx, audit.System, servicereport.Input{Name: s(c.freq), OwnerID: &u.ID, Frequency: &c.freq, NextDue: &c.due})
			if err != nil {
				t.Fatal(err)
			}
			if d.Overdue != c.overdue {
				t.Errorf("%s due %s: overdue %v", c.freq, c.due, d.Overdue)
			}
			if _, err := svc.Produce(ctx, audit.System, d.ID, servicereport.RunInput{PeriodFrom: "2026-05-01", PeriodTo: "2026-04-01"}, 0); !errors.As(err, &inv) ||
				inv.Fields["period_to"] == "" {
				t.Errorf("period backwards: %v", err)
			}
			if _, err := svc.Produce(ctx, audit.System, d.ID, servicereport.RunInput{PeriodFrom: "2026-05-01", PeriodTo: "2026-05-31", Link: "//evil.example"}, 0); !errors.As(err, &inv) ||
				inv.Fields["link"] == "" {
				t.Errorf("link: %v", err)
			}
			if _, err := svc.Produce(ctx, audit.System, d.ID, servicereport.RunInput{PeriodFrom: "2026-05-01", PeriodTo: "2026-05-31", Link: "/reports/sla"}, d.Version+3); !errors.Is(err, domainerr.ErrStale) {
				t.Errorf("stale: %v", err)
			}
			run, err := svc.Produce(ctx, audit.System, d.ID, servicereport.RunInput{PeriodFrom: "2026-05-01", PeriodTo: "2026-05-31", Link: "/reports/sla"}, d.Version)
			if err != nil {
				t.Fatal(err)
			}
			if run.PeriodTo != "2026-05-31" || run.Link != "/reports/sla" {
				t.Errorf("run: %+v", run)
			}
			got, err := svc.Get(ctx, e.DB, d.ID)
			if err != nil || got.NextDue != c.next || got.LastRun == nil || got.LastRun.ID != run.ID {
				t.Errorf("%s after producing: next due %s (want %s), last run %+v, %v", c.freq, got.NextDue, c.next, got.LastRun, err)
			}
		}
		var audited int
		if err := e.DB.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log WHERE entity = 'report_definition'").Scan(&audited); err != nil || audited != 8 {
			t.Errorf("audit entries: %d %v, want 8", audited, err)
		}
	})
}
