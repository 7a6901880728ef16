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
