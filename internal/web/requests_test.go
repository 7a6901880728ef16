package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"steward/internal/demo"
	"steward/internal/request"
)

// requestSite is the demo site with its request catalogue and requests.
func requestSite(t *testing.T) *site {
	t.Helper()
	s := newSite(t)
	if err := demo.LoadRequests(context.Background(), s.app.DB, request.NewService(s.app.DB, 0)); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *site) itemID(t *testing.T, name string) string {
	t.Helper()
	var id int64
	if err := s.app.DB.QueryRow(context.Background(), "SELECT id FROM catalog_items WHERE name = ?", name).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return strconv.FormatInt(id, 10)
}

func (s *site) requestState(t *testing.T, number string) string {
	t.Helper()
	id, _ := request.ParseRef(number)
	var st string
	if err := s.app.DB.QueryRow(context.Background(), "SELECT state FROM requests WHERE id = ?", id).Scan(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

var requestNumber = regexp.MustCompile(`/requests/(REQ-\d+)`)

func mustContain(t *testing.T, p page, frags ...string) {
	t.Helper()
	for _, f := range frags {
		if !strings.Contains(p.body, f) {
			t.Fatalf("page (status %d) lacks %q", p.status, f)
		}
	}
}

func TestRequestPagesRender(t *testing.T) {
	s := requestSite(t)
	laptop := s.itemID(t, "New laptop")
	var number string
	if err := s.app.DB.QueryRow(context.Background(), "SELECT id FROM requests ORDER BY id LIMIT 1").Scan(&number); err != nil {
		t.Fatal(err)
	}
	number = "REQ-" + strings.Repeat("0", 6-len(number)) + number
	for _, c := range []struct {
		role  string
		path  string
		frags []string
	}{
		{"requester", "/catalog", []string{"New laptop", "VPN access", "Needs approval"}},
		{"requester", "/catalog/items/" + laptop, []string{`name="a.model"`, `data-show-field="dock"`, "Only if “Docking station with two screens?” is “Yes”", "Submit request"}},
		{"requester", "/requests", []string{"My requests", number}},
		{"requester", "/requests/" + number, []string{number, "Model", "13 inch, light", "Cancel request"}},
		{"agent", "/requests?view=all", []string{"Requests", number, "Awaiting approval"}},
		{"agent", "/requests/" + number, []string{"Assign to me", "Edit fields", "Work note"}},
		{"agent", "/notifications", []string{"Notifications"}},
		{"auditor", "/requests/" + number, []string{number}},
		{"admin", "/catalog", []string{"New item", "Managers", "Edit"}},
		{"admin", "/catalog/items/new", []string{"New catalogue item", `name="q_0_label"`, `name="task_name_0"`}},
		{"admin", "/catalog/items/" + laptop + "/edit", []string{"Edit item", "dock_place", "Prepare and enrol the laptop"}},
		{"admin", "/managers", []string{"Managers", "Paul Meyer"}},
		{"admin", "/approvals", []string{"Nothing waits for your decision"}},
	} {
		t.Run(c.role+" "+c.path, func(t *testing.T) {
			p := s.signedIn(c.role).get(c.path)
			if p.status != http.StatusOK {
				t.Fatalf("status %d", p.status)
			}
			mustContain(t, p, c.frags...)
		})
	}
	t.Run("requesters see neither the queue's other organisations nor internal notes", func(t *testing.T) {
		agent := s.signedIn("agent")
		agent.post("/requests/"+number+"/notes", url.Values{"body": {"Ordered from the usual supplier"}})
		p := s.signedIn("requester").get("/requests/" + number)
		if strings.Contains(p.body, "usual supplier") || strings.Contains(p.body, "Edit fields") {
			t.Fatal("the requester sees a work note or the desk's controls")
		}
		var other string
		if err := s.app.DB.QueryRow(context.Background(), `SELECT r.id FROM requests r JOIN users u ON u.id = r.requester_id
			WHERE u.email = 'yuki.tanaka@fabrikam.example' LIMIT 1`).Scan(&other); err != nil {
			t.Fatal(err)
		}
		if p := s.signedIn("requester").get("/requests/" + other); p.status != http.StatusNotFound {
			t.Fatalf("another organisation's request: status %d", p.status)
		}
	})
}

func TestRequestFlowInPages(t *testing.T) {
	s := requestSite(t)
	laptop := s.itemID(t, "New laptop")
	rita := s.signedIn("requester")

	// Required questions, a bad date and an answer hidden by another.
	p := rita.post("/catalog/items/"+laptop+"/request", url.Values{"a.dock": {"true"}, "a.needed_by": {"next week"}})
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("incomplete form: status %d", p.status)
	}
	mustContain(t, p, "This field is required.", "must be a date written YYYY-MM-DD", `value="next week"`)
	p = rita.post("/catalog/items/"+laptop+"/request", url.Values{"a.model": {"13 inch, light"}, "a.needed_by": {"2020-02-03"}})
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("needed by a day that has passed: status %d", p.status)
	}
	mustContain(t, p, "This field must be today or later: 2020-02-03 has passed.")

	p = rita.post("/catalog/items/"+laptop+"/request", url.Values{"a.model": {"15 inch, performance"}, "a.dock": {"false"},
		"a.dock_place": {"left over from before"}, "a.needed_by": {"2099-04-01"}, "title": {"Laptop for the new analyst"}})
	m := requestNumber.FindStringSubmatch(p.location)
	if p.status != http.StatusSeeOther || m == nil {
		t.Fatalf("submit: %d %q\n%s", p.status, p.location, p.body)
	}
	number := m[1]
	page := rita.get(p.location)
	mustContain(t, page, "Request submitted.", "Laptop for the new analyst", "Awaiting approval", "Paul Meyer")
	if strings.Contains(page.body, "left over from before") {
		t.Fatal("an answer to a hidden question was kept")
	}

	// The manager finds it among their approvals and approves it.
	paul := s.browser()
	if p := paul.login("paul.meyer@northwind.example", demo.Password); p.status != http.StatusSeeOther {
		t.Fatalf("login as the manager: %d", p.status)
	}
	approvals := paul.get("/approvals")
	mustContain(t, approvals, number, "Laptop for the new analyst")
	action := regexp.MustCompile(`action="(/requests/` + number + `/approvals/\d+)/approve"`).FindStringSubmatch(approvals.body)
	if action == nil {
		t.Fatal("no approve form for the manager")
	}
	if p := s.signedIn("agent").post(action[1]+"/approve", url.Values{}); p.status != http.StatusForbidden {
		t.Fatalf("an agent approved for the manager: %d", p.status)
	}
	if p := paul.post(action[1]+"/reject", url.Values{"back": {"approvals"}}); p.status != http.StatusUnprocessableEntity {
		t.Fatalf("rejection without a reason: %d", p.status)
	}
	if p := paul.post(action[1]+"/approve", url.Values{"back": {"approvals"}, "comment": {"Go ahead"}}); p.status != http.StatusSeeOther || p.location != "/approvals" {
		t.Fatalf("approve: %d %q", p.status, p.location)
	}
	if st := s.requestState(t, number); st != "in_fulfilment" {
		t.Fatalf("after approval: %s", st)
	}

	// The agent works the tasks, stage by stage, until the request is fulfilled.
	agent := s.signedIn("agent")
	for i := 0; i < 2; i++ {
		page := agent.get("/requests/" + number)
		done := regexp.MustCompile(`action="(/requests/` + number + `/tasks/\d+/done)"`).FindStringSubmatch(page.body)
		if done == nil {
			t.Fatalf("no open task to finish in round %d", i)
		}
		version := regexp.MustCompile(`action="` + regexp.QuoteMeta(done[1]) + `">.*?name="version" value="(\d+)"`).FindStringSubmatch(page.body)
		if p := agent.post(done[1], url.Values{"version": {version[1]}}); p.status != http.StatusSeeOther {
			t.Fatalf("finish task: %d\n%s", p.status, p.body)
		}
	}
	if st := s.requestState(t, number); st != "fulfilled" {
		t.Fatalf("after the last task: %s", st)
	}
	notes := rita.get("/notifications?unread=1")
	mustContain(t, notes, "Fulfilled: "+number, "Approved: "+number)

	// Rita reopens it with a reason; the agent closes it after fixing.
	page = rita.get("/requests/" + number)
	p = rita.post("/requests/"+number+"/reopen", url.Values{"version": {versionOf(t, page)}, "reason": {"The charger is missing"}})
	if p.status != http.StatusSeeOther || s.requestState(t, number) != "in_fulfilment" {
		t.Fatalf("reopen: %d, %s", p.status, s.requestState(t, number))
	}
	page = agent.get("/requests/" + number)
	if p := agent.post("/requests/"+number+"/fulfil", url.Values{"version": {versionOf(t, page)}}); p.status != http.StatusSeeOther {
		t.Fatalf("fulfil by hand: %d", p.status)
	}
	page = agent.get("/requests/" + number)
	if p := agent.post("/requests/"+number+"/close", url.Values{"version": {"1"}}); p.status != http.StatusConflict {
		t.Fatalf("close with a stale version: %d", p.status)
	}
	if p := agent.post("/requests/"+number+"/close", url.Values{"version": {versionOf(t, page)}}); p.status != http.StatusSeeOther || s.requestState(t, number) != "closed" {
		t.Fatalf("close: %d", p.status)
	}
	mustContain(t, rita.get("/requests/"+number), "The charger is missing", "This request is Closed")
}

func TestCatalogItemEditor(t *testing.T) {
	s := requestSite(t)
	admin := s.signedIn("admin")
	var service string
	if err := s.app.DB.QueryRow(context.Background(), "SELECT id FROM services WHERE name = 'VPN'").Scan(&service); err != nil {
		t.Fatal(err)
	}
	base := url.Values{"name": {"Guest Wi-Fi code"}, "service_id": {service}, "active": {"on"}, "approval_rule": {"none"},
		"task_name_0": {"Issue the code"}, "task_order_0": {"1"}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for key, vals := range base {
			f[key] = vals
		}
		f.Set(k, v)
		return f
	}
	rows := func(f url.Values, kv ...string) url.Values {
		for i := 0; i < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		return f
	}
	// A question depending on one below it comes back on its row, with
	// every row kept.
	p := admin.post("/catalog/items", rows(with("q_rows", "2"), "q_0_type", "number", "q_0_label", "Days", "q_0_when_field", "later",
		"q_0_when_value", "1", "q_1_type", "yes_no", "q_1_label", "Later"))
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("show-when on a later question: %d", p.status)
	}
	mustContain(t, p, "Question 1: it can only depend on a question above it.", `value="Days"`, `value="Later"`, "Guest Wi-Fi code")
	p = admin.post("/catalog/items", rows(with("q_rows", "1"), "q_0_type", "choice", "q_0_help", "Pick one"))
	mustContain(t, p, "Question 1: give it a label.", "Question 1: list its choices, one per line.", `value="Pick one"`)
	for _, role := range []string{"agent", "requester", "auditor"} {
		b := s.signedIn(role)
		if p := b.get("/catalog/items/new"); p.status != http.StatusForbidden {
			t.Fatalf("%s opening the item builder: %d", role, p.status)
		}
		if p := b.post("/catalog/items", rows(with("q_rows", "1"), "q_0_type", "text", "q_0_label", "Room", "act", "preview")); p.status != http.StatusForbidden {
			t.Fatalf("%s previewing a form: %d", role, p.status)
		}
	}
	// Builder buttons bring the page back with the rows changed and
	// nothing saved.
	p = admin.post("/catalog/items", rows(with("q_rows", "2"), "q_0_type", "text", "q_0_label", "First", "q_1_type", "text", "q_1_label", "Second", "act", "up:1"))
	if p.status != http.StatusOK || strings.Index(p.body, `value="Second"`) > strings.Index(p.body, `value="First"`) {
		t.Fatalf("moving a question up: %d", p.status)
	}
	mustContain(t, p, `name="q_rows" value="2"`, "What the requester sees")
	p = admin.post("/catalog/items", rows(with("q_rows", "1"), "q_0_type", "text", "q_0_label", "First", "act", "add-question"))
	mustContain(t, p, `name="q_rows" value="2"`, `name="q_1_label"`)
	var n int
	if err := s.app.DB.QueryRow(context.Background(), "SELECT COUNT(*) FROM catalog_items WHERE name = 'Guest Wi-Fi code'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("a builder button saved the item (%d, %v)", n, err)
	}
	p = admin.post("/catalog/items", with("task_order_0", "500"))
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad task order: %d", p.status)
	}
	mustContain(t, p, "must be from 1 to 100")
	p = admin.post("/catalog/items", rows(with("q_rows", "1"), "q_0_type", "number", "q_0_label", "How many days?", "q_0_required", "on"))
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/catalog/items/") {
		t.Fatalf("create: %d %q\n%s", p.status, p.location, p.body)
	}
	item := strings.TrimPrefix(p.location, "/catalog/items/")
	mustContain(t, admin.get(p.location), "Catalogue item saved.", "How many days?", "Guest Wi-Fi code")
	edit := admin.get("/catalog/items/" + item + "/edit")
	mustContain(t, edit, `name="q_0_key" maxlength="40" value="how_many_days"`)
	f := with("version", versionOf(t, edit))
	f.Set("approval_rule", "user")
	p = admin.post("/catalog/items/"+item+"/edit", f)
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("approval by nobody named: %d", p.status)
	}
	mustContain(t, p, "is required for approval by a named user")
	f.Set("active", "")
	f.Set("approval_rule", "none")
	if p := admin.post("/catalog/items/"+item+"/edit", f); p.status != http.StatusSeeOther {
		t.Fatalf("deactivate: %d\n%s", p.status, p.body)
	}
	if p := s.signedIn("requester").get("/catalog/items/" + item); p.status != http.StatusNotFound {
		t.Fatalf("requester opening an inactive item: %d", p.status)
	}

	// Only a live service offers items; an item of another waits inactive, and says why.
	fax := strconv.FormatInt(s.serviceID(t, "Fax gateway"), 10)
	p = admin.post("/catalog/items", with("service_id", fax))
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("publishing on a retired service: %d", p.status)
	}
	mustContain(t, p, "Fax gateway is retired, and only a live service offers items to requesters: choose a live service or leave the item inactive.")
	quiet := with("service_id", fax)
	quiet.Del("active")
	quiet.Set("name", "Fax number change")
	if p = admin.post("/catalog/items", quiet); p.status != http.StatusSeeOther {
		t.Fatalf("an inactive item on a retired service: %d\n%s", p.status, p.body)
	}
	mustContain(t, admin.get(p.location), "Requesters do not see this item: its service, Fax gateway, is not live (status: Retired).")
}

func TestManagersAndNotificationsPages(t *testing.T) {
	s := requestSite(t)
	admin := s.signedIn("admin")
	rita, _ := s.userID(t, "requester@steward.demo")
	agent, _ := s.userID(t, "agent@steward.demo")
	path := "/users/" + strconv.FormatInt(rita, 10) + "/manager"
	if p := admin.post(path, url.Values{"manager_id": {strconv.FormatInt(rita, 10)}}); p.status != http.StatusUnprocessableEntity {
		t.Fatalf("self-managing: %d", p.status)
	}
	if p := admin.post(path, url.Values{"manager_id": {strconv.FormatInt(agent, 10)}}); p.status != http.StatusSeeOther {
		t.Fatalf("set manager: %d", p.status)
	}
	var m int64
	if err := s.app.DB.QueryRow(context.Background(), "SELECT manager_id FROM user_managers WHERE user_id = ?", rita).Scan(&m); err != nil {
		t.Fatal(err)
	}
	if m != agent {
		t.Fatalf("manager is %d, want %d", m, agent)
	}

	mei := s.browser()
	mei.login("mei.chen@steward.demo", demo.Password)
	notes := mei.get("/notifications?unread=1")
	id := regexp.MustCompile(`action="/notifications/(\d+)/read"`).FindStringSubmatch(notes.body)
	if id == nil {
		t.Fatalf("Mei has no unread notification to open:\n%s", notes.body)
	}
	p := mei.post("/notifications/"+id[1]+"/read", url.Values{"open": {"1"}})
	// Her newest notice asks for a decision on a request or on a change
	// whose board she sits on; opening it leads to that record.
	if p.status != http.StatusSeeOther || !(strings.HasPrefix(p.location, "/requests/REQ-") || strings.HasPrefix(p.location, "/changes/CHG-")) {
		t.Fatalf("open a notification: %d %q", p.status, p.location)
	}
	if p := s.signedIn("agent").post("/notifications/"+id[1]+"/read", url.Values{}); p.status != http.StatusNotFound {
		t.Fatalf("someone else's notification: %d", p.status)
	}
	if p := mei.post("/notifications/read-all", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("read all: %d", p.status)
	}
	mustContain(t, mei.get("/notifications?unread=1"), "Nothing unread.")
}

// An agent who submits a request on someone's behalf is neither offered
// its approval nor able to decide it, even as a member of the approving
// group; another member decides.
func TestSubmitterDoesNotApproveInPages(t *testing.T) {
	s := requestSite(t)
	ctx := context.Background()
	software := s.itemID(t, "Software installation")
	rita, _ := s.userID(t, "requester@steward.demo")
	// Alex Agent is a member of Applications, the item's approving group.
	agent := s.signedIn("agent")
	agent.get("/catalog/items/" + software)
	p := agent.post("/catalog/items/"+software+"/request", url.Values{"requester_id": {strconv.FormatInt(rita, 10)},
		"a.software": {"Inkscape 1.3"}, "a.licence": {"true"}})
	m := requestNumber.FindStringSubmatch(p.location)
	if p.status != http.StatusSeeOther || m == nil {
		t.Fatalf("submit for Rita: %d %q\n%s", p.status, p.location, p.body)
	}
	number := m[1]
	if page := agent.get("/requests/" + number); strings.Contains(page.body, `/approve"`) {
		t.Fatal("the submitter is offered the approval")
	}
	id, _ := request.ParseRef(number)
	var approval int64
	if err := s.app.DB.QueryRow(ctx, "SELECT id FROM request_approvals WHERE request_id = ?", id).Scan(&approval); err != nil {
		t.Fatal(err)
	}
	action := "/requests/" + number + "/approvals/" + strconv.FormatInt(approval, 10)
	p = agent.post(action+"/approve", url.Values{})
	if p.status != http.StatusForbidden {
		t.Fatalf("the submitter approved: %d", p.status)
	}
	mustContain(t, p, "You submitted this on someone")
	lucia := s.browser()
	if p := lucia.login("lucia.romero@steward.demo", demo.Password); p.status != http.StatusSeeOther {
		t.Fatalf("login as another member: %d", p.status)
	}
	lucia.get("/requests/" + number)
	if p := lucia.post(action+"/approve", url.Values{"comment": {"Fine"}}); p.status != http.StatusSeeOther || s.requestState(t, number) != "in_fulfilment" {
		t.Fatalf("another member approves: %d, %s", p.status, s.requestState(t, number))
	}
}

// A requester's form names only people of their organisation: another
// customer's user reads as no user at all, as on the API.
func TestUserAnswersNameOnlyVisibleUsersInPages(t *testing.T) {
	s := requestSite(t)
	laptop := s.itemID(t, "New laptop")
	yuki, _ := s.userID(t, "yuki.tanaka@fabrikam.example")
	rita := s.signedIn("requester")
	rita.get("/catalog/items/" + laptop)
	for _, id := range []int64{yuki, 999999} {
		p := rita.post("/catalog/items/"+laptop+"/request", url.Values{"a.model": {"13 inch, light"}, "a.needed_by": {"2099-04-01"},
			"a.for_whom": {strconv.FormatInt(id, 10)}})
		if p.status != http.StatusUnprocessableEntity {
			t.Fatalf("naming user %d: status %d", id, p.status)
		}
		mustContain(t, p, "must name an active user (no user "+strconv.FormatInt(id, 10)+")")
	}
	if p := rita.get("/catalog/items/" + laptop); strings.Contains(p.body, "Yuki") {
		t.Fatal("another customer's user is offered as a choice")
	}
}

// An agent chooses whether a task's note reaches the requester; the
// requester's page never shows an internal one.
func TestTaskNotesInPages(t *testing.T) {
	s := requestSite(t)
	mailbox := s.itemID(t, "Mailbox")
	rita := s.signedIn("requester")
	rita.get("/catalog/items/" + mailbox)
	p := rita.post("/catalog/items/"+mailbox+"/request", url.Values{"a.kind": {"personal"}, "a.address": {"rita@example.com"}})
	m := requestNumber.FindStringSubmatch(p.location)
	if p.status != http.StatusSeeOther || m == nil {
		t.Fatalf("submit: %d %q", p.status, p.location)
	}
	number := m[1]
	agent := s.signedIn("agent")
	agent.get("/requests/" + number)
	if p := agent.post("/requests/"+number+"/tasks", url.Values{"name": {"Check the licence"}, "note": {"Licence pool nearly empty"}}); p.status != http.StatusSeeOther {
		t.Fatalf("add a task with an internal note: %d", p.status)
	}
	if p := agent.post("/requests/"+number+"/tasks", url.Values{"name": {"Send the password"}, "note": {"Sent by text message"}, "note_visibility": {"requester"}}); p.status != http.StatusSeeOther {
		t.Fatalf("add a task with a note for the requester: %d", p.status)
	}
	mustContain(t, agent.get("/requests/"+number), "Licence pool nearly empty", "Note · internal", "Sent by text message", "Note shown to the requester")
	page := rita.get("/requests/" + number)
	mustContain(t, page, "Send the password", "Sent by text message")
	if strings.Contains(page.body, "Licence pool") || strings.Contains(page.body, "Note · internal") {
		t.Fatal("the requester's page shows an internal task note")
	}
}
