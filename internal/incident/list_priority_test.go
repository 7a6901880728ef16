package incident_test

import (
	"slices"
	"testing"

	"steward/internal/incident"
	"steward/internal/store/storetest"
)

// TestOnePriorityPages lists the P1 incidents among others page by page,
// newest and oldest first: every one once, in creation order.
func TestOnePriorityPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		var p1 []int64
		for i := 0; i < 11; i++ {
			in := incident.NewIncident{Title: "Disk full", Impact: "medium", Urgency: "medium", RequesterID: &w.reqA.UserID}
			if i%3 != 1 {
				in.Impact, in.Urgency = "high", "high"
			}
			inc := w.create(t, w.agent, in)
			if inc.Priority == 1 {
				p1 = append(p1, inc.ID)
			}
		}
		if len(p1) != 7 {
			t.Fatalf("%d P1 incidents, want 7", len(p1))
		}
		for _, sort := range []string{"-created_at", "created_at"} {
			got := w.pagedIDs(t, incident.Filter{Priorities: []incident.Priority{1}, Sort: sort, Limit: 3}, len(p1))
			want := slices.Clone(p1)
			if sort == "-created_at" {
				slices.Reverse(want)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s: listed %v, want %v", sort, got, want)
			}
		}
	})
}
