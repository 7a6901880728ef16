package identity_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"steward/internal/app"
	"steward/internal/audit"
	"steward/internal/config"
	"steward/internal/store/storetest"
)

// A real OpenID provider (zitadel's op package with its example storage
// and login form) and the whole of Steward, each on its own loopback port.

const (
	clientID     = "steward"
	clientSecret = "provider-client-secret"
	idpPassword  = "provider-password"
)

// person is an account at the provider.
type person struct {
	id, username, email string
	verified            bool
	groups              []string
}

// directory is the provider's people.
type directory map[string]*person

func (d directory) user(p *person) *storage.User {
	if p == nil {
		return nil
	}
	return &storage.User{ID: p.id, Username: p.username, Password: idpPassword, FirstName: "Pat", LastName: strings.ToUpper(p.id[:1]) + p.id[1:],
		Email: p.email, EmailVerified: p.verified, PreferredLanguage: language.English}
}

func (d directory) GetUserByID(id string) *storage.User { return d.user(d[id]) }
func (d directory) GetUserByUsername(name string) *storage.User {
	for _, p := range d {
		if p.username == name {
			return d.user(p)
		}
	}
	return nil
}
func (d directory) ExampleClientID() string { return "service" }

// groupStorage is the example storage with a groups claim in the user
// info, as directory-backed providers send one.
type groupStorage struct {
	*storage.Storage
	people directory
}

func (s groupStorage) addGroups(info *oidc.UserInfo, subject string) {
	if p := s.people[subject]; p != nil && len(p.groups) > 0 {
		info.AppendClaims("groups", p.groups)
	}
}

func (s groupStorage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, origin string) error {
	if err := s.Storage.SetUserinfoFromToken(ctx, info, tokenID, subject, origin); err != nil {
		return err
	}
	s.addGroups(info, subject)
	return nil
}

func (s groupStorage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, token op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, info, token, scopes); err != nil {
		return err
	}
	s.addGroups(info, token.GetSubject())
	return nil
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// listen takes a free loopback port.
func listen(t testing.TB) (net.Listener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln, "http://" + ln.Addr().String()
}

// serve answers on ln until the test ends.
func serve(t testing.TB, ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

// startProvider runs the provider on ln for a client whose redirect URL
// is redirect.
func startProvider(t testing.TB, ln net.Listener, issuer, redirect string, people directory) {
	t.Helper()
	client := storage.WebClient(clientID, clientSecret, redirect)
	st := groupStorage{Storage: storage.NewStorageWithClients(people, map[string]*storage.Client{clientID: client}), people: people}
	serve(t, ln, exampleop.SetupServer(issuer, st, quiet, false))
}

// site is Steward on one engine with the provider beside it.
type site struct {
	t      testing.TB
	app    *app.App
	url    string
	issuer string
}

func defaultPeople() directory {
	return directory{
		"ada":    {id: "ada", username: "ada", email: "admin@steward.demo", verified: true},
		"newbie": {id: "newbie", username: "newbie", email: "newbie@example.test", verified: true, groups: []string{"staff", "steward-agents"}},
		"unver":  {id: "unver", username: "unver", email: "agent@steward.demo", verified: false},
		"reqr":   {id: "reqr", username: "reqr", email: "requester@steward.demo", verified: true},
	}
}

// newSite starts the provider and Steward over a demo database on e.
func newSite(t testing.TB, e storetest.Engine, people directory) *site {
	t.Helper()
	idpLn, issuer := listen(t)
	appLn, base := listen(t)
	startProvider(t, idpLn, issuer, base+"/login/oidc/callback", people)
	return newSiteAt(t, e, appLn, base, issuer)
}

// newSiteAt builds Steward on appLn for the provider at issuer, which
// need not be up.
func newSiteAt(t testing.TB, e storetest.Engine, appLn net.Listener, base, issuer string) *site {
	t.Helper()
	cfg := config.Config{CookieSecure: "auto", LogLevel: "error", LogFormat: "text", BaseURL: base}
	if issuer != "" {
		cfg.OIDCIssuer, cfg.OIDCClientID, cfg.OIDCClientSecret, cfg.OIDCName = issuer, clientID, clientSecret, "Example ID"
	}
	a := app.New(cfg, e.DB, quiet)
	if err := a.LoadDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	serve(t, appLn, a.Handler())
	return &site{t: t, app: a, url: base, issuer: issuer}
}

// browser keeps cookies and follows redirects, across both servers.
type browser struct {
	s *site
	c *http.Client
	// stopAt, when set, stops following redirects at a URL whose path it
	// is.
	stopAt string
}

func (s *site) browser() *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{s: s}
	b.c = &http.Client{Jar: jar, Timeout: 20 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if b.stopAt != "" && req.URL.Path == b.stopAt {
			return http.ErrUseLastResponse
		}
		if len(via) > 15 {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return b
}

// answer is one response after redirects: where it ended, status, body.
type answer struct {
	status   int
	url      *url.URL
	location string
	body     string
}

func (b *browser) do(req *http.Request) answer {
	b.s.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.s.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return answer{status: res.StatusCode, url: res.Request.URL, location: res.Header.Get("Location"), body: string(body)}
}

func (b *browser) get(u string) answer {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return b.do(req)
}

func (b *browser) post(u string, form url.Values) answer {
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var authRequestID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// atProvider clicks the sign-in button and signs in at the provider's
// form as username; it returns the answer where the redirects end (or
// stop, with stopAt).
func (b *browser) atProvider(username string) answer {
	b.s.t.Helper()
	form := b.get(b.s.url + "/login/oidc")
	if form.status != http.StatusOK || !strings.HasPrefix(form.url.String(), b.s.issuer) {
		b.s.t.Fatalf("the button led to %d %s, want the provider's form: %.300s", form.status, form.url, form.body)
	}
	m := authRequestID.FindStringSubmatch(form.body)
	if m == nil {
		b.s.t.Fatalf("the provider's form has no request id: %.500s", form.body)
	}
	return b.post(b.s.issuer+"/login/username", url.Values{"username": {username}, "password": {idpPassword}, "id": {m[1]}})
}

var hiddenCSRF = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
var metaCSRF = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

// login signs in with e-mail and password through the form; it returns
// the answer after redirects.
func (b *browser) login(email, password string) answer {
	b.s.t.Helper()
	form := b.get(b.s.url + "/login")
	m := hiddenCSRF.FindStringSubmatch(form.body)
	if m == nil {
		b.s.t.Fatalf("the sign-in page has no token: %.300s", form.body)
	}
	return b.post(b.s.url+"/login", url.Values{"csrf_token": {m[1]}, "email": {email}, "password": {password}})
}

// csrf is the session's token, read from a signed-in page.
func (b *browser) csrf() string {
	b.s.t.Helper()
	p := b.get(b.s.url + "/profile")
	m := metaCSRF.FindStringSubmatch(p.body)
	if m == nil {
		b.s.t.Fatalf("no session: /profile answered %d at %s", p.status, p.url)
	}
	return m[1]
}

// signedInAs says whose session the browser holds, or "".
func (b *browser) signedInAs() string {
	b.s.t.Helper()
	p := b.get(b.s.url + "/profile")
	if p.url.Path != "/profile" || p.status != http.StatusOK {
		return ""
	}
	m := regexp.MustCompile(`· ([^ <]+@[^ <]+) ·`).FindStringSubmatch(p.body)
	if m == nil {
		b.s.t.Fatalf("the profile page names nobody: %.300s", p.body)
	}
	return m[1]
}

// count runs a counting query.
func (s *site) count(q string, args ...any) int {
	s.t.Helper()
	return storetest.Count(s.t, s.app.DB, q, args...)
}

// newPasswordSite is Steward without a provider.
func newPasswordSite(t testing.TB, e storetest.Engine) *site {
	t.Helper()
	ln, base := listen(t)
	return newSiteAt(t, e, ln, base, "")
}

// linkPrivileged turns on linking administrators' accounts (and accounts
// with a second factor) by their verified e-mail, as an administrator
// does while the administrators link theirs.
func (s *site) linkPrivileged() {
	s.t.Helper()
	ctx := context.Background()
	st, err := s.app.Identity.Settings(ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	st.LinkPrivileged = true
	if err := s.app.Identity.SaveSettings(ctx, audit.System, st); err != nil {
		s.t.Fatal(err)
	}
}
