package incident

import (
	"strings"
	"testing"
	"time"

	"steward/internal/auth"
	"steward/internal/store/storetest"
)

// TestListPlansAtADesk checks the index SQLite walks for lists on one
// value in created_at order, with the statistics of a desk of 100,000
// incidents: a page must come from a walk that stops when it is full, not
// from fetching every match and sorting it.
func TestListPlansAtADesk(t *testing.T) {
	e := storetest.SQLite(t)
	storetest.DeskIncidentStats(t, e.DB)
	s := NewService(e.DB, 7*24*time.Hour)
	admin := &auth.Principal{UserID: 1, Role: auth.Admin}
	cases := []struct {
		name, sort string
		f          Filter
		walk       string // the plan's first step
	}{
		// incidents_priority ends in id: a seek in it sorts every P1.
		{"P1 newest first", "-created_at", Filter{Priorities: []Priority{1}}, "SCAN i USING INDEX incidents_created"},
		{"P1 oldest first", "created_at", Filter{Priorities: []Priority{1}}, "SCAN i USING INDEX incidents_created"},
		{"P1 in a category", "-created_at", Filter{Priorities: []Priority{1}, Category: "network"}, "SEARCH i USING INDEX incidents_category (category=?)"},
		{"one state", "-created_at", Filter{States: []State{Closed}}, "SEARCH i USING INDEX incidents_state (state=?)"},
	}
	for _, c := range cases {
		order, err := sorts.Parse(c.sort)
		if err != nil {
			t.Fatal(err)
		}
		where, args := s.where(admin, c.f, order.Key)
		q := selectCols + " WHERE " + strings.Join(where, " AND ") + " ORDER BY " + order.Order() + " LIMIT 51"
		plan := storetest.Plan(t, e.DB, q, args...)
		if !strings.HasPrefix(plan, c.walk+"\n") || strings.Contains(plan, "USE TEMP B-TREE FOR ORDER BY") {
			t.Errorf("%s: plan\n%swant it to start with %s and sort nothing", c.name, plan, c.walk)
		}
	}
}
