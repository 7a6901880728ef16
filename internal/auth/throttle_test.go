package auth_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/store/storetest"
)

// checks stands in for argon2id: it counts the password checks that ran,
// the wrong ones among them and the most that ran at once, and holds each
// for a moment so that a burst overlaps.
type checks struct {
	right               string
	all, wrong          atomic.Int32
	running, mostAtOnce atomic.Int32
	hold                time.Duration
}

func (c *checks) compare(_, password string) (bool, error) {
	c.all.Add(1)
	n := c.running.Add(1)
	for {
		peak := c.mostAtOnce.Load()
		if n <= peak || c.mostAtOnce.CompareAndSwap(peak, n) {
			break
		}
	}
	time.Sleep(c.hold)
	c.running.Add(-1)
	if password != c.right {
		c.wrong.Add(1)
		return false, nil
	}
	return true, nil
}

// outcomes counts how a burst of sign-ins was answered.
type outcomes struct {
	signedIn, refused, throttled, busy int
	scopes                             map[auth.Scope]int
}

// burst starts n sign-ins at the same instant; attempt(i) says what the
// i-th sends.
func burst(t *testing.T, s *auth.SignIn, n int, attempt func(i int) (email, password, ip string)) outcomes {
	t.Helper()
	var mu sync.Mutex
	out := outcomes{scopes: map[auth.Scope]int{}}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			email, password, ip := attempt(i)
			<-start
			_, _, err := s.Login(context.Background(), email, password, ip)
			mu.Lock()
			defer mu.Unlock()
			var th *auth.ErrThrottled
			switch {
			case err == nil:
				out.signedIn++
			case errors.Is(err, auth.ErrBadCredentials):
				out.refused++
			case errors.As(err, &th):
				out.throttled++
				out.scopes[th.Scope]++
			case errors.Is(err, auth.ErrSignInBusy):
				out.busy++
			default:
				t.Errorf("sign-in %d: %v", i, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	return out
}

func newSignIn(t *testing.T, e storetest.Engine, c *checks) *auth.SignIn {
	pc := auth.NewPasswordChecks(8, time.Minute)
	pc.Compare = c.compare
	return auth.NewSignIn(e.DB, pc)
}

// A burst of simultaneous sign-ins gets no more password checks than the
// limits allow: counting the attempts before one and recording it are one
// step, so none of the burst is checked on a count that missed the others.
func TestSignInBurstsAreThrottled(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		limit := auth.DefaultLimits().PerPair
		for _, email := range []string{"target@example.com", "quiet@example.com"} {
			if _, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: email, Name: "T", Role: auth.Admin, Password: "the-right-password"}); err != nil {
				t.Fatal(err)
			}
		}

		t.Run("39 wrong passwords and the right one from one address", func(t *testing.T) {
			c := &checks{right: "the-right-password", hold: 5 * time.Millisecond}
			got := burst(t, newSignIn(t, e, c), 40, func(i int) (string, string, string) {
				if i == 20 {
					return "target@example.com", "the-right-password", "198.51.100.7"
				}
				return "target@example.com", fmt.Sprintf("guess-%d", i), "198.51.100.7"
			})
			if w := int(c.wrong.Load()); w > limit {
				t.Errorf("%d wrong passwords were checked, the limit is %d", w, limit)
			}
			if got.throttled == 0 || got.throttled+int(c.all.Load()) != 40 {
				t.Errorf("%d checks and %d throttled of 40: %+v", c.all.Load(), got.throttled, got)
			}
			if got.signedIn > 1 {
				t.Errorf("%d sign-ins with one right password", got.signedIn)
			}
		})

		t.Run("60 wrong passwords from one address", func(t *testing.T) {
			c := &checks{right: "the-right-password", hold: 5 * time.Millisecond}
			got := burst(t, newSignIn(t, e, c), 60, func(i int) (string, string, string) {
				return "quiet@example.com", fmt.Sprintf("guess-%d", i), "198.51.100.8"
			})
			if n := int(c.all.Load()); n > limit || got.throttled != 60-n || got.scopes[auth.ScopePair] != got.throttled {
				t.Errorf("%d passwords checked (limit %d), %d throttled for the account from the address: %+v", n, limit, got.throttled, got)
			}
		})

		t.Run("guesses spread over many addresses", func(t *testing.T) {
			c := &checks{right: "the-right-password", hold: time.Millisecond}
			s := newSignIn(t, e, c)
			s.Limits.PerAccount = 20
			got := burst(t, s, 50, func(i int) (string, string, string) {
				return "target@example.com", fmt.Sprintf("spread-%d", i), fmt.Sprintf("203.0.113.%d", i)
			})
			if n := int(c.all.Load()); n > 20 || got.scopes[auth.ScopeAccount] != 50-n {
				t.Errorf("%d passwords checked (limit 20 for the account): %+v", n, got)
			}
		})

		t.Run("one address trying many accounts", func(t *testing.T) {
			c := &checks{right: "the-right-password", hold: time.Millisecond}
			perAddress := auth.DefaultLimits().PerAddress
			got := burst(t, newSignIn(t, e, c), perAddress+20, func(i int) (string, string, string) {
				return fmt.Sprintf("user%d@example.com", i), "a-guess", "192.0.2.99"
			})
			if n := int(c.all.Load()); n > perAddress || got.scopes[auth.ScopeAddress] != perAddress+20-n {
				t.Errorf("%d passwords checked (limit %d for the address): %+v", n, perAddress, got)
			}
		})
	})
}

// Five wrong passwords from one address lock that address out of the
// account, not the account: its holder signs in from elsewhere, is told
// once per lockout, each lockout in a row lasts twice as long, and an
// admin can lift them.
func TestLockoutsHoldBackOneAddress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		admin, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: "boss@example.com", Name: "Boss", Role: auth.Admin, Password: "the-right-password"})
		if err != nil {
			t.Fatal(err)
		}
		clock := time.Now()
		s := auth.NewSignIn(e.DB, auth.NewPasswordChecks(2, 0))
		s.Now = func() time.Time { return clock }
		limits := s.Limits
		const attacker, office = "198.51.100.66", "10.1.2.3"
		fail := func(n int) {
			t.Helper()
			for i := range n {
				if _, _, err := s.Login(ctx, "boss@example.com", fmt.Sprintf("wrong-%d", i), attacker); !errors.Is(err, auth.ErrBadCredentials) {
					t.Fatalf("failure %d: %v", i, err)
				}
			}
		}
		throttled := func(ip string) *auth.ErrThrottled {
			t.Helper()
			_, _, err := s.Login(ctx, "boss@example.com", "the-right-password", ip)
			var th *auth.ErrThrottled
			if !errors.As(err, &th) {
				t.Fatalf("from %s: %v, want throttled", ip, err)
			}
			return th
		}
		notices := func() int {
			return storetest.Count(t, e.DB, "SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = 'signin_throttled'", admin.ID)
		}

		fail(limits.PerPair)
		for range 3 {
			if th := throttled(attacker); th.Scope != auth.ScopePair || th.RetryAfter != limits.PairLockout {
				t.Fatalf("first lockout: %+v, want %s for the account from the address", th, limits.PairLockout)
			}
		}
		if _, _, err := s.Login(ctx, "boss@example.com", "the-right-password", office); err != nil {
			t.Fatalf("the holder from another address: %v", err)
		}
		if n := notices(); n != 1 {
			t.Fatalf("%d notifications for one lockout, want 1", n)
		}
		if l, err := auth.Lockouts(ctx, e.DB, "boss@example.com"); err != nil || len(l) != 1 || l[0].IP != attacker {
			t.Fatalf("lockouts %+v, %v", l, err)
		}

		clock = clock.Add(limits.PairLockout + time.Second)
		fail(limits.PerPair) // a fresh count once the lockout has passed
		if th := throttled(attacker); th.RetryAfter != 2*limits.PairLockout {
			t.Fatalf("second lockout in a row lasts %s, want %s", th.RetryAfter, 2*limits.PairLockout)
		}
		if n := notices(); n != 2 {
			t.Fatalf("%d notifications for two lockouts, want 2", n)
		}
		for action, want := range map[string]int{"login_failed": 2 * limits.PerPair, "login_throttled": 2, "login": 1} {
			if n := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM audit_log WHERE action = ?", action); n != want {
				t.Errorf("%d %s entries in the audit trail, want %d", n, action, want)
			}
		}

		lifted, err := auth.Unlock(ctx, e.DB, audit.Actor{Type: "user", ID: admin.ID, Name: "other admin"}, admin.ID)
		if err != nil || lifted != 1 {
			t.Fatalf("unlock lifted %d: %v", lifted, err)
		}
		if _, _, err := s.Login(ctx, "boss@example.com", "the-right-password", attacker); err != nil {
			t.Fatalf("after unlock: %v", err)
		}
		if n := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM audit_log WHERE action = 'unlock' AND entity_id = ?", fmt.Sprint(admin.ID)); n != 1 {
			t.Errorf("%d unlock entries in the audit trail", n)
		}
		if _, err := audit.Verify(ctx, e.DB); err != nil {
			t.Fatalf("audit chain: %v", err)
		}
	})
}

// The password checks that run at once never exceed the bound, and a
// sign-in that finds no free check in time is told the server is busy.
func TestPasswordChecksAreBounded(t *testing.T) {
	c := &checks{right: "x", hold: 2 * time.Millisecond}
	pc := auth.NewPasswordChecks(3, time.Minute)
	pc.Compare = c.compare
	var wg sync.WaitGroup
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := pc.Check(context.Background(), "", "y"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n, most := c.all.Load(), c.mostAtOnce.Load(); n != 40 || most > 3 {
		t.Fatalf("%d checks, %d at once; want 40, at most 3", n, most)
	}
	if got := auth.NewPasswordChecks(0, 0).Bound(); got < 2 {
		t.Fatalf("default bound %d, want at least 2", got)
	}

	held := auth.NewPasswordChecks(1, 10*time.Millisecond)
	entered, release := make(chan struct{}), make(chan struct{})
	held.Compare = func(_, _ string) (bool, error) {
		close(entered)
		<-release
		return true, nil
	}
	done := make(chan error)
	go func() {
		_, err := held.Check(context.Background(), "", "")
		done <- err
	}()
	<-entered
	if _, err := held.Check(context.Background(), "", ""); !errors.Is(err, auth.ErrSignInBusy) {
		t.Fatalf("with every check taken: %v, want ErrSignInBusy", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
