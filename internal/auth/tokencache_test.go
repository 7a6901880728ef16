package auth

import (
	"context"
	"errors"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// A node may answer from its cache for up to a second; after that a
// revoked token, or one whose user was disabled, is refused.
func TestRevokedTokenRefusedAfterTheCacheWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		u, err := CreateUser(ctx, e.DB, audit.System, NewUser{Email: "cache@example.com", Name: "Cache", Role: Agent, Password: "a-long-password"})
		if err != nil {
			t.Fatal(err)
		}
		secret, tok, err := CreateToken(ctx, e.DB, audit.System, u.ID, "cli")
		if err != nil {
			t.Fatal(err)
		}
		clock := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		c := NewTokenCache()
		c.now = func() time.Time { return clock }

		p, err := c.Principal(ctx, e.DB, secret)
		if err != nil || p.UserID != u.ID {
			t.Fatalf("a valid token: %v %v", p, err)
		}
		if err := RevokeToken(ctx, e.DB, audit.System, u.ID, tok.ID); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(TokenCacheTTL)
		if p, err := c.Principal(ctx, e.DB, secret); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a token revoked %s ago still works: %v %v", TokenCacheTTL, p, err)
		}

		// An unknown answer is never kept: a token created now works now.
		secret2, _, err := CreateToken(ctx, e.DB, audit.System, u.ID, "cli2")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Principal(ctx, e.DB, secret2); err != nil {
			t.Fatalf("a new token: %v", err)
		}
		if _, err := e.DB.Exec(ctx, "UPDATE users SET active = ? WHERE id = ?", false, u.ID); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(TokenCacheTTL)
		if _, err := c.Principal(ctx, e.DB, secret2); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the token of a disabled user still works after %s: %v", TokenCacheTTL, err)
		}
	})
}

// A change to a user made on this node binds their cached tokens at once:
// a demoted administrator's next request is an agent's.
func TestUserChangeBindsCachedTokensAtOnce(t *testing.T) {
	ctx := context.Background()
	e := storetest.SQLite(t)
	u, err := CreateUser(ctx, e.DB, audit.System, NewUser{Email: "boss@example.com", Name: "Boss", Role: Admin, Password: "a-long-password"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CreateUser(ctx, e.DB, audit.System, NewUser{Email: "next@example.com", Name: "Next", Role: Admin, Password: "a-long-password"}); err != nil {
		t.Fatal(err)
	}
	secret, _, err := CreateToken(ctx, e.DB, audit.System, u.ID, "cli")
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	c := NewTokenCache()
	c.now = func() time.Time { return clock } // the clock stands still: only forgetting can refresh
	if p, err := c.Principal(ctx, e.DB, secret); err != nil || p.Role != Admin {
		t.Fatalf("before: %v %v", p, err)
	}
	agent := Agent
	if _, err := UpdateUser(ctx, e.DB, audit.System, u.ID, UserPatch{Role: &agent}, 0); err != nil {
		t.Fatal(err)
	}
	c.ForgetUser(u.ID + 1) // another user's change leaves this one cached
	if p, _ := c.Principal(ctx, e.DB, secret); p.Role != Admin {
		t.Fatalf("the cache was dropped for another user's change: %v", p.Role)
	}
	c.ForgetUser(u.ID)
	if p, err := c.Principal(ctx, e.DB, secret); err != nil || p.Role != Agent {
		t.Fatalf("after the change: %v %v", p, err)
	}
}
