package identity_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"steward/internal/demo"
	"steward/internal/store/storetest"
)

// Turning a second factor on from a session asks for the password again,
// so whoever finds a session left open cannot put a second factor of
// their own on the account; the secret being set up shows only right
// after it was made, never on a plain visit, and starting again makes a
// new one.
func TestTurningOnAsksForThePassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newPasswordSite(t, e)
		b := s.browser()
		b.login("agent@steward.demo", demo.Password)
		csrf := b.csrf()
		on := func() int {
			return s.count("SELECT COUNT(*) FROM user_totp t JOIN users u ON u.id = t.user_id WHERE u.email = 'agent@steward.demo' AND t.enabled_at IS NOT NULL")
		}

		first := secretOn(t, b.post(s.url+"/profile/2fa/start", url.Values{"csrf_token": {csrf}}).body)
		if p := b.get(s.url + "/profile/2fa"); secretText.MatchString(p.body) || !strings.Contains(p.body, "A setup was started and not finished") {
			t.Errorf("a plain visit during the setup: secret shown %v: %.1500s", secretText.MatchString(p.body), p.body)
		}
		code := codeAt(t, first, time.Now())
		for _, tc := range []struct {
			name, password, want string
		}{
			{"no password", "", "Enter your password with the code"},
			{"wrong password", "not-the-password", "That password is wrong"},
		} {
			p := b.post(s.url+"/profile/2fa/confirm", url.Values{"csrf_token": {csrf}, "password": {tc.password}, "code": {code}})
			if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, tc.want) || secretText.MatchString(p.body) {
				t.Errorf("%s: %d, secret shown %v: %.1500s", tc.name, p.status, secretText.MatchString(p.body), p.body)
			}
			if n := on(); n != 0 {
				t.Fatalf("%s turned the second factor on", tc.name)
			}
		}
		if n := s.count("SELECT COUNT(*) FROM audit_log WHERE action = 'login_failed' AND data LIKE '%turning on the second factor%'"); n != 1 {
			t.Errorf("%d wrong passwords recorded as failed sign-ins, want 1", n)
		}

		second := secretOn(t, b.post(s.url+"/profile/2fa/start", url.Values{"csrf_token": {csrf}}).body)
		if second == first {
			t.Error("starting again kept the secret shown before")
		}
		p := b.post(s.url+"/profile/2fa/confirm", url.Values{"csrf_token": {csrf}, "password": {demo.Password}, "code": {codeAt(t, second, time.Now())}})
		if p.status != http.StatusOK || len(codeItem.FindAllString(p.body, -1)) != 10 || on() != 1 {
			t.Fatalf("the password and a code of the new secret: %d, on %d", p.status, on())
		}
	})
}
