package store

import (
	"context"
	"fmt"
	"strings"
)

// Keep holds v under key for the rest of this transaction: what one write
// learnt that the next write in the same transaction would otherwise read
// again.
func (t *Tx) Keep(key, v any) {
	if t.kept == nil {
		t.kept = map[any]any{}
	}
	t.kept[key] = v
}

// Kept returns what Keep held under key in this transaction.
func (t *Tx) Kept(key any) (any, bool) {
	v, ok := t.kept[key]
	return v, ok
}

// AdvisoryLock takes PostgreSQL's transaction-level advisory lock key,
// held until the transaction ends, unless the transaction holds it
// already; SQLite has one writer, so nothing to take.
func (t *Tx) AdvisoryLock(ctx context.Context, key int64) error {
	if t.db.dialect != Postgres || t.locks[key] {
		return nil
	}
	if _, err := t.Exec(ctx, "SELECT pg_advisory_xact_lock(?)", key); err != nil {
		return err
	}
	if t.locks == nil {
		t.locks = map[int64]bool{}
	}
	t.locks[key] = true
	return nil
}

// Savepoint starts SAVEPOINT name, remembering how many rows the
// transaction had collected, so that RollbackTo drops those collected since.
func (t *Tx) Savepoint(ctx context.Context, name string) error {
	if _, err := t.Exec(ctx, "SAVEPOINT "+name); err != nil {
		return err
	}
	m := make([]int, len(t.collected))
	for i, c := range t.collected {
		m[i] = len(c.rows)
	}
	if t.savepoints == nil {
		t.savepoints = map[string][]int{}
	}
	t.savepoints[name] = m
	return nil
}

// RollbackTo undoes the transaction's writes since Savepoint(name): the
// rows it has written and those it has collected to write at commit (audit
// entries among them). It forgets what Keep held, which may describe the
// undone writes.
func (t *Tx) RollbackTo(ctx context.Context, name string) error {
	m, ok := t.savepoints[name]
	if !ok {
		return fmt.Errorf("rollback to %s: the savepoint was not made with Savepoint", name)
	}
	t.kept, t.locks = nil, nil // locks taken since the savepoint are let go
	if _, err := t.Exec(ctx, "ROLLBACK TO SAVEPOINT "+name); err != nil {
		return err
	}
	t.collected = t.collected[:len(m)]
	for i, n := range m {
		t.collected[i].rows = t.collected[i].rows[:n]
	}
	return nil
}

// Shared reports whether the transaction gathers the writes of several
// callers of InTxShared. Those are record writes (creates, comments,
// changes), never edits of settings, so what a shared transaction reads
// of the settings tables cannot change before it commits.
func (t *Tx) Shared() bool { return t.shared }

// Rank orders the flushes of collected rows at commit.
type Rank int

const (
	// RankPlain flushes run first, in the order their keys were first used.
	RankPlain Rank = iota
	// RankFeed is the activity feed's flush, which takes the feed's lock
	// on PostgreSQL (after the audit chain's, as everywhere).
	RankFeed
	// RankAuditChain is the audit chain's flush. It runs last: every
	// audited write on every node waits for the chain's lock, which is
	// then held only from this flush to the commit.
	RankAuditChain
)

// collection is rows gathered during a transaction and written together
// just before it commits.
type collection struct {
	key     string
	rank    Rank
	flush   func(ctx context.Context, tx *Tx, rows []any) error
	rows    []any
	flushed int // rows written already
}

// Collect adds row to the rows gathered under key; flush writes them all
// just before the transaction commits (shared transactions included), in
// the order keys were first used. It is for writes that are much cheaper
// as one statement than as many, such as SQLite's full-text index, which
// otherwise writes a segment for every statement that follows it.
func (t *Tx) Collect(key string, row any, flush func(ctx context.Context, tx *Tx, rows []any) error) {
	t.CollectRanked(key, RankPlain, row, flush)
}

// CollectRanked is Collect for a flush that must run after others: those
// of a lower rank run first. Flushes that take locks other transactions
// wait for use it, so the locks are taken in one order and held briefly.
func (t *Tx) CollectRanked(key string, rank Rank, row any, flush func(ctx context.Context, tx *Tx, rows []any) error) {
	for _, c := range t.collected {
		if c.key == key {
			c.rows = append(c.rows, row)
			return
		}
	}
	t.collected = append(t.collected, &collection{key: key, rank: rank, flush: flush, rows: []any{row}})
}

// flushCollected runs the flushes rank by rank. A flush may collect rows
// of a later rank (a queued job's audit entry); rows collected for a rank
// already written are a mistake, and fail the transaction.
func (t *Tx) flushCollected(ctx context.Context) error {
	for rank := RankPlain; rank <= RankAuditChain; rank++ {
		for i := 0; i < len(t.collected); i++ {
			c := t.collected[i]
			if c.rank != rank || c.flushed == len(c.rows) {
				continue
			}
			rows := c.rows[c.flushed:]
			c.flushed = len(c.rows)
			if err := c.flush(ctx, t, rows); err != nil {
				return err
			}
		}
	}
	for _, c := range t.collected {
		if c.flushed != len(c.rows) {
			return fmt.Errorf("rows collected for %s after they were written", c.key)
		}
	}
	t.collected = nil
	return nil
}

// InsertRows inserts rows with insert ("INSERT INTO t (a, b, c)"), width
// values a row, many rows to a statement: values appends row i's values
// to args. A statement holds at most 30,000 values, under SQLite's bound
// of 32,766 parameters.
func (t *Tx) InsertRows(ctx context.Context, insert string, width, rows int, values func(i int, args []any) []any) error {
	per := max(1, 30000/width)
	tuple := "(?" + strings.Repeat(", ?", width-1) + ")"
	for start := 0; start < rows; start += per {
		n := min(per, rows-start)
		args := make([]any, 0, width*n)
		for i := start; i < start+n; i++ {
			args = values(i, args)
		}
		q := insert + " VALUES " + tuple + strings.Repeat(", "+tuple, n-1)
		if _, err := t.Exec(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}
