package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"steward/internal/change"
	"steward/internal/schedule"
	"steward/internal/store"
)

// An agent walks a change from draft to closed through its page; the
// board's member approves it; an auditor reads it without forms.
func TestChangePagesWalkAChange(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	var ciID int64
	var ciName string
	if err := s.app.DB.QueryRow(ctx, "SELECT id, name FROM cis ORDER BY id DESC LIMIT 1").Scan(&ciID, &ciName); err != nil {
		t.Fatal(err)
	}
	a := s.signedIn("agent")
	for _, path := range []string{"/changes", "/changes/new", "/changes/overview", "/change-templates", "/change-templates/1"} {
		if p := a.get(path); p.status != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", path, p.status, p.body)
		}
	}
	p := a.post("/changes", url.Values{"title": {""}, "type": {"normal"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "Some fields need your attention") {
		t.Fatalf("a change without a title: %d", p.status)
	}
	p = a.post("/changes", url.Values{"title": {"Resize the reporting VM"}, "type": {"normal"}, "ci": {ciName}})
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/changes/CHG-") {
		t.Fatalf("create: %d %q\n%s", p.status, p.location, p.body)
	}
	path := p.location
	pg := a.get(path)
	for _, want := range []string{"Resize the reporting VM", "Submit for assessment", ciName, "Risk questionnaire"} {
		if !strings.Contains(pg.body, want) {
			t.Errorf("the new change's page lacks %q", want)
		}
	}
	move := func(b *browser, state string, extra url.Values) page {
		t.Helper()
		form := url.Values{"state": {state}}
		for k, v := range extra {
			form[k] = v
		}
		return b.post(path+"/state", form)
	}
	if p := move(a, "assessment", nil); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "is required to move on") {
		t.Fatalf("submitting a bare draft: %d", p.status)
	}
	edit := url.Values{"description": {"From 4 to 8 vCPUs"}, "justification": {"Month-end reports time out"}, "touches": {"1"},
		"ci_ids": {fmt.Sprint(ciID)}, "planned_start": {"2031-03-01T20:00"}, "planned_end": {"2031-03-01T21:00"},
		"implementation_plan": {"Shut down, resize, start"}, "test_plan": {"Run the month-end report"}, "backout_plan": {"Resize back"}}
	for _, k := range []string{"tested", "done_before", "backout", "outage", "business_hours"} {
		edit.Set("risk_"+k, map[string]string{"tested": "yes", "done_before": "often", "backout": "yes", "outage": "yes", "business_hours": "no"}[k])
	}
	if p := a.post(path, edit); p.status != http.StatusSeeOther {
		t.Fatalf("saving the assessment: %d\n%s", p.status, p.body)
	}
	for _, st := range []string{"assessment", "approval"} {
		if p := move(a, st, nil); p.status != http.StatusSeeOther {
			t.Fatalf("to %s: %d\n%s", st, p.status, p.body)
		}
	}
	if p := move(a, "implementing", nil); p.status != http.StatusConflict {
		t.Fatalf("implementing before approval: %d", p.status)
	}
	if strings.Contains(a.get(path).body, `name="decision"`) {
		t.Error("the requester is offered the approval form")
	}
	admin := s.signedIn("admin")
	pg = admin.get(path)
	if !strings.Contains(pg.body, `name="decision" value="approve"`) {
		t.Fatal("a board member is not offered the approval form")
	}
	if p := admin.post(path+"/approvals", url.Values{"decision": {"approve"}, "comment": {"Fine for the weekend"}}); p.status != http.StatusSeeOther {
		t.Fatalf("approve: %d\n%s", p.status, p.body)
	}
	// Taken back from the board for rework and put to it again, the change
	// shows the first round's decision under the earlier rounds, and the
	// board decides anew.
	if pg := a.get(path); !strings.Contains(pg.body, "Back to assessment for rework") || strings.Contains(pg.body, "Earlier rounds") {
		t.Fatal("a change in approval is not offered for rework, or shows earlier rounds it does not have")
	}
	for _, st := range []string{"assessment", "approval"} {
		if p := move(a, st, nil); p.status != http.StatusSeeOther {
			t.Fatalf("rework, to %s: %d\n%s", st, p.status, p.body)
		}
	}
	pg = admin.get(path)
	earlier := pg.body[strings.Index(pg.body, `class="earlier-rounds"`)+1:]
	for _, want := range []string{"Round 2: the board decides anew", `name="decision" value="approve"`} {
		if !strings.Contains(pg.body, want) {
			t.Errorf("the change put to its board again lacks %q", want)
		}
	}
	if !strings.Contains(pg.body, `class="earlier-rounds"`) || !strings.Contains(earlier, "Round 1") || !strings.Contains(earlier, "Fine for the weekend") {
		t.Fatal("the change's page does not show the first round's decision under its earlier rounds")
	}
	if p := admin.post(path+"/approvals", url.Values{"decision": {"approve"}, "comment": {"Still fine after the rework"}}); p.status != http.StatusSeeOther {
		t.Fatalf("approve the second round: %d\n%s", p.status, p.body)
	}
	for _, st := range []struct {
		state string
		extra url.Values
	}{{"scheduled", nil}, {"implementing", nil}, {"review", url.Values{"outcome": {"successful"}}}, {"closed", nil}} {
		if p := move(a, st.state, st.extra); p.status != http.StatusSeeOther {
			t.Fatalf("to %s: %d\n%s", st.state, p.status, p.body)
		}
	}
	// The shared links panel: a bad target comes back on the change's page,
	// an incident the change caused is linked.
	if p := a.post(path+"/links", url.Values{"type": {"related"}, "target": {"INC-999999"}}); p.status != http.StatusUnprocessableEntity ||
		!strings.Contains(p.body, "Resize the reporting VM") {
		t.Fatalf("a link to a missing record: %d", p.status)
	}
	var inc int64
	if err := s.app.DB.QueryRow(ctx, "SELECT id FROM incidents ORDER BY id LIMIT 1").Scan(&inc); err != nil {
		t.Fatal(err)
	}
	if p := a.post(path+"/links", url.Values{"type": {"related"}, "target": {fmt.Sprintf("INC-%06d", inc)}}); p.status != http.StatusSeeOther {
		t.Fatalf("linking an incident: %d\n%s", p.status, p.body)
	}
	if !strings.Contains(a.get(path).body, fmt.Sprintf("INC-%06d", inc)) {
		t.Error("the change's page does not show the linked incident")
	}
	auditor := s.signedIn("auditor")
	pg = auditor.get(path)
	if pg.status != http.StatusOK || strings.Contains(pg.body, "Move it on") || strings.Contains(pg.body, `method="post" action="/changes/`) {
		t.Fatalf("the auditor's view: %d, forms offered", pg.status)
	}
	if p := auditor.get("/change-policies"); p.status != http.StatusOK || !strings.Contains(p.body, "Change advisory board") ||
		strings.Contains(p.body, `action="/change-policies/`) {
		t.Errorf("the auditor's approval policy: %d", p.status)
	}
	if p := admin.post("/change-policies/1", url.Values{"group_id": {""}, "rule": {"sometimes"}}); p.status != http.StatusUnprocessableEntity {
		t.Errorf("a bad rule: %d", p.status)
	}
	if p := admin.post("/change-policies/1", url.Values{"group_id": {""}, "rule": {"all"}}); p.status != http.StatusSeeOther {
		t.Errorf("saving a policy row: %d", p.status)
	}
	for _, want := range []string{"Closed", "Fine for the weekend", "Successful"} {
		if !strings.Contains(pg.body, want) {
			t.Errorf("the closed change's page lacks %q", want)
		}
	}
	// A CI's history links the change its CMDB change names.
	var histCI int64
	var ref string
	if err := s.app.DB.QueryRow(ctx, "SELECT ci_id, change_ref FROM ci_history WHERE change_ref LIKE 'CHG-%' LIMIT 1").Scan(&histCI, &ref); err != nil {
		t.Fatal(err)
	}
	if ci := a.get(fmt.Sprintf("/cis/%d", histCI)); !strings.Contains(ci.body, `href="/changes/`+ref+`"`) {
		t.Errorf("the CI's history does not link %s", ref)
	}
	if ch := a.get("/changes/" + ref); !strings.Contains(ch.body, "CI changes made under it") || !strings.Contains(ch.body, "Location") {
		t.Errorf("%s does not list the CI change made under it", ref)
	}
}

// overlapsOnSameCIForTests stands in for the schedule service's detection
// while it is being built: any other open change sharing a CI whose window
// overlaps.
func overlapsOnSameCIForTests(ctx context.Context, q store.Querier, w schedule.Window) ([]schedule.Conflict, error) {
	var out []schedule.Conflict
	for _, ci := range w.CIs {
		rows, err := q.Query(ctx, `SELECT c.id FROM changes c JOIN record_cis rc ON rc.kind = 'change' AND rc.record_id = c.id
			WHERE rc.ci_id = ? AND c.id <> ? AND c.planned_start < ? AND c.planned_end > ? AND c.state NOT IN ('closed', 'cancelled', 'rejected')`,
			ci, w.ChangeID, store.TS(w.End), store.TS(w.Start))
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, schedule.Conflict{Kind: schedule.SameCI, Change: change.Number(id), ChangeID: id, CIID: ci,
				Reason: change.Number(id) + " works on the same CI then"})
		}
		rows.Close()
	}
	return out, nil
}

var plannedEnd = regexp.MustCompile(`name="planned_end" value="([^"]+)"`)

// Moving a scheduled change's window over another change's asks for an
// acknowledgement on the page, and keeps it in the journal.
func TestChangePageAcknowledgesConflicts(t *testing.T) {
	s := newSite(t)
	s.app.Changes.Conflicts = overlapsOnSameCIForTests
	a := s.signedIn("agent")
	var id int64
	if err := s.app.DB.QueryRow(context.Background(), "SELECT id FROM changes WHERE state = 'scheduled' ORDER BY id LIMIT 1").Scan(&id); err != nil {
		t.Fatal(err)
	}
	number := change.Number(id)
	pg := a.get("/changes/" + number)
	if !strings.Contains(pg.body, "works on the same CI then") {
		t.Fatalf("%s's page does not show its conflict", number)
	}
	m := plannedEnd.FindStringSubmatch(pg.body)
	if m == nil {
		t.Fatal("no planned end on the page")
	}
	end, err := time.Parse("2006-01-02T15:04", m[1])
	if err != nil {
		t.Fatal(err)
	}
	later := end.Add(30 * time.Minute).Format("2006-01-02T15:04")
	p := a.post("/changes/"+number, url.Values{"planned_end": {later}})
	if p.status != http.StatusConflict || !strings.Contains(p.body, "acknowledge them with a comment") {
		t.Fatalf("moving over a conflict without acknowledging: %d", p.status)
	}
	p = a.post("/changes/"+number, url.Values{"planned_end": {later}, "acknowledge_conflicts": {"The PSU swap waits for the reboot"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("moving with an acknowledgement: %d\n%s", p.status, p.body)
	}
	if pg := a.get("/changes/" + number); !strings.Contains(pg.body, "The PSU swap waits for the reboot") {
		t.Error("the journal does not keep the acknowledgement")
	}
}
