// Package org owns the organisations Steward serves and is served by:
// customer organisations (requesters belong to one) and support groups
// (agents belong to several). Both are named records today; they share one
// implementation until they grow apart.
package org

import (
	"context"
	"errors"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Record is a customer or a support group.
type Record struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Version   int       `json:"-"`
}

// Kind selects the table behind a Record.
type Kind struct {
	table  string
	entity string // name in the audit trail
	label  string // for messages
}

var (
	Customers = Kind{table: "customers", entity: "customer", label: "customer"}
	Groups    = Kind{table: "support_groups", entity: "group", label: "group"}
)

func validName(name string) (string, error) {
	name = strings.TrimSpace(name)
	v := domainerr.NewInvalid()
	domainerr.Text(v, "name", name, true, domainerr.MaxName)
	return name, v.Err()
}

// Create stores a new record.
func (k Kind) Create(ctx context.Context, db *store.DB, actor audit.Actor, name string) (Record, error) {
	name, err := validName(name)
	if err != nil {
		return Record{}, err
	}
	now := time.Now()
	var id int64
	err = db.InTx(ctx, func(tx *store.Tx) error {
		err := store.ScanErr(tx.QueryRow(ctx, "INSERT INTO "+k.table+" (name, created_at, updated_at) VALUES (?, ?, ?) RETURNING id",
			name, store.TS(now), store.TS(now)).Scan(&id))
		if errors.Is(err, store.ErrConflict) {
			return domainerr.Field("name", "a %s named %q already exists", k.label, name)
		} else if err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "create", k.entity, id, map[string]any{"name": name})
	})
	if err != nil {
		return Record{}, err
	}
	return k.Get(ctx, db, id)
}

// Get loads one record.
func (k Kind) Get(ctx context.Context, q store.Querier, id int64) (Record, error) {
	var r Record
	var c, u store.Time
	err := q.QueryRow(ctx, "SELECT id, name, created_at, updated_at, version FROM "+k.table+" WHERE id = ?", id).
		Scan(&r.ID, &r.Name, &c, &u, &r.Version)
	r.CreatedAt, r.UpdatedAt = c.Time, u.Time
	return r, store.ScanErr(err)
}

// List returns records ordered by name, after the keyset (name, id).
func (k Kind) List(ctx context.Context, q store.Querier, afterName string, afterID int64, limit int) ([]Record, error) {
	rows, err := q.Query(ctx, "SELECT id, name, created_at, updated_at, version FROM "+k.table+
		" WHERE (name > ? OR (name = ? AND id > ?)) ORDER BY name, id LIMIT ?", afterName, afterName, afterID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Record{}
	for rows.Next() {
		var r Record
		var c, u store.Time
		if err := rows.Scan(&r.ID, &r.Name, &c, &u, &r.Version); err != nil {
			return nil, err
		}
		r.CreatedAt, r.UpdatedAt = c.Time, u.Time
		out = append(out, r)
	}
	return out, rows.Err()
}

// Rename changes a record's name; ifVersion 0 skips the concurrency check.
func (k Kind) Rename(ctx context.Context, db *store.DB, actor audit.Actor, id int64, name string, ifVersion int) (Record, error) {
	name, err := validName(name)
	if err != nil {
		return Record{}, err
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		cur, err := k.Get(ctx, tx, id)
		if err != nil {
			return err
		}
		if ifVersion != 0 && cur.Version != ifVersion {
			return domainerr.ErrStale
		}
		_, err = tx.Exec(ctx, "UPDATE "+k.table+" SET name = ?, updated_at = ?, version = version + 1 WHERE id = ?",
			name, store.TS(time.Now()), id)
		if errors.Is(err, store.ErrConflict) {
			return domainerr.Field("name", "a %s named %q already exists", k.label, name)
		} else if err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "update", k.entity, id, map[string]any{"name": [2]string{cur.Name, name}})
	})
	if err != nil {
		return Record{}, err
	}
	return k.Get(ctx, db, id)
}

// Delete removes a record that nothing refers to.
func (k Kind) Delete(ctx context.Context, db *store.DB, actor audit.Actor, id int64) error {
	return db.InTx(ctx, func(tx *store.Tx) error {
		cur, err := k.Get(ctx, tx, id)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "DELETE FROM "+k.table+" WHERE id = ?", id)
		if errors.Is(err, store.ErrReferenced) {
			return domainerr.Conflictf("%s %q is still used by users or incidents", k.label, cur.Name)
		} else if err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "delete", k.entity, id, map[string]any{"name": cur.Name})
	})
}

// Names maps ids to names for a whole (small) table, for forms and lists.
func (k Kind) Names(ctx context.Context, q store.Querier) (map[int64]string, error) {
	rows, err := q.Query(ctx, "SELECT id, name FROM "+k.table+" ORDER BY name LIMIT 5000")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var n string
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}
