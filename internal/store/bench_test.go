package store_test

// Benchmarks of the store's building blocks, to tell what one incident
// create costs before any domain logic: a write transaction, an insert, a
// point read on the read pool, and an audit append. SQLite runs in a
// temporary folder; PostgreSQL, when STEWARD_TEST_POSTGRES_URL is set, in a
// fresh schema of its own per benchmark.
//
//	go test -run '^$' -bench . -benchmem ./internal/store/

import (
	"context"
	"fmt"
	"steward/internal/store/storetest"
	"testing"

	"steward/internal/audit"
	"steward/internal/store"
)

// BenchmarkEmptyTx is the fixed cost of a write transaction: BEGIN
// (IMMEDIATE on SQLite) and COMMIT.
func BenchmarkEmptyTx(b *testing.B) {
	for _, e := range storetest.Engines(b) {
		b.Run(e.Name, func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				if err := e.DB.InTx(ctx, func(*store.Tx) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkInsertTx inserts one row per transaction.
func BenchmarkInsertTx(b *testing.B) {
	for _, e := range storetest.Engines(b) {
		b.Run(e.Name, func(b *testing.B) {
			ctx := context.Background()
			i := 0
			for b.Loop() {
				i++
				err := e.DB.InTx(ctx, func(tx *store.Tx) error {
					_, err := tx.Exec(ctx, "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)",
						fmt.Sprintf("bench.%d", i), "{}", "2026-01-01T00:00:00.000000Z")
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAuditRecord appends to the hash-chained audit log, one entry per
// transaction, as every create does.
func BenchmarkAuditRecord(b *testing.B) {
	for _, e := range storetest.Engines(b) {
		b.Run(e.Name, func(b *testing.B) {
			ctx := context.Background()
			data := map[string]any{"title": "Printer on floor 2 shows paper jam", "impact": "medium", "urgency": "high"}
			i := 0
			for b.Loop() {
				i++
				err := e.DB.InTx(ctx, func(tx *store.Tx) error {
					return audit.Record(ctx, tx, audit.System, "create", "incident", i, data)
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPointRead reads one row by key on the read pool.
func BenchmarkPointRead(b *testing.B) {
	for _, e := range storetest.Engines(b) {
		b.Run(e.Name, func(b *testing.B) {
			ctx := context.Background()
			if _, err := e.DB.Exec(ctx, "INSERT INTO settings (key, value, updated_at) VALUES ('bench', '{}', '2026-01-01T00:00:00.000000Z')"); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				var v string
				if err := e.DB.QueryRow(ctx, "SELECT value FROM settings WHERE key = ?", "bench").Scan(&v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
