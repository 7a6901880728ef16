package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"steward/internal/app"
	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/compliance"
	"steward/internal/config"
	"steward/internal/demo"
)

// Who may open the compliance pages and who may act on them: the SMS
// manager (admin) does everything, the auditor reads and exports, agents
// and requesters see none of it.
func TestCompliancePagePermissions(t *testing.T) {
	s := newSite(t)
	reads := []string{"/compliance", "/compliance/roadmap", "/compliance/snapshots", "/compliance/clauses/8.6.1"}
	for _, c := range []struct {
		role                 string
		read, export, assess bool
	}{
		{"admin", true, true, true},
		{"auditor", true, true, false},
		{"agent", false, false, false},
		{"requester", false, false, false},
	} {
		b := s.signedIn(c.role)
		for _, path := range reads {
			p := b.get(path)
			if (p.status == http.StatusOK) != c.read || (!c.read && p.status != http.StatusForbidden) {
				t.Errorf("%s GET %s: %d", c.role, path, p.status)
			}
		}
		if p := b.get("/compliance/readiness.pdf"); (p.status == http.StatusOK) != c.export || (c.export && !strings.HasPrefix(p.body, "%PDF")) {
			t.Errorf("%s readiness PDF: %d", c.role, p.status)
		}
		if c.read {
			b.get("/compliance") // for the CSRF token
		}
		p := b.post("/compliance/clauses/8.6.1/assessment", url.Values{"rating": {"met"}})
		if (p.status == http.StatusSeeOther) != c.assess || (!c.assess && p.status != http.StatusForbidden) {
			t.Errorf("%s assessing: %d", c.role, p.status)
		}
		p = b.post("/compliance/evaluate", url.Values{})
		if (p.status == http.StatusSeeOther) != (c.role == "admin") {
			t.Errorf("%s evaluating: %d", c.role, p.status)
		}
	}
}

// statusOf reads a clause page's computed status.
var statusOf = regexp.MustCompile(`<h1>.*?cmp-st-(\w+)`)

var tags = regexp.MustCompile(`(?s)<[^>]*>`)

// visibleText is a page's text without its tags, styles and scripts.
func visibleText(body string) string {
	body = regexp.MustCompile(`(?s)<(style|script|svg)[^>]*>.*?</(style|script|svg)>`).ReplaceAllString(body, "")
	return tags.ReplaceAllString(body, " ")
}

// emptySite is the application over an empty database with one admin
// and one auditor.
func emptySite(t *testing.T) (base string, admin, auditor *http.Client) {
	t.Helper()
	ctx := context.Background()
	cfg := config.Config{DataDir: t.TempDir(), CookieSecure: "auto", LogLevel: "error", LogFormat: "text"}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := app.OpenStore(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	a := app.New(cfg, db, log)
	for _, u := range []auth.NewUser{{Email: "admin@steward.demo", Name: "Ada Admin", Role: auth.Admin, Password: demo.Password},
		{Email: "auditor@steward.demo", Name: "Otto Auditor", Role: auth.Auditor, Password: demo.Password}} {
		if _, err := auth.CreateUser(ctx, db, audit.System, u); err != nil {
			t.Fatal(err)
		}
	}
	ts := httptest.NewServer(a.Handler())
	t.Cleanup(ts.Close)
	return ts.URL, signIn(t, ts.URL, "admin@steward.demo"), signIn(t, ts.URL, "auditor@steward.demo")
}

func fetch(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", u, res.StatusCode)
	}
	return string(b)
}

// On an empty database nothing is green, and every clause says so in
// words.
func TestReadinessEmpty(t *testing.T) {
	base, admin, auditor := emptySite(t)
	body := fetch(t, admin, base+"/compliance")
	if strings.Contains(body, "cmp-st-met") || strings.Contains(body, "cmp-seg cmp-bg-met") {
		t.Errorf("the readiness page shows something met without evidence")
	}
	text := visibleText(body)
	if !strings.Contains(text, "No data") || strings.Contains(text, "no_data") || strings.Contains(text, "partly_met") {
		t.Errorf("statuses are not shown as words")
	}
	if !strings.Contains(text, "not kept") || !strings.Contains(body, `id="evaluate-now"`) || !strings.Contains(body, `href="/compliance/audit-pack?standard=iso20000-1"`) {
		t.Errorf("the page does not say the evaluation is not kept, or lacks its buttons")
	}
	if n := strings.Count(body, `href="/compliance/clauses/`); n < 40 {
		t.Errorf("only %d links to clauses", n)
	}
	for _, path := range []string{"/compliance/roadmap", "/compliance/clauses/8.6.1", "/compliance/snapshots"} {
		if b := fetch(t, admin, base+path); strings.Contains(b, "cmp-st-met") {
			t.Errorf("%s shows something met without evidence", path)
		}
	}
	if a := fetch(t, auditor, base+"/compliance"); strings.Contains(a, `id="evaluate-now"`) || !strings.Contains(a, `id="audit-pack"`) {
		t.Errorf("the auditor's page offers evaluation or lacks the audit pack")
	}
}

// A rating that disagrees with the evidence is kept beside it and
// highlighted; a wrong one comes back with the message and the input kept.
func TestClauseSelfAssessment(t *testing.T) {
	s := newSite(t)
	b := s.signedIn("admin")
	before := statusOf.FindStringSubmatch(b.get("/compliance/clauses/8.6.1").body)
	p := b.post("/compliance/clauses/8.6.1/assessment", url.Values{"rating": {"partly_met"}, "comment": {"Reviews of major incidents lag."}, "evidence": {"INC-000001\nhttps://evil.example/x"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "https://evil.example/x") || !strings.Contains(p.body, "Reviews of major incidents lag.") || !strings.Contains(p.body, "neither a record number") {
		t.Fatalf("bad evidence: %d", p.status)
	}
	p = b.post("/compliance/clauses/8.6.1/assessment", url.Values{"rating": {"partly_met"}, "comment": {"Reviews of major incidents lag."}, "evidence": {"INC-000001"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("assessing: %d %s", p.status, p.body)
	}
	p = b.get("/compliance/clauses/8.6.1")
	if !strings.Contains(p.body, "Reviews of major incidents lag.") || !strings.Contains(p.body, `href="/incidents/INC-000001"`) {
		t.Errorf("the clause page does not show the assessment")
	}
	// The rating leaves the computed status as it was; it is called a
	// disagreement only where the evidence has data and says otherwise.
	after := statusOf.FindStringSubmatch(p.body)
	if after == nil || after[1] != before[1] {
		t.Errorf("the clause's status was %v, after the rating %v", before, after)
	}
	if disagrees := before[1] != "no_data" && before[1] != "partly_met"; disagrees != strings.Contains(p.body, "differs from the evidence") {
		t.Errorf("status %s rated partly met: disagreement shown %v", before[1], !disagrees)
	}
	if p := b.post("/compliance/clauses/9.99/assessment", url.Values{"rating": {"met"}}); p.status != http.StatusNotFound {
		t.Errorf("an unknown clause: %d", p.status)
	}
}

// Each evaluation is listed with its hash and chain head and opens as it
// was kept.
func TestComplianceSnapshots(t *testing.T) {
	s := newSite(t)
	b := s.signedIn("admin")
	b.get("/compliance")
	for i := 0; i < 2; i++ {
		if p := b.post("/compliance/evaluate", url.Values{}); p.status != http.StatusSeeOther {
			t.Fatalf("evaluate: %d", p.status)
		}
	}
	snaps, err := compliance.Snapshots(context.Background(), s.app.DB, "iso20000-1", time.Time{}, 10)
	if err != nil || len(snaps) != 2 {
		t.Fatalf("%d snapshots, %v", len(snaps), err)
	}
	list := s.signedIn("auditor").get("/compliance/snapshots")
	for _, sn := range snaps {
		if !strings.Contains(list.body, sn.SHA256) || !strings.Contains(list.body, fmt.Sprintf(`href="/compliance/snapshots/%d"`, sn.ID)) {
			t.Errorf("snapshot %d is not listed with its hash", sn.ID)
		}
	}
	if !strings.Contains(visibleText(list.body), "Ada Admin") {
		t.Errorf("the list does not say who took the snapshots")
	}
	old := b.get(fmt.Sprintf("/compliance/snapshots/%d", snaps[1].ID))
	if old.status != http.StatusOK || !strings.Contains(old.body, "earlier snapshot") || !strings.Contains(old.body, fmt.Sprintf("snapshot %d", snaps[1].ID)) {
		t.Errorf("the older snapshot: %d", old.status)
	}
	if newest := b.get(fmt.Sprintf("/compliance/snapshots/%d", snaps[0].ID)); strings.Contains(newest.body, "earlier snapshot") {
		t.Errorf("the newest snapshot is called earlier")
	}
	if p := b.get("/compliance/snapshots/999999"); p.status != http.StatusNotFound {
		t.Errorf("a snapshot that does not exist: %d", p.status)
	}
}
