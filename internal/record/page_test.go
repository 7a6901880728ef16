package record_test

import (
	"errors"
	"slices"
	"testing"

	"steward/internal/record"
)

type entry struct {
	ID      int64
	Created string
}

// A list that named its cursors before it declared its orders.
var entrySorts = &record.Sorts[entry]{ID: "e.id", IDOf: func(e entry) int64 { return e.ID }, Names: "created_at",
	Keys:    map[string]record.SortKey[entry]{"created_at": {Col: "e.created_at", Val: func(e entry) string { return e.Created }}},
	Cursors: map[string]string{"-created_at": "created"}}

// An order whose cursors carry an older name hands out cursors under that
// name and continues from one built the old way, and from no other.
func TestSortsKeepTheCursorNameTheyHandedOut(t *testing.T) {
	o := entrySorts.MustParse("-created_at")
	last := entry{ID: 4, Created: "2026-03-01T10:00:00.000000Z"}
	old := record.Cursor{Sort: "created", Val: last.Created, ID: last.ID}.Encode()
	if got := o.Next(last); got != old {
		t.Errorf("the next page's cursor is %q, want the one the list always gave, %q", got, old)
	}
	where, args, err := o.After(old, nil, nil)
	if err != nil || !slices.Equal(where, []string{"(e.created_at, e.id) < (?, ?)"}) || !slices.Equal(args, []any{last.Created, last.ID}) {
		t.Errorf("an old cursor continues with %v %v (%v)", where, args, err)
	}
	for _, other := range []record.Cursor{{Sort: "-created_at", Val: last.Created, ID: 4}, {Sort: "-number", ID: 4}} {
		if _, _, err := o.After(other.Encode(), nil, nil); !errors.Is(err, record.ErrBadCursor) {
			t.Errorf("a %q cursor continued the list: %v", other.Sort, err)
		}
	}
	asc := entrySorts.MustParse("created_at")
	if _, _, err := asc.After(old, nil, nil); !errors.Is(err, record.ErrBadCursor) {
		t.Errorf("a newest-first cursor continued the oldest-first list: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("an undeclared fixed order was accepted")
		}
	}()
	entrySorts.MustParse("-title")
}
