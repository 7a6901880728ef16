package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"steward/internal/store"
)

// seedStaff adds n active agents named "Agent Nnnn" (agentNnnn@big.example)
// straight into the table: an organisation too large to list in a select.
func seedStaff(t *testing.T, s *site, n int) {
	t.Helper()
	ctx := context.Background()
	now := store.TS(time.Now())
	err := s.app.DB.InTx(ctx, func(tx *store.Tx) error {
		for i := range n {
			if _, err := tx.Exec(ctx, `INSERT INTO users (email, name, role, password_hash, active, created_at, updated_at)
				VALUES (?, ?, 'agent', 'x', TRUE, ?, ?)`, fmt.Sprintf("agent%04d@big.example", i), fmt.Sprintf("Agent %04d", i), now, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (s *site) addUser(t *testing.T, email, name, role string) int64 {
	t.Helper()
	now := store.TS(time.Now())
	var id int64
	ctx := context.Background()
	if err := s.app.DB.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO users (email, name, role, password_hash, active, created_at, updated_at)
			VALUES (?, ?, ?, 'x', TRUE, ?, ?) RETURNING id`, email, name, role, now, now).Scan(&id)
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

// A small organisation chooses people from a select; a large one types
// them by e-mail or full name, and the server takes one match, refuses
// none or several with a message at the field, and keeps what else was
// typed. Where a member of staff is required, a requester is refused
// however they are named.
func TestPersonFieldTyped(t *testing.T) {
	s := newSite(t)
	agent := s.signedIn("agent")
	if p := agent.get("/incidents/new"); !strings.Contains(p.body, `<select id="new-assignee_id" name="assignee_id" data-picker="users" data-picker-role="agent"`) {
		t.Fatalf("a small organisation picks the assignee from a select: %s", near(p.body, `new-assignee_id`, 300))
	}
	seedStaff(t, s, 201)
	p := agent.get("/incidents/new")
	if !strings.Contains(p.body, `<input id="new-assignee_id" name="assignee_id" value="" data-picker="users" data-picker-role="agent"`) ||
		!strings.Contains(p.body, "Type the e-mail address or the full name of a member of staff.") {
		t.Fatalf("past 200 people the assignee is typed: %s", near(p.body, `new-assignee_id`, 400))
	}
	if strings.Contains(p.body, "agent0150@big.example") || strings.Count(p.body, "Agent 0") > 0 {
		t.Fatal("the typed field still lists the people")
	}
	// Two namesakes, and a requester who shares a name with nobody on staff.
	s.addUser(t, "kim.one@big.example", "Kim Namesake", "agent")
	s.addUser(t, "kim.two@big.example", "Kim Namesake", "admin")
	s.addUser(t, "rory@customer.example", "Rory Requester", "requester")
	svc := s.scalar(t, "SELECT id FROM services ORDER BY id LIMIT 1")

	create := func(assignee string) page {
		return agent.post("/incidents", url.Values{"title": {"Printer on floor 3 jams"}, "description": {"Every second page."},
			"impact": {"medium"}, "urgency": {"medium"}, "service_id": {fmt.Sprint(svc)}, "assignee_id": {assignee}})
	}
	for _, c := range []struct {
		typed, want string
	}{
		{"nobody@big.example", "No active member of staff has the e-mail “nobody@big.example”."},
		{"Kim Namesake", "2 people are called “Kim Namesake”; type the e-mail."},
		{"Agent 99", "No active member of staff is called “Agent 99”; type the name in full, or the e-mail."},
		{"rory@customer.example", "No active member of staff has the e-mail “rory@customer.example”."},
		{"Rory Requester", "No active member of staff is called “Rory Requester”"},
	} {
		p := create(c.typed)
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, c.want) {
			t.Fatalf("%q: %d, field says %s", c.typed, p.status, near(p.body, `new-assignee_id`, 700))
		}
		// What was typed comes back, the person and the rest of the form.
		if !strings.Contains(p.body, `value="`+c.typed+`"`) || !strings.Contains(p.body, "Printer on floor 3 jams") || !strings.Contains(p.body, "Every second page.") {
			t.Fatalf("%q: the form lost what was typed", c.typed)
		}
	}
	for _, typed := range []string{"AGENT0150@big.example", " Agent 0042 ", "kim.two@big.example"} {
		p := create(typed)
		if p.status != http.StatusSeeOther {
			t.Fatalf("%q: %d %s", typed, p.status, near(p.body, `new-assignee_id`, 700))
		}
		var email string
		if err := s.app.DB.QueryRow(context.Background(), `SELECT u.email FROM incidents i JOIN users u ON u.id = i.assignee_id
			WHERE i.id = (SELECT MAX(id) FROM incidents)`).Scan(&email); err != nil {
			t.Fatal(err)
		}
		if want := strings.ToLower(strings.TrimSpace(typed)); strings.Contains(want, "@") && email != want || typed == " Agent 0042 " && email != "agent0042@big.example" {
			t.Fatalf("%q assigned %s", typed, email)
		}
		// The incident's own form shows its assignee by e-mail.
		if page := agent.get(p.location); !strings.Contains(page.body, `name="assignee_id" value="`+email+`"`) {
			t.Fatalf("%s: the edit form does not show %s: %s", p.location, email, near(page.body, `edit-assignee_id`, 400))
		}
	}
}

// A chosen id is checked too: a requester cannot be made the owner of
// work, whatever the form sent.
func TestPersonFieldRefusesRequesterID(t *testing.T) {
	s := newSite(t)
	agent := s.signedIn("agent")
	requester, _ := s.userID(t, "requester@steward.demo")
	p := agent.post("/problems", url.Values{"title": {"Printers jam after the update"}, "assignee_id": {fmt.Sprint(requester)}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "Only an agent or an administrator may hold this role.") {
		t.Fatalf("a requester as problem manager: %d %s", p.status, near(p.body, `new-assignee_id`, 600))
	}
	agentID, _ := s.userID(t, "agent@steward.demo")
	if p := agent.post("/problems", url.Values{"title": {"Printers jam after the update"}, "assignee_id": {fmt.Sprint(agentID)}}); p.status != http.StatusSeeOther {
		t.Fatalf("an agent as problem manager: %d %s", p.status, near(p.body, `new-assignee_id`, 600))
	}
}

// near is up to n bytes of body from the first mark, for messages.
func near(body, mark string, n int) string {
	i := strings.Index(body, mark)
	if i < 0 {
		return "(no " + mark + ")"
	}
	return body[i:min(len(body), i+n)]
}

// The picker's staff mode lists everyone but requesters: auditors too.
func TestUserPickerStaff(t *testing.T) {
	s := newSite(t)
	agent := s.signedIn("agent")
	names := pickNames(t, agent.get("/pick/users?q=steward.demo&role=staff"))
	var auditor bool
	for _, n := range names {
		var role string
		if err := s.app.DB.QueryRow(context.Background(), "SELECT role FROM users WHERE ? LIKE name || ' <%'", n).Scan(&role); err != nil || role == "requester" {
			t.Fatalf("%s is a %q (%v), asked for staff", n, role, err)
		}
		auditor = auditor || role == "auditor"
	}
	if !auditor {
		t.Fatalf("no auditor among the staff: %q", names)
	}
}
