package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"steward/internal/request"
)

// An auditor has no work of their own: the queues offer no "My open",
// "Assigned to me" or "My groups" tab, and asking for one shows all open
// tickets instead. Agents keep theirs.
func TestAuditorQueuesHaveNoOwnWork(t *testing.T) {
	s := newSite(t)
	au, ag := s.signedIn("auditor"), s.signedIn("agent")
	for _, c := range []struct{ path, mine string }{{"/", "My open"}, {"/requests", "Assigned to me"}} {
		p := au.get(c.path)
		if p.status != http.StatusOK {
			t.Fatalf("%s: %d", c.path, p.status)
		}
		for _, gone := range []string{"view=mine", "view=groups", ">" + c.mine, ">My groups"} {
			if strings.Contains(p.body, gone) {
				t.Errorf("auditor's %s offers %q", c.path, gone)
			}
		}
		mustContain(t, p, "view=open", "All open")
		if a := ag.get(c.path); !strings.Contains(a.body, "view=mine") || !strings.Contains(a.body, c.mine) {
			t.Errorf("agent's %s lost the %q tab", c.path, c.mine)
		}
		sep := "?"
		if strings.Contains(c.path, "?") {
			sep = "&"
		}
		p = au.get(c.path + sep + "view=mine")
		if p.status != http.StatusOK || !strings.Contains(p.body, `view=open" aria-current="page"`) {
			t.Errorf("auditor's %s?view=mine: %d, want the open tickets", c.path, p.status)
		}
	}
}

// An auditor reads what a catalogue item asks, when it applies and who
// fulfils it, without a form to submit.
func TestAuditorReadsCatalogueItemQuestions(t *testing.T) {
	s := newSite(t)
	au := s.signedIn("auditor")
	p := au.get("/catalog/items/" + s.itemID(t, "VPN access"))
	mustContain(t, p, "Questions a requester answers", "What do you need remote access for?", "Text · required",
		"Until", "A date · optional", "Leave empty for permanent access.", "Fulfilment steps", "Create the VPN profile", "Network")
	if n := strings.Count(p.body, `method="post"`); n != 1 {
		t.Errorf("item page: %d POST forms, want only sign-out", n)
	}
	laptop := au.get("/catalog/items/" + s.itemID(t, "New laptop"))
	mustContain(t, laptop, "One of a list · required", "Choices: 13 inch, light, 15 inch, performance",
		"Where should the docking station go?", "Only if “Docking station with two screens?” is “Yes”.", "A person · optional")
	// Who may request sees the form, not the list.
	if r := s.signedIn("requester").get("/catalog/items/" + s.itemID(t, "VPN access")); strings.Contains(r.body, "Questions a requester answers") ||
		!strings.Contains(r.body, "Submit request") {
		t.Error("the requester should get the form")
	}
}

// An auditor reads a request's approvals, with who decided and why, and
// its tasks, with their groups and assignees, and can change none of them.
func TestAuditorReadsRequestApprovalsAndTasks(t *testing.T) {
	s := newSite(t)
	var id int64
	if err := s.app.DB.QueryRow(context.Background(), `SELECT r.id FROM requests r
		WHERE EXISTS (SELECT 1 FROM request_approvals a WHERE a.request_id = r.id AND a.state = 'approved')
		AND EXISTS (SELECT 1 FROM request_tasks k WHERE k.request_id = r.id)
		AND r.item_id = (SELECT id FROM catalog_items WHERE name = 'Software installation') ORDER BY r.id LIMIT 1`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	number := request.FormatNumber(id)
	p := s.signedIn("auditor").get("/requests/" + number)
	mustContain(t, p, "Approvals", "Any member of Applications", "Approved", "by Lucía Romero", "Fine by me.",
		"Tasks", "Install the software", "<th scope=\"col\">Group</th>", "<td>Applications</td>")
	if n := strings.Count(p.body, `method="post"`); n != 1 {
		t.Errorf("request page: %d POST forms, want only sign-out", n)
	}
	for _, post := range []string{"/requests/" + number + "/comments", "/requests/" + number + "/edit"} {
		if r := s.signedIn("auditor").post(post, nil); r.status != http.StatusForbidden {
			t.Errorf("POST %s: %d, want 403", post, r.status)
		}
	}
}
