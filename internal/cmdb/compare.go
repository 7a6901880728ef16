package cmdb

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"steward/internal/domainerr"
	"steward/internal/store"
)

// Snapshots of CIs as they are, read a batch at a time, and the comparison
// of a baseline's snapshots with the CMDB now.

// Edge is one relationship as a snapshot holds it.
type Edge struct {
	SourceID int64   `json:"source_id"`
	TargetID int64   `json:"target_id"`
	Type     RelType `json:"type"`
}

// String writes an edge as "12 runs_on 34".
func (e Edge) String() string {
	return strconv.FormatInt(e.SourceID, 10) + " " + string(e.Type) + " " + strconv.FormatInt(e.TargetID, 10)
}

func edgeLess(a, b Edge) int {
	switch {
	case a.SourceID != b.SourceID:
		return cmp.Compare(a.SourceID, b.SourceID)
	case a.TargetID != b.TargetID:
		return cmp.Compare(a.TargetID, b.TargetID)
	}
	return strings.Compare(string(a.Type), string(b.Type))
}

// Snapshot is a CI as a baseline recorded it, with its outgoing and
// incoming relationships.
type Snapshot struct {
	CIID          int64          `json:"ci_id"`
	TypeID        int64          `json:"type_id"`
	Type          string         `json:"type"`
	Name          string         `json:"name"`
	Status        Status         `json:"status"`
	OwnerID       *int64         `json:"owner_id"`
	GroupID       *int64         `json:"group_id"`
	CustomerID    *int64         `json:"customer_id"`
	ServiceID     *int64         `json:"service_id"`
	Location      string         `json:"location"`
	Attributes    map[string]any `json:"attributes"`
	Redundancy    *Redundancy    `json:"redundancy"`
	Version       int            `json:"version"`
	UpdatedAt     time.Time      `json:"updated_at"`
	Relationships []Edge         `json:"relationships"`
}

// inList is "?, ?, ..." for ids, padded with 0 (no CI's id) to one of a
// few lengths so that the statements stay few and cacheable.
func inList(ids []int64) (string, []any) {
	n := len(ids)
	for _, size := range []int{1, 8, 64, snapBatch} {
		if n <= size {
			n = size
			break
		}
	}
	args := make([]any, n)
	for i := range args {
		args[i] = int64(0)
		if i < len(ids) {
			args[i] = ids[i]
		}
	}
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", "), args
}

// chunkRows splits n rows into chunks whose sizes are few (snapBatch, 64, 8
// and 1), so multi-row inserts use a handful of statements.
func chunkRows(n int) []int {
	var out []int
	for _, size := range []int{snapBatch, 64, 8, 1} {
		for n >= size {
			out = append(out, size)
			n -= size
		}
	}
	return out
}

// loadSnapshot reads the CIs with the given ids (at most snapBatch) and
// their relationships as they are now. Missing ids are absent from the map.
func loadSnapshot(ctx context.Context, q store.Querier, ids []int64) (map[int64]*Snapshot, error) {
	out := make(map[int64]*Snapshot, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	if len(ids) > snapBatch {
		return nil, fmt.Errorf("loadSnapshot: %d ids, at most %d", len(ids), snapBatch)
	}
	list, args := inList(ids)
	rows, err := q.Query(ctx, `SELECT c.id, c.type_id, t.name, c.name, c.status, c.owner_id, c.group_id, c.customer_id,
		c.service_id, c.location, c.attributes, c.redundancy, c.version, c.updated_at
		FROM cis c JOIN ci_types t ON t.id = c.type_id WHERE c.id IN (`+list+`)`, args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		s := &Snapshot{Relationships: []Edge{}}
		var attrs, red string
		var updated store.Time
		if err := rows.Scan(&s.CIID, &s.TypeID, &s.Type, &s.Name, &s.Status, &s.OwnerID, &s.GroupID, &s.CustomerID,
			&s.ServiceID, &s.Location, &attrs, &red, &s.Version, &updated); err != nil {
			rows.Close()
			return nil, err
		}
		s.UpdatedAt = updated.Time
		if err := json.Unmarshal([]byte(attrs), &s.Attributes); err != nil || s.Attributes == nil {
			s.Attributes = map[string]any{}
		}
		if red != "" {
			var r Redundancy
			if json.Unmarshal([]byte(red), &r) == nil {
				s.Redundancy = &r
			}
		}
		out[s.CIID] = s
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, dir := range []string{"source_id", "target_id"} {
		rows, err := q.Query(ctx, `SELECT source_id, target_id, type FROM ci_relationships WHERE `+dir+` IN (`+list+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var e Edge
			if err := rows.Scan(&e.SourceID, &e.TargetID, &e.Type); err != nil {
				rows.Close()
				return nil, err
			}
			end := e.SourceID
			if dir == "target_id" {
				end = e.TargetID
			}
			if s := out[end]; s != nil {
				s.Relationships = append(s.Relationships, e)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	for _, s := range out {
		slices.SortFunc(s.Relationships, edgeLess)
	}
	return out, nil
}

// insertRows runs prefix with as many "(?, ...)" groups of width values as
// rows holds, in chunks of a few fixed sizes.
func insertRows(ctx context.Context, tx *store.Tx, prefix string, width int, rows []any) error {
	group := "(" + strings.TrimSuffix(strings.Repeat("?, ", width), ", ") + ")"
	at := 0
	for _, n := range chunkRows(len(rows) / width) {
		q := prefix + strings.TrimSuffix(strings.Repeat(group+", ", n), ", ")
		if _, err := tx.Exec(ctx, q, rows[at:at+n*width]...); err != nil {
			return err
		}
		at += n * width
	}
	return nil
}

// States of a CI in a comparison.
const (
	Unchanged = "unchanged"
	Changed   = "changed"
	Deleted   = "deleted" // in the baseline, gone from the CMDB
	Added     = "added"   // matches the baseline's filter now, was not in it
)

// CompareStates lists the states of a comparison.
var CompareStates = []string{Unchanged, Changed, Deleted, Added}

// FieldDiff is one field that differs: Old as the baseline recorded it,
// New as it is now; null when absent. Field is "name", "type", "status",
// "owner_id", "group_id", "customer_id", "service_id", "location",
// "redundancy" or "attributes.<name>".
type FieldDiff struct {
	Field string `json:"field"`
	Old   any    `json:"old"`
	New   any    `json:"new"`
}

// ComparedCI is one CI of a comparison.
type ComparedCI struct {
	CIID int64 `json:"ci_id"`
	// Name and Type are as they are now, or as recorded for a deleted CI.
	Name                 string      `json:"name"`
	Type                 string      `json:"type"`
	State                string      `json:"state"`
	Changes              []FieldDiff `json:"changes"`
	RelationshipsAdded   []Edge      `json:"relationships_added"`
	RelationshipsRemoved []Edge      `json:"relationships_removed"`
}

// CompareQuery asks for one page of a comparison.
type CompareQuery struct {
	States []string // only CIs in these states; empty means all
	Limit  int
	Cursor string
}

// Comparison is a page of a comparison, by CI id. Scanned is how many CIs
// this page compared: a page stops after compareBudget of them, so it may
// hold fewer than Limit items (even none) while NextCursor is set.
type Comparison struct {
	Items      []ComparedCI `json:"items"`
	NextCursor string       `json:"next_cursor"`
	Scanned    int          `json:"scanned"`
}

// compareBudget bounds the work of one comparison page.
const compareBudget = 20000

// CompareSnapshots compares a recorded snapshot with the CI now (nil when deleted).
func CompareSnapshots(old, cur *Snapshot) ComparedCI {
	c := ComparedCI{Changes: []FieldDiff{}, RelationshipsAdded: []Edge{}, RelationshipsRemoved: []Edge{}}
	switch {
	case old == nil && cur == nil:
		return c
	case cur == nil:
		c.CIID, c.Name, c.Type, c.State = old.CIID, old.Name, old.Type, Deleted
		return c
	case old == nil:
		c.CIID, c.Name, c.Type, c.State = cur.CIID, cur.Name, cur.Type, Added
		return c
	}
	c.CIID, c.Name, c.Type = cur.CIID, cur.Name, cur.Type
	add := func(field string, o, n any) {
		if !sameValue(o, n) {
			c.Changes = append(c.Changes, FieldDiff{Field: field, Old: o, New: n})
		}
	}
	add("name", old.Name, cur.Name)
	if old.TypeID != cur.TypeID {
		c.Changes = append(c.Changes, FieldDiff{Field: "type", Old: old.Type, New: cur.Type})
	}
	add("status", string(old.Status), string(cur.Status))
	add("owner_id", idValue(old.OwnerID), idValue(cur.OwnerID))
	add("group_id", idValue(old.GroupID), idValue(cur.GroupID))
	add("customer_id", idValue(old.CustomerID), idValue(cur.CustomerID))
	add("service_id", idValue(old.ServiceID), idValue(cur.ServiceID))
	add("location", old.Location, cur.Location)
	add("redundancy", redundancyValue(old.Redundancy), redundancyValue(cur.Redundancy))
	keys := slices.Sorted(maps.Keys(old.Attributes))
	for k := range cur.Attributes {
		if _, ok := old.Attributes[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		add("attributes."+k, old.Attributes[k], cur.Attributes[k])
	}
	was := map[Edge]bool{}
	for _, e := range old.Relationships {
		was[e] = true
	}
	for _, e := range cur.Relationships {
		if !was[e] {
			c.RelationshipsAdded = append(c.RelationshipsAdded, e)
		}
		delete(was, e)
	}
	for _, e := range old.Relationships {
		if was[e] {
			c.RelationshipsRemoved = append(c.RelationshipsRemoved, e)
		}
	}
	c.State = Unchanged
	if len(c.Changes)+len(c.RelationshipsAdded)+len(c.RelationshipsRemoved) > 0 {
		c.State = Changed
	}
	return c
}

func idValue(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func redundancyValue(r *Redundancy) any {
	if r == nil {
		return nil
	}
	return *r
}

// sameValue compares two JSON-able values by their encoding, so that a
// number read back from a snapshot equals the same number read now.
func sameValue(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// Compare compares a baseline with the CMDB now, one page at a time in CI
// id order: each recorded CI is unchanged, changed or deleted; for a
// baseline taken by filter, the CIs that match the filter now but were not
// recorded are added.
func (s *Service) Compare(ctx context.Context, baselineID int64, q CompareQuery) (Comparison, error) {
	b, err := s.Baseline(ctx, baselineID)
	if err != nil {
		return Comparison{}, err
	}
	want := map[string]bool{}
	for _, st := range q.States {
		if !slices.Contains(CompareStates, st) {
			return Comparison{}, domainerr.Field("state", "must be one of %s", strings.Join(CompareStates, ", "))
		}
		want[st] = true
	}
	limit := pageLimit(q.Limit)
	key, err := decodePageKey(q.Cursor)
	if err != nil {
		return Comparison{}, err
	}
	out := Comparison{Items: []ComparedCI{}}
	var lastOfPage int64
	err = walkComparison(ctx, s.DB, b, key.ID, func(c ComparedCI) bool {
		out.Scanned++
		if len(want) == 0 || want[c.State] {
			if len(out.Items) == limit {
				out.NextCursor = pageKey{ID: lastOfPage}.encode()
				return false
			}
			out.Items = append(out.Items, c)
			lastOfPage = c.CIID
		}
		if out.Scanned >= compareBudget {
			out.NextCursor = pageKey{ID: c.CIID}.encode()
			return false
		}
		return true
	})
	return out, err
}

// walkComparison calls fn for every CI of the comparison with an id above
// after, in id order, until fn returns false.
func walkComparison(ctx context.Context, q store.Querier, b Baseline, after int64, fn func(ComparedCI) bool) error {
	for {
		recorded, err := baselineSnapshots(ctx, q, b.ID, after, snapBatch)
		if err != nil {
			return err
		}
		var now []int64
		if b.Filter != nil {
			if now, err = filterIDs(ctx, q, b.Filter, after, snapBatch); err != nil {
				return err
			}
		}
		if len(recorded) == 0 && len(now) == 0 {
			return nil
		}
		// Both lists are complete up to hi; beyond it one of them may go on.
		hi, more := int64(1<<63-1), false
		if len(recorded) == snapBatch {
			hi, more = recorded[len(recorded)-1].CIID, true
		}
		if len(now) == snapBatch && now[len(now)-1] < hi {
			hi, more = now[len(now)-1], true
		}
		old := map[int64]*Snapshot{}
		var ids []int64
		for _, sn := range recorded {
			if sn.CIID <= hi {
				old[sn.CIID] = sn
				ids = append(ids, sn.CIID)
			}
		}
		for _, id := range now {
			if _, ok := old[id]; !ok && id <= hi {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		for start := 0; start < len(ids); start += snapBatch {
			part := ids[start:min(start+snapBatch, len(ids))]
			cur, err := loadSnapshot(ctx, q, part)
			if err != nil {
				return err
			}
			for _, id := range part {
				if c := CompareSnapshots(old[id], cur[id]); c.State != "" && !fn(c) {
					return nil
				}
			}
		}
		if !more {
			return nil
		}
		after = hi
	}
}
