package auth_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/store/storetest"
)

// Someone who learnt the old password and stopped at the second step
// cannot finish that sign-in once the password was changed, whether an
// administrator set a new one or the owner changed their own; a sign-in
// with the new password still works.
func TestNewPasswordEndsSignInsWaitingForTheirSecondStep(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		s := auth.NewSignIn(e.DB, auth.NewPasswordChecks(0, 0))
		for i, who := range []string{"an administrator", "the owner"} {
			email := "pat" + strconv.Itoa(i) + "@example.com"
			u, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: email, Name: "Pat", Role: auth.Agent, Password: "the-old-password"})
			if err != nil {
				t.Fatal(err)
			}
			enr, err := auth.StartEnrolment(ctx, e.DB, u.ID, u.Email)
			if err != nil {
				t.Fatal(err)
			}
			code, _ := totp.GenerateCode(enr.Secret, time.Now().Add(-30*time.Second))
			if _, err := auth.ConfirmEnrolment(ctx, e.DB, audit.System, u.ID, code); err != nil {
				t.Fatal(err)
			}
			ip := "198.51.100." + strconv.Itoa(i+1)
			_, _, err = s.Login(ctx, email, "the-old-password", ip)
			var need *auth.SecondFactorNeeded
			if !errors.As(err, &need) {
				t.Fatalf("the old password: %v, want the second step", err)
			}

			actor := audit.System
			if who == "the owner" {
				actor = audit.Actor{Type: "user", ID: u.ID, Name: email}
			}
			pw := "a-brand-new-password"
			if _, err := auth.UpdateUser(ctx, e.DB, actor, u.ID, auth.UserPatch{Password: &pw}, 0); err != nil {
				t.Fatal(err)
			}

			now, _ := totp.GenerateCode(enr.Secret, time.Now())
			if _, _, err := s.SecondFactor(ctx, need.Token, now, ip); !errors.Is(err, auth.ErrChallengeGone) {
				t.Errorf("after %s set a new password, the sign-in started with the old one answered %v, want it ended", who, err)
			}
			_, _, err = s.Login(ctx, email, pw, ip)
			if !errors.As(err, &need) {
				t.Fatalf("the new password: %v, want the second step", err)
			}
			if _, _, err := s.SecondFactor(ctx, need.Token, now, ip); err != nil {
				t.Errorf("the sign-in with the new password: %v", err)
			}
		}
	})
}
