package api_test

import (
	"context"
	"time"

	"steward/internal/audit"
	"steward/internal/cmdb"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// insertCI adds an Application CI with its history entry, for tests that
// need a graph without going through the CI API.
func insertCI(e storetest.Engine, name string) (int64, error) {
	ctx := context.Background()
	var id int64
	err := e.DB.InTx(ctx, func(tx *store.Tx) error {
		now := store.TS(time.Now())
		if err := tx.QueryRow(ctx, `INSERT INTO cis (type_id, name, status, created_at, updated_at)
			SELECT id, ?, 'in_use', ?, ? FROM ci_types WHERE name = 'Application' RETURNING id`, name, now, now).Scan(&id); err != nil {
			return err
		}
		return cmdb.RecordChange(ctx, tx, audit.System, cmdb.Change{CIID: id, Action: cmdb.ActionCreate})
	})
	return id, err
}

func insertRel(e storetest.Engine, source, target int64, t cmdb.RelType) error {
	ctx := context.Background()
	return e.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO ci_relationships (source_id, target_id, type, created_at) VALUES (?, ?, ?, ?)`,
			source, target, string(t), store.TS(time.Now())); err != nil {
			return err
		}
		return cmdb.RecordChange(ctx, tx, audit.System, cmdb.Change{CIID: source, Action: cmdb.ActionRelate, RelatedID: &target, RelType: t})
	})
}
