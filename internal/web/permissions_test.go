package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/org"
)

// TestPagePermissions walks every route the web UI registers, as every
// role: lacking the permission gives 403 (or the sign-in page when
// anonymous), holding it never does.
func TestPagePermissions(t *testing.T) {
	const loginToken = "0123456789abcdefghijklmnopqrstuvwxyzABCD"
	s := newSite(t)
	ctx := context.Background()
	adminID, _ := s.userID(t, "admin@steward.demo")
	_, cust := s.userID(t, "requester@steward.demo")
	// Throwaway records, so that holders who succeed change nothing that matters.
	spareCust, err := org.Customers.Create(ctx, s.app.DB, audit.System, "Spare customer")
	if err != nil {
		t.Fatal(err)
	}
	spareGroup, err := org.Groups.Create(ctx, s.app.DB, audit.System, "Spare group")
	if err != nil {
		t.Fatal(err)
	}
	spareUser, err := auth.CreateUser(ctx, s.app.DB, audit.System, auth.NewUser{Email: "spare@steward.demo", Name: "Spare", Role: auth.Agent, Password: "a-long-password"})
	if err != nil {
		t.Fatal(err)
	}
	_, token, err := auth.CreateToken(ctx, s.app.DB, audit.System, adminID, "spare")
	if err != nil {
		t.Fatal(err)
	}
	inc := s.incidents(t, cust, true) // visible to the requester too

	var routes []struct {
		method, pattern string
		perm            auth.Permission
	}
	for _, r := range s.app.Routes {
		if strings.HasPrefix(r.Pattern, "/api/") || r.Pattern == "/healthz" || r.Pattern == "/readyz" || r.Pattern == "/metrics" {
			continue
		}
		routes = append(routes, struct {
			method, pattern string
			perm            auth.Permission
		}{r.Method, r.Pattern, r.Permission})
	}
	if len(routes) < 25 {
		t.Fatalf("only %d web routes found", len(routes))
	}
	// Sign-out last, so each role's session lives through the walk.
	for i, r := range routes {
		if r.pattern == "/logout" {
			routes = append(append(routes[:i:i], routes[i+1:]...), r)
			break
		}
	}
	fill := func(pattern string) string {
		id := "0"
		switch {
		case strings.HasPrefix(pattern, "/customers/"):
			id = strconv.FormatInt(spareCust.ID, 10)
		case strings.HasPrefix(pattern, "/groups/"):
			id = strconv.FormatInt(spareGroup.ID, 10)
		case strings.HasPrefix(pattern, "/users/"):
			id = strconv.FormatInt(spareUser.ID, 10)
		case strings.HasPrefix(pattern, "/tokens/"):
			id = strconv.FormatInt(token.ID, 10)
		}
		p := strings.NewReplacer("{ref}", inc.Number, "{clause}", "8.6.1", "{id}", id, "{file}", "app.css", "{$}", "").Replace(pattern)
		return p
	}

	for _, role := range []string{"anonymous", "requester", "agent", "auditor", "admin"} {
		t.Run(role, func(t *testing.T) {
			b := s.browser()
			var principal *auth.Principal
			if role != "anonymous" {
				b = s.signedIn(role)
				principal = &auth.Principal{Role: auth.Role(role)}
			}
			for _, r := range routes {
				path := fill(r.pattern)
				var p page
				if r.method == http.MethodGet {
					p = b.get(path)
				} else if path == "/login" {
					// Signed-in users are sent away from the form, so set the
					// double-submit cookie as the form would have.
					u, _ := url.Parse(s.url + "/login")
					b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "steward_login_csrf", Value: loginToken, Path: "/login"}})
					p = b.post(path, url.Values{"csrf_token": {loginToken}})
				} else {
					p = b.post(path, url.Values{})
				}
				holds := principal.Can(r.perm)
				switch {
				case holds && p.status == http.StatusForbidden:
					t.Errorf("%s %s (%s): 403 for a role holding the permission", r.method, path, r.perm)
				case !holds && principal == nil && !(p.status == http.StatusSeeOther && strings.HasPrefix(p.location, "/login")):
					t.Errorf("%s %s (%s): anonymous got %d %q, want a redirect to sign in", r.method, path, r.perm, p.status, p.location)
				case !holds && principal != nil && p.status != http.StatusForbidden:
					t.Errorf("%s %s (%s): %d for a role without the permission, want 403", r.method, path, r.perm, p.status)
				case p.status >= 500:
					t.Errorf("%s %s: server error %d", r.method, path, p.status)
				}
			}
		})
	}
}

// TestPickerPermissions names who may look people and CIs up from a page:
// those who read users or CIs; requesters may not, and anonymous callers
// are sent to sign in.
func TestPickerPermissions(t *testing.T) {
	s := newSite(t)
	for _, c := range []struct {
		role       string
		users, cis int
	}{
		{"admin", http.StatusOK, http.StatusOK},
		{"agent", http.StatusOK, http.StatusOK},
		{"auditor", http.StatusOK, http.StatusOK},
		{"requester", http.StatusForbidden, http.StatusForbidden},
		{"anonymous", http.StatusSeeOther, http.StatusSeeOther},
	} {
		b := s.browser()
		if c.role != "anonymous" {
			b = s.signedIn(c.role)
		}
		if p := b.get("/pick/users?q=a"); p.status != c.users {
			t.Errorf("%s looking up people: %d, want %d", c.role, p.status, c.users)
		}
		if p := b.get("/pick/cis?q=a"); p.status != c.cis {
			t.Errorf("%s looking up CIs: %d, want %d", c.role, p.status, c.cis)
		}
	}
}
