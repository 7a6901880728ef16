package web

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"steward/internal/ticket"
)

var testFields = []condField{
	{Name: "priority", Label: "Priority", Choices: []condChoice{{"P1", "P1"}, {"P2", "P2"}, {"P3", "P3"}}},
	{Name: "customer_id", Label: "Customer", Choices: []condChoice{{"3", "Contoso Health"}, {"4", "Northwind Traders"}}},
	{Name: "major", Label: "Major incident", Choices: []condChoice{{"true", "Yes"}, {"false", "No"}}},
	{Name: "category", Label: "Category"},
}

func postForm(t *testing.T, v url.Values) *http.Request {
	t.Helper()
	r, _ := http.NewRequest(http.MethodPost, "/", strings.NewReader(v.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := r.ParseForm(); err != nil {
		t.Fatal(err)
	}
	return r
}

// The rows of a posted form become the clauses they show, in order; rows
// the script removed (gaps) and rows without a field are left out.
func TestConditionsRead(t *testing.T) {
	for _, c := range []struct {
		name string
		form url.Values
		want []ticket.Clause
	}{
		{"nothing", url.Values{}, []ticket.Clause{}},
		{"no rows", url.Values{"f_rows": {"0"}}, []ticket.Clause{}},
		{"one value", url.Values{"f_rows": {"1"}, "f_0_field": {"priority"}, "f_0_op": {"in"}, "f_0_value": {"P1"}},
			[]ticket.Clause{{Field: "priority", Op: "in", Values: []string{"P1"}}}},
		{"several values, is not", url.Values{"f_rows": {"1"}, "f_0_field": {"customer_id"}, "f_0_op": {"not_in"}, "f_0_value": {"3", "4", "3"}},
			[]ticket.Clause{{Field: "customer_id", Op: "not_in", Values: []string{"3", "4"}}}},
		{"free text split at commas", url.Values{"f_rows": {"1"}, "f_0_field": {"category"}, "f_0_value": {" network , email,, "}},
			[]ticket.Clause{{Field: "category", Op: "in", Values: []string{"network", "email"}}}},
		{"a gap where a row was removed", url.Values{"f_rows": {"3"}, "f_0_field": {"priority"}, "f_0_value": {"P1", "P2"},
			"f_2_field": {"major"}, "f_2_value": {"true"}},
			[]ticket.Clause{{Field: "priority", Op: "in", Values: []string{"P1", "P2"}}, {Field: "major", Op: "in", Values: []string{"true"}}}},
		{"rows beyond the count are not read", url.Values{"f_rows": {"1"}, "f_0_field": {"priority"}, "f_0_value": {"P3"},
			"f_1_field": {"major"}, "f_1_value": {"true"}},
			[]ticket.Clause{{Field: "priority", Op: "in", Values: []string{"P3"}}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := readConditions(postForm(t, c.form), "f", "", "", testFields)
			got, ok := l.Clauses()
			if !ok {
				t.Fatalf("refused: %+v", l.Rows)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

// Rows that cannot become a clause say so on the row, as a sentence that
// names the row and the field.
func TestConditionsRefused(t *testing.T) {
	for _, c := range []struct {
		name string
		form url.Values
		want string
	}{
		{"no value ticked", url.Values{"f_rows": {"2"}, "f_0_field": {"major"}, "f_0_value": {"true"}, "f_1_field": {"priority"}},
			"Row 2: choose a value for Priority."},
		{"no text", url.Values{"f_rows": {"1"}, "f_0_field": {"category"}, "f_0_value": {" , "}}, "Row 1: type a value for Category."},
		{"a field this list does not offer", url.Values{"f_rows": {"1"}, "f_0_field": {"hold_reason"}, "f_0_value": {"x"}},
			"Row 1: Hold reason cannot be tested here; remove the row."},
		{"a value that is not a choice", url.Values{"f_rows": {"1"}, "f_0_field": {"customer_id"}, "f_0_value": {"3", "99"}},
			"Row 1: Customer has no choice “99” any more; untick it."},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := readConditions(postForm(t, c.form), "f", "", "", testFields)
			if _, ok := l.Clauses(); ok {
				t.Fatal("accepted")
			}
			var msgs []string
			for _, r := range l.Rows {
				if r.Err != "" {
					msgs = append(msgs, r.Err)
				}
			}
			if len(msgs) != 1 || msgs[0] != c.want {
				t.Fatalf("messages %q, want %q", msgs, c.want)
			}
			if !l.Failed() {
				t.Fatal("the list does not say it failed")
			}
		})
	}
	t.Run("too many rows", func(t *testing.T) {
		l := newConditions("f", "", "", testFields, []ticket.Clause{{Field: "priority", Values: []string{"P1"}}, {Field: "major", Values: []string{"true"}}})
		l.Max = 1
		if _, ok := l.Clauses(); ok || l.Err != "Use at most 1 rows here; remove 1." {
			t.Fatalf("ok %v, message %q", ok, l.Err)
		}
	})
}

// Add and remove work as submit buttons: the form comes back with a row
// more (on the field chosen) or less, and nothing else changes.
func TestConditionsAct(t *testing.T) {
	form := url.Values{"f_rows": {"3"}, "f_0_field": {"priority"}, "f_0_value": {"P1"}, "f_2_field": {"major"}, "f_2_value": {"true"},
		"f_new": {"customer_id"}}
	r := postForm(t, form)
	l := readConditions(r, "f", "", "", testFields)
	if !l.act(r, "add:f") || len(l.Rows) != 3 || l.Rows[2].Field != "customer_id" || len(l.Rows[2].Values) != 0 {
		t.Fatalf("after add: %+v", l.Rows)
	}
	if l.act(r, "add:other") || l.act(r, "remove:other:0") {
		t.Fatal("acted on another list's button")
	}
	// Row 2 of the form was the one with major (row 1 was removed in the browser).
	if !l.act(r, "remove:f:2") || len(l.Rows) != 2 || l.Rows[0].Field != "priority" || l.Rows[1].Field != "customer_id" {
		t.Fatalf("after remove: %+v", l.Rows)
	}
	views := l.RowViews()
	if views[1].I != "1" || views[1].Cell.Free || len(views[1].Cell.Opts) != 2 {
		t.Fatalf("the new row is drawn as %+v", views[1])
	}
}

// Messages of the domain check land on the rows they are about.
func TestConditionsPlaceErrors(t *testing.T) {
	l := newConditions("filter", "", "", testFields, []ticket.Clause{{Field: "priority", Values: []string{"P1"}}, {Field: "customer_id", Values: []string{"3"}}})
	l.placeErrors(map[string]string{"filter[1].values[0]": "customer 3 does not exist", "filter": "at most 20 clauses", "goals[0].target": "x"}, "filter")
	if l.Rows[1].Err != "Row 2: the customer ticked there no longer exists; untick it." || l.Rows[0].Err != "" || l.Err != "At most 20 clauses." {
		t.Fatalf("rows %+v, list %q", l.Rows, l.Err)
	}
}

func TestConditionsSummary(t *testing.T) {
	l := newConditions("f", "", "Every ticket.", testFields, []ticket.Clause{
		{Field: "priority", Op: "in", Values: []string{"P1", "P2"}}, {Field: "customer_id", Op: "not_in", Values: []string{"3"}}})
	if got := l.Summary(); got != "Priority is P1 or P2, and Customer is not Contoso Health" {
		t.Fatalf("summary %q", got)
	}
	if got := newConditions("f", "", "Every ticket.", testFields, nil).Summary(); got != "Every ticket." {
		t.Fatalf("empty summary %q", got)
	}
}

// Further groups come from the form by their own names, gaps where the
// script removed one left out, and become the *_any lists; an empty
// group among several is refused with a sentence naming it.
func TestConditionsGroupsRead(t *testing.T) {
	form := url.Values{"f_groups": {"4"}, "f_rows": {"1"}, "f_0_field": {"priority"}, "f_0_value": {"P1"},
		"f_g1_rows": {"1"}, "f_g1_0_field": {"customer_id"}, "f_g1_0_value": {"3"},
		// group 2 was removed in the browser
		"f_g3_rows": {"2"}, "f_g3_0_field": {"major"}, "f_g3_0_value": {"true"}, "f_g3_1_field": {"category"}, "f_g3_1_value": {"network"}}
	l := readConditions(postForm(t, form), "f", "", "", testFields)
	all, more, ok := l.Groups()
	if !ok {
		t.Fatalf("refused: %+v", l)
	}
	want := [][]ticket.Clause{{{Field: "customer_id", Op: "in", Values: []string{"3"}}},
		{{Field: "major", Op: "in", Values: []string{"true"}}, {Field: "category", Op: "in", Values: []string{"network"}}}}
	if len(all) != 1 || all[0].Field != "priority" || !reflect.DeepEqual(more, want) {
		t.Fatalf("read %+v and %+v", all, more)
	}
	if l.More[1].Name != "f_g2" {
		t.Errorf("the group after the gap is drawn as %q", l.More[1].Name)
	}
	if got := l.Summary(); got != "Priority is P1; or Customer is Contoso Health; or Major incident is Yes, and Category is network" {
		t.Errorf("summary %q", got)
	}

	empty := readConditions(postForm(t, url.Values{"f_groups": {"2"}, "f_rows": {"1"}, "f_0_field": {"priority"}, "f_0_value": {"P1"},
		"f_g1_rows": {"0"}}), "f", "", "", testFields)
	if _, _, ok := empty.Groups(); ok || empty.More[0].Err != "Group 2 has no rows: add one or remove the group." || !empty.Failed() {
		t.Fatalf("an empty group: ok %v, %+v", ok, empty.More)
	}
	first := readConditions(postForm(t, url.Values{"f_groups": {"2"}, "f_rows": {"0"},
		"f_g1_rows": {"1"}, "f_g1_0_field": {"priority"}, "f_g1_0_value": {"P2"}}), "f", "", "", testFields)
	if _, _, ok := first.Groups(); ok || first.Err != "Group 1 has no rows: add one or remove the group." {
		t.Fatalf("an empty first group: ok %v, %q", ok, first.Err)
	}
	l.MaxGroups = 2
	if _, _, ok := l.Groups(); ok || !strings.Contains(l.Err, "Use at most 2 groups here; remove 1.") {
		t.Fatalf("too many groups: ok %v, %q", ok, l.Err)
	}
}

// "Add a group" and "Remove this group" work as submit buttons: a group
// comes back with one row, and removing the first moves the next up.
func TestConditionsGroupsAct(t *testing.T) {
	form := url.Values{"f_groups": {"2"}, "f_rows": {"1"}, "f_0_field": {"priority"}, "f_0_value": {"P1"},
		"f_g1_rows": {"1"}, "f_g1_0_field": {"customer_id"}, "f_g1_0_value": {"3"}}
	r := postForm(t, form)
	l := readConditions(r, "f", "", "", testFields)
	if !l.act(r, "add-group:f") || len(l.More) != 2 || l.More[1].Name != "f_g2" || len(l.More[1].Rows) != 1 || l.More[1].Rows[0].Field != "priority" {
		t.Fatalf("after adding a group: %+v", l.More)
	}
	if !l.act(r, "add:f_g1") || len(l.More[0].Rows) != 2 {
		t.Fatalf("a row added to the second group: %+v", l.More[0].Rows)
	}
	if !l.act(r, "remove-group:f:0") || len(l.More) != 1 || l.Rows[0].Field != "customer_id" || l.More[0].Name != "f_g1" {
		t.Fatalf("after removing the first group: %+v / %+v", l.Rows, l.More)
	}
	views := l.GroupViews()
	if len(views) != 2 || views[1].I != "1" || views[1].Parent != "f" || views[1].List.Name != "f_g1" {
		t.Fatalf("groups drawn as %+v", views)
	}
	if l.act(r, "add-group:other") {
		t.Fatal("acted on another list's button")
	}
}

// Messages of the domain check about a further group land on it, without
// the group and row the check names (the form shows them).
func TestConditionsGroupsPlaceErrors(t *testing.T) {
	l := newConditions("filter", "", "", testFields, []ticket.Clause{{Field: "priority", Values: []string{"P1"}}}).
		withGroups([][]ticket.Clause{{{Field: "customer_id", Values: []string{"3"}}}, {{Field: "major", Values: []string{"true"}}}})
	l.placeErrors(map[string]string{"filter_any[0][0].values[0]": "group 2, row 1: customer 3 does not exist",
		"filter_any[1]": "group 3 has no clauses; give it at least one or remove it", "filter_any": "at most 10 groups of clauses; this condition has 11"}, "filter")
	if got := l.More[0].Rows[0].Err; got != "Row 1: the customer ticked there no longer exists; untick it." {
		t.Errorf("row message %q", got)
	}
	if got := l.More[1].Err; got != "Group 3 has no clauses; give it at least one or remove it." {
		t.Errorf("group message %q", got)
	}
	if l.Err != "At most 10 groups of clauses; this condition has 11." || l.Rows[0].Err != "" {
		t.Errorf("list message %q, first row %q", l.Err, l.Rows[0].Err)
	}
}
