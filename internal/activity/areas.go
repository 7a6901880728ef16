package activity

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"steward/internal/store"
)

// Kinds of entries for the records that are not tickets: problems,
// changes and releases, each created and changed.
const (
	ProblemCreated = "problem.created"
	ProblemChanged = "problem.changed"
	ChangeCreated  = "change.created"
	ChangeChanged  = "change.changed"
	ReleaseCreated = "release.created"
	ReleaseChanged = "release.changed"
)

// Written is a problem, change or release as its entries describe it.
type Written struct {
	Entity   string // problem, change, release
	ID       int64
	Number   string
	Title    string
	State    string
	Priority string // "" where the kind has none
}

// Moved is one field's move, as an area's journal holds it.
type Moved struct{ Field, Old, New string }

// shown are the fields of these records whose moves an entry carries
// with their values, and how people name them; other fields (long texts
// such as plans) are listed by name in data.also_changed.
var shown = []struct{ key, name string }{
	{"state", "State"}, {"type", "Type"}, {"risk", "Risk"}, {"assignee_id", "Assignee"}, {"group_id", "Group"},
	{"title", "Title"}, {"category", "Category"}, {"planned_start", "Planned start"}, {"planned_end", "Planned end"},
	{"approved_at", "Approved"}, {"outcome", "Outcome"}, {"fix_change", "Fixing change"},
}

func (w Written) data() map[string]any {
	d := map[string]any{"number": w.Number, "title": w.Title, "state": w.State, "link": "/" + w.Entity + "s/" + w.Number}
	if w.Priority != "" {
		d["priority"] = w.Priority
	}
	return d
}

// Created appends the entity's ".created" entry inside tx.
func Created(ctx context.Context, tx *store.Tx, at time.Time, w Written) error {
	raw, err := json.Marshal(w.data())
	if err != nil {
		return err
	}
	return Record(ctx, tx, Entry{At: at, Kind: w.Entity + ".created", Entity: w.Entity, EntityID: w.ID, Ref: w.Number,
		Summary: cut("Created: " + w.Title), Data: raw})
}

// Changed appends the entity's ".changed" entry inside tx for the fields
// that moved; nothing when none did.
func Changed(ctx context.Context, tx *store.Tx, at time.Time, w Written, moves []Moved) error {
	if len(moves) == 0 {
		return nil
	}
	changes := map[string]Change{}
	also := []string{}
	for _, m := range moves {
		if isShown(m.Field) {
			changes[m.Field] = Change{Old: m.Old, New: m.New}
		} else {
			also = append(also, m.Field)
		}
	}
	if err := label(ctx, tx, changes); err != nil {
		return err
	}
	d := w.data()
	d["changes"], d["also_changed"] = changes, also
	raw, err := json.Marshal(d)
	if err != nil {
		return err
	}
	var parts []string
	for _, f := range shown {
		if ch, ok := changes[f.key]; ok {
			parts = append(parts, fmt.Sprintf("%s %s → %s", f.name, ch.OldLabel, ch.NewLabel))
		}
	}
	if len(also) > 0 {
		parts = append(parts, words(strings.Join(also, ", ")))
	}
	return Record(ctx, tx, Entry{At: at, Kind: w.Entity + ".changed", Entity: w.Entity, EntityID: w.ID, Ref: w.Number,
		Summary: cut(w.Number + ": " + strings.Join(parts, ", ")), Data: raw})
}

func isShown(field string) bool {
	for _, f := range shown {
		if f.key == field {
			return true
		}
	}
	return false
}
