package cmdb

import (
	"context"
	"fmt"
	"testing"

	"steward/internal/store/storetest"
)

// Reached follows the same relationships as the impact analysis, both
// ways: a member reaches its cluster and the cluster's consumers, a
// consumer reaches its providers, connected_to reaches nothing, and depth
// bounds the walk.
func TestReached(t *testing.T) {
	d := newDrawing(t, storetest.SQLite(t))
	for _, n := range []string{"web", "app", "db", "node1", "node2", "pool", "switch", "far"} {
		d.ci(n, "", "")
	}
	d.rel("web", DependsOn, "app")
	d.rel("app", DependsOn, "pool")
	d.rel("node1", MemberOf, "pool")
	d.rel("node2", MemberOf, "pool")
	d.rel("db", Hosts, "far")
	d.rel("app", ConnectedTo, "switch")
	ctx := context.Background()
	all := map[int64]bool{}
	for _, id := range d.ids {
		all[id] = true
	}
	reached := func(from string, depth int) map[string]string {
		got, err := d.svc.Reached(ctx, []int64{d.ids[from]}, all, depth)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for id, r := range got {
			dir := "up"
			if r.Down {
				dir = "down"
			}
			out[d.names([]int64{id})[0]] = dir
		}
		return out
	}
	got := reached("node1", 0)
	want := map[string]string{"pool": "down", "app": "down", "web": "down"}
	if len(got) != len(want) {
		t.Fatalf("from node1: %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("from node1: %s %q, want %q", k, got[k], v)
		}
	}
	got = reached("app", 0)
	for k, v := range map[string]string{"web": "down", "pool": "up", "node1": "up", "node2": "up"} {
		if got[k] != v {
			t.Errorf("from app: %s %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if _, ok := got["switch"]; ok {
		t.Error("connected_to propagated")
	}
	if _, ok := got["app"]; ok {
		t.Error("a start CI is reported as reached")
	}
	if got := reached("web", 1); len(got) != 1 || got["app"] != "up" {
		t.Errorf("depth 1 from web: %v", got)
	}
}

// When the walk from the start CIs is long (a service that depends on
// much) and the wanted CI's own walk is short, the short one answers, with
// the same result the long one would give.
func TestReachedRace(t *testing.T) {
	d := newDrawing(t, storetest.SQLite(t))
	d.ci("svc", "Business service", "")
	for i := 0; i < 60; i++ {
		n := fmt.Sprintf("dep%d", i)
		d.ci(n, "", "")
		d.rel("svc", DependsOn, n)
	}
	d.ci("mid", "", "")
	d.ci("deep", "", "")
	d.ci("island", "", "")
	d.rel("dep59", DependsOn, "mid")
	d.rel("mid", RunsOn, "deep")
	ctx := context.Background()
	got, err := d.svc.Reached(ctx, []int64{d.ids["svc"]}, map[int64]bool{d.ids["deep"]: true, d.ids["island"]: true}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := got[d.ids["deep"]]; !ok || r.Down || r.From != d.ids["svc"] || r.Depth != 3 {
		t.Errorf("deep: %+v %v, want upstream of svc at 3 hops", r, ok)
	}
	if _, ok := got[d.ids["island"]]; ok || len(got) != 1 {
		t.Errorf("reached %v, want only deep", got)
	}
	// Depth still bounds the race.
	got, _ = d.svc.Reached(ctx, []int64{d.ids["svc"]}, map[int64]bool{d.ids["deep"]: true}, 2)
	if len(got) != 0 {
		t.Errorf("depth 2 reached %v", got)
	}
}
