// Package activity is the feed of notable events (tickets, problems,
// changes and releases raised and changed, comments, approval decisions,
// SLA warnings and breaches) that integrations read with
// GET /api/v1/activity and that outbound webhooks deliver. Entries are appended inside the
// transaction of the event and read in id order with a cursor.
package activity

import (
	"context"
	"encoding/json"
	"time"

	"steward/internal/audit"
	"steward/internal/store"
)

// Entry is one event.
type Entry struct {
	ID       int64           `json:"id"`
	At       time.Time       `json:"at"`
	Kind     string          `json:"kind"`   // e.g. sla.warning, sla.breach
	Entity   string          `json:"entity"` // incident, request
	EntityID int64           `json:"entity_id"`
	Ref      string          `json:"ref"` // INC-000042
	Summary  string          `json:"summary"`
	Data     json.RawMessage `json:"data"`
}

// Record appends an entry inside tx. The entry is written just before the
// transaction commits, after its other writes and before its audit entries
// (see appendEntries), so it is not readable in tx.
func Record(ctx context.Context, tx *store.Tx, e Entry) error {
	if len(e.Data) == 0 {
		e.Data = json.RawMessage("{}")
	}
	tx.CollectRanked("activity", store.RankFeed, e, appendEntries)
	return nil
}

// FeedLock is the PostgreSQL advisory lock that orders the feed's entries
// across nodes, held from the append to the commit; it is taken after
// audit.ChainLock.
const FeedLock = 7702007

func appendEntries(ctx context.Context, tx *store.Tx, rows []any) error {
	// Entries must become visible in id order, or a reader paging with
	// "after the last id I saw" could skip one that commits late: the
	// feed's lock is held from here to the commit. The audit chain's lock
	// comes first, always, as in every transaction that takes both, so
	// that no two wait for each other.
	if err := tx.AdvisoryLock(ctx, audit.ChainLock); err != nil {
		return err
	}
	if err := tx.AdvisoryLock(ctx, FeedLock); err != nil {
		return err
	}
	return tx.InsertRows(ctx, "INSERT INTO activity (at, kind, entity, entity_id, ref, summary, data)", 7, len(rows),
		func(i int, args []any) []any {
			e := rows[i].(Entry)
			return append(args, store.TS(e.At), e.Kind, e.Entity, e.EntityID, e.Ref, e.Summary, string(e.Data))
		})
}

// Filter narrows List.
type Filter struct {
	After    int64 // entries with a larger id (the cursor)
	Kind     string
	Entity   string
	EntityID int64
	Limit    int
}

// MaxLimit caps one page.
const MaxLimit = 500

// List returns entries oldest first after f.After, so a reader that keeps
// the last id it saw gets each entry exactly once.
func List(ctx context.Context, q store.Querier, f Filter) ([]Entry, error) {
	if f.Limit <= 0 || f.Limit > MaxLimit {
		f.Limit = 100
	}
	sql := `SELECT id, at, kind, entity, entity_id, ref, summary, data FROM activity WHERE id > ?`
	args := []any{f.After}
	if f.Kind != "" {
		sql += ` AND kind = ?`
		args = append(args, f.Kind)
	}
	if f.Entity != "" {
		sql += ` AND entity = ?`
		args = append(args, f.Entity)
		if f.EntityID != 0 {
			sql += ` AND entity_id = ?`
			args = append(args, f.EntityID)
		}
	}
	sql += ` ORDER BY id LIMIT ?`
	args = append(args, f.Limit)
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		var e Entry
		var at store.Time
		var data string
		if err := rows.Scan(&e.ID, &at, &e.Kind, &e.Entity, &e.EntityID, &e.Ref, &e.Summary, &data); err != nil {
			return nil, err
		}
		e.At, e.Data = at.Time, json.RawMessage(data)
		out = append(out, e)
	}
	return out, rows.Err()
}
