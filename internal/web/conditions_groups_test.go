package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"steward/internal/sla"
)

// Without JavaScript, "Add a group" and "Remove this group" come back as
// the same form, and a definition with two groups is saved as the filter
// and its filter_any.
func TestDefinitionGroupsWithoutScript(t *testing.T) {
	s := newSite(t)
	admin := s.signedIn("admin")
	var agID, custID int64
	ctx := context.Background()
	if err := s.app.DB.QueryRow(ctx, "SELECT id FROM agreements WHERE name = 'WAN carrier contract'").Scan(&agID); err != nil {
		t.Fatal(err)
	}
	if err := s.app.DB.QueryRow(ctx, "SELECT id FROM customers WHERE name = 'Contoso Health'").Scan(&custID); err != nil {
		t.Fatal(err)
	}
	form := func() url.Values {
		return url.Values{"name": {"Urgent or Contoso"}, "agreement_id": {fmt.Sprint(agID)}, "applies_to": {"incident"}, "metric": {"resolution"},
			"filter_groups": {"1"}, "filter_rows": {"1"}, "filter_0_field": {"priority"}, "filter_0_value": {"P1"},
			"clock": {"usual"}, "warnings": {"50, 75, 90"}, "active": {"on"}, "goal_rows": {"1"}, "goal_0_target": {"4h"}, "goal_0_calendar": {"1"}}
	}
	f := form()
	f.Set("act", "add-group:filter")
	p := admin.post("/sla-definitions", f)
	for _, want := range []string{`name="filter_groups" value="2"`, `name="filter_g1_0_field"`, `value="remove-group:filter:1"`, "All of these",
		`name="filter_0_value" value="P1" checked>`, "Add a group (or …)"} {
		if p.status != http.StatusOK || !strings.Contains(p.body, want) {
			t.Fatalf("after adding a group (%d), the page lacks %q", p.status, want)
		}
	}
	// A group left without rows is refused, in words.
	f = form()
	f.Set("filter_groups", "2")
	f.Set("filter_g1_rows", "0")
	if p := admin.post("/sla-definitions", f); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "Group 2 has no rows: add one or remove the group.") ||
		strings.Contains(p.body, "filter_any") {
		t.Fatalf("an empty group: %d", p.status)
	}
	f = form()
	f.Set("filter_groups", "2")
	f.Set("filter_g1_rows", "1")
	f.Set("filter_g1_0_field", "customer_id")
	f.Set("filter_g1_0_value", fmt.Sprint(custID))
	removed := url.Values{}
	for k, v := range f {
		removed[k] = v
	}
	removed.Set("act", "remove-group:filter:0")
	if p := admin.post("/sla-definitions", removed); p.status != http.StatusOK || strings.Contains(p.body, `name="filter_g1_rows"`) ||
		!strings.Contains(p.body, fmt.Sprintf(`name="filter_0_value" value="%d" checked>`, custID)) {
		t.Fatalf("removing the first group does not move the second up: %d", p.status)
	}
	ok := admin.post("/sla-definitions", f)
	if ok.status != http.StatusSeeOther {
		t.Fatalf("create: %d", ok.status)
	}
	id, _ := strconv.ParseInt(strings.TrimPrefix(ok.location, "/sla-definitions/"), 10, 64)
	d, err := sla.GetDefinition(ctx, s.app.DB, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Filter) != 1 || d.Filter[0].Values[0] != "P1" ||
		!reflect.DeepEqual(d.FilterAny, [][]sla.Clause{{{Field: "customer_id", Op: "in", Values: []string{fmt.Sprint(custID)}}}}) {
		t.Fatalf("saved filter %+v or %+v", d.Filter, d.FilterAny)
	}
	if ro := s.signedIn("agent").get(ok.location); !strings.Contains(ro.body, "Priority is P1; or Customer is Contoso Health") {
		t.Fatalf("the definition in words: %d", ro.status)
	}
}
