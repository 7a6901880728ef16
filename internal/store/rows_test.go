package store_test

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"steward/internal/store"
)

// onePlace opens a SQLite database whose read pool has one connection, so
// a read that kept its place would make the next one wait for ever.
func onePlace(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Options{DataDir: t.TempDir(), ReadConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// waitFor yields until the database has n reads waiting for a place.
func waitFor(t *testing.T, db *store.DB, n int64) {
	t.Helper()
	giveUp := time.Now().Add(time.Minute) // a guard against hanging, not a measure
	for db.Counts().ReadsWaiting != n {
		if time.Now().After(giveUp) {
			t.Fatalf("never saw %d reads waiting; %d are", n, db.Counts().ReadsWaiting)
		}
		runtime.Gosched()
	}
}

const threeRows = "SELECT column1 FROM (VALUES (1), (2), (3))"

// Every way a read can end gives its connection back: read to the end
// without Close, closed early, one row scanned, no row found, a query that
// fails, a read transaction. Each is followed by a read that needs the
// pool's only connection.
func TestEveryReadGivesItsPlaceBack(t *testing.T) {
	db := onePlace(t)
	ctx := context.Background()
	ends := map[string]func() error{
		"read to the end": func() error {
			rows, err := db.Query(ctx, threeRows)
			if err != nil {
				return err
			}
			n := 0
			for rows.Next() {
				n++
			}
			if n != 3 {
				t.Errorf("read %d rows, want 3", n)
			}
			return rows.Err()
		},
		"closed after one row": func() error {
			rows, err := db.Query(ctx, threeRows)
			if err != nil {
				return err
			}
			rows.Next()
			return rows.Close()
		},
		"one row scanned": func() error {
			var v int
			return db.QueryRow(ctx, threeRows).Scan(&v)
		},
		"no row found": func() error {
			var v int
			if err := store.ScanErr(db.QueryRow(ctx, threeRows+" WHERE column1 > 5").Scan(&v)); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("no row: %v, want ErrNotFound", err)
			}
			return nil
		},
		"a query that fails": func() error {
			if _, err := db.Query(ctx, "SELECT no_such_column FROM (VALUES (1))"); err == nil {
				t.Error("a query of a missing column ran")
			}
			if err := db.QueryRow(ctx, "SELECT no_such_column FROM (VALUES (1))").Scan(new(int)); err == nil {
				t.Error("a one-row query of a missing column ran")
			}
			return nil
		},
		"a read transaction": func() error {
			return db.InReadTx(ctx, func(rt *store.ReadTx) error {
				var v int
				return rt.QueryRow(ctx, threeRows).Scan(&v)
			})
		},
		// What a read transaction calls may read from the pool: the
		// transaction has a connection of its own.
		"a read transaction that reads from the pool": func() error {
			return db.InReadTx(ctx, func(rt *store.ReadTx) error {
				rows, err := rt.Query(ctx, threeRows)
				if err != nil {
					return err
				}
				defer rows.Close()
				for rows.Next() {
					var v int
					if err := db.QueryRow(ctx, "SELECT 1").Scan(&v); err != nil {
						return err
					}
				}
				return rows.Err()
			})
		},
	}
	for name, end := range ends {
		if err := end(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		next, cancel := context.WithTimeout(ctx, 30*time.Second)
		var v int
		err := db.QueryRow(next, "SELECT 7").Scan(&v)
		cancel()
		if err != nil || v != 7 {
			t.Fatalf("after %s, the next read got %d, %v: the connection was kept", name, v, err)
		}
	}
}

// Reads that find every connection busy are served in the order they came,
// and one that gives up waiting takes no connection with it.
func TestReadsAreServedInTheOrderTheyCame(t *testing.T) {
	db := onePlace(t)
	ctx := context.Background()
	held, err := db.Query(ctx, threeRows)
	if err != nil {
		t.Fatal(err)
	}

	gaveUp, cancel := context.WithCancel(ctx)
	refused := make(chan error)
	go func() {
		_, err := db.Query(gaveUp, "SELECT 1")
		refused <- err
	}()
	waitFor(t, db, 1)
	cancel()
	if err := <-refused; !errors.Is(err, context.Canceled) {
		t.Fatalf("a read whose caller gave up returned %v, want context.Canceled", err)
	}
	waitFor(t, db, 0)

	const readers = 6
	var mu sync.Mutex
	var served []int
	var all sync.WaitGroup
	for i := range readers {
		all.Go(func() {
			rows, err := db.Query(ctx, "SELECT ?", i)
			if err != nil {
				t.Error(err)
				return
			}
			defer rows.Close()
			// Noted while the rows still hold the only connection.
			mu.Lock()
			served = append(served, i)
			mu.Unlock()
		})
		waitFor(t, db, int64(i+1))
	}
	held.Close()
	all.Wait()
	if want := []int{0, 1, 2, 3, 4, 5}; !slices.Equal(served, want) {
		t.Errorf("reads were served in the order %v, want the order they came, %v", served, want)
	}
}
