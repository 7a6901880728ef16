package cmdb

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// drawing builds hand-drawn graphs straight into the database, recording
// history as every write must, so the graph has to replay it.
type drawing struct {
	t   *testing.T
	e   storetest.Engine
	svc *Service
	ids map[string]int64
}

func newDrawing(t *testing.T, e storetest.Engine) *drawing {
	return &drawing{t: t, e: e, svc: NewService(e.DB, nil), ids: map[string]int64{}}
}

func (d *drawing) typeID(name string) int64 {
	var id int64
	if err := d.e.DB.QueryRow(context.Background(), `SELECT id FROM ci_types WHERE name = ?`, name).Scan(&id); err != nil {
		d.t.Fatalf("type %s: %v", name, err)
	}
	return id
}

// ci adds a CI of type typ (default Application); redundancy is JSON or "".
func (d *drawing) ci(name, typ, redundancy string) int64 {
	d.t.Helper()
	if typ == "" {
		typ = "Application"
	}
	ctx := context.Background()
	now := store.TS(time.Now())
	var id int64
	err := d.e.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO cis (type_id, name, status, redundancy, created_at, updated_at)
			VALUES (?, ?, 'in_use', ?, ?, ?) RETURNING id`, d.typeID(typ), name, redundancy, now, now).Scan(&id); err != nil {
			return err
		}
		return RecordChange(ctx, tx, audit.System, Change{CIID: id, Action: ActionCreate})
	})
	if err != nil {
		d.t.Fatal(err)
	}
	d.ids[name] = id
	return id
}

func (d *drawing) rel(source string, t RelType, target string) {
	d.t.Helper()
	ctx := context.Background()
	s, tg := d.ids[source], d.ids[target]
	err := d.e.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO ci_relationships (source_id, target_id, type, created_at) VALUES (?, ?, ?, ?)`,
			s, tg, string(t), store.TS(time.Now())); err != nil {
			return err
		}
		return RecordChange(ctx, tx, audit.System, Change{CIID: s, Action: ActionRelate, RelatedID: &tg, RelType: t})
	})
	if err != nil {
		d.t.Fatal(err)
	}
}

func (d *drawing) unrel(source string, t RelType, target string) {
	d.t.Helper()
	ctx := context.Background()
	s, tg := d.ids[source], d.ids[target]
	err := d.e.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM ci_relationships WHERE source_id = ? AND target_id = ? AND type = ?`, s, tg, string(t)); err != nil {
			return err
		}
		return RecordChange(ctx, tx, audit.System, Change{CIID: s, Action: ActionUnrelate, RelatedID: &tg, RelType: t})
	})
	if err != nil {
		d.t.Fatal(err)
	}
}

func (d *drawing) names(ids []int64) []string {
	rev := map[int64]string{}
	for k, v := range d.ids {
		rev[v] = k
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = rev[id]
	}
	return out
}

// impact runs a query and renders each item as "name:state:depth:path".
func (d *drawing) impact(dir string, depth int, failed []string, unknown ...string) []string {
	d.t.Helper()
	q := ImpactQuery{Direction: dir, Depth: depth}
	for _, n := range failed {
		q.Failed = append(q.Failed, d.ids[n])
	}
	for _, n := range unknown {
		q.Unknown = append(q.Unknown, d.ids[n])
	}
	res, err := d.svc.Impact(context.Background(), q)
	if err != nil {
		d.t.Fatal(err)
	}
	var out []string
	for _, it := range res.Items {
		out = append(out, fmt.Sprintf("%s:%s:%d:%v", it.Name, it.State, it.Depth, d.names(it.Path)))
	}
	slices.Sort(out)
	return out
}

func (d *drawing) want(got []string, want ...string) {
	d.t.Helper()
	slices.Sort(want)
	if !slices.Equal(got, want) {
		d.t.Errorf("impact:\n got  %v\n want %v", got, want)
	}
}

func TestImpactDirections(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := newDrawing(t, e)
		for _, n := range []string{"app", "db", "host", "vm", "lib", "consumer", "switch", "peer"} {
			d.ci(n, "", "")
		}
		d.rel("app", DependsOn, "db")     // db failing impacts app
		d.rel("vm", RunsOn, "host")       // host failing impacts vm
		d.rel("lib", UsedBy, "consumer")  // lib failing impacts consumer
		d.rel("switch", Hosts, "peer")    // switch failing impacts peer
		d.rel("app", ConnectedTo, "peer") // never propagates
		d.want(d.impact(Down, 0, []string{"db"}), "app:failed:1:[db app]")
		d.want(d.impact(Down, 0, []string{"app"}))
		d.want(d.impact(Down, 0, []string{"host"}), "vm:failed:1:[host vm]")
		d.want(d.impact(Down, 0, []string{"vm"}))
		d.want(d.impact(Down, 0, []string{"lib"}), "consumer:failed:1:[lib consumer]")
		d.want(d.impact(Down, 0, []string{"switch"}), "peer:failed:1:[switch peer]")
		d.want(d.impact(Down, 0, []string{"peer"}))
		d.want(d.impact(Up, 0, []string{"app"}), "db:unknown:1:[app db]")
		d.want(d.impact(Up, 0, []string{"peer"}), "switch:unknown:1:[peer switch]")
	})
}

func TestImpactRedundancy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := newDrawing(t, e)
		d.ci("pool", "Cluster", `{"failed_when_down": 2}`)
		d.ci("half", "Cluster", `{"failed_when_down_percent": 50}`)
		d.ci("plain", "Cluster", "")
		d.ci("web", "", "")
		for i := 1; i <= 4; i++ {
			m := fmt.Sprintf("m%d", i)
			d.ci(m, "Server", "")
			d.rel(m, MemberOf, "pool")
			d.rel(m, MemberOf, "half")
			if i <= 2 {
				d.rel(m, MemberOf, "plain")
			}
		}
		d.rel("web", DependsOn, "pool")
		// One of four down: the pool (2 needed) and half (50% of 4 = 2) are
		// degraded, and so is what depends on the pool; the plain cluster
		// without a rule fails on any member.
		d.want(d.impact(Down, 0, []string{"m1"}),
			"pool:degraded:1:[m1 pool]", "half:degraded:1:[m1 half]", "plain:failed:1:[m1 plain]", "web:degraded:2:[m1 pool web]")
		d.want(d.impact(Down, 0, []string{"m3", "m4"}),
			"pool:failed:1:[m3 pool]", "half:failed:1:[m3 half]", "web:failed:2:[m3 pool web]")
		// One failed and one unknown could reach the threshold: unknown.
		d.want(d.impact(Down, 0, []string{"m3"}, "m4"),
			"pool:unknown:1:[m3 pool]", "half:unknown:1:[m3 half]", "web:unknown:2:[m3 pool web]")
		d.want(d.impact(Up, 1, []string{"web"}), "pool:unknown:1:[web pool]")
		up := d.impact(Up, 0, []string{"web"})
		if len(up) != 5 {
			t.Errorf("upstream of web: %v, want the pool and its four members", up)
		}
	})
}

func TestImpactCyclesDepthAndWorstState(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := newDrawing(t, e)
		for _, n := range []string{"a", "b", "c", "d1", "d2", "d3", "d4", "p1", "p2", "x", "cl"} {
			d.ci(n, "", "")
		}
		// a and b depend on each other; c on b.
		d.rel("a", DependsOn, "b")
		d.rel("b", DependsOn, "a")
		d.rel("c", DependsOn, "b")
		d.want(d.impact(Down, 0, []string{"a"}), "b:failed:1:[a b]", "c:failed:2:[a b c]")
		d.want(d.impact(Up, 0, []string{"c"}), "b:unknown:1:[c b]", "a:unknown:2:[c b a]")
		// A chain d4 → d3 → d2 → d1 (each depends on the previous), depth 2.
		d.rel("d2", DependsOn, "d1")
		d.rel("d3", DependsOn, "d2")
		d.rel("d4", DependsOn, "d3")
		d.want(d.impact(Down, 2, []string{"d1"}), "d2:failed:1:[d1 d2]", "d3:failed:2:[d1 d2 d3]")
		// x depends on p1 (only degraded, through a redundant pool) and on
		// p2 (failed): the worst state wins, with its own path.
		d.ci("pool", "Cluster", `{"failed_when_down": 2}`)
		d.ci("m", "Server", "")
		d.ci("m2", "Server", "")
		d.rel("m", MemberOf, "pool")
		d.rel("m2", MemberOf, "pool")
		d.rel("p1", DependsOn, "pool")
		d.rel("p2", DependsOn, "m")
		d.rel("x", DependsOn, "p1")
		d.rel("x", DependsOn, "p2")
		got := d.impact(Down, 0, []string{"m"})
		d.want(got, "pool:degraded:1:[m pool]", "p1:degraded:2:[m pool p1]", "p2:failed:1:[m p2]", "x:failed:2:[m p2 x]")
	})
}

func TestImpactFollowsChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		d := newDrawing(t, e)
		d.ci("db", "Database", "")
		d.ci("app", "", "")
		d.want(d.impact(Down, 0, []string{"db"}))
		d.rel("app", DependsOn, "db") // after the graph was loaded
		d.want(d.impact(Down, 0, []string{"db"}), "app:failed:1:[db app]")
		d.unrel("app", DependsOn, "db")
		d.want(d.impact(Down, 0, []string{"db"}))
		d.rel("app", DependsOn, "db")
		// A second node, with its own graph, sees the same.
		other := NewService(e.DB, nil)
		res, err := other.Impact(ctx, ImpactQuery{Failed: []int64{d.ids["db"]}})
		if err != nil || len(res.Items) != 1 {
			t.Fatalf("second node: %+v %v", res, err)
		}
		// Deleting the app removes it and its edges.
		err = e.DB.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `DELETE FROM cis WHERE id = ?`, d.ids["app"]); err != nil {
				return err
			}
			return RecordChange(ctx, tx, audit.System, Change{CIID: d.ids["app"], Action: ActionDelete})
		})
		if err != nil {
			t.Fatal(err)
		}
		d.want(d.impact(Down, 0, []string{"db"}))
		_, err = d.svc.Impact(ctx, ImpactQuery{Failed: []int64{d.ids["app"]}})
		var inv *domainerr.Invalid
		if !errors.As(err, &inv) || !inv.Has("failed[0]") {
			t.Errorf("impact of a deleted CI: %v", err)
		}
	})
}

func TestImpactServicesAndCustomers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		d := newDrawing(t, e)
		now := store.TS(time.Now())
		var cust, svc int64
		err := e.DB.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.QueryRow(ctx, `INSERT INTO customers (name, created_at, updated_at) VALUES ('Acme', ?, ?) RETURNING id`, now, now).Scan(&cust); err != nil {
				return err
			}
			if err := tx.QueryRow(ctx, `INSERT INTO services (name, status, criticality, created_at, updated_at) VALUES ('Shop', 'live', 'high', ?, ?) RETURNING id`, now, now).Scan(&svc); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO service_customers (service_id, customer_id) VALUES (?, ?)`, svc, cust)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		d.ci("shop", "Business service", "")
		if _, err := e.DB.Exec(ctx, `UPDATE cis SET service_id = ? WHERE id = ?`, svc, d.ids["shop"]); err != nil {
			t.Fatal(err)
		}
		d.ci("api", "", "")
		d.rel("shop", DependsOn, "api")
		res, err := d.svc.Impact(ctx, ImpactQuery{Failed: []int64{d.ids["api"]}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Services) != 1 || res.Services[0].Name != "shop" || res.Services[0].Type != "Business service" ||
			!slices.Equal(res.Customers, []int64{cust}) || res.Total != 1 || res.Truncated {
			t.Errorf("services %+v customers %v", res.Services, res.Customers)
		}
		for _, bad := range []ImpactQuery{{}, {Failed: []int64{d.ids["api"]}, Direction: "sideways"}, {Failed: []int64{d.ids["api"]}, Depth: 65},
			{Failed: []int64{d.ids["api"]}, Direction: Up, Unknown: []int64{d.ids["shop"]}}} {
			if _, err := d.svc.Impact(ctx, bad); err == nil {
				t.Errorf("%+v accepted", bad)
			}
		}
	})
}

// A cluster's path runs through a member whose state accounts for it, so
// paths never loop and depths hold; a rule asking for more members than
// the cluster has fails it once all are down.
func TestImpactClusterPaths(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := newDrawing(t, e)
		d.ci("K", "Cluster", `{"failed_when_down": 2}`)
		for _, n := range []string{"f", "u", "m1", "m2"} {
			d.ci(n, "", "")
		}
		for _, m := range []string{"u", "m1", "m2"} {
			d.rel(m, MemberOf, "K")
		}
		d.rel("m1", DependsOn, "f")
		d.rel("m2", DependsOn, "f")
		d.want(d.impact(Down, 0, []string{"f"}, "u"),
			"m1:failed:1:[f m1]", "m2:failed:1:[f m2]", "K:failed:2:[f m1 K]")
		d.want(d.impact(Down, 1, []string{"f"}, "u"), "m1:failed:1:[f m1]", "m2:failed:1:[f m2]")
		d.rel("u", DependsOn, "K") // u depends on the cluster it is a member of
		d.want(d.impact(Down, 0, []string{"f"}, "u"),
			"m1:failed:1:[f m1]", "m2:failed:1:[f m2]", "K:failed:2:[f m1 K]")

		d.ci("pair", "Cluster", `{"failed_when_down": 3}`)
		d.ci("p1", "Server", "")
		d.ci("p2", "Server", "")
		d.rel("p1", MemberOf, "pair")
		d.rel("p2", MemberOf, "pair")
		d.want(d.impact(Down, 0, []string{"p1"}), "pair:degraded:1:[p1 pair]")
		d.want(d.impact(Down, 0, []string{"p1", "p2"}), "pair:failed:1:[p1 pair]")
	})
}

func TestThreshold(t *testing.T) {
	for _, c := range []struct {
		r    *Redundancy
		n    int
		want int
	}{
		{nil, 5, 1}, {&Redundancy{FailedWhenDown: 2}, 5, 2}, {&Redundancy{FailedWhenDown: 9}, 4, 4},
		{&Redundancy{FailedWhenDownPercent: 30}, 10, 3}, {&Redundancy{FailedWhenDownPercent: 30}, 11, 4},
		{&Redundancy{FailedWhenDownPercent: 50}, 4, 2}, {&Redundancy{FailedWhenDownPercent: 1}, 3, 1},
		{&Redundancy{FailedWhenDownPercent: 100}, 7, 7}, {&Redundancy{FailedWhenDown: 2}, 0, 1},
	} {
		if got := c.r.Threshold(c.n); got != c.want {
			t.Errorf("%+v of %d: %d, want %d", c.r, c.n, got, c.want)
		}
	}
}
