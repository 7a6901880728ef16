package store

import (
	"context"
	"database/sql"

	"golang.org/x/sync/semaphore"
)

// Reads from the pool take turns in the order they asked.
//
// database/sql hands a freed connection to a random one of the callers
// waiting for it, so under load a read can lose that draw many times in a
// row: at 16 clients on a pool of 4, one page in a hundred waited four
// times as long as the median one. A read from the pool (DB.Query,
// DB.QueryRow, InReadTx) first takes one of readTurns' places, which are
// handed out first come, first served, and gives it back when its rows are
// closed or read to the end; there are exactly as many places as the pool
// has connections for reads, so a read holding a place finds a connection
// free at once, and the pool's own queue stays empty.
//
// A place is held for as long as a connection is, so code that would run
// the pool dry (a second read from inside an open result set, in more
// goroutines at once than the pool has connections) does so as before, no
// sooner.

// readTurns returns the queue for a pool with n connections for reads.
func readTurns(n int) *semaphore.Weighted { return semaphore.NewWeighted(int64(n)) }

// takeTurn waits for a place in the read queue and returns the function
// that gives it back; that function may be called more than once.
func (db *DB) takeTurn(ctx context.Context) (func(), error) {
	db.waiting.Add(1)
	err := db.turns.Acquire(ctx, 1)
	db.waiting.Add(-1)
	if err != nil {
		return nil, err
	}
	given := false
	return func() {
		if !given {
			given = true
			db.turns.Release(1)
		}
	}, nil
}

// Rows is a result set from Query: database/sql's rows, which give back
// their place in the read queue when closed or read to the end.
type Rows struct {
	*sql.Rows
	done func()
}

// Next advances to the next row; past the last one the rows are closed, as
// database/sql does, and their place in the read queue is given back.
func (r *Rows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.finish()
	return false
}

// Close closes the rows and gives back their place in the read queue.
func (r *Rows) Close() error {
	err := r.Rows.Close()
	r.finish()
	return err
}

func (r *Rows) finish() {
	if r.done != nil {
		r.done()
	}
}

// Row is the result of QueryRow: one row, read by Scan, which gives back
// its place in the read queue.
type Row struct {
	row  *sql.Row
	err  error // the query could not start (no place in the read queue)
	done func()
}

// Scan copies the row's columns into dest; with no row it returns
// sql.ErrNoRows, which ScanErr turns into ErrNotFound.
func (r *Row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	if r.done != nil {
		defer r.done()
	}
	return r.row.Scan(dest...)
}

// Err reports an error that stopped the query, without scanning the row.
func (r *Row) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.row.Err()
}
