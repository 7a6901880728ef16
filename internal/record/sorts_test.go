package record_test

import (
	"errors"
	"slices"
	"strconv"
	"testing"

	"steward/internal/domainerr"
	"steward/internal/record"
)

type row struct {
	ID       int64
	Priority int
	Created  string
}

var rowSorts = &record.Sorts[row]{ID: "t.id", IDOf: func(r row) int64 { return r.ID }, Names: "created_at, priority, number",
	Keys: map[string]record.SortKey[row]{
		"created_at": {Col: "t.created_at", Val: func(r row) string { return r.Created }},
		"priority":   {Col: "t.priority", Int: true, Val: func(r row) string { return strconv.Itoa(r.Priority) }},
		"number":     {Col: "t.id"},
	}}

// A kind's list orders declared once: the order a request names, the
// keyset condition its cursor continues from, and the cursor of the next
// page, which only the same order accepts.
func TestSorts(t *testing.T) {
	var inv *domainerr.Invalid
	if _, err := rowSorts.Parse("-title"); !errors.As(err, &inv) || !inv.Has("sort") {
		t.Fatalf("an undeclared order: %v", err)
	}
	for _, c := range []struct {
		sort, order, cond string
		last              row
		args              []any
	}{
		{"-created_at", "t.created_at DESC, t.id DESC", "(t.created_at, t.id) < (?, ?)", row{ID: 7, Created: "2026-01-02"}, []any{"2026-01-02", int64(7)}},
		{"priority", "t.priority ASC, t.id ASC", "(t.priority, t.id) > (?, ?)", row{ID: 9, Priority: 2}, []any{2, int64(9)}},
		{"-number", "t.id DESC", "t.id < ?", row{ID: 12}, []any{int64(12)}},
	} {
		o, err := rowSorts.Parse(c.sort)
		if err != nil {
			t.Fatal(err)
		}
		if got := o.Order(); got != c.order {
			t.Errorf("%s orders by %q, want %q", c.sort, got, c.order)
		}
		where, args, err := o.After(o.Next(c.last), []string{"t.open"}, []any{})
		if err != nil || !slices.Equal(where, []string{"t.open", c.cond}) || !slices.Equal(args, c.args) {
			t.Errorf("%s continues with %v %v (%v), want %q %v", c.sort, where, args, err, c.cond, c.args)
		}
		other, _ := rowSorts.Parse("created_at")
		if c.sort != "created_at" {
			if _, _, err := other.After(o.Next(c.last), nil, nil); !errors.Is(err, record.ErrBadCursor) {
				t.Errorf("a %s cursor continued a created_at list: %v", c.sort, err)
			}
		}
	}
	o, _ := rowSorts.Parse("priority")
	bad := record.Cursor{Sort: "priority", Val: "high", ID: 3}.Encode()
	if _, _, err := o.After(bad, nil, nil); !errors.Is(err, record.ErrBadCursor) {
		t.Errorf("a priority cursor holding no number: %v", err)
	}
	if where, _, err := o.After("", []string{"x"}, nil); err != nil || len(where) != 1 {
		t.Errorf("the first page got a condition: %v %v", where, err)
	}
}
