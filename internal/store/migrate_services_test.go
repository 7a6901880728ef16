package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"steward/internal/store"
	"steward/internal/store/storetest"
)

// TestServiceTextBecomesCatalogue runs the foundation, writes incidents
// with the old free-text service, then the catalogue migration: each name
// (whatever its case and spacing) becomes one live service, the incidents
// point at it, and the text column is gone.
func TestServiceTextBecomesCatalogue(t *testing.T) {
	ctx := context.Background()
	engines := []func() (*store.DB, store.Dialect){
		func() (*store.DB, store.Dialect) {
			db, err := store.Open(ctx, store.Options{DataDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db, store.SQLite
		},
	}
	if base := storetest.PostgresURL(); base != "" {
		engines = append(engines, func() (*store.DB, store.Dialect) {
			u, err := storetest.FreshSchema(t, base)
			if err != nil {
				t.Fatal(err)
			}
			db, err := store.Open(ctx, store.Options{DatabaseURL: u, ReadConns: 2})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db, store.Postgres
		})
	} else {
		t.Log("PostgreSQL not tested: STEWARD_TEST_POSTGRES_URL is unset")
	}
	for _, open := range engines {
		db, dialect := open()
		t.Run(dialect.String(), func(t *testing.T) {
			migs, err := store.Migrations(dialect)
			if err != nil || len(migs) < 2 || migs[1].Version != 2 {
				t.Fatalf("migrations: %v", err)
			}
			run := func(sql string) {
				t.Helper()
				if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.Exec(ctx, sql); return err }); err != nil {
					t.Fatal(err)
				}
			}
			run(migs[0].SQL)
			now := store.TS(time.Now())
			for _, svc := range []string{"E-mail", " e-mail ", "VPN", "", "  "} {
				if _, err := db.Exec(ctx, `INSERT INTO incidents (title, impact, urgency, priority, state, service, created_at, updated_at)
					VALUES (?, 'low', 'low', 5, 'new', ?, ?, ?)`, "about "+svc, svc, now, now); err != nil {
					t.Fatal(err)
				}
			}
			run(migs[1].SQL)

			rows, err := db.Query(ctx, `SELECT i.title, COALESCE(s.name, ''), COALESCE(s.status, '') FROM incidents i
				LEFT JOIN services s ON s.id = i.service_id ORDER BY i.id`)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for rows.Next() {
				var title, name, status string
				if err := rows.Scan(&title, &name, &status); err != nil {
					t.Fatal(err)
				}
				got = append(got, name+"/"+status)
			}
			rows.Close()
			want := []string{"E-mail/live", "E-mail/live", "VPN/live", "/", "/"}
			if !slices.Equal(got, want) && !slices.Equal(got, []string{"e-mail/live", "e-mail/live", "VPN/live", "/", "/"}) {
				t.Fatalf("incidents point at %v, want %v", got, want)
			}
			if n := storetest.Count(t, db, "SELECT COUNT(*) FROM services"); n != 2 {
				t.Fatalf("%d services, want one per distinct name", n)
			}
			cols, err := db.Columns(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if slices.Contains(cols["incidents"], "service") || !slices.Contains(cols["incidents"], "service_id") {
				t.Fatalf("incidents columns: %v", cols["incidents"])
			}
		})
	}
}
