package incident_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"steward/internal/auth"
	"steward/internal/catalog"
	"steward/internal/incident"
	"steward/internal/patch"
	"steward/internal/store/storetest"
)

// catalogue adds services to the world: one offered to everyone, one to
// customer B only, one planned and one retired.
func (w *world) catalogue(t *testing.T) (everyone, onlyB, planned, retired catalog.Service) {
	t.Helper()
	cat := catalog.New(w.e.DB)
	mk := func(in catalog.NewService) catalog.Service {
		t.Helper()
		s, err := cat.Create(context.Background(), w.admin, in)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	everyone = mk(catalog.NewService{Name: "E-mail", Status: catalog.Live})
	onlyB = mk(catalog.NewService{Name: "Fleet tracking", Status: catalog.Live, CustomerIDs: []int64{w.custB}})
	planned = mk(catalog.NewService{Name: "Data warehouse"})
	retired = mk(catalog.NewService{Name: "Fax", Status: catalog.Retired})
	return
}

func TestIncidentServiceReference(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		everyone, onlyB, planned, retired := w.catalogue(t)

		inc := w.create(t, w.reqA, incident.NewIncident{Title: "Mail bounces", ServiceID: &everyone.ID})
		if inc.ServiceID == nil || *inc.ServiceID != everyone.ID || inc.ServiceName != "E-mail" {
			t.Fatalf("service on the record: %v %q", inc.ServiceID, inc.ServiceName)
		}
		for _, c := range []struct {
			who  *auth.Principal
			id   int64
			want string
		}{
			{w.reqA, onlyB.ID, "no such service"},   // not offered to A
			{w.reqA, planned.ID, "no such service"}, // not live
			{w.reqA, 999999, "no such service"},
			{w.agent, 999999, "no such service"},
			{w.agent, retired.ID, "retired"},
		} {
			_, err := w.svc.Create(ctx, c.who, incident.NewIncident{Title: "x", ServiceID: &c.id}, nil)
			if got := fieldErr(err, "service_id"); !strings.Contains(got, c.want) {
				t.Errorf("%s picking service %d: %q (%v), want %q", c.who.Email, c.id, got, err, c.want)
			}
		}
		staff := w.create(t, w.agent, incident.NewIncident{Title: "Load test of the warehouse", ServiceID: &planned.ID})
		if staff.ServiceName != "Data warehouse" {
			t.Fatalf("staff may refer to a planned service: %+v", staff)
		}

		moved := w.update(t, w.agent, inc.ID, incident.Patch{ServiceID: patch.Of(onlyB.ID)})
		if *moved.ServiceID != onlyB.ID || moved.ServiceName != "Fleet tracking" {
			t.Fatalf("after the move: %+v", moved)
		}
		journal, _ := w.svc.Journal(ctx, w.agent, inc.ID)
		last := journal[len(journal)-1]
		if len(last.Changes) != 1 || last.Changes[0].Field != "service_id" || last.Changes[0].Old != itoa(everyone.ID) || last.Changes[0].New != itoa(onlyB.ID) {
			t.Fatalf("journal of the move: %+v", last)
		}
		if _, err := w.svc.Update(ctx, w.agent, inc.ID, incident.Patch{ServiceID: patch.Of(retired.ID)}, 0); !strings.Contains(fieldErr(err, "service_id"), "retired") {
			t.Fatalf("moving to a retired service: %v", err)
		}

		page, err := w.svc.List(ctx, w.agent, incident.Filter{ServiceID: onlyB.ID})
		if err != nil || len(page.Items) != 1 || page.Items[0].ID != inc.ID {
			t.Fatalf("list by service: %+v, %v", page.Items, err)
		}
		page, _ = w.svc.List(ctx, w.agent, incident.Filter{ServiceID: onlyB.ID, Sort: "priority", States: incident.OpenStates})
		if len(page.Items) != 1 {
			t.Fatalf("list by service, by priority: %+v", page.Items)
		}

		// Retiring a service leaves its incidents as they are and workable.
		if _, err := catalog.New(w.e.DB).Update(ctx, w.admin, onlyB.ID, catalog.Patch{Status: ptr(catalog.Retired)}, 0); err != nil {
			t.Fatal(err)
		}
		kept := w.update(t, w.agent, inc.ID, incident.Patch{Title: ptr("Mail bounces for the fleet"), ServiceID: patch.Of(onlyB.ID)})
		if *kept.ServiceID != onlyB.ID {
			t.Fatalf("service lost: %+v", kept)
		}
		cleared := w.update(t, w.agent, inc.ID, incident.Patch{ServiceID: patch.Field[int64]{Set: true, Null: true}})
		if cleared.ServiceID != nil || cleared.ServiceName != "" {
			t.Fatalf("null clears the service: %+v", cleared)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
