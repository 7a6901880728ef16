package identity

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Settings are what an administrator decides about single sign-on and
// second factors.
type Settings struct {
	// GroupsClaim names the claim that holds the person's groups at the
	// provider; rules without a claim of their own look there.
	GroupsClaim string
	// DefaultRole is the role of a user created on first sign-in whom no
	// rule gives one.
	DefaultRole auth.Role
	// CreateUsers creates an account on first sign-in for a verified
	// e-mail address no account has; off, such people are refused.
	CreateUsers bool
	// LocalPasswordsOff holds people who have signed in through the
	// provider to it: their password no longer signs them in.
	LocalPasswordsOff bool
	// LinkPrivileged links an existing administrator's account, or one
	// with a second factor, to the provider by its verified e-mail at the
	// first sign-in there; off (the default), such accounts are refused,
	// since whoever controls the address at the provider would take them.
	LinkPrivileged bool
	// SecondFactorRoles must use a second factor with their password.
	SecondFactorRoles []auth.Role
	Rules             []Rule
}

// Rule maps a claim value to a role, a customer and a support group.
type Rule struct {
	Claim      string // "" is the groups claim
	Value      string
	Role       auth.Role // "" gives no role
	CustomerID *int64
	GroupID    *int64
}

// Limits on what the settings hold.
const (
	MaxRules      = 100
	maxClaimName  = 100
	maxClaimValue = 200
)

// Settings reads the current settings.
func (s *Service) Settings(ctx context.Context) (Settings, error) { return readSettings(ctx, s.DB) }

func readSettings(ctx context.Context, q store.Querier) (Settings, error) {
	var st Settings
	var roles, role string
	err := q.QueryRow(ctx, `SELECT groups_claim, default_role, create_users, sso_only, link_privileged, second_factor_roles
		FROM identity_settings WHERE id = 1`).Scan(&st.GroupsClaim, &role, &st.CreateUsers, &st.LocalPasswordsOff, &st.LinkPrivileged, &roles)
	if err != nil {
		return st, store.ScanErr(err)
	}
	st.DefaultRole = auth.Role(role)
	st.SecondFactorRoles = parseRoles(roles)
	rows, err := q.Query(ctx, "SELECT claim, value, role, customer_id, group_id FROM identity_rules ORDER BY position, id LIMIT ?", MaxRules)
	if err != nil {
		return st, err
	}
	defer rows.Close()
	st.Rules = []Rule{}
	for rows.Next() {
		var r Rule
		var rrole string
		if err := rows.Scan(&r.Claim, &r.Value, &rrole, &r.CustomerID, &r.GroupID); err != nil {
			return st, err
		}
		r.Role = auth.Role(rrole)
		st.Rules = append(st.Rules, r)
	}
	return st, rows.Err()
}

func parseRoles(s string) []auth.Role {
	out := []auth.Role{}
	for _, r := range strings.Split(s, ",") {
		if role := auth.Role(strings.TrimSpace(r)); role.Valid() && !slices.Contains(out, role) {
			out = append(out, role)
		}
	}
	return out
}

// Check validates settings; field names are groups_claim, default_role,
// second_factor_roles and rule_N (N from 0) for a rule.
func Check(ctx context.Context, q store.Querier, st *Settings) error {
	v := domainerr.NewInvalid()
	st.GroupsClaim = strings.TrimSpace(st.GroupsClaim)
	switch {
	case st.GroupsClaim == "":
		v.Add("groups_claim", "is required: the name of the claim that lists the person's groups, such as groups")
	case len(st.GroupsClaim) > maxClaimName || strings.ContainsAny(st.GroupsClaim, " \t\r\n"):
		v.Add("groups_claim", "must be a claim name of at most %d characters without spaces", maxClaimName)
	}
	if !st.DefaultRole.Valid() {
		v.Add("default_role", "must be one of admin, agent, requester, auditor")
	}
	for _, r := range st.SecondFactorRoles {
		if !r.Valid() {
			v.Add("second_factor_roles", "%q is not a role", string(r))
		}
	}
	if len(st.Rules) > MaxRules {
		v.Add("rules", "at most %d rules", MaxRules)
	}
	for i := range st.Rules {
		if err := checkRule(ctx, q, v, fmt.Sprintf("rule_%d", i), &st.Rules[i]); err != nil {
			return err
		}
	}
	return v.Err()
}

func checkRule(ctx context.Context, q store.Querier, v *domainerr.Invalid, field string, r *Rule) error {
	r.Claim, r.Value = strings.TrimSpace(r.Claim), strings.TrimSpace(r.Value)
	switch {
	case r.Value == "":
		v.Add(field, "needs the claim value it matches")
	case len(r.Value) > maxClaimValue:
		v.Add(field, "the value has at most %d characters", maxClaimValue)
	case len(r.Claim) > maxClaimName || strings.ContainsAny(r.Claim, " \t\r\n"):
		v.Add(field, "the claim is a name of at most %d characters without spaces", maxClaimName)
	case r.Role != "" && !r.Role.Valid():
		v.Add(field, "the role must be one of admin, agent, requester, auditor")
	case r.Role == "" && r.CustomerID == nil && r.GroupID == nil:
		v.Add(field, "gives nothing: choose a role, a customer or a support group, or clear the row")
	case r.Role == auth.Requester && r.GroupID != nil:
		v.Add(field, "requesters cannot belong to support groups")
	}
	for _, ref := range []struct {
		table, what string
		id          *int64
	}{{"customers", "customer", r.CustomerID}, {"support_groups", "support group", r.GroupID}} {
		if ref.id == nil {
			continue
		}
		var one int
		err := q.QueryRow(ctx, "SELECT 1 FROM "+ref.table+" WHERE id = ?", *ref.id).Scan(&one)
		if errors.Is(store.ScanErr(err), store.ErrNotFound) {
			v.Add(field, "the %s no longer exists; choose another", ref.what)
		} else if err != nil {
			return err
		}
	}
	return nil
}

// SaveSettings validates and stores the settings, replacing the rules,
// and records the change in the audit trail.
func (s *Service) SaveSettings(ctx context.Context, actor audit.Actor, st Settings) error {
	if err := Check(ctx, s.DB, &st); err != nil {
		return err
	}
	roles := make([]string, 0, len(st.SecondFactorRoles))
	for _, r := range auth.Roles {
		if slices.Contains(st.SecondFactorRoles, r) {
			roles = append(roles, string(r))
		}
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE identity_settings SET groups_claim = ?, default_role = ?, create_users = ?, sso_only = ?,
			link_privileged = ?, second_factor_roles = ?, updated_at = ? WHERE id = 1`,
			st.GroupsClaim, string(st.DefaultRole), st.CreateUsers, st.LocalPasswordsOff, st.LinkPrivileged, strings.Join(roles, ","), store.TS(time.Now()))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM identity_rules"); err != nil {
			return err
		}
		for i, r := range st.Rules {
			if _, err := tx.Exec(ctx, "INSERT INTO identity_rules (position, claim, value, role, customer_id, group_id) VALUES (?, ?, ?, ?, ?, ?)",
				i, r.Claim, r.Value, string(r.Role), r.CustomerID, r.GroupID); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, actor, "update", "identity_settings", 1, map[string]any{
			"groups_claim": st.GroupsClaim, "default_role": st.DefaultRole, "create_users": st.CreateUsers,
			"local_passwords_off": st.LocalPasswordsOff, "link_privileged_by_email": st.LinkPrivileged, "second_factor_roles": roles, "rules": len(st.Rules)})
	})
}

// PasswordAllowed says whether a user may sign in with their password:
// not when local passwords are off for single sign-on users and this one
// has signed in through the provider. Without a provider configured every
// password works, so nobody is locked out by a setting left on.
func (s *Service) PasswordAllowed(ctx context.Context, q store.Querier, userID int64) (bool, error) {
	if !s.Enabled() {
		return true, nil
	}
	var off bool
	if err := q.QueryRow(ctx, "SELECT sso_only FROM identity_settings WHERE id = 1").Scan(&off); err != nil {
		return false, store.ScanErr(err)
	}
	if !off {
		return true, nil
	}
	var n int
	err := q.QueryRow(ctx, "SELECT COUNT(*) FROM identity_links WHERE user_id = ?", userID).Scan(&n)
	return n == 0, err
}

// SecondFactorRequired says whether people of a role must use a second
// factor with their password.
func (s *Service) SecondFactorRequired(ctx context.Context, q store.Querier, role auth.Role) (bool, error) {
	var roles string
	if err := q.QueryRow(ctx, "SELECT second_factor_roles FROM identity_settings WHERE id = 1").Scan(&roles); err != nil {
		return false, store.ScanErr(err)
	}
	return slices.Contains(parseRoles(roles), role), nil
}

var _ auth.SignInPolicy = (*Service)(nil)
