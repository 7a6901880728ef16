package availability_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"steward/internal/availability"
	"steward/internal/cmdb"
	"steward/internal/domainerr"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// incident inserts an incident as the desk or event management left it.
func (f *fx) incident(source string, major bool, svc *int64, created time.Time, resolved *time.Time) int64 {
	var res any
	if resolved != nil {
		res = store.TS(*resolved)
	}
	return f.id(`INSERT INTO incidents (title, impact, urgency, priority, state, major, source, service_id, created_at, updated_at, resolved_at)
		VALUES ('Down', 'high', 'high', 1, 'resolved', ?, ?, ?, ?, ?, ?)`, major, source, svc, store.TS(created), store.TS(f.now), res)
}

func (f *fx) alert(integration, inc int64, severity string, first time.Time, resolved *time.Time) {
	var res any
	if resolved != nil {
		res = store.TS(*resolved)
	}
	f.exec(`INSERT INTO alerts (integration_id, dedup_key, state, severity, first_seen_at, last_seen_at, resolved_at, incident_id,
		first_event_id, last_event_id, updated_at) VALUES (?, ?, 'resolved', ?, ?, ?, ?, ?, 1, 1, ?)`,
		integration, "k"+itoa(inc)+severity, severity, store.TS(first), store.TS(first), res, inc, store.TS(first))
}

func (f *fx) outages(svc int64) []availability.Outage {
	f.t.Helper()
	items, _, err := f.svc.ListOutages(f.ctx, f.admin, availability.OutageFilter{ServiceID: svc})
	if err != nil {
		f.t.Fatal(err)
	}
	return items
}

func (f *fx) derive() {
	f.t.Helper()
	if _, err := f.svc.Derive(f.ctx); err != nil {
		f.t.Fatal(err)
	}
}

// Outages come from major incidents and from incidents opened by
// critical or major alerts, on the services the impact analysis reaches
// (in part when only degraded); corrected ones stay corrected and removed
// ones stay removed.
func TestOutagesDerivedFromIncidents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFx(t, e)
		shop, pay, mail := f.service("Shop"), f.service("Payments"), f.service("Mail")
		_, app := f.standsOn(shop)
		// Payments runs on a pool that fails only when 2 members are down.
		payBS := f.ci(cmdb.NewCI{Type: "Business service", Name: "payments", ServiceID: &pay})
		pool := f.ci(cmdb.NewCI{Type: "Cluster", Name: "pool", Redundancy: &cmdb.Redundancy{FailedWhenDown: 2}})
		srv := f.ci(cmdb.NewCI{Type: "Application", Name: "node-1"})
		f.relate(payBS, pool, cmdb.DependsOn)
		f.relate(srv, pool, cmdb.MemberOf)
		f.relate(f.ci(cmdb.NewCI{Type: "Application", Name: "node-2"}), pool, cmdb.MemberOf)
		integ := f.id(`INSERT INTO integrations (name, kind, key_hash, created_at, updated_at) VALUES ('mon', 'http', 'h', ?, ?)`,
			store.TS(f.now), store.TS(f.now))

		// An alerting incident on the shop's application and the pool member.
		a1, a2 := at(3, 10, 0), at(3, 10, 45)
		ev := f.incident("event", false, nil, at(3, 10, 2), ptr(at(3, 11, 0)))
		f.alert(integ, ev, "critical", a1, &a2)
		f.alert(integ, ev, "warning", at(3, 10, 5), ptr(at(3, 10, 20)))
		for _, ci := range []int64{app, srv} {
			if _, err := f.cmdb.LinkIncident(f.ctx, f.admin.Actor(), ev, ci); err != nil {
				t.Fatal(err)
			}
		}
		// A major incident on Mail; a plain desk incident and a warning-only
		// alerting incident on it too, which are no outages.
		major := f.incident("desk", true, &mail, at(4, 8, 0), ptr(at(4, 9, 30)))
		f.incident("desk", false, &mail, at(5, 8, 0), ptr(at(5, 9, 0)))
		weak := f.incident("event", false, &mail, at(6, 8, 0), ptr(at(6, 9, 0)))
		f.alert(integ, weak, "warning", at(6, 8, 0), ptr(at(6, 8, 30)))

		f.derive()
		f.derive() // twice changes nothing
		s, p, m := f.outages(shop), f.outages(pay), f.outages(mail)
		if len(s) != 1 || !s[0].StartedAt.Equal(a1) || s[0].EndedAt == nil || !s[0].EndedAt.Equal(a2) || s[0].Weight != 1 || s[0].Source != "alert" {
			t.Fatalf("shop: %+v", s)
		}
		if len(p) != 1 || p[0].Weight != availability.PartialWeight || !p[0].StartedAt.Equal(a1) {
			t.Fatalf("payments (degraded): %+v", p)
		}
		if len(m) != 1 || m[0].Source != "incident" || !m[0].StartedAt.Equal(at(4, 8, 0)) || !m[0].EndedAt.Equal(at(4, 9, 30)) ||
			m[0].IncidentNumber == "" || m[0].Version != 1 {
			t.Fatalf("mail: %+v", m)
		}

		// The owner corrects Mail's (it started later) and removes the shop's.
		start := at(4, 8, 30)
		if _, err := f.svc.UpdateOutage(f.ctx, f.owner, m[0].ID, availability.OutagePatch{StartedAt: &start, Reason: "users were fine until 08:30"}, 0); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.DeleteOutage(f.ctx, f.owner, s[0].ID, "a test alert"); err != nil {
			t.Fatal(err)
		}
		// Both incidents change again; derivation leaves the person's word.
		f.now = f.now.Add(time.Hour)
		f.exec("UPDATE incidents SET resolved_at = ?, updated_at = ? WHERE id IN (?, ?)", store.TS(at(4, 10, 0)), store.TS(f.now), major, ev)
		f.derive()
		if s := f.outages(shop); len(s) != 0 {
			t.Errorf("a removed outage came back: %+v", s)
		}
		if m := f.outages(mail); len(m) != 1 || !m[0].StartedAt.Equal(start) || !m[0].EndedAt.Equal(at(4, 9, 30)) || !m[0].Edited {
			t.Errorf("the corrected outage changed: %+v", m)
		}
		hist, err := f.svc.History(f.ctx, f.audit, m[0].ID)
		if err != nil || len(hist) != 1 || !contains(string(hist[0].Data), "users were fine until 08:30") {
			t.Errorf("history %+v %v", hist, err)
		}

		// A major incident no longer major takes its outages with it.
		svc2 := f.service("Files")
		gone := f.incident("desk", true, &svc2, at(7, 8, 0), nil)
		f.derive()
		if o := f.outages(svc2); len(o) != 1 || o[0].EndedAt != nil {
			t.Fatalf("open major incident: %+v", o)
		}
		f.now = f.now.Add(time.Hour)
		f.exec("UPDATE incidents SET major = ?, updated_at = ? WHERE id = ?", false, store.TS(f.now), gone)
		f.derive()
		if o := f.outages(svc2); len(o) != 0 {
			t.Errorf("outage of a no longer major incident: %+v", o)
		}
	})
}

// Only a service's owner, or an administrator, records and corrects its
// outages; auditors read; bad input is refused field by field and nothing
// is stored.
func TestWhoMayChangeOutages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFx(t, e)
		svc := f.service("Shop")
		in := availability.NewOutage{ServiceID: svc, StartedAt: at(2, 9, 0), EndedAt: ptr(at(2, 10, 0)), Summary: "checkout failed"}
		if _, err := f.svc.CreateOutage(f.ctx, f.other, in); !errors.Is(err, domainerr.ErrForbidden) {
			t.Errorf("another agent: %v", err)
		}
		if _, err := f.svc.CreateOutage(f.ctx, f.audit, in); !errors.Is(err, domainerr.ErrForbidden) {
			t.Errorf("auditor: %v", err)
		}
		o, err := f.svc.CreateOutage(f.ctx, f.owner, in)
		if err != nil {
			t.Fatalf("owner: %v", err)
		}
		if _, err := f.svc.CreateOutage(f.ctx, f.admin, in); err != nil {
			t.Fatalf("admin: %v", err)
		}
		w0, w2 := 0.0, 1.5
		for name, c := range map[string]struct {
			in    availability.NewOutage
			field string
		}{
			"end before start": {availability.NewOutage{ServiceID: svc, StartedAt: at(2, 9, 0), EndedAt: ptr(at(2, 8, 0)), Summary: "x"}, "ended_at"},
			"end at start":     {availability.NewOutage{ServiceID: svc, StartedAt: at(2, 9, 0), EndedAt: ptr(at(2, 9, 0)), Summary: "x"}, "ended_at"},
			"no weight":        {availability.NewOutage{ServiceID: svc, StartedAt: at(2, 9, 0), Weight: &w0, Summary: "x"}, "weight"},
			"weight above 1":   {availability.NewOutage{ServiceID: svc, StartedAt: at(2, 9, 0), Weight: &w2, Summary: "x"}, "weight"},
			"unknown service":  {availability.NewOutage{ServiceID: 99999, StartedAt: at(2, 9, 0), Summary: "x"}, "service_id"},
			"in the future":    {availability.NewOutage{ServiceID: svc, StartedAt: f.now.Add(time.Hour), Summary: "x"}, "started_at"},
			"no summary":       {availability.NewOutage{ServiceID: svc, StartedAt: at(2, 9, 0)}, "summary"},
		} {
			_, err := f.svc.CreateOutage(f.ctx, f.admin, c.in)
			var inv *domainerr.Invalid
			if !errors.As(err, &inv) || inv.Fields[c.field] == "" {
				t.Errorf("%s: %v, want a message on %s", name, err, c.field)
			}
		}
		if n := len(f.outages(svc)); n != 2 {
			t.Errorf("%d outages stored, want the 2 valid ones", n)
		}
		end := at(2, 8, 0)
		_, err = f.svc.UpdateOutage(f.ctx, f.owner, o.ID, availability.OutagePatch{EndedAt: &end}, 0)
		var inv *domainerr.Invalid
		if !errors.As(err, &inv) || inv.Fields["ended_at"] == "" || inv.Fields["reason"] == "" {
			t.Errorf("correction without reason and with end before start: %v", err)
		}
		if _, err := f.svc.UpdateOutage(f.ctx, f.other, o.ID, availability.OutagePatch{Reason: "x"}, 0); !errors.Is(err, domainerr.ErrForbidden) {
			t.Errorf("another agent corrects: %v", err)
		}
		if err := f.svc.DeleteOutage(f.ctx, f.other, o.ID, "x"); !errors.Is(err, domainerr.ErrForbidden) {
			t.Errorf("another agent removes: %v", err)
		}
		if err := f.svc.DeleteOutage(f.ctx, f.owner, o.ID, " "); !errors.As(err, &inv) || inv.Fields["reason"] == "" {
			t.Errorf("removal without reason: %v", err)
		}
		if _, err := f.svc.SetTarget(f.ctx, f.other, svc, availability.TargetInput{Percent: 99}); !errors.Is(err, domainerr.ErrForbidden) {
			t.Errorf("another agent sets the target: %v", err)
		}
		for _, pct := range []float64{0, 100.1, -5} {
			if _, err := f.svc.SetTarget(f.ctx, f.owner, svc, availability.TargetInput{Percent: pct}); !errors.As(err, &inv) || inv.Fields["target"] == "" {
				t.Errorf("target %v: %v", pct, err)
			}
		}
	})
}

func ptr[T any](v T) *T { return &v }

func contains(s, sub string) bool { return strings.Contains(s, sub) }
