package cmdb

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// estate writes CIs and relationships straight into the database, so that
// baselines, verification runs and assets are tested on their own.
type estate struct {
	t   *testing.T
	db  *store.DB
	svc *Service
	ids map[string]int64
}

var estateActor = audit.Actor{Type: "user", ID: 0, Name: "estateActor@steward.test"}

func newEstate(t *testing.T, e storetest.Engine) *estate {
	return &estate{t: t, db: e.DB, svc: NewService(e.DB, nil), ids: map[string]int64{}}
}

func (s *estate) exec(q string, args ...any) {
	s.t.Helper()
	if _, err := s.db.Exec(context.Background(), q, args...); err != nil {
		s.t.Fatalf("%s: %v", q, err)
	}
}

// ci adds a CI of a default type with attributes given as JSON.
func (s *estate) ci(name, typ, attrs string) int64 {
	s.t.Helper()
	var id int64
	err := s.db.InTx(context.Background(), func(tx *store.Tx) error {
		return tx.QueryRow(context.Background(), `INSERT INTO cis (type_id, name, status, location, attributes, created_at, updated_at)
			VALUES ((SELECT id FROM ci_types WHERE name = ?), ?, 'in_use', '', ?, ?, ?) RETURNING id`,
			typ, name, attrs, "2026-01-01T00:00:00.000000Z", "2026-01-01T00:00:00.000000Z").Scan(&id)
	})
	if err != nil {
		s.t.Fatalf("ci %s: %v", name, err)
	}
	s.ids[name] = id
	return id
}

func (s *estate) rel(source string, t RelType, target string) {
	s.t.Helper()
	s.exec("INSERT INTO ci_relationships (source_id, target_id, type, created_at) VALUES (?, ?, ?, ?)",
		s.ids[source], s.ids[target], string(t), "2026-01-01T00:00:00.000000Z")
}

func (s *estate) unrel(source string, t RelType, target string) {
	s.t.Helper()
	s.exec("DELETE FROM ci_relationships WHERE source_id = ? AND target_id = ? AND type = ?", s.ids[source], s.ids[target], string(t))
}

// fields asserts that err is a validation failure naming exactly these
// fields (and messages containing the given fragments, when not empty).
func estateFields(t *testing.T, err error, want map[string]string) {
	t.Helper()
	var inv *domainerr.Invalid
	if !errors.As(err, &inv) {
		t.Fatalf("want a validation failure on %v, got %v", want, err)
	}
	for f, frag := range want {
		if msg, ok := inv.Fields[f]; !ok || !strings.Contains(msg, frag) {
			t.Errorf("field %s: got %q, want it to mention %q (all: %v)", f, msg, frag, inv.Fields)
		}
	}
	if len(inv.Fields) != len(want) {
		t.Errorf("fields %v, want only %v", inv.Fields, want)
	}
}

func compareAll(t *testing.T, svc *Service, id int64, states ...string) map[string]ComparedCI {
	t.Helper()
	out := map[string]ComparedCI{}
	cursor := ""
	for {
		page, err := svc.Compare(context.Background(), id, CompareQuery{States: states, Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Items {
			if _, dup := out[c.Name]; dup {
				t.Fatalf("%s compared twice", c.Name)
			}
			out[c.Name] = c
		}
		if cursor = page.NextCursor; cursor == "" {
			return out
		}
	}
}

func TestBaselineCompare(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		s := newEstate(t, e)
		s.ci("web01", "Server", `{"hostname":"web01","cpu_cores":4}`)
		s.ci("db01", "Server", `{"hostname":"db01"}`)
		s.ci("shop", "Application", `{"version":"1.0"}`)
		s.ci("orders", "Database", `{}`)
		s.ci("old", "Application", `{}`)
		s.ci("quiet", "Application", `{}`)
		s.rel("shop", RunsOn, "web01")
		s.rel("shop", DependsOn, "orders")
		s.rel("orders", RunsOn, "db01")

		byID, err := s.svc.CreateBaseline(ctx, estateActor, NewBaseline{Name: "Shop as built", Note: "go-live",
			CIIDs: []int64{s.ids["shop"], s.ids["web01"], s.ids["orders"], s.ids["old"], s.ids["quiet"]}})
		if err != nil {
			t.Fatal(err)
		}
		apps, err := s.svc.CreateBaseline(ctx, estateActor, NewBaseline{Name: "Applications", Filter: &BaselineFilter{Type: "application"}})
		if err != nil {
			t.Fatal(err)
		}
		if byID.CICount != 5 || byID.Filter != nil || apps.CICount != 3 || apps.Filter == nil || apps.Filter.Type != "Application" || apps.Filter.TypeID == 0 {
			t.Fatalf("baselines: %+v %+v", byID, apps)
		}
		items, err := s.svc.BaselineItems(ctx, byID.ID, 50, "")
		if err != nil || len(items.Items) != 5 {
			t.Fatalf("items: %v %+v", err, items)
		}
		for _, sn := range items.Items {
			if sn.Name == "shop" && (len(sn.Relationships) != 2 || sn.Attributes["version"] != "1.0" || sn.Type != "Application") {
				t.Fatalf("shop as recorded: %+v", sn)
			}
			if sn.Name == "web01" && (len(sn.Relationships) != 1 || sn.Relationships[0] != (Edge{s.ids["shop"], s.ids["web01"], RunsOn})) {
				t.Fatalf("web01 should record its incoming relationship: %+v", sn.Relationships)
			}
		}

		// Drift: a renamed CI with a new attribute value, a status change,
		// a moved relationship, a deleted CI, a new application.
		s.exec("UPDATE cis SET name = 'shop-v2', attributes = '{\"version\":\"2.0\"}' WHERE id = ?", s.ids["shop"])
		s.exec("UPDATE cis SET status = 'maintenance', attributes = '{\"hostname\":\"web01\",\"cpu_cores\":8}' WHERE id = ?", s.ids["web01"])
		s.unrel("shop", RunsOn, "web01")
		s.rel("shop", RunsOn, "db01")
		s.exec("DELETE FROM cis WHERE id = ?", s.ids["old"])
		s.ci("new", "Application", `{}`)

		got := compareAll(t, s.svc, byID.ID)
		if len(got) != 5 || got["quiet"].State != Unchanged || got["orders"].State != Unchanged || got["old"].State != Deleted {
			t.Fatalf("comparison: %+v", got)
		}
		shop := got["shop-v2"]
		wantChanges := []FieldDiff{{"name", "shop", "shop-v2"}, {"attributes.version", "1.0", "2.0"}}
		if shop.State != Changed || fmt.Sprint(shop.Changes) != fmt.Sprint(wantChanges) ||
			!slices.Equal(shop.RelationshipsAdded, []Edge{{s.ids["shop"], s.ids["db01"], RunsOn}}) ||
			!slices.Equal(shop.RelationshipsRemoved, []Edge{{s.ids["shop"], s.ids["web01"], RunsOn}}) {
			t.Fatalf("shop: %+v", shop)
		}
		web := got["web01"]
		if web.State != Changed || fmt.Sprint(web.Changes) != "[{status in_use maintenance} {attributes.cpu_cores 4 8}]" ||
			len(web.RelationshipsRemoved) != 1 || len(web.RelationshipsAdded) != 0 {
			t.Fatalf("web01: %+v", web)
		}

		// Only the filter baseline reports CIs added since.
		got = compareAll(t, s.svc, apps.ID)
		if len(got) != 4 || got["new"].State != Added || got["old"].State != Deleted || got["shop-v2"].State != Changed || got["quiet"].State != Unchanged {
			t.Fatalf("applications: %+v", got)
		}
		got = compareAll(t, s.svc, apps.ID, Added, Deleted)
		if len(got) != 2 || got["new"].State != Added || got["old"].State != Deleted {
			t.Fatalf("added and deleted: %+v", got)
		}
		_, err = s.svc.Compare(ctx, apps.ID, CompareQuery{States: []string{"gone"}})
		estateFields(t, err, map[string]string{"state": "unchanged, changed, deleted, added"})
		if _, err := s.svc.Compare(ctx, 999, CompareQuery{}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("no such baseline: %v", err)
		}

		page, err := s.svc.Baselines(ctx, 1, "")
		if err != nil || len(page.Items) != 1 || page.Items[0].ID != apps.ID || page.NextCursor == "" {
			t.Fatalf("first page: %v %+v", err, page)
		}
		page, err = s.svc.Baselines(ctx, 1, page.NextCursor)
		if err != nil || len(page.Items) != 1 || page.Items[0].ID != byID.ID || page.NextCursor != "" {
			t.Fatalf("second page: %v %+v", err, page)
		}
	})
}

func TestBaselineBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		s := newEstate(t, e)
		a := s.ci("a", "Server", `{"hostname":"a"}`)
		if _, err := s.svc.CreateBaseline(ctx, estateActor, NewBaseline{Name: "Q1", CIIDs: []int64{a}}); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			in   NewBaseline
			want map[string]string
		}{
			{"nothing chosen", NewBaseline{Name: "x"}, map[string]string{"ci_ids": "name the CIs"}},
			{"both", NewBaseline{Name: "x", CIIDs: []int64{a}, Filter: &BaselineFilter{}}, map[string]string{"ci_ids": "not both"}},
			{"no name", NewBaseline{CIIDs: []int64{a}}, map[string]string{"name": "is required"}},
			{"missing CIs", NewBaseline{Name: "x", CIIDs: []int64{a, 9999, 8888}},
				map[string]string{"ci_ids[1]": "CI 9999 does not exist", "ci_ids[2]": "CI 8888 does not exist"}},
			{"duplicate", NewBaseline{Name: "x", CIIDs: []int64{a, a}}, map[string]string{"ci_ids[1]": "already ci_ids[0]"}},
			{"name taken", NewBaseline{Name: "q1", CIIDs: []int64{a}}, map[string]string{"name": "already exists"}},
			{"bad filter", NewBaseline{Name: "x", Filter: &BaselineFilter{Type: "Spaceship", Status: "lost"}},
				map[string]string{"filter.type": `no CI type "Spaceship"`, "filter.status": "must be one of"}},
			{"too many", NewBaseline{Name: "x", CIIDs: make([]int64, MaxBaselineCIs+1)}, map[string]string{"ci_ids": "at most 100000"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := s.svc.CreateBaseline(ctx, estateActor, c.in)
				if c.name == "too many" {
					// Only the count is reported, not 100,001 zero ids.
					var inv *domainerr.Invalid
					if !errors.As(err, &inv) || !strings.Contains(inv.Fields["ci_ids"], "at most") || len(inv.Fields) > maxIDErrors {
						t.Fatalf("got %v", err)
					}
					return
				}
				estateFields(t, err, c.want)
			})
		}
		var n int
		if err := e.DB.QueryRow(ctx, "SELECT COUNT(*) FROM ci_baselines").Scan(&n); err != nil || n != 1 {
			t.Fatalf("a refused baseline left something behind: %d %v", n, err)
		}
		if err := e.DB.QueryRow(ctx, "SELECT COUNT(*) FROM ci_baseline_items").Scan(&n); err != nil || n != 1 {
			t.Fatalf("a refused baseline left snapshots behind: %d %v", n, err)
		}
	})
}

// A filter matching more CIs than a baseline may hold is refused before
// anything is written.
func TestBaselineCap(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 100,001 CIs")
	}
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		s := newEstate(t, e)
		s.exec(`INSERT INTO cis (type_id, name, status, location, attributes, created_at, updated_at)
			WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
			SELECT (SELECT id FROM ci_types WHERE name = 'Sensor'), 'sensor', 'in_use', '', '{}', '2026-01-01T00:00:00.000000Z',
			'2026-01-01T00:00:00.000000Z' FROM n`, MaxBaselineCIs+1)
		_, err := s.svc.CreateBaseline(ctx, estateActor, NewBaseline{Name: "every sensor", Filter: &BaselineFilter{Type: "Sensor"}})
		estateFields(t, err, map[string]string{"filter": "more than 100000 CIs"})
		s.exec("DELETE FROM cis WHERE id = (SELECT MAX(id) FROM cis)")
		b, err := s.svc.CreateBaseline(ctx, estateActor, NewBaseline{Name: "every sensor", Filter: &BaselineFilter{Type: "Sensor"}})
		if err != nil || b.CICount != MaxBaselineCIs {
			t.Fatalf("a baseline of exactly the cap: %v %+v", err, b)
		}
		page, err := s.svc.Compare(ctx, b.ID, CompareQuery{States: []string{Changed}})
		if err != nil || len(page.Items) != 0 || page.Scanned != compareBudget || page.NextCursor == "" {
			t.Fatalf("a page compares at most %d CIs: %v scanned %d, %d items, cursor %q", compareBudget, err, page.Scanned, len(page.Items), page.NextCursor)
		}
	})
}

func TestBaselineDelete(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		s := newEstate(t, e)
		a := s.ci("a", "Server", `{"hostname":"a"}`)
		kept, err := s.svc.CreateBaseline(ctx, estateActor, NewBaseline{Name: "kept", CIIDs: []int64{a}})
		if err != nil {
			t.Fatal(err)
		}
		gone, err := s.svc.CreateBaseline(ctx, estateActor, NewBaseline{Name: "gone", CIIDs: []int64{a}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.svc.CreateVerification(ctx, estateActor, NewVerification{BaselineID: &kept.ID}, nil); err != nil {
			t.Fatal(err)
		}
		var conflict *domainerr.Conflict
		if err := s.svc.DeleteBaseline(ctx, estateActor, kept.ID); !errors.As(err, &conflict) || !strings.Contains(conflict.Message, "1 verification run") {
			t.Fatalf("a baseline with runs must stay: %v", err)
		}
		if err := s.svc.DeleteBaseline(ctx, estateActor, gone.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.svc.Baseline(ctx, gone.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleted baseline: %v", err)
		}
		if err := s.svc.DeleteBaseline(ctx, estateActor, gone.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleting twice: %v", err)
		}
		var n int
		if err := e.DB.QueryRow(ctx, "SELECT COUNT(*) FROM ci_baseline_items WHERE baseline_id = ?", gone.ID).Scan(&n); err != nil || n != 0 {
			t.Fatalf("snapshots left: %d %v", n, err)
		}
		if err := e.DB.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log WHERE entity = 'ci_baseline'").Scan(&n); err != nil || n != 3 {
			t.Fatalf("audit entries for baselines: %d %v", n, err)
		}
	})
}
