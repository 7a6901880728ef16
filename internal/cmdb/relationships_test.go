package cmdb_test

import (
	"errors"
	"strings"
	"testing"

	"steward/internal/cmdb"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

func TestRelationships(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFixture(t, e)
		app := f.ci(cmdb.NewCI{Type: "Application", Name: "Shop"})
		srv := f.server("web-01", "web-01", nil)
		db := f.ci(cmdb.NewCI{Type: "Database", Name: "orders"})
		cases := []struct {
			name string
			in   cmdb.NewRelationship
			want map[string]string
		}{
			{"unknown type", cmdb.NewRelationship{SourceID: app.ID, TargetID: srv.ID, Type: "likes"}, map[string]string{"type": "depends_on, used_by, runs_on"}},
			{"no type", cmdb.NewRelationship{SourceID: app.ID, TargetID: srv.ID}, map[string]string{"type": "member_of"}},
			{"itself", cmdb.NewRelationship{SourceID: app.ID, TargetID: app.ID, Type: cmdb.DependsOn}, map[string]string{"target_id": "itself"}},
			{"missing CIs", cmdb.NewRelationship{SourceID: 999998, TargetID: 999999, Type: cmdb.DependsOn},
				map[string]string{"source_id": "999998 does not exist", "target_id": "999999 does not exist"}},
			{"no ends", cmdb.NewRelationship{Type: cmdb.DependsOn}, map[string]string{"source_id": "required", "target_id": "required"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := f.svc.Relate(f.ctx, f.actor, c.in, nil)
				wantFields(t, err, c.want)
			})
		}
		runs, err := f.svc.Relate(f.ctx, f.actor, cmdb.NewRelationship{SourceID: app.ID, TargetID: srv.ID, Type: cmdb.RunsOn, ChangeRef: "CHG-1"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if runs.SourceName != "Shop" || runs.TargetType != "Server" || runs.Type != cmdb.RunsOn {
			t.Fatalf("created: %+v", runs)
		}
		_, err = f.svc.Relate(f.ctx, f.actor, cmdb.NewRelationship{SourceID: app.ID, TargetID: srv.ID, Type: cmdb.RunsOn}, nil)
		wantConflict(t, err, "Shop already runs_on web-01")
		// Another type between the same CIs, and a cycle, are fine.
		for _, r := range []cmdb.NewRelationship{
			{SourceID: app.ID, TargetID: srv.ID, Type: cmdb.ConnectedTo},
			{SourceID: app.ID, TargetID: db.ID, Type: cmdb.DependsOn},
			{SourceID: db.ID, TargetID: app.ID, Type: cmdb.DependsOn},
		} {
			if _, err := f.svc.Relate(f.ctx, f.actor, r, nil); err != nil {
				t.Fatalf("%+v: %v", r, err)
			}
		}

		h := f.history(app.ID)
		if h[len(h)-2].Action != cmdb.ActionRelate || *h[len(h)-2].RelatedID != srv.ID || h[len(h)-2].RelType != cmdb.RunsOn ||
			h[len(h)-2].ChangeRef != "CHG-1" || str(h[len(h)-2].RelatedName) != "web-01" {
			t.Fatalf("relate in the source's history: %+v", h[len(h)-2])
		}

		page, err := f.svc.CIRelationships(f.ctx, srv.ID, cmdb.RelatedFilter{})
		if err != nil || len(page.Items) != 2 {
			t.Fatalf("relationships of the server: %+v %v", page, err)
		}
		if r := page.Items[0]; r.Direction != cmdb.Incoming || r.CIName != "Shop" || r.CIType != "Application" || r.Impact != cmdb.ImpactsOther {
			t.Fatalf("the server as seen from it: %+v", r)
		}
		if r := page.Items[1]; r.Type != cmdb.ConnectedTo || r.Impact != cmdb.ImpactNowhere {
			t.Fatalf("connected_to carries nothing: %+v", r)
		}
		page, _ = f.svc.CIRelationships(f.ctx, app.ID, cmdb.RelatedFilter{Direction: cmdb.Outgoing, Types: []cmdb.RelType{cmdb.RunsOn, cmdb.DependsOn}})
		if len(page.Items) != 2 || page.Items[0].Impact != cmdb.ImpactedBy || page.Items[1].CIName != "orders" {
			t.Fatalf("outgoing runs_on and depends_on of the app: %+v", page.Items)
		}
		page, _ = f.svc.CIRelationships(f.ctx, app.ID, cmdb.RelatedFilter{Limit: 3})
		next, _ := f.svc.CIRelationships(f.ctx, app.ID, cmdb.RelatedFilter{Limit: 3, Cursor: page.NextCursor})
		if len(page.Items) != 3 || len(next.Items) != 1 || next.NextCursor != "" || next.Items[0].Direction != cmdb.Incoming {
			t.Fatalf("paging the app's four relationships: %+v / %+v", page, next)
		}
		if _, err := f.svc.CIRelationships(f.ctx, 999999, cmdb.RelatedFilter{}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing CI: %v", err)
		}
		_, err = f.svc.CIRelationships(f.ctx, app.ID, cmdb.RelatedFilter{Direction: "sideways"})
		wantFields(t, err, map[string]string{"direction": "outgoing"})

		all, err := f.svc.Relationships(f.ctx, cmdb.RelFilter{Types: []cmdb.RelType{cmdb.DependsOn}})
		if err != nil || len(all.Items) != 2 {
			t.Fatalf("depends_on: %+v %v", all, err)
		}
		all, _ = f.svc.Relationships(f.ctx, cmdb.RelFilter{SourceID: app.ID, TargetID: srv.ID, Limit: 1})
		rest, _ := f.svc.Relationships(f.ctx, cmdb.RelFilter{SourceID: app.ID, TargetID: srv.ID, Limit: 1, Cursor: all.NextCursor})
		if len(all.Items) != 1 || all.Items[0].ID != runs.ID || len(rest.Items) != 1 || rest.NextCursor != "" {
			t.Fatalf("app to server, one at a time: %+v / %+v", all, rest)
		}
		_, err = f.svc.Relationships(f.ctx, cmdb.RelFilter{Types: []cmdb.RelType{"likes"}})
		wantFields(t, err, map[string]string{"type": "likes"})

		if err := f.svc.Unrelate(f.ctx, f.actor, runs.ID, "CHG-2"); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Unrelate(f.ctx, f.actor, runs.ID, ""); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unrelate twice: %v", err)
		}
		h = f.history(app.ID)
		if h[0].Action != cmdb.ActionUnrelate || *h[0].RelatedID != srv.ID || h[0].RelType != cmdb.RunsOn || h[0].ChangeRef != "CHG-2" {
			t.Fatalf("unrelate in the history: %+v", h[0])
		}
		older, err := f.svc.History(f.ctx, app.ID, h[0].Seq, 2)
		if err != nil || len(older) != 2 || older[0].Seq >= h[0].Seq || older[0].Seq != h[1].Seq {
			t.Fatalf("history before a seq: %+v %v", older, err)
		}

		// Deleting a CI takes its relationships along.
		if err := f.svc.DeleteCI(f.ctx, f.actor, db.ID, 0, ""); err != nil {
			t.Fatal(err)
		}
		page, _ = f.svc.CIRelationships(f.ctx, app.ID, cmdb.RelatedFilter{})
		if len(page.Items) != 1 || page.Items[0].Type != cmdb.ConnectedTo {
			t.Fatalf("after deleting the database: %+v", page.Items)
		}
		h = f.history(app.ID)
		for _, e := range h {
			if e.RelatedID != nil && *e.RelatedID == db.ID && e.RelatedName != nil {
				t.Fatalf("the name of a deleted CI: %+v", e)
			}
		}
		if !strings.Contains(f.history(db.ID)[0].Action, "delete") {
			t.Fatal("no delete entry")
		}
	})
}
