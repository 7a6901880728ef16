package infosec

import (
	"context"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Group is a support group and whether it is a security group.
type Group struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Security bool   `json:"security"`
	Members  int    `json:"members"`
}

// Groups lists the support groups with their security flag.
func (s *Service) Groups(ctx context.Context, p *auth.Principal) ([]Group, error) {
	if !p.Can(PermGroups) {
		return nil, domainerr.ErrForbidden
	}
	rows, err := s.DB.Query(ctx, `SELECT g.id, g.name, g.security, (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id)
		FROM support_groups g ORDER BY lower(g.name) LIMIT 1000`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Group{}
	for rows.Next() {
		var g Group
		if err := rows.Scan(&g.ID, &g.Name, &g.Security, &g.Members); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// SetSecurityGroup marks a support group as a security group or not: its
// members see security incidents from then on, or no longer.
func (s *Service) SetSecurityGroup(ctx context.Context, p *auth.Principal, groupID int64, security bool) error {
	if !p.Can(PermGroups) {
		return domainerr.ErrForbidden
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, "UPDATE support_groups SET security = ? WHERE id = ?", security, groupID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return audit.Record(ctx, tx, p.Actor(), "update", "support_group", groupID, map[string]any{"security": security})
	})
}

// Person is someone who may own security records.
type Person struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// maxPeople bounds the people a form lists or types an owner from.
const maxPeople = 1000

// People are the active members of the security groups and the
// administrators: those who may own a security incident.
func (s *Service) People(ctx context.Context, p *auth.Principal) ([]Person, error) {
	if ok, err := Cleared(ctx, s.DB, p); err != nil || !ok {
		return nil, cmpErr(err, domainerr.ErrForbidden)
	}
	rows, err := s.DB.Query(ctx, `SELECT u.id, u.name, u.email FROM users u WHERE u.active AND `+ClearedSQL+`
		ORDER BY u.name, u.id LIMIT ?`, maxPeople)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Person{}
	for rows.Next() {
		var x Person
		if err := rows.Scan(&x.ID, &x.Name, &x.Email); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}
