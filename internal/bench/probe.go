package bench

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // the engine Steward runs on
)

// ProbeResult is what SQLite itself does on this machine: an incident row
// and an audit row per transaction, written the simplest way, in a fresh
// database with Steward's settings (WAL, synchronous=NORMAL). It is the
// yardstick beside a create figure: the server's rate divided by this one
// says how much of the engine's own limit the write path uses.
type ProbeResult struct {
	Duration    Duration `json:"elapsed_ms"`
	Rows        int64    `json:"incidents"`
	RowsPerTx   int      `json:"incidents_per_transaction"`
	PerSecond   float64  `json:"incidents_per_second"`
	Commits     int64    `json:"commits"`
	CommitsRate float64  `json:"commits_per_second"`
}

const probeSchema = `
CREATE TABLE incidents (
    id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',
    customer_id INTEGER, category TEXT NOT NULL DEFAULT '', impact TEXT NOT NULL, urgency TEXT NOT NULL,
    priority INTEGER NOT NULL, state TEXT NOT NULL, group_id INTEGER, created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL, version INTEGER NOT NULL DEFAULT 1);
CREATE INDEX incidents_created ON incidents (created_at, id);
CREATE INDEX incidents_state ON incidents (state, created_at, id);
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
    entity TEXT NOT NULL, entity_id INTEGER, detail TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);`

// Probe writes for d into a temporary database under dir ("" for the
// system's), rowsPerTx incidents (each with its audit row) per
// transaction, and removes the database afterwards.
func Probe(ctx context.Context, dir string, d time.Duration, rowsPerTx int) (*ProbeResult, error) {
	if rowsPerTx < 1 {
		rowsPerTx = 1
	}
	tmp, err := os.MkdirTemp(dir, "steward-probe-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	dsn := "file:" + (&url.URL{Path: filepath.Join(tmp, "probe.db")}).EscapedPath() +
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, probeSchema); err != nil {
		return nil, fmt.Errorf("probe schema: %w", err)
	}
	insInc, err := db.PrepareContext(ctx, `INSERT INTO incidents (title, description, customer_id, category, impact, urgency,
		priority, state, group_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return nil, err
	}
	defer insInc.Close()
	insAudit, err := db.PrepareContext(ctx, `INSERT INTO audit_log (at, actor, action, entity, entity_id, detail, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return nil, err
	}
	defer insAudit.Close()

	res := &ProbeResult{RowsPerTx: rowsPerTx}
	prev := ""
	start := time.Now()
	for time.Since(start) < d && ctx.Err() == nil {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return nil, err
		}
		for range rowsPerTx {
			now := time.Now().UTC().Format(time.RFC3339Nano)
			r, err := tx.Stmt(insInc).ExecContext(ctx, "Printer on floor 2 shows paper jam", "The printer reports a jam.",
				1, "hardware", "medium", "low", 4, "new", 1, now, now)
			if err != nil {
				tx.Rollback()
				return nil, err
			}
			id, _ := r.LastInsertId()
			detail := `{"title":"Printer on floor 2 shows paper jam"}`
			sum := sha256.Sum256([]byte(prev + now + "create" + detail))
			hash := hex.EncodeToString(sum[:])
			if _, err := tx.Stmt(insAudit).ExecContext(ctx, now, "user:1", "create", "incident", id, detail, prev, hash); err != nil {
				tx.Rollback()
				return nil, err
			}
			prev = hash
			res.Rows++
		}
		if err := tx.Commit(); err != nil {
			return nil, err
		}
		res.Commits++
	}
	el := time.Since(start)
	res.Duration = Duration(el)
	res.PerSecond = rate(res.Rows, el)
	res.CommitsRate = rate(res.Commits, el)
	return res, nil
}
