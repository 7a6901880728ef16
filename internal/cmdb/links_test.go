package cmdb_test

import (
	"errors"
	"testing"
	"time"

	"steward/internal/catalog"
	"steward/internal/cmdb"
	"steward/internal/incident"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

func TestIncidentLinks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFixture(t, e)
		incidents := incident.NewService(e.DB, 24*time.Hour)
		inc, err := incidents.Create(f.ctx, f.admin, incident.NewIncident{Title: "Shop is slow"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		other, err := incidents.Create(f.ctx, f.admin, incident.NewIncident{Title: "Shop is down"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		cat := catalog.New(e.DB)
		shop, err := cat.Create(f.ctx, f.admin, catalog.NewService{Name: "Online shop", Status: catalog.Live})
		if err != nil {
			t.Fatal(err)
		}
		mail, err := cat.Create(f.ctx, f.admin, catalog.NewService{Name: "E-mail", Status: catalog.Live})
		if err != nil {
			t.Fatal(err)
		}
		hr, err := cat.Create(f.ctx, f.admin, catalog.NewService{Name: "HR portal", Status: catalog.Live})
		if err != nil {
			t.Fatal(err)
		}
		// shop (business service) depends_on app runs_on pool <- member srv1, srv2.
		bs := f.ci(cmdb.NewCI{Type: "Business service", Name: "Shop", ServiceID: &shop.ID})
		hrBS := f.ci(cmdb.NewCI{Type: "Business service", Name: "HR", ServiceID: &hr.ID})
		app := f.ci(cmdb.NewCI{Type: "Application", Name: "shop-app"})
		pool := f.ci(cmdb.NewCI{Type: "Cluster", Name: "web pool", Redundancy: &cmdb.Redundancy{FailedWhenDown: 2}})
		srv1 := f.server("srv1", "srv1", nil)
		relay := f.ci(cmdb.NewCI{Type: "Application", Name: "mail relay", ServiceID: &mail.ID})
		for _, r := range []cmdb.NewRelationship{
			{SourceID: bs.ID, TargetID: app.ID, Type: cmdb.DependsOn},
			{SourceID: app.ID, TargetID: pool.ID, Type: cmdb.RunsOn},
			{SourceID: srv1.ID, TargetID: pool.ID, Type: cmdb.MemberOf},
			{SourceID: srv1.ID, TargetID: hrBS.ID, Type: cmdb.ConnectedTo},
			{SourceID: bs.ID, TargetID: bs.ID + 1000, Type: cmdb.DependsOn}, // refused: no such CI
		} {
			if _, err := f.svc.Relate(f.ctx, f.actor, r, nil); err != nil && r.TargetID < 1000 {
				t.Fatal(err)
			}
		}

		for _, ci := range []int64{srv1.ID, relay.ID} {
			if created, err := f.svc.LinkIncident(f.ctx, f.actor, inc.ID, ci); err != nil || !created {
				t.Fatalf("link %d: %v %v", ci, created, err)
			}
		}
		if created, err := f.svc.LinkIncident(f.ctx, f.actor, inc.ID, srv1.ID); err != nil || created {
			t.Fatalf("linking twice: %v %v", created, err)
		}
		if _, err := f.svc.LinkIncident(f.ctx, f.actor, other.ID, srv1.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.LinkIncident(f.ctx, f.actor, 999999, srv1.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing incident: %v", err)
		}
		if _, err := f.svc.LinkIncident(f.ctx, f.actor, inc.ID, 999999); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing CI: %v", err)
		}

		linked, err := f.svc.IncidentCIs(f.ctx, inc.ID)
		if err != nil || len(linked) != 2 || linked[0].Name != "srv1" || linked[0].Type != "Server" || *linked[1].ServiceID != mail.ID {
			t.Fatalf("CIs of the incident: %+v %v", linked, err)
		}
		of, err := f.svc.CIIncidents(f.ctx, srv1.ID, 0, 10)
		if err != nil || len(of) != 2 || of[0].IncidentID != other.ID || of[0].Number != other.Number || of[1].Title != "Shop is slow" {
			t.Fatalf("incidents of the server: %+v %v", of, err)
		}
		if older, _ := f.svc.CIIncidents(f.ctx, srv1.ID, other.ID, 10); len(older) != 1 || older[0].IncidentID != inc.ID {
			t.Fatalf("incidents before: %+v", older)
		}

		// One pool member down is enough to name the shop as affected (if
		// only degraded); connected_to carries nothing, so not HR.
		affected, err := f.svc.AffectedServices(f.ctx, inc.ID)
		if err != nil || len(affected) != 2 || affected[0].Name != "E-mail" || affected[1].ServiceID != shop.ID ||
			len(affected[1].CIIDs) != 1 || affected[1].CIIDs[0] != bs.ID {
			t.Fatalf("affected services: %+v %v", affected, err)
		}

		wantConflict(t, f.svc.DeleteCI(f.ctx, f.actor, srv1.ID, 0, ""), "2 incidents")
		if err := f.svc.UnlinkIncident(f.ctx, f.actor, inc.ID, relay.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.UnlinkIncident(f.ctx, f.actor, inc.ID, relay.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unlink twice: %v", err)
		}
		if affected, _ := f.svc.AffectedServices(f.ctx, inc.ID); len(affected) != 1 || affected[0].Name != "Online shop" {
			t.Fatalf("after unlinking the relay: %+v", affected)
		}

		if _, err := e.DB.Exec(f.ctx, "UPDATE incidents SET state = 'closed' WHERE id = ?", other.ID); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.LinkIncident(f.ctx, f.actor, other.ID, app.ID)
		wantConflict(t, err, "closed")
		wantConflict(t, f.svc.UnlinkIncident(f.ctx, f.actor, other.ID, srv1.ID), "closed")
		if created, err := f.svc.LinkIncident(f.ctx, f.actor, other.ID, srv1.ID); err != nil || created {
			t.Fatalf("an existing link on a closed incident is no change: %v %v", created, err)
		}
	})
}
