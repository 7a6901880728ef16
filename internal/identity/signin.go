package identity

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// ssoActor is who the audit trail names for single sign-on's own acts:
// creating accounts and refusing sign-ins.
var ssoActor = audit.Actor{Type: "system", Name: "single sign-on"}

// signIn finds (or links, or creates) the account of the person the
// provider vouches for and opens their session. People are matched by
// the provider's (issuer, subject) first; on their first sign-in by a
// verified e-mail address. A new account is made only when creation is
// on and the address is verified.
func (s *Service) signIn(ctx context.Context, c Claims, ip string) (string, error) {
	var session string
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		st, err := readSettings(ctx, tx)
		if err != nil {
			return err
		}
		m := st.mapping(c.All)
		userID, err := s.account(ctx, tx, st, m, c, ip)
		if err != nil {
			return err
		}
		u, err := auth.GetUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		if !u.Active {
			return s.refusal(c, "account disabled", "Your account here is disabled. Ask an administrator to enable it.")
		}
		if u.Role != auth.Requester {
			if err := addGroups(ctx, tx, userID, m.groups); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, "UPDATE identity_links SET last_sign_in = ? WHERE issuer = ? AND subject = ?",
			store.TS(time.Now()), c.Issuer, c.Subject); err != nil {
			return err
		}
		session, err = auth.OpenSession(ctx, tx, audit.Actor{Type: "user", ID: userID, Name: u.Email}, userID,
			map[string]any{"ip": ip, "via": "single sign-on", "issuer": c.Issuer})
		return err
	})
	return session, err
}

func (s *Service) refusal(c Claims, reason, message string) *Refusal {
	return &Refusal{Reason: reason, Message: message, Email: auth.NormalizeEmail(c.Email), Subject: c.Subject}
}

// account is the id of the user the claims name, linking or creating it.
func (s *Service) account(ctx context.Context, tx *store.Tx, st Settings, m mapped, c Claims, ip string) (int64, error) {
	var userID int64
	err := tx.QueryRow(ctx, "SELECT user_id FROM identity_links WHERE issuer = ? AND subject = ?", c.Issuer, c.Subject).Scan(&userID)
	if err := store.ScanErr(err); err == nil {
		return userID, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return 0, err
	}
	email := auth.NormalizeEmail(c.Email)
	if email == "" {
		return 0, s.refusal(c, "no e-mail claim", s.Name()+" did not tell us your e-mail address, so no account here can be found for you. Ask your administrator.")
	}
	if !c.EmailVerified {
		return 0, s.refusal(c, "e-mail not verified", s.Name()+" has not verified your e-mail address "+email+
			", so it cannot be matched to an account here. Verify it with "+s.Name()+" first, or ask your administrator.")
	}
	u, err := auth.UserByEmail(ctx, tx, email)
	switch {
	case err == nil:
		if err := s.mayLinkByEmail(ctx, tx, st, c, u); err != nil {
			return 0, err
		}
		userID = u.ID
	case !errors.Is(err, store.ErrNotFound):
		return 0, err
	case !st.CreateUsers:
		return 0, s.refusal(c, "no account and creation is off", "There is no account here for "+email+
			", and accounts are not created at first sign-in. Ask an administrator to create yours.")
	default:
		if userID, err = s.create(ctx, tx, m, c, email); err != nil {
			return 0, err
		}
	}
	now := store.TS(time.Now())
	if _, err := tx.Exec(ctx, "INSERT INTO identity_links (issuer, subject, user_id, linked_at, last_sign_in) VALUES (?, ?, ?, ?, ?)",
		c.Issuer, c.Subject, userID, now, now); err != nil {
		return 0, err
	}
	return userID, audit.Record(ctx, tx, ssoActor, "sso_linked", "user", userID, map[string]any{
		"issuer": c.Issuer, "subject": c.Subject, "email": email, "ip": ip})
}

// mayLinkByEmail refuses to link an existing account to the provider
// account the claims name by its e-mail address alone when the address
// is not enough: the account is linked to another person at this
// provider already (an address handed on after its owner left, or one a
// provider lets people type), or it is an administrator's or has a
// second factor and linking such accounts by e-mail is off. The subject
// of the first link is what binds.
func (s *Service) mayLinkByEmail(ctx context.Context, tx *store.Tx, st Settings, c Claims, u auth.User) error {
	var n int
	if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM identity_links WHERE user_id = ? AND issuer = ?", u.ID, c.Issuer).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return s.refusal(c, "account linked to another provider account", "The account here for "+u.Email+
			" is already linked to a different sign-in with "+s.Name()+
			", so it is not linked to this one. Ask an administrator to check which sign-in is yours.")
	}
	if st.LinkPrivileged {
		return nil
	}
	sf, err := auth.SecondFactorOf(ctx, tx, u.ID)
	if err != nil {
		return err
	}
	if u.Role == auth.Admin || sf.On {
		return s.refusal(c, "administrator or second-factor account not linked by e-mail", "The account here for "+u.Email+
			" is an administrator's or has a second factor, so it is not linked to a sign-in with "+s.Name()+
			" by its e-mail address alone. Sign in with your password, or ask an administrator.")
	}
	return nil
}

// create makes the account of a person signing in for the first time,
// with the role, customer and groups the rules give. It has no password.
func (s *Service) create(ctx context.Context, tx *store.Tx, m mapped, c Claims, email string) (int64, error) {
	name := strings.TrimSpace(c.Name)
	if name == "" {
		name, _, _ = strings.Cut(email, "@")
	}
	name = clip(name, domainerr.MaxName)
	now := store.TS(time.Now())
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO users (email, name, role, customer_id, password_hash, active, created_at, updated_at)
		VALUES (?, ?, ?, ?, '', TRUE, ?, ?) RETURNING id`, email, name, string(m.role), m.customer, now, now).Scan(&id)
	if err := store.ScanErr(err); errors.Is(err, store.ErrConflict) {
		return 0, s.refusal(c, "e-mail taken meanwhile", "Another sign-in created an account for "+email+" just now. Sign in again.")
	} else if err != nil {
		return 0, err
	}
	groups := m.groups
	if m.role == auth.Requester {
		groups = nil
	}
	if err := addGroups(ctx, tx, id, groups); err != nil {
		return 0, err
	}
	return id, audit.Record(ctx, tx, ssoActor, "create", "user", id, map[string]any{
		"email": email, "name": name, "role": m.role, "customer_id": m.customer, "group_ids": groups, "via": "single sign-on"})
}

// addGroups puts a user in the groups the rules give, keeping those they
// are in already: the provider adds memberships, an administrator takes
// them away here.
func addGroups(ctx context.Context, tx *store.Tx, userID int64, groups []int64) error {
	for _, g := range groups {
		if _, err := tx.Exec(ctx, "INSERT INTO group_members (group_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING", g, userID); err != nil {
			return err
		}
	}
	return nil
}

// mapped is what the rules give a person.
type mapped struct {
	role     auth.Role
	customer *int64
	groups   []int64
}

// mapping applies the rules in order: the first that gives a role gives
// it, the first that gives a customer gives it, and every rule that
// matches adds its group. No rule, the default role.
func (st Settings) mapping(claims map[string]any) mapped {
	m := mapped{role: st.DefaultRole}
	roleSet := false
	for _, r := range st.Rules {
		claim := r.Claim
		if claim == "" {
			claim = st.GroupsClaim
		}
		if !claimHas(claims[claim], r.Value) {
			continue
		}
		if r.Role != "" && !roleSet {
			m.role, roleSet = r.Role, true
		}
		if r.CustomerID != nil && m.customer == nil {
			m.customer = r.CustomerID
		}
		if r.GroupID != nil && !slices.Contains(m.groups, *r.GroupID) {
			m.groups = append(m.groups, *r.GroupID)
		}
	}
	return m
}

// claimHas says whether a claim is, or lists, the value.
func claimHas(v any, want string) bool {
	switch v := v.(type) {
	case string:
		return v == want
	case bool:
		return strconv.FormatBool(v) == want
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64) == want
	case []any:
		for _, x := range v {
			if claimHas(x, want) {
				return true
			}
		}
	case []string:
		return slices.Contains(v, want)
	}
	return false
}

// refused logs a refusal and records it in the audit trail.
func (s *Service) refused(ctx context.Context, r *Refusal, ip string) {
	s.Log.Warn("single sign-on refused", "reason", r.Reason, "email", r.Email, "subject", r.Subject, "ip", ip, "err", r.cause)
	entity := r.Email
	if entity == "" {
		entity = r.Subject
	}
	ctx = context.WithoutCancel(ctx)
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		return audit.Record(ctx, tx, ssoActor, "sso_refused", "login", clip(entity, 254), map[string]any{
			"reason": r.Reason, "email": r.Email, "subject": clip(r.Subject, 255), "ip": ip})
	})
	if err != nil {
		s.Log.Error("single sign-on: recording a refusal", "err", fmt.Errorf("audit: %w", err))
	}
}
