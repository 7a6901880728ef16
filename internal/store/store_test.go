package store_test

import (
	"context"
	"errors"
	"reflect"
	"sort"
	"testing"
	"time"

	"steward/internal/store"
	"steward/internal/store/storetest"
)

// Both dialects must end with the same tables and columns; the only
// exception is PostgreSQL's tsvector column, which SQLite keeps in an FTS5
// table instead.
func TestDialectsHaveSameSchema(t *testing.T) {
	pg, ok := storetest.Postgres(t)
	if !ok {
		t.Skip("STEWARD_TEST_POSTGRES_URL is not set; the schema comparison needs PostgreSQL")
	}
	lite := storetest.SQLite(t)
	ctx := context.Background()
	a, err := lite.DB.Columns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := pg.DB.Columns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b["incidents"] = without(b["incidents"], "search")
	b["requests"] = without(b["requests"], "search")
	b["problems"] = without(b["problems"], "search")
	for _, m := range []map[string][]string{a, b} {
		for k := range m {
			sort.Strings(m[k])
		}
	}
	if !reflect.DeepEqual(a, b) {
		for table := range union(a, b) {
			if !reflect.DeepEqual(a[table], b[table]) {
				t.Errorf("table %s differs:\n sqlite:   %v\n postgres: %v", table, a[table], b[table])
			}
		}
	}
	if len(a) < 10 {
		t.Fatalf("expected the foundation tables, got %d tables", len(a))
	}
}

func without(cols []string, drop string) []string {
	var out []string
	for _, c := range cols {
		if c != drop {
			out = append(out, c)
		}
	}
	return out
}

func union(a, b map[string][]string) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

func TestMigrationsHaveSameVersions(t *testing.T) {
	lite, err := store.Migrations(store.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := store.Migrations(store.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) != len(pg) || len(lite) == 0 {
		t.Fatalf("sqlite has %d migrations, postgres %d", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].Version != pg[i].Version || lite[i].Name != pg[i].Name {
			t.Errorf("migration %d: sqlite %s, postgres %s", i, lite[i].Name, pg[i].Name)
		}
	}
}

func TestStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := e.DB

		t.Run("migrate again applies nothing", func(t *testing.T) {
			applied, err := db.Migrate(ctx)
			if err != nil || len(applied) != 0 {
				t.Fatalf("second migrate: applied %v, err %v", applied, err)
			}
		})

		t.Run("times round-trip in UTC to the microsecond", func(t *testing.T) {
			when := time.Date(2026, 3, 29, 1, 30, 15, 123456789, time.FixedZone("CEST", 2*3600))
			err := db.InTx(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)", "t1", "v", store.TS(when))
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			var got store.Time
			if err := db.QueryRow(ctx, "SELECT updated_at FROM settings WHERE key = ?", "t1").Scan(&got); err != nil {
				t.Fatal(err)
			}
			want := when.UTC().Truncate(time.Microsecond)
			if !got.Equal(want) || got.Location() != time.UTC {
				t.Fatalf("got %v, want %v", got.Time, want)
			}
		})

		t.Run("unique violation becomes ErrConflict", func(t *testing.T) {
			insert := func() error {
				return db.InTx(ctx, func(tx *store.Tx) error {
					_, err := tx.Exec(ctx, "INSERT INTO customers (name, created_at, updated_at) VALUES (?, ?, ?)",
						"Acme", store.TS(time.Now()), store.TS(time.Now()))
					return err
				})
			}
			if err := insert(); err != nil {
				t.Fatal(err)
			}
			if err := insert(); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("second insert: %v, want ErrConflict", err)
			}
		})

		t.Run("missing row becomes ErrNotFound", func(t *testing.T) {
			var n int
			err := store.ScanErr(db.QueryRow(ctx, "SELECT id FROM customers WHERE id = ?", 999999).Scan(&n))
			if !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("got %v, want ErrNotFound", err)
			}
		})

		t.Run("failed transaction leaves nothing", func(t *testing.T) {
			boom := errors.New("boom")
			err := db.InTx(ctx, func(tx *store.Tx) error {
				if _, err := tx.Exec(ctx, "INSERT INTO customers (name, created_at, updated_at) VALUES (?, ?, ?)",
					"Rolled back", store.TS(time.Now()), store.TS(time.Now())); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("got %v", err)
			}
			if n := storetest.Count(t, db, "SELECT COUNT(*) FROM customers WHERE name = ?", "Rolled back"); n != 0 {
				t.Fatalf("rolled back row is visible")
			}
		})

		t.Run("question marks inside literals survive rebinding", func(t *testing.T) {
			var s string
			if err := db.QueryRow(ctx, "SELECT 'why?' || ?", "!").Scan(&s); err != nil || s != "why?!" {
				t.Fatalf("got %q, %v", s, err)
			}
		})

		t.Run("journal and audit tables refuse updates and deletes", func(t *testing.T) {
			for _, q := range []string{"UPDATE audit_log SET actor_name = 'x'", "DELETE FROM audit_log",
				"UPDATE incident_journal SET body = 'x'", "DELETE FROM incident_journal"} {
				// An empty table fires no row trigger on PostgreSQL, so seed one row first.
				seedAppendOnly(t, db)
				if _, err := db.Exec(ctx, q); err == nil {
					t.Errorf("%s: succeeded, want refusal", q)
				}
			}
		})
	})
}

func seedAppendOnly(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	if storetest.Count(t, db, "SELECT COUNT(*) FROM incident_journal") > 0 {
		return
	}
	now := store.TS(time.Now())
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO incidents (title, impact, urgency, priority, state, created_at, updated_at)
			VALUES ('t', 'low', 'low', 5, 'new', ?, ?) RETURNING id`, now, now).Scan(&id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO incident_journal (incident_id, kind, author_name, created_at) VALUES (?, 'created', 'x', ?)`, id, now); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO audit_log (seq, at, actor_type, actor_name, action, entity, entity_id, data, prev_hash, hash)
			VALUES (1, ?, 'system', 'x', 'create', 'x', '1', '{}', '', '')`, now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestBackupAndRestore(t *testing.T) {
	ctx := context.Background()
	src := storetest.SQLite(t)
	if _, err := src.DB.Exec(ctx, "INSERT INTO customers (name, created_at, updated_at) VALUES (?, ?, ?)",
		"Kept in backup", store.TS(time.Now()), store.TS(time.Now())); err != nil {
		t.Fatal(err)
	}
	file := t.TempDir() + "/backup.db"
	if err := src.DB.Backup(ctx, file); err != nil {
		t.Fatal(err)
	}
	// Written after the backup: must not be in the restored copy.
	if _, err := src.DB.Exec(ctx, "INSERT INTO customers (name, created_at, updated_at) VALUES (?, ?, ?)",
		"After backup", store.TS(time.Now()), store.TS(time.Now())); err != nil {
		t.Fatal(err)
	}
	target := t.TempDir()
	if err := store.Restore(ctx, file, target); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, store.Options{DataDir: target})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var names []string
	rows, err := db.Query(ctx, "SELECT name FROM customers ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	rows.Close()
	if !reflect.DeepEqual(names, []string{"Kept in backup"}) {
		t.Fatalf("restored customers: %v", names)
	}

	if err := store.Restore(ctx, t.TempDir()+"/missing.db", target); err == nil {
		t.Fatal("restoring a missing file succeeded")
	}
	garbage := t.TempDir() + "/garbage.db"
	if err := writeFile(garbage, "not a database"); err != nil {
		t.Fatal(err)
	}
	if err := store.Restore(ctx, garbage, t.TempDir()); err == nil {
		t.Fatal("restoring a non-database succeeded")
	}
}

func TestSQLiteSynchronousSetting(t *testing.T) {
	ctx := context.Background()
	for setting, want := range map[string]int{"": 1, "normal": 1, "full": 2} {
		db, err := store.Open(ctx, store.Options{DataDir: t.TempDir(), Synchronous: setting})
		if err != nil {
			t.Fatalf("%q: %v", setting, err)
		}
		var got int
		err = db.InTx(ctx, func(tx *store.Tx) error { return tx.QueryRow(ctx, "PRAGMA synchronous").Scan(&got) })
		db.Close()
		if err != nil || got != want {
			t.Errorf("synchronous %q: the writer runs with %d (%v), want %d", setting, got, err, want)
		}
	}
	if _, err := store.Open(ctx, store.Options{DataDir: t.TempDir(), Synchronous: "off"}); err == nil {
		t.Error("synchronous=off should be refused")
	}
}
