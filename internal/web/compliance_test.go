package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
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

var tags = regexp.MustCompile(`(?s)<[^>]*>`)

// visibleText is a page's text without its tags, styles and scripts.
func visibleText(body string) string {
	body = regexp.MustCompile(`(?s)<(style|script|svg)[^>]*>.*?</(style|script|svg)>`).ReplaceAllString(body, "")
	return tags.ReplaceAllString(body, " ")
}

// Before any evidence, nothing is green and every clause says so in words.
func TestReadinessEmpty(t *testing.T) {
	s := newSite(t)
	b := s.signedIn("admin")
	p := b.get("/compliance")
	if p.status != http.StatusOK {
		t.Fatalf("readiness: %d", p.status)
	}
	if strings.Contains(p.body, "cmp-st-met") || strings.Contains(p.body, "cmp-seg cmp-bg-met") {
		t.Errorf("the readiness page shows something met without evidence")
	}
	text := visibleText(p.body)
	if !strings.Contains(text, "No data") || strings.Contains(text, "no_data") || strings.Contains(text, "partly_met") {
		t.Errorf("statuses are not shown as words")
	}
	if !strings.Contains(text, "not kept") || !strings.Contains(p.body, `id="evaluate-now"`) || !strings.Contains(p.body, `href="/compliance/audit-pack?standard=iso20000-1"`) {
		t.Errorf("the page does not say the evaluation is not kept, or lacks its buttons")
	}
	if n := strings.Count(p.body, `href="/compliance/clauses/`); n < 40 {
		t.Errorf("only %d links to clauses", n)
	}
	if a := s.signedIn("auditor").get("/compliance"); strings.Contains(a.body, `id="evaluate-now"`) || !strings.Contains(a.body, `id="audit-pack"`) {
		t.Errorf("the auditor's page offers evaluation or lacks the audit pack")
	}
}

// A rating that disagrees with the evidence is kept beside it and
// highlighted; a wrong one comes back with the message and the input kept.
func TestClauseSelfAssessment(t *testing.T) {
	s := newSite(t)
	b := s.signedIn("admin")
	b.get("/compliance/clauses/8.6.1")
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
	// Without evidence rules the clause has no data: no disagreement yet.
	if strings.Contains(p.body, "differs from the evidence") {
		t.Errorf("a rating disagrees with no data")
	}
	if p := b.post("/compliance/clauses/9.99/assessment", url.Values{"rating": {"met"}}); p.status != http.StatusNotFound {
		t.Errorf("an unknown clause: %d", p.status)
	}
}
