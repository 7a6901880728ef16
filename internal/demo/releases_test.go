package demo_test

import (
	"testing"

	"steward/internal/store/storetest"
)

// The demo shows a release in use: it groups a change and was deployed
// to test, verified, and to production, still pending verification.
func TestDemoRelease(t *testing.T) {
	e := loadAll(t)
	if n := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM releases WHERE state = 'deploying' AND test_results <> ''"); n != 1 {
		t.Fatalf("%d demo releases being deployed with test results, want 1", n)
	}
	if n := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM release_changes"); n != 1 {
		t.Errorf("the demo release groups %d changes, want 1", n)
	}
	for _, c := range []struct {
		env, verification string
	}{{"test", "passed"}, {"production", "pending"}} {
		if n := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM release_deployments WHERE environment = ? AND verification = ?", c.env, c.verification); n != 1 {
			t.Errorf("%d deployments to %s with verification %s, want 1", n, c.env, c.verification)
		}
	}
}
