package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"steward/internal/app"
	"steward/internal/config"
	"steward/internal/demo"
	"steward/internal/incident"
)

// site is the whole application over a fresh demo database.
type site struct {
	t   *testing.T
	app *app.App
	url string
}

func newSite(t *testing.T) *site {
	t.Helper()
	return newSiteWith(t, nil)
}

// newSiteWith lets a test change the configuration first.
func newSiteWith(t *testing.T, configure func(*config.Config)) *site {
	t.Helper()
	ctx := context.Background()
	cfg := config.Config{DataDir: t.TempDir(), CookieSecure: "auto", LogLevel: "error", LogFormat: "text", AutoCloseAfter: 0}
	if configure != nil {
		configure(&cfg)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := app.OpenStore(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	a := app.New(cfg, db, log)
	if err := a.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(a.Handler())
	t.Cleanup(ts.Close)
	return &site{t: t, app: a, url: ts.URL}
}

// browser is a cookie-keeping client that does not follow redirects, so
// tests see each answer as it is.
type browser struct {
	s    *site
	c    *http.Client
	csrf string // the session's token, read from the last page
}

func (s *site) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{s: s, c: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is one answer: status, Location for redirects, and the body.
type page struct {
	status   int
	location string
	body     string
}

var metaCSRF = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)
var hiddenCSRF = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func (b *browser) do(req *http.Request) page {
	b.s.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.s.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	p := page{status: res.StatusCode, location: res.Header.Get("Location"), body: string(body)}
	if m := metaCSRF.FindStringSubmatch(p.body); m != nil {
		b.csrf = m[1]
	}
	return p
}

func (b *browser) get(path string) page {
	req, _ := http.NewRequest(http.MethodGet, b.s.url+path, nil)
	return b.do(req)
}

// post sends a form with the session's CSRF token unless form sets its own.
func (b *browser) post(path string, form url.Values) page {
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf_token"]; !ok && b.csrf != "" {
		form.Set("csrf_token", b.csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, b.s.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// login signs in through the form and lands on the home page.
func (b *browser) login(email, password string) page {
	b.s.t.Helper()
	form := b.get("/login")
	m := hiddenCSRF.FindStringSubmatch(form.body)
	if m == nil {
		b.s.t.Fatalf("login page has no token: %s", form.body)
	}
	return b.post("/login", url.Values{"csrf_token": {m[1]}, "email": {email}, "password": {password}})
}

func (s *site) signedIn(role string) *browser {
	s.t.Helper()
	b := s.browser()
	if p := b.login(role+"@steward.demo", demo.Password); p.status != http.StatusSeeOther {
		s.t.Fatalf("login as %s: status %d", role, p.status)
	}
	b.get("/")
	return b
}

// incidentFor finds an incident of another organisation than the
// requester's, and one of theirs.
func (s *site) incidents(t *testing.T, cust int64, same bool) incident.Incident {
	t.Helper()
	var id int64
	op := "<>"
	if same {
		op = "="
	}
	err := s.app.DB.QueryRow(context.Background(), "SELECT id FROM incidents WHERE state <> 'closed' AND customer_id "+op+" ? ORDER BY id LIMIT 1", cust).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return incident.Incident{ID: id, Number: incident.FormatNumber(id)}
}

func (s *site) userID(t *testing.T, email string) (id, customer int64) {
	t.Helper()
	var cust *int64
	err := s.app.DB.QueryRow(context.Background(), "SELECT id, customer_id FROM users WHERE email = ?", email).Scan(&id, &cust)
	if err != nil {
		t.Fatal(err)
	}
	if cust != nil {
		customer = *cust
	}
	return id, customer
}

func (s *site) incident(t *testing.T, number string) incident.Incident {
	t.Helper()
	id, _ := incident.ParseRef(number)
	var inc incident.Incident
	var assignee *int64
	err := s.app.DB.QueryRow(context.Background(), "SELECT title, state, assignee_id, version FROM incidents WHERE id = ?", id).
		Scan(&inc.Title, &inc.State, &assignee, &inc.Version)
	if err != nil {
		t.Fatal(err)
	}
	inc.ID, inc.Number, inc.AssigneeID = id, number, assignee
	return inc
}

var versionField = regexp.MustCompile(`name="version" value="(\d+)"`)

func versionOf(t *testing.T, p page) string {
	t.Helper()
	m := versionField.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("page has no version field")
	}
	return m[1]
}
