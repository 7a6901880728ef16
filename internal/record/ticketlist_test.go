package record_test

import (
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"steward/internal/record"
)

type state string

var tickets = record.TicketFields[state, int]{
	States: []state{"new", "working", "done"},
	Open:   []state{"new", "working"},
	Priority: func(s string) (int, bool) {
		n, err := strconv.Atoi(strings.TrimPrefix(s, "P"))
		return n, err == nil && n >= 1 && n <= 5
	},
}

// read parses query under names as user 7, with the faults by name and in
// the order they came.
func read(t *testing.T, names record.ListParams, query string) (record.TicketQuery[state, int], map[string]string, []string) {
	t.Helper()
	v, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	faults := map[string]string{}
	var order []string
	q := tickets.Read(v, names, 7, func(name, message string) {
		faults[name] = message
		order = append(order, name)
	})
	return q, faults, order
}

// The API and the pages read the same ticket fields under their own
// names, lists and "open" alike: a page's control sends one value, but a
// link to a page may say what the API says.
func TestTicketListReadsBothNameSets(t *testing.T) {
	cases := []struct {
		name  string
		names record.ListParams
		query string
		want  record.TicketQuery[state, int]
	}{
		{"API lists", record.APIListParams,
			"state=open,done&priority=P1,2&group_id=3,%204&assignee_id=me&customer_id=5&requester_id=6&service_id=8&q=disk&sort=-number",
			record.TicketQuery[state, int]{States: []state{"new", "working", "done"}, Priorities: []int{1, 2}, GroupIDs: []int64{3, 4},
				AssigneeID: 7, CustomerID: 5, RequesterID: 6, ServiceID: 8, Query: "disk", Sort: "-number"}},
		{"API unassigned", record.APIListParams, "assignee_id=none",
			record.TicketQuery[state, int]{Unassigned: true}},
		{"API ignores the page names", record.APIListParams, "group=3&assignee=9&customer=5&service=8",
			record.TicketQuery[state, int]{}},
		{"page", record.PageListParams,
			"state=done&priority=P3&group=3&assignee=9&customer=5&service=8&q=disk&sort=updated_at",
			record.TicketQuery[state, int]{States: []state{"done"}, Priorities: []int{3}, GroupIDs: []int64{3},
				AssigneeID: 9, CustomerID: 5, ServiceID: 8, Query: "disk", Sort: "updated_at"}},
		{"page: me", record.PageListParams, "assignee=me", record.TicketQuery[state, int]{AssigneeID: 7}},
		{"page lists", record.PageListParams, "state=open&priority=P1,P2&group=3,%204",
			record.TicketQuery[state, int]{States: []state{"new", "working"}, Priorities: []int{1, 2}, GroupIDs: []int64{3, 4}}},
		{"page ignores the API names", record.PageListParams, "group_id=3&assignee_id=9&customer_id=5&requester_id=6&service_id=8",
			record.TicketQuery[state, int]{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, faults, _ := read(t, c.names, c.query)
			if len(faults) > 0 {
				t.Fatalf("faults: %v", faults)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("read %+v, want %+v", got, c.want)
			}
		})
	}
}

// A value that cannot be read is refused with the message the API
// answers, under the name it came in; pages list the names for their
// banner, in the order of their controls. Only the API bounds the length
// of a value.
func TestTicketListRefusesBadValues(t *testing.T) {
	api := []struct{ query, name, message string }{
		{"state=sleeping", "state", "must be open, new, working or done"},
		{"state=open,", "state", "must be open, new, working or done"},
		{"priority=P9", "priority", "must be P1 to P5"},
		{"group_id=3,x", "group_id", "must be positive whole numbers separated by commas"},
		{"group_id=" + strings.Repeat("1,", 50) + "1", "group_id", "at most 50 values"},
		{"assignee_id=-1", "assignee_id", "must be a positive whole number"},
		{"assignee_id=" + strings.Repeat("9", 21), "assignee_id", "must be at most 20 characters"},
		{"customer_id=0", "customer_id", "must be a positive whole number"},
		{"requester_id=a", "requester_id", "must be a positive whole number"},
		{"service_id=1.5", "service_id", "must be a positive whole number"},
		{"q=" + strings.Repeat("a", 201), "q", "must be at most 200 characters"},
		{"sort=" + strings.Repeat("a", 21), "sort", "must be at most 20 characters"},
	}
	for _, c := range api {
		_, faults, _ := read(t, record.APIListParams, c.query)
		if len(faults) != 1 || faults[c.name] != c.message {
			t.Errorf("API %.40s: faults %v, want %s %q", c.query, faults, c.name, c.message)
		}
	}

	_, faults, order := read(t, record.PageListParams,
		"service=x&customer=0&assignee=nobody&group=3,-2&priority=P1,high&state=sleeping&q="+strings.Repeat("a", 250))
	want := []string{"state", "priority", "group", "assignee", "customer", "service"}
	if !reflect.DeepEqual(order, want) {
		t.Errorf("page faults %v, want %v", order, want)
	}
	if faults["state"] != "must be open, new, working or done" || faults["group"] != "must be positive whole numbers separated by commas" {
		t.Errorf("page messages: %v", faults)
	}
}

// A saved filter of a ticket kind may use the names the API reads alike
// for every ticket kind, with the kind's own before the search and sort.
func TestTicketListFilterNames(t *testing.T) {
	got := record.APIListParams.FilterNames("item_id", "major")
	want := []string{"state", "priority", "group_id", "assignee_id", "customer_id", "requester_id", "service_id",
		"item_id", "major", "q", "sort"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("filter names %v, want %v", got, want)
	}
	page := record.PageListParams.FilterNames()
	if want := []string{"state", "priority", "group", "assignee", "customer", "service", "q", "sort"}; !reflect.DeepEqual(page, want) {
		t.Errorf("page names %v, want %v", page, want)
	}
}
