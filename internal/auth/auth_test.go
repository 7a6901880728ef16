package auth_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/incident"
	"steward/internal/patch"
	"steward/internal/request"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

func TestPasswordHash(t *testing.T) {
	h, err := auth.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$") || strings.Contains(h, "correct") {
		t.Fatalf("hash %q", h)
	}
	h2, _ := auth.HashPassword("correct horse battery")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for pw, want := range map[string]bool{"correct horse battery": true, "correct horse batterY": false, "": false} {
		if ok, err := auth.CheckPassword(h, pw); ok != want || err != nil {
			t.Errorf("CheckPassword(%q) = %v, %v", pw, ok, err)
		}
	}
	if _, err := auth.CheckPassword("$md5$nope", "x"); err == nil {
		t.Error("a foreign hash format was accepted")
	}
}

func TestAccountsSessionsAndTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := e.DB
		signIn := auth.NewSignIn(db, auth.NewPasswordChecks(0, 0))
		u, err := auth.CreateUser(ctx, db, audit.System, auth.NewUser{Email: " Ada@Example.COM ", Name: "Ada", Role: auth.Agent, Password: "a-long-password"})
		if err != nil {
			t.Fatal(err)
		}
		if u.Email != "ada@example.com" {
			t.Fatalf("email not normalised: %q", u.Email)
		}

		t.Run("validation", func(t *testing.T) {
			_, err := auth.CreateUser(ctx, db, audit.System, auth.NewUser{Email: "not-an-address", Name: "", Role: "boss", Password: "short"})
			var inv *domainerr.Invalid
			if !errors.As(err, &inv) {
				t.Fatalf("got %v", err)
			}
			for _, f := range []string{"email", "name", "role", "password"} {
				if inv.Fields[f] == "" {
					t.Errorf("no message for %s", f)
				}
			}
			_, err = auth.CreateUser(ctx, db, audit.System, auth.NewUser{Email: "ada@example.com", Name: "Twin", Role: auth.Agent, Password: "a-long-password"})
			if !errors.As(err, &inv) || inv.Fields["email"] == "" {
				t.Fatalf("duplicate e-mail: %v", err)
			}
			missing := int64(4040)
			_, err = auth.CreateUser(ctx, db, audit.System, auth.NewUser{Email: "r@example.com", Name: "R", Role: auth.Requester, Password: "a-long-password", CustomerID: &missing, GroupIDs: []int64{1}})
			if !errors.As(err, &inv) || inv.Fields["customer_id"] == "" || inv.Fields["group_ids"] == "" {
				t.Fatalf("bad references: %v", err)
			}
		})

		t.Run("login, session and logout", func(t *testing.T) {
			cookie, p, err := signIn.Login(ctx, "ADA@example.com", "a-long-password", "10.0.0.1")
			if err != nil || p.UserID != u.ID || p.CSRFToken == "" {
				t.Fatalf("login: %v %+v", err, p)
			}
			if stored := storetest.Count(t, db, "SELECT COUNT(*) FROM sessions WHERE id_hash = ?", cookie); stored != 0 {
				t.Fatal("the session secret is stored in clear")
			}
			if got, err := auth.SessionPrincipal(ctx, db, cookie); err != nil || got.UserID != u.ID {
				t.Fatalf("session: %v", err)
			}
			auth.Logout(ctx, db, cookie)
			if _, err := auth.SessionPrincipal(ctx, db, cookie); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("after logout: %v", err)
			}
			if _, _, err := signIn.Login(ctx, "nobody@example.com", "a-long-password", "10.0.0.1"); !errors.Is(err, auth.ErrBadCredentials) {
				t.Fatalf("unknown e-mail: %v", err)
			}
		})

		t.Run("throttling after repeated failures", func(t *testing.T) {
			for i := 0; i < auth.DefaultLimits().PerPair; i++ {
				if _, _, err := signIn.Login(ctx, "ada@example.com", "wrong password", "10.0.0.2"); !errors.Is(err, auth.ErrBadCredentials) {
					t.Fatalf("failure %d: %v", i, err)
				}
			}
			var th *auth.ErrThrottled
			_, _, err := signIn.Login(ctx, "ada@example.com", "a-long-password", "10.0.0.2")
			if !errors.As(err, &th) || th.RetryAfter <= 0 || th.Scope != auth.ScopePair {
				t.Fatalf("right password while throttled: %v", err)
			}
			// Another address is not held back by the failures of this one.
			if _, _, err := signIn.Login(ctx, "ada@example.com", "a-long-password", "10.0.0.3"); err != nil {
				t.Fatalf("right password from another address: %v", err)
			}
		})

		t.Run("tokens", func(t *testing.T) {
			secret, tok, err := auth.CreateToken(ctx, db, audit.System, u.ID, "ci")
			if err != nil || !strings.HasPrefix(secret, auth.TokenPrefix) || !strings.HasPrefix(secret, tok.Prefix) {
				t.Fatalf("create: %v %q %+v", err, secret, tok)
			}
			p, err := auth.TokenPrincipal(ctx, db, secret)
			if err != nil || p.UserID != u.ID || p.TokenID != tok.ID {
				t.Fatalf("principal: %v", err)
			}
			if _, err := auth.TokenPrincipal(ctx, db, secret+"x"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("wrong token: %v", err)
			}
			// Disabling the account stops its tokens and sessions.
			off := false
			if _, err := auth.UpdateUser(ctx, db, audit.System, u.ID, auth.UserPatch{Active: &off}, 0); err != nil {
				t.Fatal(err)
			}
			if _, err := auth.TokenPrincipal(ctx, db, secret); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("token of a disabled account: %v", err)
			}
			on := true
			auth.UpdateUser(ctx, db, audit.System, u.ID, auth.UserPatch{Active: &on}, 0)
			if err := auth.RevokeToken(ctx, db, audit.System, u.ID, tok.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := auth.TokenPrincipal(ctx, db, secret); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("revoked token: %v", err)
			}
			if err := auth.RevokeToken(ctx, db, audit.System, u.ID, tok.ID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("second revoke: %v", err)
			}
		})

		t.Run("principals carry the user's groups", func(t *testing.T) {
			var ids []int64
			for _, name := range []string{"Network", "Desk"} {
				var id int64
				err := db.InTx(ctx, func(tx *store.Tx) error {
					return tx.QueryRow(ctx, "INSERT INTO support_groups (name, created_at, updated_at) VALUES (?, ?, ?) RETURNING id",
						name, store.TS(time.Now()), store.TS(time.Now())).Scan(&id)
				})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
			}
			g, err := auth.CreateUser(ctx, db, audit.System, auth.NewUser{Email: "grouped@example.com", Name: "G", Role: auth.Agent, Password: "a-long-password", GroupIDs: ids})
			if err != nil {
				t.Fatal(err)
			}
			secret, _, _ := auth.CreateToken(ctx, db, audit.System, g.ID, "x")
			p, err := auth.TokenPrincipal(ctx, db, secret)
			if err != nil || !slices.Equal(p.GroupIDs, ids) {
				t.Fatalf("token principal groups %v, want %v (%v)", p.GroupIDs, ids, err)
			}
			cookie, _, err := signIn.Login(ctx, "grouped@example.com", "a-long-password", "10.9.9.9")
			if err != nil {
				t.Fatal(err)
			}
			p, err = auth.SessionPrincipal(ctx, db, cookie)
			if err != nil || !slices.Equal(p.GroupIDs, ids) || !p.InGroup(ids[1]) {
				t.Fatalf("session principal groups %v, want %v (%v)", p.GroupIDs, ids, err)
			}
		})

		t.Run("update with stale version and null customer", func(t *testing.T) {
			cur, _ := auth.GetUser(ctx, db, u.ID)
			name := "Ada L."
			if _, err := auth.UpdateUser(ctx, db, audit.System, u.ID, auth.UserPatch{Name: &name}, cur.Version+7); !errors.Is(err, domainerr.ErrStale) {
				t.Fatalf("stale: %v", err)
			}
			got, err := auth.UpdateUser(ctx, db, audit.System, u.ID, auth.UserPatch{Name: &name, CustomerID: patch.Field[int64]{Set: true, Null: true}}, cur.Version)
			if err != nil || got.Name != name || got.CustomerID != nil {
				t.Fatalf("update: %v %+v", err, got)
			}
		})
	})
}

func TestRolePermissions(t *testing.T) {
	cases := []struct {
		role auth.Role
		perm auth.Permission
		want bool
	}{
		{auth.Admin, auth.UserWrite, true},
		{auth.Agent, auth.UserWrite, false},
		{auth.Agent, incident.PermUpdate, true},
		{auth.Requester, incident.PermUpdate, false},
		{auth.Requester, incident.PermWorkNote, false},
		{auth.Requester, incident.PermComment, true},
		{auth.Auditor, incident.PermRead, true},
		{auth.Auditor, incident.PermComment, false},
		{auth.Auditor, auth.AuditRead, true},
		{auth.Agent, auth.AuditRead, false},
		{auth.Requester, request.PermApprove, true},
		{auth.Agent, request.PermApprove, true},
		{auth.Admin, request.PermApprove, true},
		{auth.Auditor, request.PermApprove, false},
	}
	for _, c := range cases {
		p := &auth.Principal{Role: c.role}
		if got := p.Can(c.perm); got != c.want {
			t.Errorf("%s can %s = %v, want %v", c.role, c.perm, got, c.want)
		}
	}
	var anon *auth.Principal
	if anon.Can(incident.PermRead) || !anon.Can(auth.Public) || anon.Can(auth.Authenticated) {
		t.Error("anonymous permissions wrong")
	}
	// The auditor changes nothing: no permission of theirs ends in write/create/update/comment.
	for _, perm := range []auth.Permission{incident.PermCreate, incident.PermUpdate, incident.PermComment, incident.PermWorkNote,
		auth.CustomerWrite, auth.GroupWrite, auth.UserWrite, auth.SettingsWrite} {
		if (&auth.Principal{Role: auth.Auditor}).Can(perm) {
			t.Errorf("auditor holds %s", perm)
		}
	}
}

// Deciding requests' approvals is declared by requests under its own
// name, with what it allows, as the API document and the roles page list it.
func TestRequestApprovalPermissionIsDeclared(t *testing.T) {
	for _, info := range auth.Declared() {
		if info.Name != request.PermApprove {
			continue
		}
		if info.Name != "request:approve" || info.About != "Decide approvals addressed to oneself" ||
			!slices.Equal(info.Roles, []auth.Role{auth.Admin, auth.Agent, auth.Requester}) {
			t.Fatalf("request:approve declared as %+v", info)
		}
		return
	}
	t.Fatal("request:approve is not declared")
}
