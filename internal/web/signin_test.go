package web_test

import (
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"steward/internal/auth"
	"steward/internal/config"
	"steward/internal/demo"
	"steward/internal/store/storetest"
)

// loginForm is a browser that has opened the sign-in page: its cookie and
// the form's token, ready to post.
func (s *site) loginForm(t *testing.T) (*browser, string) {
	t.Helper()
	b := s.browser()
	m := hiddenCSRF.FindStringSubmatch(b.get("/login").body)
	if m == nil {
		t.Fatal("the sign-in page has no token")
	}
	return b, m[1]
}

// postLogin sends the sign-in form from any goroutine.
func postLogin(b *browser, token, email, password string) (int, string, error) {
	form := url.Values{"csrf_token": {token}, "email": {email}, "password": {password}}
	req, _ := http.NewRequest(http.MethodPost, b.s.url+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := b.c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Retry-After") + "\n" + string(body), err
}

// Forty simultaneous sign-ins for one account, thirty-nine wrong and one
// right, get no more wrong passwords checked than the limit, and the rest
// are told to wait.
func TestLoginBurstIsThrottled(t *testing.T) {
	s := newSite(t)
	var wrong atomic.Int32
	s.app.SignIn.Checks.Compare = func(hash, password string) (bool, error) {
		ok, err := auth.CheckPassword(hash, password)
		if !ok {
			wrong.Add(1)
		}
		return ok, err
	}
	type form struct {
		b        *browser
		token    string
		password string
	}
	forms := make([]form, 40)
	for i := range forms {
		b, token := s.loginForm(t)
		forms[i] = form{b, token, fmt.Sprintf("guess-%d", i)}
	}
	forms[17].password = demo.Password
	statuses := map[int]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, f := range forms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			status, _, err := postLogin(f.b, f.token, "admin@steward.demo", f.password)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			statuses[status]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	limit := auth.DefaultLimits().PerPair
	if n := int(wrong.Load()); n > limit || statuses[http.StatusTooManyRequests] == 0 || statuses[http.StatusSeeOther] > 1 {
		t.Fatalf("%d wrong passwords checked (limit %d); answers %v", n, limit, statuses)
	}
}

// A sign-in that finds every password check taken for too long is told to
// come back in a moment, with Retry-After.
func TestLoginWhenPasswordChecksAreTaken(t *testing.T) {
	s := newSite(t)
	checks := auth.NewPasswordChecks(1, 20*time.Millisecond)
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	checks.Compare = func(hash, password string) (bool, error) {
		once.Do(func() { close(entered) })
		<-release
		return auth.CheckPassword(hash, password)
	}
	s.app.SignIn.Checks = checks
	first, firstToken := s.loginForm(t)
	second, secondToken := s.loginForm(t)
	done := make(chan int)
	go func() {
		status, _, _ := postLogin(first, firstToken, "agent@steward.demo", demo.Password)
		done <- status
	}()
	<-entered
	status, body, err := postLogin(second, secondToken, "agent@steward.demo", demo.Password)
	close(release)
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusServiceUnavailable || !strings.HasPrefix(body, "2\n") || !strings.Contains(body, "Many people are signing in") {
		t.Fatalf("got %d, want 503 with Retry-After: 2 and a message\n%s", status, body)
	}
	if status := <-done; status != http.StatusSeeOther {
		t.Fatalf("the sign-in holding the check got %d", status)
	}
}

// An admin sees an account's lockouts on its page and lifts them with a
// button; an agent sees them but has no button; the holder is told.
func TestUnlockFromUserPage(t *testing.T) {
	s := newSite(t)
	agentID, _ := s.userID(t, "agent@steward.demo")
	for i := range auth.DefaultLimits().PerPair + 1 {
		s.browser().login("agent@steward.demo", fmt.Sprintf("wrong-%d", i))
	}
	if p := s.browser().login("agent@steward.demo", demo.Password); p.status != http.StatusTooManyRequests ||
		!strings.Contains(p.body, "Too many failed sign-ins for this account from your address; try again in 5 minutes.") {
		t.Fatalf("locked out: %d\n%s", p.status, p.body)
	}
	page := fmt.Sprintf("/users/%d", agentID)
	if p := s.signedIn("admin").get(page); !strings.Contains(p.body, "from 127.0.0.1 until") || !strings.Contains(p.body, `action="`+page+`/unlock"`) {
		t.Fatalf("the admin's view of the account shows no lockout or no button:\n%s", p.body)
	}
	if p := s.signedIn("auditor").get(page); !strings.Contains(p.body, "from 127.0.0.1 until") || strings.Contains(p.body, page+"/unlock") {
		t.Fatalf("the auditor should see the lockout without a button:\n%s", p.body)
	}
	if n := storetest.Count(t, s.app.DB, "SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = 'signin_throttled'", agentID); n != 1 {
		t.Fatalf("%d notifications to the account holder, want 1", n)
	}
	admin := s.signedIn("admin")
	if p := admin.post(page+"/unlock", nil); p.status != http.StatusSeeOther || p.location != page {
		t.Fatalf("unlock: %d %q", p.status, p.location)
	}
	if p := admin.get(page); !strings.Contains(p.body, "not paused") {
		t.Fatalf("after the unlock the page still shows lockouts:\n%s", p.body)
	}
	if p := s.browser().login("agent@steward.demo", demo.Password); p.status != http.StatusSeeOther {
		t.Fatalf("signing in after the unlock: %d", p.status)
	}
}

// loginFrom signs in with X-Forwarded-For set, as a proxy (or a client
// pretending to be one) would.
func (s *site) loginFrom(t *testing.T, forwardedFor, password string) int {
	t.Helper()
	b, token := s.loginForm(t)
	form := url.Values{"csrf_token": {token}, "email": {"agent@steward.demo"}, "password": {password}}
	req, _ := http.NewRequest(http.MethodPost, s.url+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", forwardedFor)
	return b.do(req).status
}

// A client cannot escape the throttle by sending X-Forwarded-For: it is
// believed only from a trusted proxy, and then each client address is
// throttled on its own.
func TestForwardedForNeedsATrustedProxy(t *testing.T) {
	t.Run("no trusted proxies", func(t *testing.T) {
		s := newSite(t)
		for i := range auth.DefaultLimits().PerPair {
			s.loginFrom(t, fmt.Sprintf("203.0.113.%d", i), "wrong-password")
		}
		if status := s.loginFrom(t, "203.0.113.200", demo.Password); status != http.StatusTooManyRequests {
			t.Fatalf("a new X-Forwarded-For each time got %d, want 429: the header must be ignored", status)
		}
	})
	t.Run("behind a trusted proxy", func(t *testing.T) {
		s := newSiteWith(t, func(c *config.Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} })
		for range auth.DefaultLimits().PerPair {
			s.loginFrom(t, "203.0.113.1", "wrong-password")
		}
		if status := s.loginFrom(t, "203.0.113.1", demo.Password); status != http.StatusTooManyRequests {
			t.Fatalf("the guessing address got %d, want 429", status)
		}
		if status := s.loginFrom(t, "203.0.113.2", demo.Password); status != http.StatusSeeOther {
			t.Fatalf("another client of the same proxy got %d, want a sign-in", status)
		}
		if status := s.loginFrom(t, "198.51.100.1, 203.0.113.1", demo.Password); status != http.StatusTooManyRequests {
			t.Fatalf("prepending an address got %d, want 429: only the right-most untrusted address counts", status)
		}
	})
}
