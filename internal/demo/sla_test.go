package demo_test

import (
	"context"
	"testing"
	"time"

	"steward/internal/demo"
	"steward/internal/incident"
	"steward/internal/sla"
	"steward/internal/store/storetest"
	"steward/internal/ticket"
)

// The demo's service levels load on top of the demo organisation, and its
// calendar keeps Berlin office hours with the German holidays.
func TestDemoSLA(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		if err := demo.Load(ctx, e.DB, incident.NewService(e.DB, 7*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		svc := sla.NewService(e.DB, nil)
		if err := demo.LoadSLA(ctx, e.DB, svc); err != nil {
			t.Fatal(err)
		}
		agreements, err := sla.ListAgreements(ctx, e.DB, sla.AgreementFilter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[sla.AgreementKind]int{}
		soon := time.Now().UTC().AddDate(0, 0, 30).Format(time.DateOnly)
		due := 0
		for _, a := range agreements {
			kinds[a.Kind]++
			if a.ReviewDate != nil && *a.ReviewDate <= soon {
				due++
			}
		}
		if due == 0 {
			t.Error("no agreement's review falls due within 30 days")
		}
		def, err := sla.DefaultAgreement(ctx, e.DB)
		chosen := false
		for _, a := range agreements {
			chosen = chosen || a.ID == def && a.Kind == sla.SLA
		}
		if err != nil || !chosen {
			t.Errorf("default agreement %d (%v), want a customer SLA measuring tickets without a customer", def, err)
		}
		if kinds[sla.SLA] != 3 || kinds[sla.OLA] != 1 || kinds[sla.UC] != 1 {
			t.Fatalf("agreements by kind: %v", kinds)
		}
		incidents, err := sla.ActiveDefinitions(ctx, e.DB, ticket.Incident)
		if err != nil {
			t.Fatal(err)
		}
		requests, err := sla.ActiveDefinitions(ctx, e.DB, ticket.Request)
		if err != nil {
			t.Fatal(err)
		}
		if len(incidents) != 8 || len(requests) != 3 {
			t.Fatalf("%d incident and %d request definitions, want 8 and 3", len(incidents), len(requests))
		}

		cals, err := sla.ListCalendars(ctx, e.DB, "", 0, 10)
		if err != nil || len(cals) != 2 {
			t.Fatalf("calendars: %v %d", err, len(cals))
		}
		berlin := cals[1]
		if berlin.Name != "Business hours (Berlin)" || len(berlin.Windows) != 10 || len(berlin.Holidays) != 13 {
			t.Fatalf("calendar: %+v", berlin)
		}
		cal, err := svc.Calendar(ctx, e.DB, berlin.ID)
		if err != nil {
			t.Fatal(err)
		}
		loc := cal.Location()
		for _, c := range []struct {
			from time.Time
			d    time.Duration
			want time.Time
		}{
			// A P1 resolution raised at 11:00 on a Monday: one hour before lunch, three after.
			{time.Date(2026, 3, 2, 11, 0, 0, 0, loc), 4 * time.Hour, time.Date(2026, 3, 2, 16, 0, 0, 0, loc)},
			// Raised on Maundy Thursday at 16:00: Good Friday, the weekend and Easter Monday are off.
			{time.Date(2026, 4, 2, 16, 0, 0, 0, loc), 2 * time.Hour, time.Date(2026, 4, 7, 9, 0, 0, 0, loc)},
			// German Unity Day recurs: 3 October 2027 is a Sunday, 4 October a normal Monday.
			{time.Date(2027, 10, 1, 16, 30, 0, 0, loc), time.Hour, time.Date(2027, 10, 4, 8, 30, 0, 0, loc)},
		} {
			got, err := cal.Due(c.from, c.d)
			if err != nil || !got.Equal(c.want) {
				t.Errorf("due from %s + %s = %s (%v), want %s", c.from, c.d, got, err, c.want)
			}
		}
	})
}
