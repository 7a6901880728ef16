// Package audit keeps the append-only, hash-chained record of every create,
// update and delete in Steward. Each row stores the hash of the row before
// it, so an edit or a removed row anywhere in the past breaks the chain at a
// point that Verify reports.
package audit

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"steward/internal/store"
)

// Actor is who did something: a signed-in user, an API token or the system.
type Actor struct {
	Type string // "user", "token" or "system"
	ID   int64
	Name string
	// Via is the way a user's action came in when it was not a browser
	// or a token: "email" for what a person's message made. It is kept
	// as the entry's actor type.
	Via string
}

// System is the actor for background work.
var System = Actor{Type: "system", Name: "system"}

// Entry is one audited action.
type Entry struct {
	Seq       int64           `json:"seq"`
	At        time.Time       `json:"at"`
	ActorType string          `json:"actor_type"`
	ActorID   int64           `json:"actor_id,omitempty"`
	ActorName string          `json:"actor_name"`
	Action    string          `json:"action"`
	Entity    string          `json:"entity"`
	EntityID  string          `json:"entity_id"`
	Data      json.RawMessage `json:"data"`
	PrevHash  string          `json:"prev_hash"`
	Hash      string          `json:"hash"`
}

const genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// Record appends an entry inside the caller's write transaction, so the
// audit row commits or rolls back with the change it describes. The entry
// is chained and written just before the transaction commits (see
// appendEntries), so its seq, time and hash are not known, nor the row
// readable, until then.
func Record(ctx context.Context, tx *store.Tx, a Actor, action, entity string, entityID any, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("audit data: %w", err)
	}
	tx.CollectRanked("audit_log", store.RankAuditChain, &Entry{
		ActorType: cmp.Or(a.Via, a.Type), ActorID: a.ID, ActorName: a.Name,
		Action: action, Entity: entity, EntityID: fmt.Sprint(entityID), Data: raw,
	}, appendEntries)
	return nil
}

// ChainLock is the PostgreSQL advisory lock that serialises appends to the
// chain across nodes. A transaction that takes it takes it before any other
// lock it takes at commit, so that no two wait for each other.
const ChainLock = 7702002

// appendEntries chains a transaction's entries, in the order they were
// recorded, to the head and writes them. It is the last thing before the
// commit: on PostgreSQL the chain's lock, which serialises appends across
// nodes, is held from here to the commit only. SQLite has one writer.
func appendEntries(ctx context.Context, tx *store.Tx, rows []any) error {
	if err := tx.AdvisoryLock(ctx, ChainLock); err != nil {
		return err
	}
	// A statement of its own after the lock: under READ COMMITTED it sees
	// the head the lock's previous holder committed.
	seq, prevHash := int64(0), genesis
	err := tx.QueryRow(ctx, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").Scan(&seq, &prevHash)
	if err != nil && !errors.Is(store.ScanErr(err), store.ErrNotFound) {
		return err
	}
	at := time.Now().UTC().Truncate(time.Microsecond)
	return tx.InsertRows(ctx, "INSERT INTO audit_log (seq, at, actor_type, actor_id, actor_name, action, entity, entity_id, data, prev_hash, hash)",
		11, len(rows), func(i int, args []any) []any {
			e := rows[i].(*Entry)
			seq++
			e.Seq, e.At, e.PrevHash = seq, at, prevHash
			e.Hash = e.computeHash()
			prevHash = e.Hash
			var actorID any
			if e.ActorID != 0 {
				actorID = e.ActorID
			}
			return append(args, e.Seq, store.TS(e.At), e.ActorType, actorID, e.ActorName, e.Action, e.Entity,
				e.EntityID, string(e.Data), e.PrevHash, e.Hash)
		})
}

func (e *Entry) computeHash() string {
	h := sha256.New()
	for _, part := range []string{
		e.PrevHash, strconv.FormatInt(e.Seq, 10), store.TS(e.At), e.ActorType,
		strconv.FormatInt(e.ActorID, 10), e.ActorName, e.Action, e.Entity, e.EntityID, string(e.Data),
	} {
		h.Write([]byte(part))
		h.Write([]byte{0x1f})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Break describes the first place where the chain does not hold.
type Break struct {
	Seq    int64
	Reason string
}

func (b *Break) Error() string {
	return fmt.Sprintf("audit chain broken at seq %d: %s", b.Seq, b.Reason)
}

// Verify walks the whole chain in order. It returns the number of rows
// checked and, if the chain is broken, a *Break naming the first bad row.
func Verify(ctx context.Context, db store.Querier) (int64, error) {
	rows, err := db.Query(ctx, `SELECT seq, at, actor_type, actor_id, actor_name, action, entity,
		entity_id, data, prev_hash, hash FROM audit_log ORDER BY seq`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int64
	prevHash, wantSeq := genesis, int64(1)
	for rows.Next() {
		e, err := scan(rows)
		if err != nil {
			return n, err
		}
		switch {
		case e.Seq != wantSeq:
			return n, &Break{Seq: wantSeq, Reason: fmt.Sprintf("row %d is missing (next row is %d)", wantSeq, e.Seq)}
		case e.PrevHash != prevHash:
			return n, &Break{Seq: e.Seq, Reason: "prev_hash does not match the previous row's hash"}
		case e.computeHash() != e.Hash:
			return n, &Break{Seq: e.Seq, Reason: "row content does not match its hash (altered)"}
		}
		prevHash, wantSeq = e.Hash, e.Seq+1
		n++
	}
	return n, rows.Err()
}

type scanner interface{ Scan(...any) error }

func scan(r scanner) (Entry, error) {
	var e Entry
	var at store.Time
	var actorID *int64
	var data string
	if err := r.Scan(&e.Seq, &at, &e.ActorType, &actorID, &e.ActorName, &e.Action, &e.Entity,
		&e.EntityID, &data, &e.PrevHash, &e.Hash); err != nil {
		return e, err
	}
	e.At = at.Time
	if actorID != nil {
		e.ActorID = *actorID
	}
	e.Data = json.RawMessage(data)
	return e, nil
}

// Filter narrows a listing of the audit log.
type Filter struct {
	Entity   string
	EntityID string
	Before   int64 // keyset: entries with seq below this (newest first); 0 for the newest
	Limit    int
	// Hide leaves out the entries of these entities: those of records
	// the reader may not see (security incidents outside the security
	// groups).
	Hide []string
	// HideMentions leaves out the entries whose data holds any of these
	// words (a record number's prefix, as in a link's entry).
	HideMentions []string
}

// List returns entries newest first.
func List(ctx context.Context, db store.Querier, f Filter) ([]Entry, error) {
	var where []string
	var args []any
	if f.Entity != "" {
		where = append(where, "entity = ?")
		args = append(args, f.Entity)
	}
	if f.EntityID != "" {
		where = append(where, "entity_id = ?")
		args = append(args, f.EntityID)
	}
	if f.Before > 0 {
		where = append(where, "seq < ?")
		args = append(args, f.Before)
	}
	if len(f.Hide) > 0 {
		where = append(where, "entity NOT IN (?"+strings.Repeat(", ?", len(f.Hide)-1)+")")
		for _, h := range f.Hide {
			args = append(args, h)
		}
	}
	for _, m := range f.HideMentions {
		where = append(where, "data NOT LIKE ?")
		args = append(args, "%"+m+"%")
	}
	q := `SELECT seq, at, actor_type, actor_id, actor_name, action, entity, entity_id, data, prev_hash, hash FROM audit_log`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY seq DESC LIMIT ?"
	args = append(args, f.Limit)
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		e, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Head is the newest entry's sequence number and hash: the point the whole
// chain is summed up by, for signing an export with it. An empty trail has
// sequence 0 and the genesis hash.
func Head(ctx context.Context, db store.Querier) (int64, string, error) {
	var seq int64
	var hash string
	err := db.QueryRow(ctx, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, genesis, nil
	}
	return seq, hash, err
}

// UserID is the id of the person behind the actor (signed in or through
// one of their API tokens), for a created_by column; nil for the system.
func (a Actor) UserID() any {
	if a.ID > 0 && (a.Type == "user" || a.Type == "token") {
		return a.ID
	}
	return nil
}
