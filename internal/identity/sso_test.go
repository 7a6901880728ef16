package identity_test

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"steward/internal/demo"
	"steward/internal/identity"
	"steward/internal/store/storetest"
)

// An administrator signs in through the provider (code flow with PKCE)
// and lands on the desk; their account is linked by its verified e-mail
// the first time, once linking administrators' accounts by e-mail is
// on, and by the provider's subject afterwards.
func TestAdminSignsInThroughTheProvider(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newSite(t, e, defaultPeople())
		page := s.browser().get(s.url + "/login")
		if !strings.Contains(page.body, "Sign in with Example ID") || !strings.Contains(page.body, `href="/login/oidc?next=%2f"`) {
			t.Fatalf("the sign-in page has no button for the provider: %.2000s", page.body)
		}
		b := s.browser()
		end := b.atProvider("ada")
		if end.status != http.StatusForbidden || !strings.Contains(end.body, "is an administrator&#39;s or has a second factor") || b.signedInAs() != "" {
			t.Fatalf("an administrator's account linked by e-mail with linking such accounts off: %d at %s: %.2000s", end.status, end.url, end.body)
		}
		admin := s.browser()
		admin.login("admin@steward.demo", demo.Password)
		form := url.Values{"csrf_token": {admin.csrf()}, "groups_claim": {"groups"}, "default_role": {"requester"}, "link_privileged": {"1"}, "rule_rows": {"0"}}
		if p := admin.post(s.url+"/admin/single-sign-on", form); p.status != http.StatusOK || !strings.Contains(p.body, `name="link_privileged" value="1" aria-describedby="link-hint" checked`) {
			t.Fatalf("turning on linking administrators' accounts: %d %.500s", p.status, p.body)
		}
		b = s.browser()
		end = b.atProvider("ada")
		if end.status != http.StatusOK || end.url.String() != s.url+"/" || !strings.Contains(end.body, "Incidents") {
			t.Fatalf("after the provider: %d at %s: %.300s", end.status, end.url, end.body)
		}
		if who := b.signedInAs(); who != "admin@steward.demo" {
			t.Fatalf("signed in as %q", who)
		}
		if n := s.count("SELECT COUNT(*) FROM identity_links l JOIN users u ON u.id = l.user_id WHERE u.email = 'admin@steward.demo' AND l.subject = 'ada' AND l.issuer = ?", s.issuer); n != 1 {
			t.Fatalf("%d links for the admin", n)
		}
		if n := s.count("SELECT COUNT(*) FROM audit_log WHERE action = 'sso_linked'"); n != 1 {
			t.Fatalf("%d link records in the audit trail", n)
		}
		// The second time the subject finds the account, whatever the address.
		b2 := s.browser()
		if end := b2.atProvider("ada"); end.url.String() != s.url+"/" {
			t.Fatalf("second sign-in ended at %s", end.url)
		}
		if n := s.count("SELECT COUNT(*) FROM audit_log WHERE action = 'login' AND data LIKE '%single sign-on%'"); n != 2 {
			t.Fatalf("%d single sign-on sign-ins in the audit trail, want 2", n)
		}
		if n := s.count("SELECT COUNT(*) FROM identity_used_states"); n != 3 {
			t.Fatalf("%d answers kept as used, want the three sign-ins' (one refused)", n)
		}
	})
}

// With creation off a person without an account is refused and gets no
// session; once the administrator turns creation on, the rules give the
// new account its role, customer and group.
func TestClaimRulesMakeANewUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newSite(t, e, defaultPeople())
		b := s.browser()
		end := b.atProvider("newbie")
		if end.status != http.StatusForbidden || !strings.Contains(end.body, "There is no account here for newbie@example.test") {
			t.Fatalf("creation off: %d %s: %.3000s", end.status, end.url, end.body)
		}
		if who := b.signedInAs(); who != "" {
			t.Fatalf("a refused person holds a session as %s", who)
		}
		if n := s.count("SELECT COUNT(*) FROM audit_log WHERE action = 'sso_refused' AND data LIKE '%creation is off%'"); n != 1 {
			t.Fatalf("%d refusals recorded", n)
		}

		var group, customer int64
		ctx := context.Background()
		s.app.DB.QueryRow(ctx, "SELECT id FROM support_groups WHERE name = 'Service Desk'").Scan(&group)
		s.app.DB.QueryRow(ctx, "SELECT id FROM customers ORDER BY id LIMIT 1").Scan(&customer)
		admin := s.browser()
		admin.login("admin@steward.demo", demo.Password)
		form := url.Values{"csrf_token": {admin.csrf()}, "groups_claim": {"groups"}, "default_role": {"requester"}, "create_users": {"1"},
			"rule_rows": {"2"}, "rule_claim_0": {""}, "rule_value_0": {"steward-agents"}, "rule_role_0": {"agent"},
			"rule_group_0": {strconv.FormatInt(group, 10)}, "rule_claim_1": {"email"}, "rule_value_1": {"newbie@example.test"},
			"rule_customer_1": {strconv.FormatInt(customer, 10)}}
		if p := admin.post(s.url+"/admin/single-sign-on", form); p.status != http.StatusOK || !strings.Contains(p.body, "settings saved") {
			t.Fatalf("saving the rules: %d %.500s", p.status, p.body)
		}

		b = s.browser()
		if end := b.atProvider("newbie"); end.url.String() != s.url+"/" || end.status != http.StatusOK {
			t.Fatalf("creation on: %d at %s: %.500s", end.status, end.url, end.body)
		}
		var role, hash string
		var cust *int64
		err := s.app.DB.QueryRow(ctx, "SELECT role, customer_id, password_hash FROM users WHERE email = 'newbie@example.test'").Scan(&role, &cust, &hash)
		if err != nil || role != "agent" || cust == nil || *cust != customer || hash != "" {
			t.Fatalf("the new account: role %q customer %v password %q err %v", role, cust, hash, err)
		}
		if n := s.count("SELECT COUNT(*) FROM group_members m JOIN users u ON u.id = m.user_id WHERE u.email = 'newbie@example.test' AND m.group_id = ?", group); n != 1 {
			t.Fatalf("the new agent is in %d of the mapped group", n)
		}
		if n := s.count("SELECT COUNT(*) FROM audit_log WHERE action = 'create' AND entity = 'user' AND data LIKE '%single sign-on%'"); n != 1 {
			t.Fatalf("%d creations recorded", n)
		}
	})
}

// A provider account whose e-mail is not verified is never linked to the
// account with that address; a disabled account is refused.
func TestUnverifiedAndDisabledAreRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newSite(t, e, defaultPeople())
		b := s.browser()
		end := b.atProvider("unver")
		if end.status != http.StatusForbidden || !strings.Contains(end.body, "has not verified your e-mail address agent@steward.demo") {
			t.Fatalf("unverified: %d %.2000s", end.status, end.body)
		}
		if n := s.count("SELECT COUNT(*) FROM identity_links"); n != 0 || b.signedInAs() != "" {
			t.Fatalf("an unverified address was linked (%d links)", n)
		}
		if end := s.browser().atProvider("reqr"); end.url.String() != s.url+"/" {
			t.Fatalf("the requester's first sign-in ended at %s", end.url)
		}
		if _, err := s.app.DB.Exec(context.Background(), "UPDATE users SET active = FALSE WHERE email = 'requester@steward.demo'"); err != nil {
			t.Fatal(err)
		}
		b = s.browser()
		end = b.atProvider("reqr")
		if end.status != http.StatusForbidden || !strings.Contains(end.body, "Your account here is disabled") || b.signedInAs() != "" {
			t.Fatalf("disabled: %d %.300s", end.status, end.body)
		}
		for _, reason := range []string{"e-mail not verified", "account disabled"} {
			if n := s.count("SELECT COUNT(*) FROM audit_log WHERE action = 'sso_refused' AND data LIKE ?", "%"+reason+"%"); n != 1 {
				t.Errorf("%q recorded %d times", reason, n)
			}
		}
	})
}

// The provider's answer is refused when its state is not this browser's
// or its ID token carries another nonce than the one this sign-in sent.
func TestForgedCallbacksAreRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newSite(t, e, defaultPeople())
		s.linkPrivileged()
		// Stop where the provider sends the browser back.
		callback := func(b *browser) *url.URL {
			b.stopAt = "/login/oidc/callback"
			stop := b.atProvider("ada")
			b.stopAt = ""
			u, err := url.Parse(stop.location)
			if err != nil || u.Path != "/login/oidc/callback" || u.Query().Get("code") == "" {
				t.Fatalf("the provider sent the browser to %q (%d)", stop.location, stop.status)
			}
			return u
		}
		refused := func(name string, b *browser, u string, want string) {
			t.Helper()
			end := b.get(u)
			if end.status != http.StatusForbidden || !strings.Contains(end.body, want) || b.signedInAs() != "" {
				t.Errorf("%s: %d %.3000s", name, end.status, end.body)
			}
		}

		b := s.browser()
		u := callback(b)
		q := u.Query()
		q.Set("state", "forged-"+q.Get("state"))
		u.RawQuery = q.Encode()
		refused("another state", b, u.String(), "could not be matched to one started in this browser")

		// The same answer in another browser, which has no state cookie.
		u = callback(s.browser())
		refused("another browser", s.browser(), u.String(), "could not be matched to one started in this browser")

		// flowCookie is the sealed sign-in a browser holds; setFlowCookie
		// gives a browser one.
		flowCookie := func(b *browser) string {
			u, _ := url.Parse(s.url + "/login/oidc/callback")
			for _, c := range b.c.Jar.Cookies(u) {
				if c.Name == "steward_sso_state" {
					return c.Value
				}
			}
			t.Fatal("the browser holds no sign-in cookie")
			return ""
		}
		setFlowCookie := func(b *browser, v string) {
			u, _ := url.Parse(s.url + "/login/oidc")
			b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "steward_sso_state", Value: v, Path: "/login/oidc"}})
		}
		ctx := context.Background()
		reseal := func(b *browser, change func(f *identity.Flow)) {
			f, err := s.app.Identity.OpenFlow(ctx, flowCookie(b))
			if err != nil {
				t.Fatal(err)
			}
			change(&f)
			sealed, err := s.app.Identity.SealFlow(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			setFlowCookie(b, sealed)
		}

		// The ID token's nonce is the one sent; change what this sign-in
		// expects, as if the token had been made for another.
		b = s.browser()
		u = callback(b)
		reseal(b, func(f *identity.Flow) { f.Nonce = "another-nonce" })
		refused("another nonce", b, u.String(), "does not belong to this sign-in")

		// A sign-in cookie altered in the browser does not open.
		b = s.browser()
		u = callback(b)
		c := []byte(flowCookie(b))
		c[len(c)/2] ^= 1
		setFlowCookie(b, string(c))
		refused("altered cookie", b, u.String(), "could not be matched to one started in this browser")

		// A sign-in older than ten minutes is over.
		b = s.browser()
		u = callback(b)
		reseal(b, func(f *identity.Flow) { f.Expires = time.Now().Add(-time.Second) })
		refused("expired sign-in", b, u.String(), "or it took too long")

		// An answer used once cannot be used again, not even from a
		// browser holding its sign-in cookie.
		b = s.browser()
		u = callback(b)
		used := flowCookie(b)
		if end := b.get(u.String()); end.url.Path != "/" {
			t.Fatalf("the real answer ended at %s", end.url)
		}
		b = s.browser()
		setFlowCookie(b, used)
		refused("replayed answer", b, u.String(), "could not be matched")
		// Nor from one holding the bare state.
		b = s.browser()
		setFlowCookie(b, u.Query().Get("state"))
		refused("bare state", b, u.String(), "could not be matched")

		for _, reason := range []string{"state does not match", "ID token nonce does not match", "state used already", "took too long"} {
			if n := s.count("SELECT COUNT(*) FROM audit_log WHERE action = 'sso_refused' AND data LIKE ?", "%"+reason+"%"); n < 1 {
				t.Errorf("%q was not recorded", reason)
			}
		}
	})
}

// A provider that is down when the node starts does not stop it: the
// sign-in page still works, the button says the provider cannot be
// reached, and once the provider is up the button works without a restart.
func TestProviderDownAtStart(t *testing.T) {
	e := storetest.SQLite(t)
	idpLn, issuer := listen(t)
	addr := idpLn.Addr().String()
	idpLn.Close() // nothing answers there yet
	appLn, base := listen(t)
	s := newSiteAt(t, e, appLn, base, issuer)
	s.linkPrivileged()
	s.app.Identity.DiscoveryPause = time.Millisecond
	s.app.Identity.Warm(context.Background())

	b := s.browser()
	if p := b.get(s.url + "/login"); p.status != http.StatusOK || !strings.Contains(p.body, "Sign in with Example ID") {
		t.Fatalf("the sign-in page: %d", p.status)
	}
	p := b.get(s.url + "/login/oidc")
	if p.status != http.StatusServiceUnavailable || !strings.Contains(p.body, "Example ID cannot be reached just now") {
		t.Fatalf("the button with the provider down: %d %.300s", p.status, p.body)
	}
	if who := b.login("admin@steward.demo", demo.Password); who.url.Path != "/" {
		t.Fatalf("a password sign-in with the provider down ended at %s", who.url)
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("the provider's port was taken meanwhile: %v", err)
	}
	startProvider(t, ln, issuer, base+"/login/oidc/callback", defaultPeople())
	if end := s.browser().atProvider("ada"); end.url.String() != s.url+"/" {
		t.Fatalf("after the provider came up: %d at %s", end.status, end.url)
	}
}
