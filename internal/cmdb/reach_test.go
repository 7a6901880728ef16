package cmdb

import (
	"context"
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
