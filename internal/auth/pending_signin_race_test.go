package auth_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/store/storetest"
)

// A pending sign-in finishes once: two second steps sent at the same
// moment for one pending sign-in (each with a different recovery code,
// as a double submit or an intruder racing the owner would) open one
// session, not two.
func TestPendingSignInFinishesOnceUnderRace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		s := auth.NewSignIn(e.DB, auth.NewPasswordChecks(0, 0))
		u, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: "ria@example.com", Name: "Ria", Role: auth.Agent, Password: "a-long-password"})
		if err != nil {
			t.Fatal(err)
		}
		// enrol sets a fresh second factor up and returns its recovery codes.
		enrol := func() []string {
			if _, err := auth.ResetSecondFactor(ctx, e.DB, audit.System, u.ID); err != nil {
				t.Fatal(err)
			}
			enr, err := auth.StartEnrolment(ctx, e.DB, u.ID, u.Email)
			if err != nil {
				t.Fatal(err)
			}
			code, _ := totp.GenerateCode(enr.Secret, time.Now())
			codes, err := auth.ConfirmEnrolment(ctx, e.DB, audit.System, u.ID, code)
			if err != nil {
				t.Fatal(err)
			}
			return codes
		}
		var codes []string
		twice := 0
		const rounds = 20
		for round := 0; round < rounds && twice == 0; round++ {
			if len(codes) < 2 {
				codes = enrol()
			}
			pair := codes[:2]
			codes = codes[2:]
			ip := "192.0.2." + strconv.Itoa(round+1) // a fresh address each round, clear of the throttle
			_, _, err := s.Login(ctx, u.Email, "a-long-password", ip)
			var need *auth.SecondFactorNeeded
			if !errors.As(err, &need) {
				t.Fatalf("the password: %v", err)
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			opened := 0
			start := make(chan struct{})
			for i := 0; i < 2; i++ {
				wg.Add(1)
				go func(c string) {
					defer wg.Done()
					<-start
					if _, _, err := s.SecondFactor(ctx, need.Token, c, ip); err == nil {
						mu.Lock()
						opened++
						mu.Unlock()
					}
				}(pair[i])
			}
			close(start)
			wg.Wait()
			if opened > 1 {
				twice++
			}
		}
		if twice > 0 {
			t.Error("two second steps sent at once for one pending sign-in opened two sessions")
		}
	})
}
