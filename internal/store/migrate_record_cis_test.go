package store_test

import (
	"context"
	"testing"
	"time"

	"steward/internal/store"
	"steward/internal/store/storetest"
)

// TestIncidentCILinksMoveToRecordCIs writes incident links to CIs in the
// table they had before migration 10, then runs it: every link is kept, now
// as the incident kind's, and the old table is gone.
func TestIncidentCILinksMoveToRecordCIs(t *testing.T) {
	ctx := context.Background()
	for _, e := range emptyEngines(t) {
		t.Run(e.DB.Dialect().String(), func(t *testing.T) {
			migs, err := store.Migrations(e.DB.Dialect())
			if err != nil {
				t.Fatal(err)
			}
			run := func(sql string) {
				t.Helper()
				if err := e.DB.InTx(ctx, func(tx *store.Tx) error { _, err := tx.Exec(ctx, sql); return err }); err != nil {
					t.Fatal(err)
				}
			}
			for _, m := range migs {
				if m.Version >= 10 {
					break
				}
				run(m.SQL)
			}
			now := store.TS(time.Now())
			err = e.DB.InTx(ctx, func(tx *store.Tx) error {
				if _, err := tx.Exec(ctx, `INSERT INTO incidents (title, impact, urgency, priority, state, created_at, updated_at)
					VALUES ('Switch down', 'high', 'high', 1, 'new', ?, ?)`, now, now); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `INSERT INTO cis (type_id, name, status, created_at, updated_at)
					SELECT id, 'sw-core-1', 'in_use', ?, ? FROM ci_types ORDER BY id LIMIT 1`, now, now); err != nil {
					return err
				}
				_, err := tx.Exec(ctx, `INSERT INTO incident_cis (incident_id, ci_id, created_at)
					SELECT i.id, c.id, ? FROM incidents i, cis c`, now)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range migs {
				if m.Version == 10 {
					run(m.SQL)
				}
			}
			if n := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM record_cis WHERE kind = 'incident' AND ci_id = (SELECT id FROM cis WHERE name = 'sw-core-1')"); n != 1 {
				t.Fatalf("%d links moved, want 1", n)
			}
			cols, err := e.DB.Columns(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := cols["incident_cis"]; ok {
				t.Fatal("incident_cis is still there")
			}
		})
	}
}

// emptyEngines opens unmigrated databases: SQLite always, PostgreSQL in a
// fresh schema when STEWARD_TEST_POSTGRES_URL is set.
func emptyEngines(t *testing.T) []storetest.Engine {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	out := []storetest.Engine{{DB: db, Dir: dir}}
	base := storetest.PostgresURL()
	if base == "" {
		t.Log("PostgreSQL not tested: STEWARD_TEST_POSTGRES_URL is unset")
		return out
	}
	u, err := storetest.FreshSchema(t, base)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := store.Open(ctx, store.Options{DatabaseURL: u, ReadConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	return append(out, storetest.Engine{DB: pg, URL: u})
}
