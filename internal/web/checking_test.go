package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func (s *site) scalar(t *testing.T, q string, args ...any) int64 {
	t.Helper()
	var id int64
	if err := s.app.DB.QueryRow(context.Background(), q, args...).Scan(&id); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return id
}

func contains(t *testing.T, p page, what string, wants ...string) {
	t.Helper()
	if p.status != http.StatusOK {
		t.Fatalf("%s: status %d", what, p.status)
	}
	for _, w := range wants {
		if !strings.Contains(p.body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

// The demo's audits, nonconformities, actions and reviews read as a
// person would look for them.
func TestCheckingPagesShowTheRecords(t *testing.T) {
	s := newSite(t)
	auditor := s.signedIn("auditor")
	reported := s.scalar(t, "SELECT id FROM internal_audits WHERE state = 'reported'")
	held := s.scalar(t, "SELECT id FROM management_reviews WHERE state = 'held'")
	contains(t, auditor.get("/internal-audits"), "audits page", "Incident and change management", "Service level and supplier management",
		"Not audited", "4 of 26 processes audited")
	contains(t, auditor.get(fmt.Sprintf("/internal-audits/%d/report", reported)), "report", "Otto Auditor", "Minor nonconformity",
		"Observation", "Opportunity for improvement", "NC-000001", `href="/incidents/INC-`)
	contains(t, auditor.get("/nonconformities"), "register", "Overdue", "mean days to close", "NC-000003")
	contains(t, auditor.get("/nonconformities?state=all"), "whole register", "Backup restores were never tested", "to close")
	contains(t, auditor.get(fmt.Sprintf("/management-reviews/%d", held)), "held review", "Managing director (top management)",
		"Customer satisfaction and complaints", "No data: satisfaction surveys and complaints are not recorded yet",
		"Plan the internal audit of incident and change management", "Recruit a second on-call engineer")
	// Auditors read and conduct audits; they plan nothing and raise no NC by hand.
	if p := auditor.get("/nonconformities/new"); p.status != http.StatusForbidden {
		t.Errorf("auditor opens the NC form: %d", p.status)
	}
	if p := auditor.get("/internal-audits/new"); p.status != http.StatusForbidden {
		t.Errorf("auditor opens the audit plan form: %d", p.status)
	}
	admin := s.signedIn("admin")
	contains(t, admin.get("/actions"), "actions page", "My actions", "Recruit a second on-call engineer", "Add a review due date to emergency changes")
	if p := s.signedIn("requester").get("/internal-audits"); p.status != http.StatusForbidden {
		t.Errorf("requester reads audits: %d", p.status)
	}
}

// A form that fails comes back with the message beside the field and
// what was typed.
func TestCheckingFormsKeepWhatWasTyped(t *testing.T) {
	s := newSite(t)
	admin := s.signedIn("admin")
	p := admin.post("/management-reviews", url.Values{"title": {"Budget review"}, "planned_on": {"2026-12-20"},
		"period_from": {"2026-12-01"}, "period_to": {"2026-06-01"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "must be after the start of the period") ||
		!strings.Contains(p.body, `value="Budget review"`) || !strings.Contains(p.body, `value="2026-06-01"`) {
		t.Fatalf("backwards period: %d", p.status)
	}
	nc := "NC-000003"
	p = admin.post("/nonconformities/"+nc+"/actions", url.Values{"title": {"Name a major-incident manager"}, "due_on": {"2026-12-24"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "choose who owns it") || !strings.Contains(p.body, `value="Name a major-incident manager"`) {
		t.Fatalf("action without owner: %d", p.status)
	}
	// Closing with an open action names it.
	withAction := s.scalar(t, `SELECT n.id FROM nonconformities n WHERE EXISTS (SELECT 1 FROM sms_actions a WHERE a.source_kind = 'nonconformity'
		AND a.source_id = n.id AND a.status = 'open')`)
	p = admin.post(fmt.Sprintf("/nonconformities/NC-%06d", withAction), url.Values{"op": {"move"}, "state": {"verifying"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "Add a review due date to emergency changes") {
		t.Fatalf("verifying with open actions: %d", p.status)
	}
	// An auditor who owns a process in scope is refused, naming it.
	agent := s.scalar(t, "SELECT id FROM users WHERE email = 'agent@steward.demo'")
	proc := s.scalar(t, "SELECT id FROM processes WHERE key = 'incident'")
	if _, err := s.app.DB.Exec(context.Background(), "UPDATE processes SET owner_id = ? WHERE id = ?", agent, proc); err != nil {
		t.Fatal(err)
	}
	p = admin.post("/internal-audits", url.Values{"title": {"Incident desk"}, "planned_on": {"2026-12-20"}, "lead_id": {fmt.Sprint(agent)},
		"process_ids": {fmt.Sprint(proc)}, "clause_scope": {"some"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "Alex Agent owns the process Incident management and may not audit it") ||
		!strings.Contains(p.body, `value="Incident desk"`) {
		t.Fatalf("independence: %d", p.status)
	}
	// Marking an action done goes back to its record, never elsewhere;
	// someone who neither owns it nor keeps the SMS may not.
	act := s.scalar(t, "SELECT id FROM sms_actions WHERE status = 'open' AND source_kind = 'nonconformity' ORDER BY id LIMIT 1")
	if p := s.signedIn("agent").post(fmt.Sprintf("/actions/%d/done", act), url.Values{}); p.status != http.StatusForbidden {
		t.Errorf("agent marks another's action done: %d", p.status)
	}
	p = admin.post(fmt.Sprintf("/actions/%d/done", act), url.Values{"back": {`/\evil.example/`}})
	if p.status != http.StatusSeeOther || p.location != "/actions" {
		t.Errorf("done with a foreign back: %d %q", p.status, p.location)
	}
	act2 := s.scalar(t, "SELECT id FROM sms_actions WHERE status = 'open' AND source_kind = 'nonconformity' ORDER BY id LIMIT 1")
	p = admin.post(fmt.Sprintf("/actions/%d/done", act2), url.Values{"back": {"/nonconformities/NC-000001"}})
	if p.status != http.StatusSeeOther || p.location != "/nonconformities/NC-000001" {
		t.Errorf("done from the NC page: %d %q", p.status, p.location)
	}
	if n := s.scalar(t, "SELECT COUNT(*) FROM nonconformities WHERE id = 1 AND state = 'verifying' AND effectiveness_due IS NOT NULL"); n != 1 {
		t.Errorf("the NC with its last action done is not verifying")
	}
	// An admin cancels the planned audit; it then no longer changes.
	plannedAudit := s.scalar(t, "SELECT id FROM internal_audits WHERE state = 'planned'")
	p = admin.post(fmt.Sprintf("/internal-audits/%d/cancel", plannedAudit), url.Values{"version": {"1"}})
	if p.status != http.StatusSeeOther || s.scalar(t, "SELECT COUNT(*) FROM internal_audits WHERE id = ? AND state = 'cancelled'", plannedAudit) != 1 {
		t.Errorf("cancel: %d", p.status)
	}
	if p := s.signedIn("auditor").post(fmt.Sprintf("/internal-audits/%d/cancel", plannedAudit), url.Values{}); p.status != http.StatusForbidden {
		t.Errorf("auditor cancels: %d", p.status)
	}
	// A review is not held without its inputs.
	planned := s.scalar(t, "SELECT id FROM management_reviews WHERE state = 'planned'")
	p = admin.post(fmt.Sprintf("/management-reviews/%d", planned), url.Values{"op": {"held"}, "held_on": {"2026-12-20"}, "version": {"1"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "Compile the inputs first") {
		t.Fatalf("held without inputs: %d", p.status)
	}
}
