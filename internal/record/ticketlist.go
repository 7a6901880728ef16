package record

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// TicketFields declares what one ticket kind's lists read alike with the
// other's: its states, those "open" stands for, and how a priority (P1 to
// P5 on every ticket kind) is read.
type TicketFields[S ~string, P any] struct {
	States   []S
	Open     []S
	Priority func(string) (P, bool)
}

// TicketQuery is what a list's query says about the fields incidents and
// requests share. Zero values mean the query did not name the field.
type TicketQuery[S ~string, P any] struct {
	States      []S
	Priorities  []P
	GroupIDs    []int64
	AssigneeID  int64
	Unassigned  bool
	CustomerID  int64
	RequesterID int64
	ServiceID   int64
	Query       string
	Sort        string
}

// ListParams names the query parameters a ticket list reads those fields
// from; "" leaves a field unread. Existing links and API clients use
// these names, so they never change. The state, the priority and the
// group take several values separated by commas, and the state "open"
// for the open states, under either set of names: a page's control sends
// one value, but a link to a page may say what the API says.
type ListParams struct {
	State, Priority, Group, Assignee, Customer, Requester, Service, Query, Sort string
	// Bounded refuses values longer than the API takes (q 200 characters,
	// sort and assignee 20, a list 1000); pages drop long values before.
	Bounded bool
}

// APIListParams are the names the API's ticket lists read.
var APIListParams = ListParams{State: "state", Priority: "priority", Group: "group_id", Assignee: "assignee_id",
	Customer: "customer_id", Requester: "requester_id", Service: "service_id", Query: "q", Sort: "sort",
	Bounded: true}

// PageListParams are the names the ticket queues' pages read.
var PageListParams = ListParams{State: "state", Priority: "priority", Group: "group", Assignee: "assignee",
	Customer: "customer", Service: "service", Query: "q", Sort: "sort"}

// FilterNames are the names n reads, in the order the fields are read,
// with a kind's own list parameters before the search and the sort: the
// parameters a saved filter of that kind may use (Kind.FilterFields).
func (n ListParams) FilterNames(own ...string) []string {
	var out []string
	for _, s := range []string{n.State, n.Priority, n.Group, n.Assignee, n.Customer, n.Requester, n.Service} {
		if s != "" {
			out = append(out, s)
		}
	}
	out = append(out, own...)
	for _, s := range []string{n.Query, n.Sort} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Read reads the shared fields from v under the names in n. me is the
// reader's user id, for "assignee=me". Each value that cannot be read is
// reported to fault with its parameter's name and the message the API
// answers with, in the order the fields are read.
func (d TicketFields[S, P]) Read(v url.Values, n ListParams, me int64, fault func(name, message string)) TicketQuery[S, P] {
	r := paramReader{v: v, n: n, fault: fault}
	var t TicketQuery[S, P]
	for _, s := range r.values(n.State) {
		if s == "open" {
			t.States = append(t.States, d.Open...)
			continue
		}
		if !slices.Contains(d.States, S(s)) {
			fault(n.State, d.stateMessage())
		}
		t.States = append(t.States, S(s))
	}
	for _, s := range r.values(n.Priority) {
		pr, ok := d.Priority(s)
		if !ok {
			fault(n.Priority, "must be P1 to P5")
		}
		t.Priorities = append(t.Priorities, pr)
	}
	t.GroupIDs = r.ids(n.Group)
	switch s := r.str(n.Assignee, 20); s {
	case "":
	case "none":
		t.Unassigned = true
	case "me":
		t.AssigneeID = me
	default:
		t.AssigneeID = r.id(n.Assignee)
	}
	t.CustomerID = r.id(n.Customer)
	t.RequesterID = r.id(n.Requester)
	t.ServiceID = r.id(n.Service)
	t.Query = r.str(n.Query, 200)
	t.Sort = r.str(n.Sort, 20)
	return t
}

// Into points at the fields of a kind's list filter that a TicketQuery
// sets.
type Into[S ~string, P any] struct {
	States                                         *[]S
	Priorities                                     *[]P
	GroupIDs                                       *[]int64
	Unassigned                                     *bool
	AssigneeID, CustomerID, RequesterID, ServiceID *int64
	Query, Sort                                    *string
}

// Apply puts each field q names into the filter dst points at, over what
// a queue set before; an unassigned filter the queue set stays.
func (q TicketQuery[S, P]) Apply(dst Into[S, P]) {
	if len(q.States) > 0 {
		*dst.States = q.States
	}
	if len(q.Priorities) > 0 {
		*dst.Priorities = q.Priorities
	}
	if len(q.GroupIDs) > 0 {
		*dst.GroupIDs = q.GroupIDs
	}
	*dst.Unassigned = *dst.Unassigned || q.Unassigned
	named(dst.AssigneeID, q.AssigneeID)
	named(dst.CustomerID, q.CustomerID)
	named(dst.RequesterID, q.RequesterID)
	named(dst.ServiceID, q.ServiceID)
	named(dst.Query, q.Query)
	named(dst.Sort, q.Sort)
}

// named puts v in *dst when a query named it, that is when v is not zero.
func named[T comparable](dst *T, v T) {
	var zero T
	if v != zero {
		*dst = v
	}
}

// stateMessage names the states a list takes, "open" first: "must be
// open, new, … or closed".
func (d TicketFields[S, P]) stateMessage() string {
	names := []string{"open"}
	for _, s := range d.States {
		names = append(names, string(s))
	}
	return "must be " + strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// paramReader reads single values, lists and ids the way n says.
type paramReader struct {
	v     url.Values
	n     ListParams
	fault func(name, message string)
}

func (r paramReader) str(name string, max int) string {
	if name == "" {
		return ""
	}
	s := r.v.Get(name)
	if r.n.Bounded && len(s) > max {
		r.fault(name, fmt.Sprintf("must be at most %d characters", max))
		return ""
	}
	return s
}

// values reads a list of values separated by commas.
func (r paramReader) values(name string) []string {
	s := r.str(name, 1000)
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	if len(parts) > 50 {
		r.fault(name, "at most 50 values")
		return nil
	}
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

func (r paramReader) id(name string) int64 {
	if name == "" || r.v.Get(name) == "" {
		return 0
	}
	n, ok := positive(r.v.Get(name))
	if !ok {
		r.fault(name, "must be a positive whole number")
	}
	return n
}

// ids reads a list of ids separated by commas.
func (r paramReader) ids(name string) []int64 {
	var out []int64
	for _, s := range r.values(name) {
		n, ok := positive(s)
		if !ok {
			r.fault(name, "must be positive whole numbers separated by commas")
			return nil
		}
		out = append(out, n)
	}
	return out
}

func positive(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n, true
}
