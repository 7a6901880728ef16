package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"steward/internal/store"
	"steward/internal/store/storetest"
)

// Callers sharing a transaction do not share failures: a duplicate fails
// alone and everyone else's row is committed.
func TestSharedTransactionsIsolateFailures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		const n = 60
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				name := fmt.Sprintf("Customer %d", i)
				if i%10 == 9 {
					name = "Duplicate"
				}
				errs[i] = e.DB.InTxShared(ctx, func(tx *store.Tx) error {
					_, err := tx.Exec(ctx, "INSERT INTO customers (name, created_at, updated_at) VALUES (?, ?, ?)",
						name, store.TS(time.Now()), store.TS(time.Now()))
					return err
				})
			}(i)
		}
		wg.Wait()
		failed := 0
		for i, err := range errs {
			switch {
			case err == nil:
			case errors.Is(err, store.ErrConflict) && i%10 == 9:
				failed++
			default:
				t.Errorf("caller %d: %v", i, err)
			}
		}
		rows := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM customers")
		if failed != 5 || rows != n-5 {
			t.Fatalf("%d duplicates refused, %d rows committed; want 5 and %d", failed, rows, n-5)
		}
	})
}
