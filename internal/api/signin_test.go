package api_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"steward/internal/auth"
	"steward/internal/store/storetest"
)

// An admin lifts a user's sign-in lockouts through the API; nobody else may.
func TestUnlockUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		ctx := context.Background()
		signIn := s.app.SignIn
		for i := range signIn.Limits.PerPair + 1 {
			signIn.Login(ctx, "requester@api.test", fmt.Sprintf("wrong-%d", i), "198.51.100.3")
		}
		var th *auth.ErrThrottled
		if _, _, err := signIn.Login(ctx, "requester@api.test", "a-long-password", "198.51.100.3"); !errors.As(err, &th) {
			t.Fatalf("before the unlock: %v, want throttled", err)
		}
		path := fmt.Sprintf("/api/v1/users/%d/unlock", s.users["requester"])
		for _, role := range []string{"agent", "auditor", "requester"} {
			if res := s.do(role, "POST", path, nil); res.status != 403 {
				t.Errorf("%s unlocking: %d, want 403", role, res.status)
			}
		}
		if res := s.do("", "POST", path, nil); res.status != 401 {
			t.Errorf("anonymous unlocking: %d, want 401", res.status)
		}
		res := s.do("admin", "POST", path, nil)
		if res.status != 200 || res.json(t)["lockouts_lifted"] != float64(1) {
			t.Fatalf("admin unlocking: %d %s", res.status, res.body)
		}
		if _, _, err := signIn.Login(ctx, "requester@api.test", "a-long-password", "198.51.100.3"); err != nil {
			t.Fatalf("after the unlock: %v", err)
		}
		if res := s.do("admin", "POST", "/api/v1/users/999999/unlock", nil); res.status != 404 {
			t.Errorf("unlocking nobody: %d, want 404", res.status)
		}
	})
}
