package mail_test

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/mail"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

var resetLink = regexp.MustCompile(`http://127\.0\.0\.1:\d+/password/reset/[A-Za-z0-9_-]{40,}`)

// The whole reset as a person goes through it: the link on the sign-in
// page, the address, the mail, the new password; and what must not work:
// a link used once, an expired one, one replaced by a newer one, too many
// requests.
func TestPasswordResetByMail(t *testing.T) {
	mp := startMailpit(t)
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newSite(t, e, mp.smtpURL())
		t.Cleanup(func() { clearMailpit(t, mp) })
		ctx := context.Background()
		s.app.Mail.Limits = mail.ResetLimits{PerAddress: 4, PerClient: 7, Window: 30 * time.Minute}
		s.user("ann", auth.Requester, "Ann Requester")
		sso := s.user("sso", auth.Agent, "Sam Single-Sign-On")
		if _, err := e.DB.Exec(ctx, "UPDATE users SET password_hash = '' WHERE id = ?", sso.UserID); err != nil {
			t.Fatal(err)
		}
		if _, body := s.get("/login"); !strings.Contains(body, `href="/password/forgot"`) {
			t.Fatal("the sign-in page has no link to reset a password")
		}
		_, oldSession, err := signIn(s, "ann@mail.test", "a-long-password")
		if err != nil {
			t.Fatal(err)
		}

		// The same answer for an account, no account, and an account
		// without a local password; only the first gets mail.
		var answers []string
		for _, addr := range []string{"ann@mail.test", "nobody@mail.test", "sso@mail.test"} {
			res, body := s.requestReset(addr)
			if res.StatusCode != http.StatusOK || !strings.Contains(body, "If an account with that address exists") {
				t.Fatalf("asking for %s: %d\n%s", addr, res.StatusCode, body)
			}
			answers = append(answers, body)
		}
		if answers[0] != answers[1] || answers[0] != answers[2] {
			t.Error("the answer tells whether an account exists")
		}
		s.mailOut()
		got := mp.waitFor(t, 1)
		m := mp.message(t, got[0].ID)
		if m.To[0].Address != "ann@mail.test" || m.Subject != "Reset your Steward password" {
			t.Fatalf("reset mail %q to %v", m.Subject, m.To)
		}
		link := resetLink.FindString(m.Text)
		if link == "" || !strings.Contains(m.HTML, link) {
			t.Fatalf("no reset link in both parts:\n%s", m.Text)
		}
		path := strings.TrimPrefix(link, s.url)
		// The link is a secret: gone from the outbox once sent, and never
		// shown to the administrators who read it.
		var stored string
		if err := e.DB.QueryRow(ctx, "SELECT text_body || html_body FROM mail_outbox WHERE kind = 'password_reset'").Scan(&stored); err != nil {
			t.Fatal(err)
		}
		list, _, _ := s.app.Mail.List(ctx, mail.Filter{})
		if strings.Contains(stored, path) || strings.Contains(list[0].Text, path) {
			t.Error("the reset link stays readable in the outbox after it was sent")
		}

		if res, body := s.get(path); res.StatusCode != http.StatusOK || !strings.Contains(body, "ann@mail.test") {
			t.Fatalf("the link's page: %d\n%s", res.StatusCode, body)
		}
		if res, body := s.post(path, map[string]string{"password": "short", "confirm": "short"}); res.StatusCode != http.StatusUnprocessableEntity ||
			!strings.Contains(body, "at least 10 characters") {
			t.Errorf("a short password: %d", res.StatusCode)
		}
		if res, body := s.post(path, map[string]string{"password": "a-new-long-password", "confirm": "a-new-long-passwort"}); res.StatusCode != http.StatusUnprocessableEntity ||
			!strings.Contains(strings.ToLower(body), "does not match") {
			t.Errorf("a mistyped confirmation: %d", res.StatusCode)
		}
		res, _ := s.post(path, map[string]string{"password": "a-new-long-password", "confirm": "a-new-long-password"})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
			t.Fatalf("setting the password: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		if _, err := auth.SessionPrincipal(ctx, e.DB, oldSession); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the session from before the reset still works: %v", err)
		}
		if _, _, err := signIn(s, "ann@mail.test", "a-long-password"); !errors.Is(err, auth.ErrBadCredentials) {
			t.Errorf("the old password still signs in: %v", err)
		}
		if _, _, err := signIn(s, "ann@mail.test", "a-new-long-password"); err != nil {
			t.Errorf("the new password does not sign in: %v", err)
		}
		if res, _ := s.post(path, map[string]string{"password": "another-long-password", "confirm": "another-long-password"}); res.StatusCode != http.StatusGone {
			t.Errorf("a used link answered %d, want 410", res.StatusCode)
		}
		if res, body := s.get(path); res.StatusCode != http.StatusGone || !strings.Contains(body, "no longer works") {
			t.Errorf("a used link's page: %d", res.StatusCode)
		}

		// A newer link ends the older; an expired one does not work.
		s.requestReset("ann@mail.test")
		s.requestReset("ann@mail.test")
		s.mailOut()
		links := map[string]bool{}
		for _, msg := range mp.waitFor(t, 4)[:2] { // the two newest; before them, the password-changed notice
			links[strings.TrimPrefix(resetLink.FindString(mp.message(t, msg.ID).Text), s.url)] = true
		}
		newest := strings.TrimPrefix(resetLink.FindString(mp.message(t, mp.messages(t)[0].ID).Text), s.url)
		for l := range links {
			want := http.StatusGone
			if l == newest {
				want = http.StatusOK
			}
			if res, _ := s.get(l); res.StatusCode != want {
				t.Errorf("link %s: %d, want %d (the newest works, the one before does not)", l, res.StatusCode, want)
			}
		}
		if _, err := e.DB.Exec(ctx, "UPDATE password_resets SET expires_at = ?", store.TS(time.Now().Add(-time.Minute))); err != nil {
			t.Fatal(err)
		}
		if res, _ := s.get(newest); res.StatusCode != http.StatusGone {
			t.Errorf("an expired link answered %d, want 410", res.StatusCode)
		}

		// Ann asked four times: the fifth is refused, for her address only.
		s.requestReset("ann@mail.test")
		if res, body := s.requestReset("ann@mail.test"); res.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Too many requests") {
			t.Errorf("the fifth request for one address: %d", res.StatusCode)
		}
		// Seven requests from one client address in all: the eighth is refused.
		if res, _ := s.requestReset("other@mail.test"); res.StatusCode != http.StatusOK {
			t.Errorf("another address from the same client: %d", res.StatusCode)
		}
		if res, _ := s.requestReset("third@mail.test"); res.StatusCode != http.StatusTooManyRequests {
			t.Errorf("the eighth request from one client: %d, want 429", res.StatusCode)
		}

		entries, err := audit.List(ctx, e.DB, audit.Filter{Entity: "user", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var requested, reset int
		for _, en := range entries {
			switch en.Action {
			case "password_reset_requested":
				requested++
			case "password_reset":
				reset++
			}
		}
		if requested != 4 || reset != 1 {
			t.Errorf("audit trail: %d requests and %d resets, want 4 and 1", requested, reset)
		}
	})
}

// signIn opens a session, as the sign-in form does.
func signIn(s *site, email, password string) (*auth.Principal, string, error) {
	token, p, err := s.app.SignIn.Login(context.Background(), email, password, "127.0.0.9")
	return p, token, err
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// requestReset fills in the forgot-password form as a browser would.
func (s *site) requestReset(email string) (*http.Response, string) {
	s.t.Helper()
	res, body := s.get("/password/forgot")
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "steward_reset_csrf" {
			cookie = c
		}
	}
	m := csrfField.FindStringSubmatch(body)
	if cookie == nil || m == nil {
		s.t.Fatalf("the forgot-password form has no token: %d\n%s", res.StatusCode, body)
	}
	return s.post("/password/forgot", map[string]string{"email": email, "csrf_token": m[1]}, cookie)
}
