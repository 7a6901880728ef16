package request

import (
	"context"
	"errors"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Manager is who approves a user's requests when an item asks for the
// manager's approval.
type Manager struct {
	UserID      int64  `json:"user_id"`
	ManagerID   *int64 `json:"manager_id"`
	ManagerName string `json:"manager_name,omitempty"`
}

func managerOf(ctx context.Context, q store.Querier, userID int64) (*int64, error) {
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
func (s *Service) GetManager(ctx context.Context, p *auth.Principal, userID int64) (Manager, error) {
	if !p.Can(auth.UserRead) {
		return Manager{}, domainerr.ErrForbidden
	}
	return getManager(ctx, s.DB, userID)
}

func getManager(ctx context.Context, q store.Querier, userID int64) (Manager, error) {
	if ok, err := exists(ctx, q, "users", userID); err != nil || !ok {
		return Manager{}, cmpErr(err, store.ErrNotFound)
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
// active user who may decide approvals, and nobody manages themselves.
func (s *Service) SetManager(ctx context.Context, p *auth.Principal, userID int64, managerID *int64) (Manager, error) {
	if !p.Can(auth.UserWrite) {
		return Manager{}, domainerr.ErrForbidden
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if ok, err := exists(ctx, tx, "users", userID); err != nil || !ok {
			return cmpErr(err, store.ErrNotFound)
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
		} else if err := checkApprover(ctx, tx, "manager_id", *managerID, v); err != nil {
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
	return getManager(ctx, s.DB, userID)
}

// Managers lists who manages whom, for the administration page.
func (s *Service) Managers(ctx context.Context, p *auth.Principal) (map[int64]int64, error) {
	if !p.Can(auth.UserRead) {
		return nil, domainerr.ErrForbidden
	}
	rows, err := s.DB.Query(ctx, "SELECT user_id, manager_id FROM user_managers ORDER BY user_id LIMIT 10000")
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
