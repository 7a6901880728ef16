package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"steward/internal/auth"
	"steward/internal/incident"
)

// resolvedFor raises an incident for the demo requester and has the agent
// resolve it, as the pages would; it returns the incident and the link of
// the survey notification it sent.
func (s *site) resolvedFor(t *testing.T, title string) (incident.Incident, string) {
	t.Helper()
	ctx := context.Background()
	rita, cust := s.userID(t, "requester@steward.demo")
	alex, _ := s.userID(t, "agent@steward.demo")
	agent := &auth.Principal{UserID: alex, Name: "Alex Agent", Email: "agent@steward.demo", Role: auth.Agent}
	inc, err := s.app.Incidents.Create(ctx, agent, incident.NewIncident{Title: title, RequesterID: &rita, CustomerID: &cust,
		Impact: "low", Urgency: "low"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, code, notes := incident.Resolved, "fixed", "Replaced the toner."
	if inc, err = s.app.Incidents.Update(ctx, agent, inc.ID, incident.Patch{State: &st, ResolutionCode: &code, ResolutionNotes: &notes}, 0); err != nil {
		t.Fatal(err)
	}
	var link string
	if err := s.app.DB.QueryRow(ctx, "SELECT link FROM notifications WHERE user_id = ? AND kind = 'survey' AND title LIKE ?",
		rita, "%"+inc.Number+"%").Scan(&link); err != nil {
		t.Fatalf("no survey notification for %s: %v", inc.Number, err)
	}
	return inc, link
}

// The requester rates from the survey page; the page never records on
// GET, a second answer is refused, and nobody else sees the survey.
func TestSurveyPages(t *testing.T) {
	s := newSite(t)
	inc, link := s.resolvedFor(t, "Printer on floor 2 smudges")
	rita := s.signedIn("requester")
	pg := rita.get(link)
	if pg.status != 200 || !strings.Contains(pg.body, `name="rating" value="5"`) || !strings.Contains(pg.body, inc.Number) {
		t.Fatalf("survey page: %d %s", pg.status, pg.body)
	}
	if detail := rita.get("/incidents/" + inc.Number); !strings.Contains(detail.body, `id="csat"`) || !strings.Contains(detail.body, `action="`+link+`"`) {
		t.Fatalf("the incident page lacks the rating widget")
	}
	var n int
	s.app.DB.QueryRow(context.Background(), "SELECT COUNT(*) FROM satisfaction_surveys WHERE ticket_id = ? AND answered_at IS NOT NULL", inc.ID).Scan(&n)
	if n != 0 {
		t.Fatal("opening the survey recorded an answer")
	}
	if other := s.signedIn("agent").get(link); other.status != http.StatusNotFound {
		t.Fatalf("the agent opens the requester's survey: %d", other.status)
	}
	if bad := rita.post(link, url.Values{"rating": {"9"}}); bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "must be a whole number from 1") {
		t.Fatalf("a rating of 9: %d", bad.status)
	}
	done := rita.post(link, url.Values{"rating": {"2"}, "comment": {"Took two days"}})
	if done.status != http.StatusSeeOther || done.location != "/incidents/"+inc.Number {
		t.Fatalf("rating: %d %q", done.status, done.location)
	}
	after := rita.get("/incidents/" + inc.Number)
	if !strings.Contains(after.body, "Thank you for your rating.") || !strings.Contains(after.body, `id="csat-score">2 of 5`) || strings.Contains(after.body, `name="rating"`) {
		t.Fatalf("after rating, the incident page shows: %s", after.body)
	}
	if again := rita.post(link, url.Values{"rating": {"5"}}); again.status != http.StatusConflict || !strings.Contains(again.body, "already rated 2 of 5") {
		t.Fatalf("a second answer: %d", again.status)
	}
	// The low rating's complaint is on the requester's list and the staff's.
	if mine := rita.get("/complaints"); !strings.Contains(mine.body, "Low rating (2 of 5) on "+inc.Number) {
		t.Fatalf("the requester's complaints lack the follow-up")
	}
	agent := s.signedIn("agent")
	var cmp string
	if err := s.app.DB.QueryRow(context.Background(), "SELECT 'CMP-' || substr('000000' || id, -6) FROM complaints WHERE related_id = ?", inc.ID).Scan(&cmp); err != nil {
		t.Fatal(err)
	}
	if pg := agent.get("/complaints/" + cmp); pg.status != 200 || !strings.Contains(pg.body, `name="investigation"`) {
		t.Fatalf("the agent's complaint page: %d", pg.status)
	}
	moved := agent.post("/complaints/"+cmp, url.Values{"version": {"1"}, "title": {"Low rating"}, "target_on": {"2030-01-01"}, "move": {"investigating"},
		"investigation": {"Hold reason was wrong."}})
	if moved.status != http.StatusSeeOther {
		t.Fatalf("start investigating: %d %s", moved.status, moved.body)
	}
	if pg := rita.get("/complaints/" + cmp); pg.status != 200 || strings.Contains(pg.body, "Hold reason was wrong.") || !strings.Contains(pg.body, "Investigating") {
		t.Fatalf("the requester's complaint page: %d", pg.status)
	}
	if rep := agent.get("/satisfaction"); rep.status != 200 || !strings.Contains(rep.body, inc.Number) || !strings.Contains(rep.body, `id="csat-trend"`) {
		t.Fatalf("satisfaction page: %d", rep.status)
	}
	if rep := agent.get("/satisfaction?from=yesterday"); rep.status != http.StatusBadRequest || !strings.Contains(rep.body, "From must be a date") {
		t.Fatalf("a bad date: %d", rep.status)
	}
	if rv := agent.get("/service-reviews"); rv.status != 200 || !strings.Contains(rv.body, "Northwind Traders SLA") {
		t.Fatalf("service reviews: %d %s", rv.status, rv.body)
	}
}

// The rules page refuses what cannot be kept, naming the field, and keeps
// the rest as typed.
func TestSurveyRulesPage(t *testing.T) {
	s := newSite(t)
	admin := s.signedIn("admin")
	if pg := admin.get("/admin/satisfaction"); pg.status != 200 || !strings.Contains(pg.body, `name="sample_percent"`) {
		t.Fatalf("rules page: %d", pg.status)
	}
	bad := admin.post("/admin/satisfaction", url.Values{"incidents": {"on"}, "sample_percent": {"150"}, "open_days": {"14"},
		"low_rating": {"2"}, "complaint_target_days": {"x"}, "services": {"all"}})
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "percentage from 0 to 100") ||
		!strings.Contains(bad.body, `value="150"`) || !strings.Contains(bad.body, "whole number") {
		t.Fatalf("bad rules: %d", bad.status)
	}
	ok := admin.post("/admin/satisfaction", url.Values{"incidents": {"on"}, "sample_percent": {"50"}, "open_days": {"7"},
		"low_rating": {"1"}, "complaint_target_days": {"10"}, "services": {"all"}})
	if ok.status != http.StatusSeeOther {
		t.Fatalf("saving rules: %d %s", ok.status, ok.body)
	}
	if pg := admin.get("/admin/satisfaction"); !strings.Contains(pg.body, `value="50"`) || !strings.Contains(pg.body, `value="10"`) {
		t.Fatal("the saved rules do not show")
	}
	if pg := s.signedIn("agent").get("/admin/satisfaction"); pg.status != http.StatusForbidden {
		t.Fatalf("an agent opens the rules: %d", pg.status)
	}
}
