package sla

import (
	"context"
	"testing"

	"steward/internal/store/storetest"
	"steward/internal/ticket"
)

// The report reconciles with hand-computed timers on the office calendar
// (Berlin, Monday to Friday 09:00-17:00; P1 4h, others 8h).
func TestReportReconciles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newEngineWorld(t, e)
		life := func(prio, created, resolved string) int64 {
			id := w.incidentRow(t, "incident")
			s := ticket.Snapshot{Kind: ticket.Incident, ID: id, State: "new", Priority: prio}
			w.change(t, bt(t, created), nil, &s)
			if resolved != "" {
				r := s
				r.State = "resolved"
				w.change(t, bt(t, resolved), &s, &r)
			}
			return id
		}
		life("P3", "2026-11-23 09:00", "2026-11-23 12:00")         // met, 3h
		late := life("P3", "2026-11-23 09:00", "2026-11-24 11:00") // breached Mon 17:00, 10h
		life("P1", "2026-11-24 09:00", "2026-11-24 11:00")         // met, 2h
		life("P3", "2026-11-27 16:00", "")                         // open, undecided
		life("P3", "2026-11-30 16:00", "2026-12-01 10:00")         // decided in December, 2h

		nov, err := ParsePeriod("2026-11", "Europe/Berlin")
		if err != nil {
			t.Fatal(err)
		}
		rep, err := w.svc.Report(ctx, ReportFilter{Period: nov})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Rows) != 2 {
			t.Fatalf("rows: %+v", rep.Rows)
		}
		p1, p3 := rep.Rows[0], rep.Rows[1]
		if p1.Priority != "P1" || p1.Tickets != 1 || p1.Met != 1 || p1.PercentMet != 100 || p1.AvgSeconds != 7200 || p1.P90Seconds != 7200 {
			t.Errorf("P1 row: %+v", p1)
		}
		if p3.Priority != "P3" || p3.Tickets != 2 || p3.Met != 1 || p3.Breached != 1 || p3.PercentMet != 50 ||
			p3.AvgSeconds != 23400 || p3.P90Seconds != 36000 || p3.AgreementName != "Desk contract" {
			t.Errorf("P3 row: %+v", p3)
		}
		if len(p3.Breaches) != 1 || p3.Breaches[0].TicketID != late || p3.Breaches[0].Ref != ticketRef(ticket.Incident, late) ||
			!p3.Breaches[0].BreachedAt.Equal(bt(t, "2026-11-23 17:00")) || p3.Breaches[0].ElapsedSeconds != 36000 {
			t.Errorf("breaches: %+v", p3.Breaches)
		}
		// The breach in the report is the timer on the ticket.
		timers := w.timers(t, late, bt(t, "2026-11-25 09:00"))
		if timers[0].State != Breached || timers[0].ElapsedSeconds != p3.Breaches[0].ElapsedSeconds ||
			!timers[0].BreachedAt.Equal(p3.Breaches[0].BreachedAt) {
			t.Errorf("timer %+v does not match the report", timers[0])
		}

		q4, _ := ParsePeriod("2026-Q4", "Europe/Berlin")
		rep, err = w.svc.Report(ctx, ReportFilter{Period: q4, Kind: ticket.Incident})
		if err != nil {
			t.Fatal(err)
		}
		if p3 := rep.Rows[1]; p3.Tickets != 3 || p3.AvgSeconds != 18000 || p3.P90Seconds != 36000 {
			t.Errorf("Q4 P3 row: %+v", p3)
		}
		rep, _ = w.svc.Report(ctx, ReportFilter{Period: nov, Kind: ticket.Request})
		if len(rep.Rows) != 0 {
			t.Errorf("requests counted with incidents: %+v", rep.Rows)
		}
	})
}

func TestParsePeriod(t *testing.T) {
	p, err := ParsePeriod("2026-11", "Europe/Berlin")
	if err != nil || p.From.Format("2006-01-02T15:04Z07:00") != "2026-10-31T23:00Z" || p.To.Format("2006-01-02T15:04Z07:00") != "2026-11-30T23:00Z" {
		t.Errorf("2026-11 in Berlin: %+v %v", p, err)
	}
	p, err = ParsePeriod("2026-q1", "")
	if err != nil || p.Label != "2026-Q1" || p.To.Month() != 4 {
		t.Errorf("2026-q1: %+v %v", p, err)
	}
	for _, bad := range []string{"2026", "2026-13", "2026-Q5", "26-11", "2026-1", "x"} {
		if _, err := ParsePeriod(bad, ""); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := ParsePeriod("2026-11", "Mars/Base"); err == nil {
		t.Error("unknown zone accepted")
	}
}
