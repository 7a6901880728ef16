package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/store"
)

// Someone who lost their phone gets back in with their password once the
// operator resets their second factor from the command line.
func TestUserReset2FA(t *testing.T) {
	data := t.TempDir()
	if code, _, errOut := run(t, "a-long-password\n", "user", "create", "--data", data, "--email", "ops@b.test", "--name", "Ops", "--role", "admin", "--password-stdin"); code != 0 {
		t.Fatal(errOut)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	u, err := auth.UserByEmail(ctx, db, "ops@b.test")
	if err != nil {
		t.Fatal(err)
	}
	e, err := auth.StartEnrolment(ctx, db, u.ID, u.Email)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(e.Secret, time.Now())
	if _, err := auth.ConfirmEnrolment(ctx, db, audit.Actor{Type: "user", ID: u.ID}, u.ID, code); err != nil {
		t.Fatal(err)
	}
	s := auth.NewSignIn(db, auth.NewPasswordChecks(0, 0))
	if _, _, err := s.Login(ctx, "ops@b.test", "a-long-password", "192.0.2.1"); err == nil || !strings.Contains(err.Error(), "second factor") {
		t.Fatalf("before: %v, want a second factor asked for", err)
	}
	db.Close()

	for _, c := range []struct {
		args     []string
		wantCode int
		want     string
	}{
		{[]string{"user", "reset-2fa", "--data", data}, 2, "usage: steward user reset-2fa EMAIL"},
		{[]string{"user", "reset-2fa", "nobody@b.test", "--data", data}, 1, "no account with e-mail nobody@b.test"},
		{[]string{"user", "reset-2fa", "OPS@b.test", "--data", data}, 0, "reset the second factor of ops@b.test"},
		{[]string{"user", "reset-2fa", "--data", data, "ops@b.test"}, 0, "had no second factor on"},
	} {
		code, out, errOut := run(t, "", c.args...)
		if code != c.wantCode || !strings.Contains(out+errOut, c.want) {
			t.Errorf("%v: exit %d (want %d)\n%s%s", c.args, code, c.wantCode, out, errOut)
		}
	}
	db, err = store.Open(ctx, store.Options{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, _, err := auth.NewSignIn(db, auth.NewPasswordChecks(0, 0)).Login(ctx, "ops@b.test", "a-long-password", "192.0.2.1"); err != nil {
		t.Fatalf("after the reset: %v", err)
	}
}
