package store_test

import (
	"context"
	"fmt"
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

// Rows more than one statement may hold are all inserted, in order, with
// each row's values in its own columns.
func TestInsertRowsAcrossStatements(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		if _, err := e.DB.Exec(ctx, `CREATE TABLE insert_rows_probe (n INTEGER NOT NULL, label TEXT NOT NULL, pad TEXT,
			c4 TEXT, c5 TEXT, c6 TEXT, c7 TEXT, c8 TEXT, c9 TEXT, c10 TEXT, c11 TEXT)`); err != nil {
			t.Fatal(err)
		}
		// 11 values a row: 2,727 rows a statement, so 6,000 rows take three.
		const width, rows = 11, 6000
		statements := 0
		err := e.DB.InTx(ctx, func(tx *store.Tx) error {
			return tx.InsertRows(ctx, "INSERT INTO insert_rows_probe (n, label, pad, c4, c5, c6, c7, c8, c9, c10, c11)", width, rows,
				func(i int, args []any) []any {
					if len(args) == 0 {
						statements++
					}
					return append(args, i, fmt.Sprintf("row %d", i), nil, "d", "e", "f", "g", "h", "i", "j", "k")
				})
		})
		if err != nil {
			t.Fatal(err)
		}
		if statements != 3 {
			t.Errorf("6,000 rows of 11 values took %d statements, want 3", statements)
		}
		var n, sum int
		var last string
		if err := e.DB.QueryRow(ctx, "SELECT COUNT(*), SUM(n) FROM insert_rows_probe").Scan(&n, &sum); err != nil {
			t.Fatal(err)
		}
		if err := e.DB.QueryRow(ctx, "SELECT label FROM insert_rows_probe WHERE n = ?", rows-1).Scan(&last); err != nil {
			t.Fatal(err)
		}
		if n != rows || sum != rows*(rows-1)/2 || last != "row 5999" {
			t.Errorf("inserted %d rows summing to %d, the last labelled %q; want %d summing to %d, the last %q",
				n, sum, last, rows, rows*(rows-1)/2, "row 5999")
		}
	})
}
