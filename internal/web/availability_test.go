package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The availability pages over the demo: who sees what, a target and an
// outage entered through the forms with field errors first, the CSV, and
// a risk raised for a service below target.
func TestAvailabilityPages(t *testing.T) {
	s := newSite(t)
	var web int64
	if err := s.app.DB.QueryRow(context.Background(), "SELECT id FROM services WHERE name = 'Website'").Scan(&web); err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(web, 10)
	now := time.Now().UTC()
	year := "from=" + now.AddDate(-1, 0, 1).Format(time.DateOnly) + "&to=" + now.Format(time.DateOnly)

	aud := s.signedIn("auditor").get("/availability?" + year)
	if aud.status != 200 || !strings.Contains(aud.body, "Website") || !strings.Contains(aud.body, "Below target") || strings.Contains(aud.body, "Raise a risk") {
		t.Errorf("auditor's availability page: %d, Website below target without a risk button expected", aud.status)
	}
	if p := s.signedIn("requester").get("/availability"); p.status != http.StatusForbidden {
		t.Errorf("requester: %d", p.status)
	}
	if p := s.signedIn("auditor").get("/availability?from=2026-02-01&to=2026-01-01"); p.status != 422 || !strings.Contains(p.body, "after from") {
		t.Errorf("reversed period: %d", p.status)
	}

	// The agent owns no demo service: the Website's outages are not theirs.
	ag := s.signedIn("agent")
	start := now.Add(-3 * time.Hour).Format("2006-01-02T15:04")
	if p := ag.post("/outages", url.Values{"service_id": {id}, "started_at": {start}, "summary": {"down"}}); p.status != http.StatusForbidden {
		t.Errorf("agent records an outage of a service they do not own: %d", p.status)
	}

	ad := s.signedIn("admin")
	if p := ad.post("/availability/services/"+id+"/target", url.Values{"target": {"abc"}}); p.status != 422 || !strings.Contains(p.body, "percentage") {
		t.Errorf("bad target: %d", p.status)
	}
	if p := ad.post("/availability/services/"+id+"/target", url.Values{"target": {"99.95"}, "reason": {"agreed with sales"}}); p.status != http.StatusSeeOther {
		t.Errorf("target: %d", p.status)
	}
	end := now.Add(-4 * time.Hour).Format("2006-01-02T15:04")
	if p := ad.post("/outages", url.Values{"service_id": {id}, "started_at": {start}, "ended_at": {end}, "share": {"100"}, "summary": {"down"}}); p.status != 422 || !strings.Contains(p.body, "after the start") {
		t.Errorf("end before start: %d", p.status)
	}
	p := ad.post("/outages", url.Values{"service_id": {id}, "started_at": {start}, "share": {"50"}, "summary": {"checkout slow"}})
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/outages/") {
		t.Fatalf("record outage: %d %s", p.status, p.location)
	}
	if o := ad.get(p.location); !strings.Contains(o.body, "Partial, 50 %") || !strings.Contains(o.body, "Ongoing") {
		t.Errorf("the outage's page does not show it partial and ongoing")
	}
	csv := ad.get("/availability.csv?" + year)
	if csv.status != 200 || !strings.HasPrefix(csv.body, "service,hours,target_percent,availability_percent,status") || !strings.Contains(csv.body, "Website,24x7,99.95,") {
		t.Errorf("CSV: %d %.200s", csv.status, csv.body)
	}
	q, _ := url.ParseQuery(year)
	r := ad.post("/availability/services/"+id+"/risk", url.Values{"from": {q.Get("from")}, "to": {q.Get("to")}})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/risks/") {
		t.Fatalf("raise a risk: %d %s", r.status, r.location)
	}
	if rk := ad.get(r.location); !strings.Contains(rk.body, "Availability of Website below its target") {
		t.Errorf("the risk raised is not prefilled")
	}
	if a := ad.get("/availability?service_id=" + id + "&" + year); !strings.Contains(a.body, "Availability of Website below its target") {
		t.Errorf("the service's card does not list the risk linked to it")
	}
}
