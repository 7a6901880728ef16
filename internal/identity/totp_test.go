package identity_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"steward/internal/demo"
	"steward/internal/store/storetest"
)

var (
	secretText = regexp.MustCompile(`class="id-secret mono" data-select-all>([A-Z2-7 ]+)</p>`)
	codeItem   = regexp.MustCompile(`<li>([a-z2-9]{5}-[a-z2-9]{5})</li>`)
)

// codeAt is the authenticator app's code for an instant.
func codeAt(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wrongCode is six digits that are no code of the steps around now.
func wrongCode(t testing.TB, secret string) string {
	near := map[string]bool{}
	for d := -2; d <= 2; d++ {
		near[codeAt(t, secret, time.Now().Add(time.Duration(d)*30*time.Second))] = true
	}
	for _, c := range []string{"000000", "123456", "654321", "111111"} {
		if !near[c] {
			return c
		}
	}
	t.Fatal("no wrong code")
	return ""
}

// secretOn reads the secret a setup page shows, and checks it shows the
// QR code too.
func secretOn(t testing.TB, body string) string {
	t.Helper()
	m := secretText.FindStringSubmatch(body)
	if m == nil || !strings.Contains(body, `src="data:image/png;base64,`) {
		t.Fatalf("the page shows no secret and QR code: %.3000s", body)
	}
	return strings.ReplaceAll(m[1], " ", "")
}

// enrolFromProfile sets a second factor up from the profile and returns
// its secret and recovery codes.
func (b *browser) enrolFromProfile() (string, []string) {
	t := b.s.t
	t.Helper()
	csrf := b.csrf()
	if p := b.get(b.s.url + "/profile/2fa"); !strings.Contains(p.body, "Set up a second factor") {
		t.Fatalf("the second-factor page offers no setup: %.500s", p.body)
	}
	page := b.post(b.s.url+"/profile/2fa/start", url.Values{"csrf_token": {csrf}})
	secret := secretOn(t, page.body)
	if p := b.post(b.s.url+"/profile/2fa/confirm", url.Values{"csrf_token": {csrf}, "password": {demo.Password}, "code": {wrongCode(t, secret)}}); p.status != http.StatusUnprocessableEntity ||
		!strings.Contains(p.body, "That code is wrong") || secretOn(t, p.body) != secret {
		t.Fatalf("a wrong code turned it on: %d", p.status)
	}
	p := b.post(b.s.url+"/profile/2fa/confirm", url.Values{"csrf_token": {csrf}, "password": {demo.Password}, "code": {codeAt(t, secret, time.Now())}})
	codes := codeItem.FindAllStringSubmatch(p.body, -1)
	if p.status != http.StatusOK || len(codes) != 10 {
		t.Fatalf("confirming: %d, %d recovery codes: %.500s", p.status, len(codes), p.body)
	}
	out := make([]string, len(codes))
	for i, m := range codes {
		out[i] = m[1]
	}
	return secret, out
}

// secondStep posts a code on the page the password led to.
func (b *browser) secondStep(page answer, code string) answer {
	b.s.t.Helper()
	m := hiddenCSRF.FindStringSubmatch(page.body)
	if m == nil || page.url.Path != "/login/2fa" {
		b.s.t.Fatalf("the password led to %s (%d), not the code page", page.url, page.status)
	}
	return b.post(b.s.url+"/login/2fa", url.Values{"csrf_token": {m[1]}, "code": {code}})
}

// With a second factor on, the password alone opens no session; a code
// does, once; a recovery code does, once; wrong codes count toward the
// sign-in throttle.
func TestSecondFactorSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newPasswordSite(t, e)
		const email = "agent@steward.demo"
		b := s.browser()
		b.login(email, demo.Password)
		secret, codes := b.enrolFromProfile()
		if n := s.count("SELECT COUNT(*) FROM user_recovery_codes c JOIN users u ON u.id = c.user_id WHERE u.email = ? AND c.code_hash <> ?", email, codes[0]); n != 10 {
			t.Fatalf("%d recovery codes kept hashed", n)
		}

		// The password leads to the code page, and to no session.
		b = s.browser()
		page := b.login(email, demo.Password)
		if !strings.Contains(page.body, "Enter your code") || b.signedInAs() != "" {
			t.Fatalf("the password alone: %d at %s, signed in as %q", page.status, page.url, b.signedInAs())
		}
		next := codeAt(t, secret, time.Now().Add(30*time.Second)) // the step after the one setup used
		if end := b.secondStep(page, next); end.url.Path != "/" || b.signedInAs() != email {
			t.Fatalf("the right code: %d at %s", end.status, end.url)
		}

		// The same code again: a replay.
		b = s.browser()
		if end := b.secondStep(b.login(email, demo.Password), next); end.status != http.StatusUnauthorized ||
			!strings.Contains(end.body, "wrong or was used already") || b.signedInAs() != "" {
			t.Fatalf("a replayed code: %d %s", end.status, end.url)
		}

		// A recovery code works once, typed in capitals with spaces too.
		b = s.browser()
		if end := b.secondStep(b.login(email, demo.Password), " "+strings.ToUpper(codes[0])+" "); end.url.Path != "/" {
			t.Fatalf("a recovery code: %d %s", end.status, end.url)
		}
		b = s.browser()
		if end := b.secondStep(b.login(email, demo.Password), codes[0]); end.status != http.StatusUnauthorized {
			t.Fatalf("a recovery code used twice: %d %s", end.status, end.url)
		}

		// Guessing: wrong codes are failures like wrong passwords, and the
		// throttle stops them; then even a right code waits.
		b = s.browser()
		page = b.login(email, demo.Password)
		wrong := wrongCode(t, secret)
		throttled := false
		for i := 0; i < 6 && !throttled; i++ {
			end := b.secondStep(page, wrong)
			switch end.status {
			case http.StatusUnauthorized:
			case http.StatusTooManyRequests:
				throttled = strings.Contains(end.body, "too many failed sign-ins") || strings.Contains(end.body, "Too many failed sign-ins")
			default:
				t.Fatalf("a wrong code: %d", end.status)
			}
		}
		if !throttled {
			t.Fatal("six wrong codes in a row were all checked")
		}
		if end := b.secondStep(page, codes[1]); end.status != http.StatusTooManyRequests || b.signedInAs() != "" {
			t.Fatalf("a right code while throttled: %d", end.status)
		}
		if n := s.count("SELECT COUNT(*) FROM user_recovery_codes WHERE used_at IS NULL AND user_id = (SELECT id FROM users WHERE email = ?)", email); n != 9 {
			t.Fatalf("%d recovery codes left, want 9: a throttled attempt used one", n)
		}
		if n := s.count("SELECT COUNT(*) FROM audit_log WHERE action = 'login_failed' AND data LIKE '%wrong second-factor code%'"); n < 3 {
			t.Fatalf("%d wrong codes in the audit trail", n)
		}
	})
}

// A role that must use a second factor sets one up right after the
// password and can do nothing else first; an administrator can reset it,
// which is audited, and the next sign-in sets a new one up.
func TestRoleMustUseSecondFactor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newPasswordSite(t, e)
		admin := s.browser()
		admin.login("admin@steward.demo", demo.Password)
		form := url.Values{"csrf_token": {admin.csrf()}, "groups_claim": {"groups"}, "default_role": {"requester"},
			"second_factor_roles": {"agent"}, "rule_rows": {"0"}}
		if p := admin.post(s.url+"/admin/single-sign-on", form); !strings.Contains(p.body, "settings saved") {
			t.Fatalf("requiring a second factor: %d", p.status)
		}

		b := s.browser()
		page := b.login("agent@steward.demo", demo.Password)
		if page.url.Path != "/login/2fa/enrol" || !strings.Contains(page.body, "Your role must use a second factor") {
			t.Fatalf("the password led to %s: %.300s", page.url, page.body)
		}
		if b.signedInAs() != "" || b.get(s.url+"/").url.Path != "/login" {
			t.Fatal("someone who must set a second factor up could open a page first")
		}
		page = b.get(s.url + "/login/2fa/enrol")
		secret := secretOn(t, page.body)
		token := hiddenCSRF.FindStringSubmatch(page.body)[1]
		if p := b.post(s.url+"/login/2fa/enrol", url.Values{"csrf_token": {token}, "code": {wrongCode(t, secret)}}); p.status != http.StatusUnauthorized ||
			secretOn(t, p.body) != secret {
			t.Fatalf("a wrong code while setting up: %d", p.status)
		}
		p := b.post(s.url+"/login/2fa/enrol", url.Values{"csrf_token": {token}, "code": {codeAt(t, secret, time.Now())}})
		if len(codeItem.FindAllString(p.body, -1)) != 10 || b.signedInAs() != "agent@steward.demo" {
			t.Fatalf("setting up at sign-in: %d: %.500s", p.status, p.body)
		}
		if p := b.get(s.url + "/profile/2fa"); !strings.Contains(p.body, "cannot be turned off here") {
			t.Fatal("a role that must use a second factor is offered to turn it off")
		}

		// The administrator resets it.
		if p := admin.get(s.url + "/admin/single-sign-on"); !strings.Contains(p.body, "agent@steward.demo") {
			t.Fatal("the administrator's list lacks the agent")
		}
		p = admin.post(s.url+"/admin/single-sign-on/reset-2fa", url.Values{"csrf_token": {admin.csrf()}, "email": {"Agent@Steward.demo"}})
		if !strings.Contains(p.body, "The second factor was reset") {
			t.Fatalf("resetting: %d %.300s", p.status, p.body)
		}
		if n := s.count("SELECT COUNT(*) FROM user_totp t JOIN users u ON u.id = t.user_id WHERE u.email = 'agent@steward.demo'"); n != 0 {
			t.Fatal("the reset left the secret")
		}
		if n := s.count("SELECT COUNT(*) FROM audit_log WHERE action = 'second_factor_reset' AND actor_name = 'admin@steward.demo'"); n != 1 {
			t.Fatalf("%d resets in the audit trail", n)
		}
		if p := admin.post(s.url+"/admin/single-sign-on/reset-2fa", url.Values{"csrf_token": {admin.csrf()}, "email": {"nobody@steward.demo"}}); p.status != http.StatusUnprocessableEntity ||
			!strings.Contains(p.body, "No account has the e-mail address nobody@steward.demo") {
			t.Fatalf("resetting an unknown address: %d", p.status)
		}
		if page := s.browser().login("agent@steward.demo", demo.Password); page.url.Path != "/login/2fa/enrol" {
			t.Fatalf("after the reset the password led to %s", page.url)
		}
	})
}

// A person whose role need not use one turns their second factor off
// with their password and a code.
func TestTurnOffSecondFactor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newPasswordSite(t, e)
		const email = "requester@steward.demo"
		b := s.browser()
		b.login(email, demo.Password)
		secret, _ := b.enrolFromProfile()
		csrf := b.csrf()
		code := codeAt(t, secret, time.Now().Add(30*time.Second))
		for _, tc := range []struct {
			form url.Values
			want string
		}{
			{url.Values{"password": {""}, "code": {""}}, "Enter your password."},
			{url.Values{"password": {"not-the-password"}, "code": {code}}, "That password is wrong."},
			{url.Values{"password": {demo.Password}, "code": {wrongCode(t, secret)}}, "That code is wrong or was used already."},
		} {
			tc.form.Set("csrf_token", csrf)
			if p := b.post(s.url+"/profile/2fa/off", tc.form); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, tc.want) {
				t.Fatalf("%v: %d, want %q", tc.form, p.status, tc.want)
			}
		}
		if p := b.post(s.url+"/profile/2fa/off", url.Values{"csrf_token": {csrf}, "password": {demo.Password}, "code": {code}}); !strings.Contains(p.body, "Your second factor is off") {
			t.Fatalf("turning it off: %d", p.status)
		}
		if p := s.browser().login(email, demo.Password); p.url.Path != "/" {
			t.Fatalf("after turning it off the password led to %s", p.url)
		}
		if n := s.count("SELECT COUNT(*) FROM audit_log WHERE action = 'second_factor_off'"); n != 1 {
			t.Fatalf("%d records of turning it off", n)
		}
	})
}

// Only administrators open and change the single sign-on page; a bad form
// is refused field by field and nothing is saved.
func TestSettingsPagePermissions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newPasswordSite(t, e)
		if p := s.browser().get(s.url + "/admin/single-sign-on"); p.url.Path != "/login" {
			t.Fatalf("a stranger reached %s", p.url)
		}
		for _, role := range []string{"requester", "agent", "auditor"} {
			b := s.browser()
			b.login(role+"@steward.demo", demo.Password)
			if p := b.get(s.url + "/admin/single-sign-on"); p.status != http.StatusForbidden {
				t.Errorf("%s opened the page: %d", role, p.status)
			}
			csrf := b.csrf()
			for _, path := range []string{"/admin/single-sign-on", "/admin/single-sign-on/reset-2fa", "/admin/single-sign-on/unlink"} {
				if p := b.post(s.url+path, url.Values{"csrf_token": {csrf}, "email": {"admin@steward.demo"}, "create_users": {"1"}}); p.status != http.StatusForbidden {
					t.Errorf("%s posted to %s: %d", role, path, p.status)
				}
			}
		}
		admin := s.browser()
		admin.login("admin@steward.demo", demo.Password)
		if p := admin.get(s.url + "/admin/single-sign-on"); p.status != http.StatusOK || !strings.Contains(p.body, "No provider is configured") {
			t.Fatalf("the administrator: %d", p.status)
		}
		p := admin.post(s.url+"/admin/single-sign-on", url.Values{"csrf_token": {admin.csrf()}, "groups_claim": {""}, "default_role": {"boss"},
			"create_users": {"1"}, "rule_rows": {"2"}, "rule_value_0": {"staff"}, "rule_value_1": {"ops"}, "rule_role_1": {"agent"}})
		for _, want := range []string{"The settings were not saved", "This field is required: the name of the claim that lists", "This field must be one of admin, agent, requester, auditor",
			"Gives nothing: choose a role, a customer or a support group"} {
			if !strings.Contains(p.body, want) {
				t.Errorf("the refused form lacks %q", want)
			}
		}
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `value="ops"`) {
			t.Errorf("the refused form: %d, entries kept: %v", p.status, strings.Contains(p.body, `value="ops"`))
		}
		if n := s.count("SELECT COUNT(*) FROM identity_settings WHERE create_users"); n != 0 {
			t.Fatal("a refused form was saved")
		}
	})
}
