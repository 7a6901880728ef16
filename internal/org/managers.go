package org

import (
	"context"
	"errors"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Manager is who manages a user: who approves the user's requests when a
// catalogue item asks for the manager's approval.
type Manager struct {
	UserID      int64  `json:"user_id"`
	ManagerID   *int64 `json:"manager_id"`
	ManagerName string `json:"manager_name,omitempty"`
}

// ManagerOf returns the id of userID's manager, nil when none is set.
func ManagerOf(ctx context.Context, q store.Querier, userID int64) (*int64, error) {
	var m int64
	err := store.ScanErr(q.QueryRow(ctx, "SELECT manager_id FROM user_managers WHERE user_id = ?", userID).Scan(&m))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// GetManager returns a user's manager (ManagerID nil when none is set).
func GetManager(ctx context.Context, q store.Querier, p *auth.Principal, userID int64) (Manager, error) {
	if !p.Can(auth.UserRead) {
		return Manager{}, domainerr.ErrForbidden
	}
	return getManager(ctx, q, userID)
}

func getManager(ctx context.Context, q store.Querier, userID int64) (Manager, error) {
	if err := userExists(ctx, q, userID); err != nil {
		return Manager{}, err
	}
	out := Manager{UserID: userID}
	var id int64
	var name string
	err := store.ScanErr(q.QueryRow(ctx, `SELECT m.manager_id, u.name FROM user_managers m JOIN users u ON u.id = m.manager_id
		WHERE m.user_id = ?`, userID).Scan(&id, &name))
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return out, err
	default:
		out.ManagerID, out.ManagerName = &id, name
	}
	return out, nil
}

// SetManager names a user's manager; nil removes it. A manager must be an
// active user whose role holds decide, the permission that decides the
// approvals managers are asked for, and nobody manages themselves.
func SetManager(ctx context.Context, db *store.DB, p *auth.Principal, userID int64, managerID *int64, decide auth.Permission) (Manager, error) {
	if !p.Can(auth.UserWrite) {
		return Manager{}, domainerr.ErrForbidden
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := userExists(ctx, tx, userID); err != nil {
			return err
		}
		if managerID == nil {
			if _, err := tx.Exec(ctx, "DELETE FROM user_managers WHERE user_id = ?", userID); err != nil {
				return err
			}
			return audit.Record(ctx, tx, p.Actor(), "update", "user_manager", userID, map[string]any{"manager_id": nil})
		}
		v := domainerr.NewInvalid()
		if *managerID == userID {
			v.Add("manager_id", "nobody manages themselves")
		} else if err := CheckApprover(ctx, tx, "manager_id", *managerID, decide, v); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO user_managers (user_id, manager_id) VALUES (?, ?)
			ON CONFLICT (user_id) DO UPDATE SET manager_id = excluded.manager_id`, userID, *managerID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, p.Actor(), "update", "user_manager", userID, map[string]any{"manager_id": *managerID})
	})
	if err != nil {
		return Manager{}, err
	}
	return getManager(ctx, db, userID)
}

// Managers lists who manages whom, for the administration page.
func Managers(ctx context.Context, q store.Querier, p *auth.Principal) (map[int64]int64, error) {
	if !p.Can(auth.UserRead) {
		return nil, domainerr.ErrForbidden
	}
	rows, err := q.Query(ctx, "SELECT user_id, manager_id FROM user_managers ORDER BY user_id LIMIT 10000")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var u, m int64
		if err := rows.Scan(&u, &m); err != nil {
			return nil, err
		}
		out[u] = m
	}
	return out, rows.Err()
}

func userExists(ctx context.Context, q store.Querier, id int64) error {
	var one int
	return store.ScanErr(q.QueryRow(ctx, "SELECT 1 FROM users WHERE id = ?", id).Scan(&one))
}

// CheckApprover verifies that user id may decide approvals: an active user
// whose role holds decide, the permission that decides them.
func CheckApprover(ctx context.Context, q store.Querier, field string, id int64, decide auth.Permission, v *domainerr.Invalid) error {
	var role string
	var active bool
	err := store.ScanErr(q.QueryRow(ctx, "SELECT role, active FROM users WHERE id = ?", id).Scan(&role, &active))
	switch {
	case errors.Is(err, store.ErrNotFound):
		v.Add(field, "user %d does not exist", id)
	case err != nil:
		return err
	case !active:
		v.Add(field, "user %d is disabled", id)
	case !(&auth.Principal{Role: auth.Role(role)}).Can(decide):
		v.Add(field, "user %d is an %s and cannot decide approvals", id, role)
	}
	return nil
}
