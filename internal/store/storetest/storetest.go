// Package storetest opens fresh, migrated databases for tests: SQLite in a
// temporary folder always, and PostgreSQL in a schema of its own when
// STEWARD_TEST_POSTGRES_URL is set.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"steward/internal/store"
)

// Engine is one database a test runs against.
type Engine struct {
	Name string
	DB   *store.DB
	URL  string // PostgreSQL URL with its schema; "" for SQLite
	Dir  string // SQLite data folder; "" for PostgreSQL
}

// Engines returns a migrated SQLite database and, when configured, a
// migrated PostgreSQL schema. Both are removed when the test ends.
func Engines(t testing.TB) []Engine {
	t.Helper()
	out := []Engine{SQLite(t)}
	if pg, ok := Postgres(t); ok {
		out = append(out, pg)
	}
	return out
}

// Each runs fn as a subtest on every engine.
func Each(t *testing.T, fn func(t *testing.T, e Engine)) {
	t.Helper()
	for _, e := range Engines(t) {
		t.Run(e.Name, func(t *testing.T) { fn(t, e) })
	}
}

// SQLite opens a migrated database in a temporary folder.
func SQLite(t testing.TB) Engine {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(context.Background(), store.Options{DataDir: dir})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate sqlite: %v", err)
	}
	return Engine{Name: "sqlite", DB: db, Dir: dir}
}

// PostgresURL is the server the tests may use, or "".
func PostgresURL() string { return os.Getenv("STEWARD_TEST_POSTGRES_URL") }

// Postgres opens a migrated database in a fresh schema, or reports false
// when STEWARD_TEST_POSTGRES_URL is not set. It says so in the test log, so
// a run that meant to cover PostgreSQL but lost the variable shows it.
func Postgres(t testing.TB) (Engine, bool) {
	t.Helper()
	base := PostgresURL()
	if base == "" {
		t.Log("PostgreSQL not tested: STEWARD_TEST_POSTGRES_URL is unset")
		return Engine{}, false
	}
	u, err := FreshSchema(t, base)
	if err != nil {
		t.Fatalf("postgres schema: %v", err)
	}
	db, err := store.Open(context.Background(), store.Options{DatabaseURL: u, ReadConns: 4})
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate postgres: %v", err)
	}
	return Engine{Name: "postgres", DB: db, URL: u}, true
}

// FreshSchema creates an empty schema on the server at base and returns a
// URL whose connections use it; the schema is dropped when the test ends.
func FreshSchema(t testing.TB, base string) (string, error) {
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", err
	}
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		return "", err
	}
	t.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Count runs a query returning one integer, such as SELECT COUNT(*), and
// fails the test if it cannot be read: an unread count is zero, and many
// assertions would pass on that zero.
func Count(t testing.TB, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}
