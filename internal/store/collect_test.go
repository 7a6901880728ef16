package store_test

import (
	"context"
	"slices"
	"testing"

	"steward/internal/store"
	"steward/internal/store/storetest"
)

// Collected rows are written at commit: a ranked flush after the plain ones
// whatever the order they were collected in, and none of the rows collected
// after a savepoint that was rolled back.
func TestCollectedRowsFlushByRankAndSavepoint(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		var written []string
		flush := func(ctx context.Context, tx *store.Tx, rows []any) error {
			for _, r := range rows {
				written = append(written, r.(string))
			}
			return nil
		}
		err := e.DB.InTx(ctx, func(tx *store.Tx) error {
			tx.CollectRanked("chain", store.RankAuditChain, "chain 1", flush)
			tx.Collect("index", "index 1", flush)
			if err := tx.Savepoint(ctx, "sp"); err != nil {
				return err
			}
			tx.CollectRanked("chain", store.RankAuditChain, "chain undone", flush)
			tx.CollectRanked("feed", store.RankFeed, "feed undone", flush)
			if err := tx.RollbackTo(ctx, "sp"); err != nil {
				return err
			}
			tx.CollectRanked("feed", store.RankFeed, "feed 1", flush)
			tx.Collect("index", "index 2", flush)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"index 1", "index 2", "feed 1", "chain 1"}; !slices.Equal(written, want) {
			t.Fatalf("written %q, want %q", written, want)
		}
	})
}
