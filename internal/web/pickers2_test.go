package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A catalogue item's named approver and a person's manager are chosen
// with the people picker from those who may decide approvals; an auditor
// is refused at the field, and someone typed by e-mail is taken.
func TestApproverFieldsUseThePicker(t *testing.T) {
	s := requestSite(t)
	admin := s.signedIn("admin")
	auditor, _ := s.userID(t, "auditor@steward.demo")
	agent, _ := s.userID(t, "agent@steward.demo")
	rita, _ := s.userID(t, "requester@steward.demo")

	p := admin.get("/catalog/items/new")
	mustContain(t, p, `<select id="approval_user_id" name="approval_user_id" data-picker="users" data-picker-role="approver"`)
	if field, _, _ := strings.Cut(near(p.body, `id="approval_user_id"`, 100000), "</select>"); strings.Contains(field, fmt.Sprintf(`<option value="%d"`, auditor)) {
		t.Error("the named approver lists the auditor")
	}
	service := fmt.Sprint(s.scalar(t, "SELECT id FROM services WHERE name = 'VPN'"))
	item := func(approver string) page {
		return admin.post("/catalog/items", url.Values{"name": {"Token reset"}, "service_id": {service}, "active": {"on"},
			"approval_rule": {"user"}, "approval_user_id": {approver}, "task_name_0": {"Reset the token"}, "task_order_0": {"1"}})
	}
	if p := item(fmt.Sprint(auditor)); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "Only someone who may decide approvals may be chosen here.") {
		t.Fatalf("an auditor as named approver: %d %s", p.status, near(p.body, `id="approval_user_id"`, 800))
	}
	if p := item("agent@steward.demo"); p.status != http.StatusSeeOther {
		t.Fatalf("an agent typed as named approver: %d %s", p.status, near(p.body, `id="approval_user_id"`, 800))
	}
	if got := s.scalar(t, "SELECT approver_id FROM catalog_items WHERE name = 'Token reset'"); got != agent {
		t.Fatalf("the item's approver is %d, want %d", got, agent)
	}

	mustContain(t, admin.get("/managers"), fmt.Sprintf(`<select id="manager-%d" name="manager_id" data-picker="users" data-picker-role="approver"`, rita))
	path := "/users/" + strconv.FormatInt(rita, 10) + "/manager"
	p = admin.post(path, url.Values{"manager_id": {fmt.Sprint(auditor)}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(near(p.body, fmt.Sprintf(`id="manager-%d"`, rita), 1500), "Only someone who may decide approvals may be chosen here.") {
		t.Fatalf("an auditor as manager: %d %s", p.status, near(p.body, fmt.Sprintf(`id="manager-%d"`, rita), 1500))
	}
	if p := admin.post(path, url.Values{"manager_id": {"Nobody Atall"}}); p.status != http.StatusUnprocessableEntity ||
		!strings.Contains(p.body, "Nobody active who may decide approvals is called “Nobody Atall”") {
		t.Fatalf("a manager nobody is called: %d %s", p.status, near(p.body, fmt.Sprintf(`id="manager-%d"`, rita), 1500))
	}
	if p := admin.post(path, url.Values{"manager_id": {"agent@steward.demo"}}); p.status != http.StatusSeeOther {
		t.Fatalf("an agent typed as manager: %d %s", p.status, p.body)
	}
	if got := s.scalar(t, "SELECT manager_id FROM user_managers WHERE user_id = ?", rita); got != agent {
		t.Fatalf("Rita's manager is %d, want %d", got, agent)
	}
}

// A team lead for low ratings is picked from agents and administrators;
// a requester is refused at the group's field.
func TestSurveyLeadsUseThePicker(t *testing.T) {
	s := newSite(t)
	admin := s.signedIn("admin")
	group := s.scalar(t, "SELECT id FROM support_groups ORDER BY id LIMIT 1")
	requester, _ := s.userID(t, "requester@steward.demo")
	agent, _ := s.userID(t, "agent@steward.demo")
	mustContain(t, admin.get("/admin/satisfaction"), fmt.Sprintf(`<select id="lead-%d" name="lead_%d" data-picker="users" data-picker-role="agent"`, group, group))
	save := func(lead int64) page {
		return admin.post("/admin/satisfaction", url.Values{"incidents": {"on"}, "sample_percent": {"100"}, "open_days": {"14"},
			"low_rating": {"2"}, "complaint_target_days": {"14"}, "services": {"all"}, fmt.Sprintf("lead_%d", group): {fmt.Sprint(lead)}})
	}
	if p := save(requester); p.status != http.StatusUnprocessableEntity ||
		!strings.Contains(near(p.body, fmt.Sprintf(`id="lead-%d"`, group), 1500), "Only an agent or an administrator may hold this role.") {
		t.Fatalf("a requester as team lead: %d %s", p.status, near(p.body, fmt.Sprintf(`id="lead-%d"`, group), 1500))
	}
	if p := save(agent); p.status != http.StatusSeeOther {
		t.Fatalf("an agent as team lead: %d", p.status)
	}
}

// A security incident's owner is someone who sees security incidents:
// an agent outside the security groups is refused, and the picker does
// not tell such an agent who is cleared.
func TestSecurityOwnerUsesThePicker(t *testing.T) {
	s := newSite(t)
	admin := s.signedIn("admin")
	adminID, _ := s.userID(t, "admin@steward.demo")
	agent, _ := s.userID(t, "agent@steward.demo")
	if _, err := s.app.DB.Exec(context.Background(), `DELETE FROM group_members WHERE user_id = ? AND group_id IN (SELECT id FROM support_groups WHERE security)`, agent); err != nil {
		t.Fatal(err)
	}
	mustContain(t, admin.get("/security-incidents/new"), `<select id="sec-owner_id" name="owner_id" data-picker="users" data-picker-role="security"`)
	report := func(owner string) page {
		return admin.post("/security-incidents", url.Values{"title": {"Phishing mail opened"}, "description": {"One click."},
			"confidentiality": {"low"}, "integrity": {"low"}, "availability": {"none"}, "personal_data": {"no"},
			"aware_at": {time.Now().Add(-time.Hour).Format("2006-01-02T15:04")}, "owner_id": {owner}})
	}
	if p := report(fmt.Sprint(agent)); p.status != http.StatusUnprocessableEntity ||
		!strings.Contains(p.body, "Only an administrator or a member of a security group may hold this role.") || !strings.Contains(p.body, "Phishing mail opened") {
		t.Fatalf("an uncleared agent as owner: %d %s", p.status, near(p.body, `id="sec-owner_id"`, 1200))
	}
	if p := report("agent@steward.demo"); p.status != http.StatusUnprocessableEntity ||
		!strings.Contains(p.body, "Nobody active who sees security incidents has the e-mail “agent@steward.demo”") {
		t.Fatalf("an uncleared agent typed as owner: %d", p.status)
	}
	if p := report(fmt.Sprint(adminID)); p.status != http.StatusSeeOther {
		t.Fatalf("the administrator as owner: %d %s", p.status, near(p.body, `id="sec-owner_id"`, 1200))
	}
	if p := admin.get("/pick/users?role=security&q=admin"); !strings.Contains(p.body, fmt.Sprintf(`"id":%d`, adminID)) {
		t.Fatalf("the administrator finds no cleared administrator: %s", p.body)
	}
	if p := s.signedIn("agent").get("/pick/users?role=security&q=admin"); p.status != http.StatusOK || strings.TrimSpace(p.body) != `{"items":[]}` {
		t.Fatalf("an uncleared agent is told who is cleared: %d %s", p.status, p.body)
	}
}

// The queue's bulk assignee takes an agent, chosen or typed where there
// are too many to list, and refuses a requester before any row changes.
func TestBulkAssigneeIsChecked(t *testing.T) {
	s := newSite(t)
	agent := s.signedIn("agent")
	requester, _ := s.userID(t, "requester@steward.demo")
	svc := s.scalar(t, "SELECT id FROM services ORDER BY id LIMIT 1")
	p := agent.post("/incidents", url.Values{"title": {"Scanner offline"}, "description": {"Since noon."},
		"impact": {"low"}, "urgency": {"low"}, "service_id": {fmt.Sprint(svc)}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("incident: %d", p.status)
	}
	ref := p.location[strings.LastIndex(p.location, "/")+1:]
	bulk := func(kv ...string) page {
		f := url.Values{"refs": {ref}}
		for i := 0; i < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		return agent.post("/incidents/bulk", f)
	}
	if p := bulk("assignee_id", fmt.Sprint(requester)); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "Only an agent or an administrator may hold this role") {
		t.Fatalf("a requester as bulk assignee: %d", p.status)
	}
	if n := s.scalar(t, "SELECT COUNT(*) FROM incidents WHERE assignee_id = ?", requester); n != 0 {
		t.Fatal("an incident was assigned to a requester")
	}
	seedStaff(t, s, 201)
	q := agent.get("/")
	mustContain(t, q, `<input id="bulk-assignee-person" name="assignee_person" data-picker="users" data-picker-role="agent"`)
	if strings.Contains(near(q.body, `id="bulk-assignee"`, 3000), "Agent 0150") {
		t.Error("past 200 agents the bulk bar still lists them")
	}
	if p := bulk("assignee_person", "agent0150@big.example"); p.status != http.StatusOK {
		t.Fatalf("an agent typed as bulk assignee: %d %s", p.status, p.body)
	}
	if n := s.scalar(t, "SELECT COUNT(*) FROM incidents i JOIN users u ON u.id = i.assignee_id WHERE u.email = 'agent0150@big.example'"); n != 1 {
		t.Fatalf("%d incidents went to the typed agent", n)
	}
	if p := bulk("assignee_person", "rory@nowhere.example"); p.status != http.StatusUnprocessableEntity ||
		!strings.Contains(p.body, "No active member of staff has the e-mail “rory@nowhere.example”") {
		t.Fatalf("nobody typed as bulk assignee: %d", p.status)
	}
}
