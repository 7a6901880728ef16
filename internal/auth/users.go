package auth

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/patch"
	"steward/internal/store"
)

// User is an account.
type User struct {
	ID         int64     `json:"id"`
	Email      string    `json:"email"`
	Name       string    `json:"name"`
	Role       Role      `json:"role"`
	CustomerID *int64    `json:"customer_id"`
	GroupIDs   []int64   `json:"group_ids"`
	Active     bool      `json:"active"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	Version    int       `json:"-"`
}

// NewUser is the input for CreateUser.
type NewUser struct {
	Email      string  `json:"email"`
	Name       string  `json:"name"`
	Role       Role    `json:"role"`
	CustomerID *int64  `json:"customer_id"`
	Password   string  `json:"password"`
	GroupIDs   []int64 `json:"group_ids"`
}

// UserPatch is the input for UpdateUser; absent fields stay as they are.
type UserPatch struct {
	Email      *string              `json:"email"`
	Name       *string              `json:"name"`
	Role       *Role                `json:"role"`
	CustomerID patch.Field[int64]   `json:"customer_id"`
	Password   *string              `json:"password"`
	GroupIDs   patch.Field[[]int64] `json:"group_ids"`
	Active     *bool                `json:"active"`
}

// NormalizeEmail lowercases and trims an address.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func validEmail(v *domainerr.Invalid, email string) {
	if email == "" {
		v.Add("email", "is required")
		return
	}
	if len(email) > 254 {
		v.Add("email", "must be at most 254 characters")
		return
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		v.Add("email", "is not a valid e-mail address")
	}
}

func validPassword(v *domainerr.Invalid, pw string) {
	switch {
	case len([]rune(pw)) < MinPasswordLength:
		v.Add("password", "must be at least %d characters", MinPasswordLength)
	case len(pw) > 256:
		v.Add("password", "must be at most 256 characters")
	}
}

// checkRefs verifies that the customer and groups exist and fit the role.
func checkRefs(ctx context.Context, q store.Querier, v *domainerr.Invalid, role Role, customerID *int64, groupIDs []int64) error {
	if customerID != nil {
		var one int
		err := q.QueryRow(ctx, "SELECT 1 FROM customers WHERE id = ?", *customerID).Scan(&one)
		if errors.Is(store.ScanErr(err), store.ErrNotFound) {
			v.Add("customer_id", "customer %d does not exist", *customerID)
		} else if err != nil {
			return err
		}
	}
	if role == Requester && len(groupIDs) > 0 {
		v.Add("group_ids", "requesters cannot belong to support groups")
	}
	if len(groupIDs) > 100 {
		v.Add("group_ids", "at most 100 groups")
		return nil
	}
	for _, g := range groupIDs {
		var one int
		err := q.QueryRow(ctx, "SELECT 1 FROM support_groups WHERE id = ?", g).Scan(&one)
		if errors.Is(store.ScanErr(err), store.ErrNotFound) {
			v.Add("group_ids", "group %d does not exist", g)
		} else if err != nil {
			return err
		}
	}
	return nil
}

// CreateUser validates and stores a new account.
func CreateUser(ctx context.Context, db *store.DB, actor audit.Actor, in NewUser) (User, error) {
	in.Email = NormalizeEmail(in.Email)
	in.Name = strings.TrimSpace(in.Name)
	v := domainerr.NewInvalid()
	validEmail(v, in.Email)
	domainerr.Text(v, "name", in.Name, true, domainerr.MaxName)
	if !in.Role.Valid() {
		v.Add("role", "must be one of admin, agent, requester, auditor")
	}
	validPassword(v, in.Password)
	if err := checkRefs(ctx, db, v, in.Role, in.CustomerID, in.GroupIDs); err != nil {
		return User{}, err
	}
	if err := v.Err(); err != nil {
		return User{}, err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return User{}, err
	}
	now := time.Now()
	var id int64
	err = db.InTx(ctx, func(tx *store.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO users (email, name, role, customer_id, password_hash, active, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, TRUE, ?, ?) RETURNING id`,
			in.Email, in.Name, string(in.Role), in.CustomerID, hash, store.TS(now), store.TS(now)).Scan(&id)
		if err := store.ScanErr(err); errors.Is(err, store.ErrConflict) {
			return domainerr.Field("email", "is already used by another account")
		} else if err != nil {
			return err
		}
		if err := setGroups(ctx, tx, id, in.GroupIDs); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "create", "user", id, map[string]any{
			"email": in.Email, "name": in.Name, "role": in.Role, "customer_id": in.CustomerID, "group_ids": in.GroupIDs})
	})
	if err != nil {
		return User{}, err
	}
	return GetUser(ctx, db, id)
}

func setGroups(ctx context.Context, tx *store.Tx, userID int64, groupIDs []int64) error {
	if _, err := tx.Exec(ctx, "DELETE FROM group_members WHERE user_id = ?", userID); err != nil {
		return err
	}
	seen := map[int64]bool{}
	for _, g := range groupIDs {
		if seen[g] {
			continue
		}
		seen[g] = true
		if _, err := tx.Exec(ctx, "INSERT INTO group_members (group_id, user_id) VALUES (?, ?)", g, userID); err != nil {
			return err
		}
	}
	return nil
}

const userCols = "id, email, name, role, customer_id, active, created_at, updated_at, version"

func scanUser(r interface{ Scan(...any) error }) (User, error) {
	var u User
	var created, updated store.Time
	var role string
	err := r.Scan(&u.ID, &u.Email, &u.Name, &role, &u.CustomerID, &u.Active, &created, &updated, &u.Version)
	u.Role, u.CreatedAt, u.UpdatedAt = Role(role), created.Time, updated.Time
	return u, store.ScanErr(err)
}

// GetUser loads one account with its groups.
func GetUser(ctx context.Context, q store.Querier, id int64) (User, error) {
	u, err := scanUser(q.QueryRow(ctx, "SELECT "+userCols+" FROM users WHERE id = ?", id))
	if err != nil {
		return u, err
	}
	u.GroupIDs, err = GroupIDs(ctx, q, id)
	return u, err
}

// UserByEmail loads one account by address.
func UserByEmail(ctx context.Context, q store.Querier, email string) (User, error) {
	u, err := scanUser(q.QueryRow(ctx, "SELECT "+userCols+" FROM users WHERE email = ?", NormalizeEmail(email)))
	if err != nil {
		return u, err
	}
	u.GroupIDs, err = GroupIDs(ctx, q, u.ID)
	return u, err
}

// GroupIDs lists the groups a user belongs to.
func GroupIDs(ctx context.Context, q store.Querier, userID int64) ([]int64, error) {
	rows, err := q.Query(ctx, "SELECT group_id FROM group_members WHERE user_id = ? ORDER BY group_id", userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// Member is an active member of a support group: who they are and the
// role that says what they may do.
type Member struct {
	UserID int64
	Role   Role
}

// Principal is the member as permission checks see them.
func (m Member) Principal() *Principal { return &Principal{UserID: m.UserID, Role: m.Role} }

// MaxGroupMembers is how many members GroupMembers reads at most.
const MaxGroupMembers = 500

// GroupMembers lists the active members of group groupID by id, at most
// MaxGroupMembers: those a group's work, notices and approvals go to.
// Deactivated accounts stay in their groups but are not listed.
func GroupMembers(ctx context.Context, q store.Querier, groupID int64) ([]Member, error) {
	rows, err := q.Query(ctx, `SELECT u.id, u.role FROM group_members m JOIN users u ON u.id = m.user_id
		WHERE m.group_id = ? AND u.active = ? ORDER BY u.id LIMIT ?`, groupID, true, MaxGroupMembers)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Member{}
	for rows.Next() {
		var m Member
		var role string
		if err := rows.Scan(&m.UserID, &role); err != nil {
			return nil, err
		}
		m.Role = Role(role)
		out = append(out, m)
	}
	return out, rows.Err()
}

// GroupMemberIDs lists the ids of group groupID's active members, as
// GroupMembers reads them.
func GroupMemberIDs(ctx context.Context, q store.Querier, groupID int64) ([]int64, error) {
	ms, err := GroupMembers(ctx, q, groupID)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(ms))
	for i, m := range ms {
		ids[i] = m.UserID
	}
	return ids, nil
}

// UserFilter narrows ListUsers.
type UserFilter struct {
	Role       Role
	CustomerID int64
	GroupID    int64
	After      int64 // keyset: users with id above this
	Limit      int
}

// ListUsers lists accounts by id.
func ListUsers(ctx context.Context, q store.Querier, f UserFilter) ([]User, error) {
	sql := "SELECT " + userCols + " FROM users WHERE id > ?"
	args := []any{f.After}
	if f.Role != "" {
		sql += " AND role = ?"
		args = append(args, string(f.Role))
	}
	if f.CustomerID != 0 {
		sql += " AND customer_id = ?"
		args = append(args, f.CustomerID)
	}
	if f.GroupID != 0 {
		sql += " AND id IN (SELECT user_id FROM group_members WHERE group_id = ?)"
		args = append(args, f.GroupID)
	}
	sql += " ORDER BY id LIMIT ?"
	args = append(args, f.Limit)
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].GroupIDs, err = GroupIDs(ctx, q, out[i].ID); err != nil {
			return nil, err
		}
	}
	if out == nil {
		out = []User{}
	}
	return out, nil
}

// UpdateUser applies a patch. When ifVersion is not 0 and the stored version
// differs, nothing changes and ErrStale is returned.
func UpdateUser(ctx context.Context, db *store.DB, actor audit.Actor, id int64, p UserPatch, ifVersion int) (User, error) {
	err := db.InTx(ctx, func(tx *store.Tx) error {
		cur, err := GetUser(ctx, tx, id)
		if err != nil {
			return err
		}
		if ifVersion != 0 && ifVersion != cur.Version {
			return domainerr.ErrStale
		}
		next := cur
		changes := map[string]any{}
		v := domainerr.NewInvalid()
		if p.Email != nil {
			next.Email = NormalizeEmail(*p.Email)
			validEmail(v, next.Email)
			changes["email"] = next.Email
		}
		if p.Name != nil {
			next.Name = strings.TrimSpace(*p.Name)
			domainerr.Text(v, "name", next.Name, true, domainerr.MaxName)
			changes["name"] = next.Name
		}
		if p.Role != nil {
			if !p.Role.Valid() {
				v.Add("role", "must be one of admin, agent, requester, auditor")
			}
			next.Role = *p.Role
			changes["role"] = next.Role
		}
		if p.CustomerID.Set {
			next.CustomerID = p.CustomerID.Ptr()
			changes["customer_id"] = next.CustomerID
		}
		if p.GroupIDs.Set {
			next.GroupIDs = p.GroupIDs.V
			changes["group_ids"] = next.GroupIDs
		}
		if p.Active != nil {
			next.Active = *p.Active
			changes["active"] = next.Active
		}
		var hash string
		if p.Password != nil {
			validPassword(v, *p.Password)
			changes["password"] = "(changed)"
		}
		if err := checkRefs(ctx, tx, v, next.Role, next.CustomerID, next.GroupIDs); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		if err := keepAnAdmin(ctx, tx, cur, next); err != nil {
			return err
		}
		if p.Password != nil {
			if hash, err = HashPassword(*p.Password); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `UPDATE users SET email = ?, name = ?, role = ?, customer_id = ?, active = ?,
			password_hash = CASE WHEN ? = '' THEN password_hash ELSE ? END,
			updated_at = ?, version = version + 1 WHERE id = ?`,
			next.Email, next.Name, string(next.Role), next.CustomerID, next.Active, hash, hash,
			store.TS(time.Now()), id)
		if errors.Is(err, store.ErrConflict) {
			return domainerr.Field("email", "is already used by another account")
		} else if err != nil {
			return err
		}
		if p.GroupIDs.Set || next.Role == Requester {
			if err := setGroups(ctx, tx, id, next.GroupIDs); err != nil {
				return err
			}
		}
		if !next.Active || p.Password != nil {
			// A disabled account or a new password ends every open session
			// and every sign-in waiting for its second step.
			if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE user_id = ?", id); err != nil {
				return err
			}
			if err := EndPendingSignIns(ctx, tx, id); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, actor, "update", "user", id, changes)
	})
	if err != nil {
		return User{}, err
	}
	return GetUser(ctx, db, id)
}

// ErrLastAdmin refuses to demote or disable the last active administrator,
// which would leave nobody able to manage accounts.
var ErrLastAdmin = domainerr.Conflictf("this is the last active administrator: make another user an active administrator first, then change this one")

// keepAnAdmin refuses a change that takes cur from the active
// administrators when no other remains. On PostgreSQL the active
// administrators' rows are locked until the transaction ends, so that two
// administrators demoting each other at once cannot both pass: the second
// waits for the first to commit and then no longer counts the one it demoted. SQLite's single writer runs
// the transactions one after the other.
func keepAnAdmin(ctx context.Context, tx *store.Tx, cur, next User) error {
	if cur.Role != Admin || !cur.Active || (next.Role == Admin && next.Active) {
		return nil
	}
	// Every active administrator, cur too and in one order, so that two
	// such transactions queue on the first row instead of deadlocking.
	q := "SELECT id FROM users WHERE role = 'admin' AND active = ? ORDER BY id"
	if tx.Dialect() == store.Postgres {
		q += " FOR UPDATE"
	}
	rows, err := tx.Query(ctx, q, true)
	if err != nil {
		return err
	}
	others := 0
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		if id != cur.ID {
			others++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if others == 0 {
		return ErrLastAdmin
	}
	return nil
}
