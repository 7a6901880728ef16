package auth_test

import (
	"context"
	"errors"
	"testing"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// The last active administrator can be neither demoted nor disabled, not
// even by two administrators demoting each other at the same moment.
func TestLastActiveAdmin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		mk := func(email string, role auth.Role) int64 {
			u, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: email, Name: email, Role: role, Password: "a-long-password"})
			if err != nil {
				t.Fatal(err)
			}
			return u.ID
		}
		ada, bea := mk("ada@admins.test", auth.Admin), mk("bea@admins.test", auth.Admin)
		update := func(id int64, role auth.Role, active bool) error {
			_, err := auth.UpdateUser(ctx, e.DB, audit.System, id, auth.UserPatch{Role: &role, Active: &active}, 0)
			return err
		}
		admins := func() int {
			return storetest.Count(t, e.DB, "SELECT COUNT(*) FROM users WHERE role = 'admin' AND active = TRUE")
		}
		if err := update(ada, auth.Agent, true); err != nil {
			t.Fatalf("demote one of two administrators: %v", err)
		}
		for _, c := range []struct {
			name   string
			role   auth.Role
			active bool
		}{{"demote", auth.Agent, true}, {"disable", auth.Admin, false}, {"both", auth.Auditor, false}} {
			err := update(bea, c.role, c.active)
			if !errors.Is(err, auth.ErrLastAdmin) || !errors.Is(err, store.ErrConflict) {
				t.Errorf("%s the last administrator: %v, want the last-administrator conflict", c.name, err)
			}
		}
		name := "Bea, still in charge"
		if _, err := auth.UpdateUser(ctx, e.DB, audit.System, bea, auth.UserPatch{Name: &name}, 0); err != nil {
			t.Fatalf("renaming the last administrator: %v", err)
		}
		if n := admins(); n != 1 {
			t.Fatalf("%d active administrators, want 1", n)
		}

		for round := 0; round < 10; round++ {
			if err := update(ada, auth.Admin, true); err != nil {
				t.Fatal(err)
			}
			errs := make(chan error, 2)
			for _, id := range []int64{ada, bea} {
				go func() { errs <- update(id, auth.Agent, true) }()
			}
			var refused int
			for range 2 {
				err := <-errs
				switch {
				case errors.Is(err, auth.ErrLastAdmin):
					refused++
				case err != nil:
					t.Fatalf("round %d: %v", round, err)
				}
			}
			if n := admins(); n != 1 || refused != 1 {
				t.Fatalf("round %d: %d active administrators and %d refusals after demoting both at once, want 1 and 1", round, n, refused)
			}
			// Whoever is left stays the administrator; make both again.
			for _, id := range []int64{ada, bea} {
				role := auth.Admin
				if _, err := auth.UpdateUser(ctx, e.DB, audit.System, id, auth.UserPatch{Role: &role}, 0); err != nil {
					t.Fatal(err)
				}
			}
			if err := update(ada, auth.Agent, true); err != nil {
				t.Fatal(err)
			}
			if err := update(bea, auth.Admin, true); err != nil {
				t.Fatal(err)
			}
		}
	})
}
