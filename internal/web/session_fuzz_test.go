package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzLoginForm feeds the sign-in form's body through the parsing the
// sign-in handler does. Whatever the body, the page a successful sign-in
// redirects to must stay on this site: a path of ours, never another host
// (//evil.example, /\evil.example) or scheme.
func FuzzLoginForm(f *testing.F) {
	for _, s := range []string{
		"email=you%40example.com&password=secret&next=%2Fincidents%3Fstate%3Dopen&csrf_token=abc",
		"next=%2F%2Fevil.example%2F", "next=%2F%5Cevil.example", "next=https%3A%2F%2Fevil.example",
		"next=%2F%09%2Fevil.example", "next=/%2e%2e/x", "next=javascript:alert(1)", "next=%2F%40evil.example",
		"email=%ff&next=%zz", "", "next=" + strings.Repeat("%2Fa", 700),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if err := r.ParseForm(); err != nil {
			return // the handler answers 400
		}
		_ = strings.TrimSpace(r.PostFormValue("email"))
		next := safeNext(r.PostFormValue("next"))
		if next == "/" {
			return
		}
		if next != r.PostFormValue("next") {
			t.Fatalf("next %q became %q", r.PostFormValue("next"), next)
		}
		u, err := url.Parse(next)
		if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(next, "/") ||
			strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
			t.Fatalf("next %q leaves the site (%+v, %v)", next, u, err)
		}
		// A browser resolves the redirect against our own origin.
		base, _ := url.Parse("https://steward.example/login")
		if got := base.ResolveReference(u); got.Host != "steward.example" {
			t.Fatalf("next %q resolves to %s", next, got)
		}
	})
}
