package audit_test

import (
	"context"
	"errors"
	"testing"

	"steward/internal/audit"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

func TestChainDetectsTampering(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		for i := 0; i < 5; i++ {
			err := e.DB.InTx(ctx, func(tx *store.Tx) error {
				return audit.Record(ctx, tx, audit.Actor{Type: "user", ID: 1, Name: "ada"}, "update", "incident", i, map[string]int{"n": i})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if n, err := audit.Verify(ctx, e.DB); err != nil || n != 5 {
			t.Fatalf("intact chain: %d %v", n, err)
		}
		// Someone with database access bypasses the guard and edits row 3.
		disable, enable := "DROP TRIGGER audit_log_no_update", ""
		if e.DB.Dialect() == store.Postgres {
			disable, enable = "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only", "ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"
		}
		if _, err := e.DB.Exec(ctx, disable); err != nil {
			t.Fatal(err)
		}
		if _, err := e.DB.Exec(ctx, `UPDATE audit_log SET data = '{"n":99}' WHERE seq = 3`); err != nil {
			t.Fatal(err)
		}
		if enable != "" {
			e.DB.Exec(ctx, enable)
		}
		n, err := audit.Verify(ctx, e.DB)
		var br *audit.Break
		if !errors.As(err, &br) || br.Seq != 3 || n != 2 {
			t.Fatalf("after tampering: %d verified, %v", n, err)
		}
	})
}

// Two nodes on one PostgreSQL database append concurrently; the chain stays
// one unbroken line.
func TestChainHoldsAcrossNodes(t *testing.T) {
	pg, ok := storetest.Postgres(t)
	if !ok {
		t.Skip("STEWARD_TEST_POSTGRES_URL is not set; several nodes need PostgreSQL")
	}
	ctx := context.Background()
	other, err := store.Open(ctx, store.Options{DatabaseURL: pg.URL, ReadConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	done := make(chan error, 16)
	for i := 0; i < 16; i++ {
		db := pg.DB
		if i%2 == 1 {
			db = other
		}
		go func(i int, db *store.DB) {
			var err error
			for j := 0; j < 20 && err == nil; j++ {
				err = db.InTx(ctx, func(tx *store.Tx) error {
					return audit.Record(ctx, tx, audit.System, "update", "incident", i, map[string]int{"j": j})
				})
			}
			done <- err
		}(i, db)
	}
	for i := 0; i < 16; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if n, err := audit.Verify(ctx, pg.DB); err != nil || n != 320 {
		t.Fatalf("verify: %d entries, %v", n, err)
	}
}
