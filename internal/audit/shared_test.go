package audit_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"steward/internal/audit"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

var errRefused, errTryAgain = errors.New("refused"), errors.New("try again")

// Many writers share transactions, some of them failing (the whole batch
// then runs again caller by caller): the chain stays one unbroken line and
// holds exactly the entries of the writes that committed, each write's in
// the order it recorded them.
func TestChainHoldsUnderSharedWriters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		const writers, calls, perCall = 24, 12, 3
		var mu sync.Mutex
		committed := map[string]bool{} // "writer/call/entry" of committed writes
		var refused, failed atomic.Int64
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for c := 0; c < calls; c++ {
					attempts := 0
					err := e.DB.InTxShared(ctx, func(tx *store.Tx) error {
						attempts++
						for k := 0; k < perCall; k++ {
							if err := audit.Record(ctx, tx, audit.Actor{Type: "user", ID: int64(w + 1), Name: "ada"},
								"update", "incident", w, map[string]string{"key": fmt.Sprintf("%d/%d/%d", w, c, k)}); err != nil {
								return err
							}
						}
						switch {
						case c%5 == 4: // always refused: its entries must never appear
							return errRefused
						case c%5 == 2 && attempts == 1: // spoils its batch once
							return errTryAgain
						}
						return nil
					})
					switch {
					case errors.Is(err, errRefused):
						refused.Add(1)
						continue
					case errors.Is(err, errTryAgain): // it ran alone the first time
						continue
					case err != nil:
						t.Errorf("writer %d call %d: %v", w, c, err)
						failed.Add(1)
						continue
					}
					mu.Lock()
					for k := 0; k < perCall; k++ {
						committed[fmt.Sprintf("%d/%d/%d", w, c, k)] = true
					}
					mu.Unlock()
				}
			}(w)
		}
		wg.Wait()
		if refused.Load() != writers*2 || failed.Load() > 0 {
			t.Fatalf("%d writes refused and %d failed otherwise; want the %d that always fail, and none",
				refused.Load(), failed.Load(), writers*2)
		}

		n, err := audit.Verify(ctx, e.DB)
		if err != nil || n != int64(len(committed)) {
			t.Fatalf("verify: %d entries, %v; want %d", n, err, len(committed))
		}
		entries, err := audit.List(ctx, e.DB, audit.Filter{Limit: 10 * writers * calls * perCall})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]int64{}
		for _, en := range entries {
			var w, c, k int
			var key string
			fmt.Sscanf(string(en.Data), `{"key":%q}`, &key)
			if _, err := fmt.Sscanf(key, "%d/%d/%d", &w, &c, &k); err != nil || !committed[key] {
				t.Fatalf("entry %d (%s) is not one of a committed write", en.Seq, en.Data)
			}
			if _, dup := seen[key]; dup {
				t.Fatalf("entry %s appears twice", key)
			}
			seen[key] = en.Seq
		}
		for key := range committed {
			var w, c, k int
			fmt.Sscanf(key, "%d/%d/%d", &w, &c, &k)
			if k > 0 && seen[key] != seen[fmt.Sprintf("%d/%d/%d", w, c, k-1)]+1 {
				t.Fatalf("entries of write %d/%d are not consecutive in the order recorded", w, c)
			}
		}
	})
}

// An entry recorded after a savepoint that is rolled back is not written,
// like the change it describes; one recorded before it is.
func TestRollbackToSavepointDropsEntries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		err := e.DB.InTx(ctx, func(tx *store.Tx) error {
			if err := audit.Record(ctx, tx, audit.System, "update", "incident", 1, map[string]int{"kept": 1}); err != nil {
				return err
			}
			if err := tx.Savepoint(ctx, "row_2"); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, audit.System, "update", "incident", 2, map[string]int{"undone": 2}); err != nil {
				return err
			}
			if err := tx.RollbackTo(ctx, "row_2"); err != nil {
				return err
			}
			return audit.Record(ctx, tx, audit.System, "update", "incident", 3, map[string]int{"kept": 3})
		})
		if err != nil {
			t.Fatal(err)
		}
		entries, err := audit.List(ctx, e.DB, audit.Filter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := audit.Verify(ctx, e.DB); err != nil || n != 2 || len(entries) != 2 ||
			entries[0].EntityID != "3" || entries[1].EntityID != "1" {
			t.Fatalf("verify %d %v; entries %+v; want those of incidents 1 and 3", n, err, entries)
		}
	})
}
