package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// On SQLite a commit appends pages to the write-ahead log, and a
// checkpoint copies them back into the database file. SQLite would run the
// checkpoint inside whichever commit crosses its threshold, on the one
// writer connection every audited write waits for. Steward turns that off
// (wal_autocheckpoint=0 on the writer) and checkpoints from a connection of
// its own instead, so copying pages overlaps with the next transactions.

// checkpointEvery is how often the checkpointer looks for new commits.
const checkpointEvery = 100 * time.Millisecond

// walSizeLimit is how large an idle write-ahead log file may stay after a
// checkpoint has emptied it; the space beyond it is given back.
const walSizeLimit = 64 << 20

// Checkpoint copies every page the write-ahead log holds into the
// database file, as far as open readers allow, without blocking writers.
// It reports the log's size in pages and how many of them are now in the
// database file. A no-op on PostgreSQL.
func (db *DB) Checkpoint(ctx context.Context) (logPages, done int, err error) {
	if db.checkpointer == nil {
		return 0, 0, nil
	}
	var busy int
	err = db.checkpointer.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logPages, &done)
	if err != nil {
		return 0, 0, fmt.Errorf("checkpoint: %w", err)
	}
	return logPages, done, nil
}

// runCheckpoints checkpoints after commits until the database closes.
func (db *DB) runCheckpoints() {
	defer close(db.checkpointDone)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	var seen int64
	for {
		select {
		case <-db.quit:
			return
		case <-t.C:
		}
		if c := db.commits.Load(); c != seen {
			seen = c
			// A failed checkpoint is retried after the next commit;
			// the log only grows meanwhile.
			if n, done, err := db.Checkpoint(context.Background()); err == nil && done == n {
				db.checkpointedThrough.Store(c)
			}
		}
	}
}

func openCheckpointer(base string) (*sql.DB, error) {
	c, err := sql.Open("sqlite", base+"&_pragma=cache_size(-2000)")
	if err != nil {
		return nil, err
	}
	c.SetMaxOpenConns(1)
	c.SetMaxIdleConns(1)
	c.SetConnMaxLifetime(0)
	return c, nil
}
