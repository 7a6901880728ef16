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

// Someone with the password guessing second-factor codes from ever new
// addresses is held back by the account's lockout, and each lockout in a
// row lasts twice as long as the one before, so the guesses a day allows
// shrink instead of staying the same.
func TestCodeGuessingLockoutsGrow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		u, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: "gus@example.com", Name: "Gus", Role: auth.Agent, Password: "the-right-password"})
		if err != nil {
			t.Fatal(err)
		}
		enr, err := auth.StartEnrolment(ctx, e.DB, u.ID, u.Email)
		if err != nil {
			t.Fatal(err)
		}
		code, _ := totp.GenerateCode(enr.Secret, time.Now())
		if _, err := auth.ConfirmEnrolment(ctx, e.DB, audit.System, u.ID, code); err != nil {
			t.Fatal(err)
		}
		clock := time.Now()
		s := auth.NewSignIn(e.DB, auth.NewPasswordChecks(2, 0))
		s.Now = func() time.Time { return clock }
		s.Limits.PerAccount, s.Limits.PerPair, s.Limits.PerAddress = 6, 100, 100
		wrong := "000000"
		for _, c := range []string{"000000", "111111", "222222", "333333"} {
			if ok, _ := totp.ValidateCustom(c, enr.Secret, time.Now(), totp.ValidateOpts{Period: 30, Skew: 2, Digits: 6}); !ok {
				wrong = c
				break
			}
		}

		ip := 0
		next := func() string { ip++; return "203.0.113." + strconv.Itoa(ip%250+1) }
		_, _, err = s.Login(ctx, u.Email, "the-right-password", next())
		var need *auth.SecondFactorNeeded
		if !errors.As(err, &need) {
			t.Fatalf("the password: %v", err)
		}
		for round, want := range []time.Duration{s.Limits.Window, 2 * s.Limits.Window, 4 * s.Limits.Window} {
			for i := range s.Limits.PerAccount {
				if _, _, err := s.SecondFactor(ctx, need.Token, wrong, next()); !errors.Is(err, auth.ErrBadCode) {
					t.Fatalf("round %d guess %d: %v", round, i, err)
				}
			}
			_, _, err := s.SecondFactor(ctx, need.Token, wrong, next())
			var th *auth.ErrThrottled
			if !errors.As(err, &th) || th.Scope != auth.ScopeAccount || th.RetryAfter != want {
				t.Fatalf("lockout %d: %v, want the account held back for %s", round+1, err, want)
			}
			clock = clock.Add(want + time.Second)
		}
	})
}
