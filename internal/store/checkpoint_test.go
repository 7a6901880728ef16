package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"steward/internal/store"
)

// Commits leave their pages in the write-ahead log; while the server runs,
// a checkpointer of its own copies them into the database file, so the log
// is reused instead of growing with every write.
func TestWriteAheadLogIsCheckpointedInTheBackground(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	main, wal := filepath.Join(dir, store.DBFile), filepath.Join(dir, store.DBFile+"-wal")
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, "CREATE TABLE scratch (body TEXT NOT NULL)")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	before := size(t, main)
	body := strings.Repeat("x", 3000) // about one page a row
	write := func() {
		for i := 0; i < 20; i++ {
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				for j := 0; j < 50; j++ {
					if _, err := tx.Exec(ctx, "INSERT INTO scratch (body) VALUES (?)", body); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	write() // 1,000 rows of which no two fit in one 4 KB page
	// Nothing here asks for a checkpoint: the database file grows by the
	// rows once the background checkpointer has copied them all.
	deadline := time.Now().Add(30 * time.Second)
	for size(t, main) < before+1000*4096 {
		if time.Now().After(deadline) {
			t.Fatalf("the database file is still %d bytes (was %d) and the log %d bytes: no checkpoint ran", size(t, main), before, size(t, wal))
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The log is reused from its start by the first commit after a
	// checkpoint that copied all of it.
	for store.CheckpointedThrough(db) != db.Counts().Commits {
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint copied the whole log")
		}
		time.Sleep(20 * time.Millisecond)
	}
	first := size(t, wal)
	write()
	if got := size(t, wal); got > first+first/2 {
		t.Fatalf("the log grew from %d to %d bytes for the same amount of writing; it should have been reused after the checkpoint", first, got)
	}
}

func size(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
