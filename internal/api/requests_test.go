package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"steward/internal/store"
	"steward/internal/store/storetest"
)

// addService writes a live service offered to the given customers (none:
// everyone), straight into the catalogue's table.
func (s *server) addService(name string, customers ...int64) int64 {
	s.t.Helper()
	ctx := context.Background()
	var id int64
	now := store.TS(time.Now())
	err := s.app.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO services (name, status, criticality, support_group_id, created_at, updated_at)
			VALUES (?, 'live', 'medium', ?, ?, ?) RETURNING id`, name, s.groupID, now, now).Scan(&id); err != nil {
			return err
		}
		for _, c := range customers {
			if _, err := tx.Exec(ctx, "INSERT INTO service_customers (service_id, customer_id) VALUES (?, ?)", id, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return id
}

type apiCase struct {
	name       string
	role       string
	method     string
	path       string
	body       any
	headers    []string
	wantStatus int
	wantBody   []string
}

func (s *server) run(t *testing.T, cases []apiCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := s.do(c.role, c.method, c.path, c.body, c.headers...)
			if res.status != c.wantStatus {
				t.Fatalf("status %d, want %d: %s", res.status, c.wantStatus, res.body)
			}
			for _, frag := range c.wantBody {
				if !strings.Contains(string(res.body), frag) {
					t.Errorf("body lacks %s: %s", frag, res.body)
				}
			}
			if res.status >= 400 && !strings.Contains(string(res.body), `"error":{"code":`) {
				t.Errorf("error body not in the error format: %s", res.body)
			}
		})
	}
}

func TestRequestAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		service := s.addService("Workplace", s.custA)
		form := map[string]any{"fields": []map[string]any{
			{"key": "size", "label": "Screen size", "type": "choice", "required": true, "options": []string{"24", "27"}},
			{"key": "arm", "label": "Monitor arm?", "type": "yes_no"},
			{"key": "desk", "label": "Desk", "type": "text", "required": true, "show_when": map[string]string{"field": "arm", "equals": "true"}},
		}}
		created := s.do("admin", "POST", "/api/v1/catalog/items", map[string]any{
			"service_id": service, "name": "Monitor", "form": form,
			"approval": map[string]any{"rule": "user", "user_id": s.users["agent"]},
			"tasks":    []map[string]any{{"name": "Deliver", "group_id": s.groupID}},
		})
		if created.status != 201 || created.header.Get("ETag") != `"v1"` || !strings.HasPrefix(created.header.Get("Location"), "/api/v1/catalog/items/") {
			t.Fatalf("create item: %d %s", created.status, created.body)
		}
		item := fmt.Sprint(created.json(t)["id"])

		s.run(t, []apiCase{
			{"item form faults name their paths", "admin", "POST", "/api/v1/catalog/items", map[string]any{"service_id": service, "name": "Bad",
				"form": map[string]any{"fields": []map[string]any{{"key": "a", "label": "A", "type": "text", "options": []string{"x"}},
					{"key": "b", "label": "B", "type": "text", "show_when": map[string]string{"field": "c", "equals": "x"}}}},
				"tasks": []map[string]any{{"name": "", "order": 0}}}, nil, 422,
				[]string{`"form.fields[0].options":"only choice fields take options"`, `"form.fields[1].show_when.field":"must name an earlier field of this form"`, `"tasks[0].name":"is required"`}},
			{"requesters cannot write the catalogue", "requester", "POST", "/api/v1/catalog/items", map[string]any{"service_id": service, "name": "X"}, nil, 403, nil},
			{"unknown item field", "admin", "PATCH", "/api/v1/catalog/items/" + item, `{"colour":"red"}`, nil, 400, []string{`"colour":"is not a known field"`}},
			{"offered to the customer", "requester", "GET", "/api/v1/catalog/items", nil, nil, 200, []string{`"name":"Monitor"`}},
			{"not offered to another customer", "requesterB", "GET", "/api/v1/catalog/items/" + item, nil, nil, 404, nil},
			{"another customer's list is empty", "requesterB", "GET", "/api/v1/catalog/items", nil, nil, 200, []string{`"items":[]`}},
			{"bad answers", "requester", "POST", "/api/v1/requests", map[string]any{"item_id": created.json(t)["id"], "answers": map[string]any{"size": "32", "arm": "sure", "colour": 1}}, nil, 422,
				[]string{`"answers.size":"must be one of: 24, 27"`, `"answers.arm":"must be true or false"`, `"answers.colour":"is not a question of this form"`}},
			{"shown required answer missing", "requester", "POST", "/api/v1/requests", map[string]any{"item_id": created.json(t)["id"], "answers": map[string]any{"size": "24", "arm": true}}, nil, 422,
				[]string{`"answers.desk":"is required"`}},
			{"requester cannot set the priority", "requester", "POST", "/api/v1/requests", map[string]any{"item_id": created.json(t)["id"], "priority": "P1"}, nil, 422,
				[]string{`"priority":"is set by the service desk"`}},
			{"bad priority", "agent", "POST", "/api/v1/requests", map[string]any{"item_id": created.json(t)["id"], "priority": "P9"}, nil, 400, nil},
		})

		body := map[string]any{"item_id": created.json(t)["id"], "answers": map[string]any{"size": "27", "arm": false, "desk": "ignored"}}
		sub := s.do("requester", "POST", "/api/v1/requests", body, "Idempotency-Key", "req-1")
		if sub.status != 201 {
			t.Fatalf("submit: %d %s", sub.status, sub.body)
		}
		req := sub.json(t)
		number := req["number"].(string)
		if req["state"] != "awaiting_approval" || req["priority"] != "P3" || req["title"] != "Monitor" || sub.header.Get("Location") != "/api/v1/requests/"+number ||
			req["customer_id"] != float64(s.custA) || strings.Contains(string(sub.body), "ignored") {
			t.Fatalf("submitted: %s %v", sub.body, sub.header)
		}
		again := s.do("requester", "POST", "/api/v1/requests", body, "Idempotency-Key", "req-1")
		if again.status != 201 || again.header.Get("Idempotent-Replayed") != "true" || again.header.Get("Location") != "/api/v1/requests/"+number || string(again.body) != string(sub.body) {
			t.Fatalf("replay: %d %v %s", again.status, again.header, again.body)
		}
		approvals := s.do("requester", "GET", "/api/v1/requests/"+number+"/approvals", nil).json(t)["items"].([]any)
		approval := fmt.Sprint(approvals[0].(map[string]any)["id"])

		s.run(t, []apiCase{
			{"key reused for another body", "requester", "POST", "/api/v1/requests", map[string]any{"item_id": created.json(t)["id"], "answers": map[string]any{"size": "24"}},
				[]string{"Idempotency-Key", "req-1"}, 422, []string{`"Idempotency-Key"`}},
			{"get by number", "auditor", "GET", "/api/v1/requests/" + strings.ToLower(number), nil, nil, 200, []string{`"item_name":"Monitor"`, `"answers":{"arm":false,"size":"27"}`}},
			{"still current", "agent", "GET", "/api/v1/requests/" + number, nil, []string{"If-None-Match", `"v1"`}, 304, nil},
			{"another customer's request", "requesterB", "GET", "/api/v1/requests/" + number, nil, nil, 404, []string{`"code":"not_found"`}},
			{"an incident number is no request", "agent", "GET", "/api/v1/requests/INC-000001", nil, nil, 404, nil},
			{"requester cannot patch", "requester", "PATCH", "/api/v1/requests/" + number, `{"priority":"P1"}`, nil, 403, nil},
			{"approvals decide, not hands", "agent", "PATCH", "/api/v1/requests/" + number, `{"state":"in_fulfilment"}`, nil, 422, []string{`the approvals decide`}},
			{"the requester does not approve", "requester", "POST", "/api/v1/requests/" + number + "/approvals/" + approval + "/approve", nil, nil, 403, nil},
			{"nor does an admin", "admin", "POST", "/api/v1/requests/" + number + "/approvals/" + approval + "/approve", nil, nil, 403, nil},
			{"auditors hold no approve permission", "auditor", "POST", "/api/v1/requests/" + number + "/approvals/" + approval + "/approve", nil, nil, 403, nil},
			{"waiting for the agent", "agent", "GET", "/api/v1/approvals", nil, nil, 200, []string{`"request_number":"` + number + `"`}},
			{"unknown approval", "agent", "POST", "/api/v1/requests/" + number + "/approvals/999999/approve", nil, nil, 404, nil},
			{"rejection needs a reason", "agent", "POST", "/api/v1/requests/" + number + "/approvals/" + approval + "/reject", `{}`, nil, 422, []string{`"comment":"is required"`}},
			{"approve", "agent", "POST", "/api/v1/requests/" + number + "/approvals/" + approval + "/approve", `{"comment":"ok"}`, nil, 200, []string{`"state":"approved"`}},
			{"decided once only", "agent", "POST", "/api/v1/requests/" + number + "/approvals/" + approval + "/approve", nil, nil, 409, nil},
			{"now in fulfilment", "requester", "GET", "/api/v1/requests/" + number, nil, nil, 200, []string{`"state":"in_fulfilment"`}},
			{"the approver was told", "agent", "GET", "/api/v1/notifications", nil, nil, 200, []string{`"kind":"approval_requested"`, `"link":"/requests/` + number + `"`}},
			{"requester work note", "requester", "POST", "/api/v1/requests/" + number + "/comments", `{"body":"x","kind":"work_note"}`, nil, 403, nil},
			{"agent work note", "agent", "POST", "/api/v1/requests/" + number + "/comments", `{"body":"Ordered the 27 inch","kind":"work_note"}`, nil, 201, []string{`"kind":"work_note"`}},
			{"requester comment", "requester", "POST", "/api/v1/requests/" + number + "/comments", `{"body":"When will it come?"}`, []string{"Idempotency-Key", "c-1"}, 201, []string{`"kind":"comment"`}},
			{"list filters", "agent", "GET", "/api/v1/requests?state=open&priority=P3&service_id=" + fmt.Sprint(service) + "&assignee_id=none&sort=-number", nil, nil, 200, []string{number}},
			{"bad list parameters", "agent", "GET", "/api/v1/requests?state=sleeping&priority=P9&colour=red", nil, nil, 400,
				[]string{`"state":`, `"priority":"must be P1 to P5"`, `"colour":"is not a known parameter"`}},
			{"bad cursor", "agent", "GET", "/api/v1/requests?cursor=xyz", nil, nil, 400, []string{`"cursor":`}},
			{"bad sort", "agent", "GET", "/api/v1/requests?sort=priority", nil, nil, 400, []string{`"sort":`}},
			{"another customer lists nothing", "requesterB", "GET", "/api/v1/requests", nil, nil, 200, []string{`"items":[]`}},
		})

		t.Run("requesters see no work notes in the journal", func(t *testing.T) {
			journal := string(s.do("requester", "GET", "/api/v1/requests/"+number+"/journal", nil).body)
			if strings.Contains(journal, "Ordered the 27 inch") || !strings.Contains(journal, "When will it come?") || !strings.Contains(journal, `"kind":"approval"`) {
				t.Fatalf("requester's journal: %s", journal)
			}
		})

		t.Run("tasks to fulfilment, reopen and close", func(t *testing.T) {
			tasks := s.do("agent", "GET", "/api/v1/requests/"+number+"/tasks", nil).json(t)["items"].([]any)
			task := tasks[0].(map[string]any)
			if task["state"] != "open" {
				t.Fatalf("first task: %v", task)
			}
			path := "/api/v1/requests/" + number + "/tasks/" + fmt.Sprint(task["id"])
			if res := s.do("agent", "PATCH", path, `{"state":"done"}`, "If-Match", `"v9"`); res.status != 412 {
				t.Fatalf("stale task: %d %s", res.status, res.body)
			}
			if res := s.do("agent", "PATCH", path, `{"state":"pending"}`); res.status != 422 {
				t.Fatalf("task back to pending: %d %s", res.status, res.body)
			}
			added := s.do("agent", "POST", "/api/v1/requests/"+number+"/tasks", `{"name":"Mount the arm","order":2}`)
			if added.status != 201 || added.json(t)["state"] != "pending" {
				t.Fatalf("add task: %d %s", added.status, added.body)
			}
			if res := s.do("agent", "PATCH", path, `{"state":"done","note":"Delivered to desk 4"}`, "If-Match", `"v2"`); res.status != 200 || res.header.Get("ETag") != `"v3"` {
				t.Fatalf("task done: %d %s %v", res.status, res.body, res.header)
			}
			second := "/api/v1/requests/" + number + "/tasks/" + fmt.Sprint(added.json(t)["id"])
			if res := s.do("agent", "PATCH", second, `{"state":"done"}`); res.status != 200 {
				t.Fatalf("second task: %d %s", res.status, res.body)
			}
			got := s.do("requester", "GET", "/api/v1/requests/"+number, nil).json(t)
			if got["state"] != "fulfilled" || got["fulfilled_at"] == nil || got["first_response_at"] == nil {
				t.Fatalf("after the tasks: %v", got)
			}
			if res := s.do("requester", "POST", "/api/v1/requests/"+number+"/cancel", nil); res.status != 409 {
				t.Fatalf("cancel a fulfilled request: %d %s", res.status, res.body)
			}
			if res := s.do("requesterB", "POST", "/api/v1/requests/"+number+"/reopen", nil); res.status != 404 {
				t.Fatalf("a stranger reopens: %d", res.status)
			}
			res := s.do("requester", "POST", "/api/v1/requests/"+number+"/reopen", `{"reason":"Wrong size"}`)
			if res.status != 200 || res.json(t)["reopen_count"] != float64(1) || res.json(t)["state"] != "in_fulfilment" {
				t.Fatalf("reopen: %d %s", res.status, res.body)
			}
			if res := s.do("agent", "PATCH", "/api/v1/requests/"+number, `{"state":"fulfilled","priority":"P2","assignee_id":`+fmt.Sprint(s.users["agent"])+`}`); res.status != 200 {
				t.Fatalf("fulfil by hand: %d %s", res.status, res.body)
			}
			if res := s.do("agent", "PATCH", "/api/v1/requests/"+number, `{"state":"closed"}`); res.status != 200 || res.json(t)["closed_at"] == nil {
				t.Fatalf("close: %d %s", res.status, res.body)
			}
			if res := s.do("agent", "PATCH", "/api/v1/requests/"+number, `{"title":"x"}`); res.status != 409 {
				t.Fatalf("change a closed request: %d %s", res.status, res.body)
			}
			notes := string(s.do("requester", "GET", "/api/v1/notifications?unread=true", nil).body)
			if !strings.Contains(notes, `"kind":"request_fulfilled"`) || !strings.Contains(notes, `"kind":"request_approved"`) {
				t.Fatalf("requester's notifications: %s", notes)
			}
		})

		t.Run("managers", func(t *testing.T) {
			path := fmt.Sprintf("/api/v1/users/%d/manager", s.users["requester"])
			s.run(t, []apiCase{
				{"none yet", "auditor", "GET", path, nil, nil, 200, []string{`"manager_id":null`}},
				{"the key is required", "admin", "PUT", path, `{}`, nil, 422, []string{`"manager_id":`}},
				{"not an auditor", "admin", "PUT", path, map[string]any{"manager_id": s.users["auditor"]}, nil, 422, []string{"cannot decide approvals"}},
				{"agents cannot set", "agent", "PUT", path, map[string]any{"manager_id": s.users["agent"]}, nil, 403, nil},
				{"set", "admin", "PUT", path, map[string]any{"manager_id": s.users["agent"]}, nil, 200, []string{`"manager_name":"agent"`}},
				{"unknown user", "admin", "GET", "/api/v1/users/999999/manager", nil, nil, 404, nil},
				{"remove", "admin", "PUT", path, `{"manager_id":null}`, nil, 200, []string{`"manager_id":null`}},
			})
		})

		t.Run("notifications are the addressee's", func(t *testing.T) {
			list := s.do("agent", "GET", "/api/v1/notifications?limit=1", nil).json(t)
			first := list["items"].([]any)[0].(map[string]any)
			id := fmt.Sprint(first["id"])
			if res := s.do("requester", "POST", "/api/v1/notifications/"+id+"/read", nil); res.status != 404 {
				t.Fatalf("someone else's: %d", res.status)
			}
			if res := s.do("agent", "POST", "/api/v1/notifications/"+id+"/read", nil); res.status != 200 || res.json(t)["read_at"] == nil {
				t.Fatalf("read: %d %s", res.status, res.body)
			}
			if list["next_cursor"] != nil {
				next := s.do("agent", "GET", "/api/v1/notifications?limit=1&cursor="+list["next_cursor"].(string), nil)
				if next.status != 200 || strings.Contains(string(next.body), `"id":`+id+`,`) {
					t.Fatalf("second page: %d %s", next.status, next.body)
				}
			}
			if res := s.do("agent", "POST", "/api/v1/notifications/read-all", nil); res.status != 200 {
				t.Fatalf("read all: %d %s", res.status, res.body)
			}
			if res := s.do("agent", "GET", "/api/v1/notifications?unread=true", nil); !strings.Contains(string(res.body), `"items":[]`) {
				t.Fatalf("unread after read-all: %s", res.body)
			}
		})

		t.Run("a used item cannot be deleted", func(t *testing.T) {
			if res := s.do("admin", "DELETE", "/api/v1/catalog/items/"+item, nil); res.status != http.StatusConflict {
				t.Fatalf("delete: %d %s", res.status, res.body)
			}
		})
	})
}

// Whoever submits a request on someone's behalf may not approve it: the
// API refuses with 403 and says why, and refuses to name the submitter
// alone as approver at submission.
func TestSubmitterDoesNotApproveAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		ctx := context.Background()
		service := s.addService("Workplace")
		// The desk group has the agent; the admin joins it, so that the
		// group has a member other than the agent.
		if _, err := s.app.DB.Exec(ctx, "INSERT INTO group_members (group_id, user_id) VALUES (?, ?)", s.groupID, s.users["admin"]); err != nil {
			t.Fatal(err)
		}
		byGroup := s.do("admin", "POST", "/api/v1/catalog/items", map[string]any{"service_id": service, "name": "Chair",
			"approval": map[string]any{"rule": "group", "group_id": s.groupID, "mode": "any"}}).json(t)["id"]
		byAgent := s.do("admin", "POST", "/api/v1/catalog/items", map[string]any{"service_id": service, "name": "Desk",
			"approval": map[string]any{"rule": "user", "user_id": s.users["agent"]}}).json(t)["id"]
		sub := s.do("agent", "POST", "/api/v1/requests", map[string]any{"item_id": byGroup, "requester_id": s.users["requester"]})
		if sub.status != 201 {
			t.Fatalf("submit for the requester: %d %s", sub.status, sub.body)
		}
		number := sub.json(t)["number"].(string)
		approval := fmt.Sprint(s.do("agent", "GET", "/api/v1/requests/"+number+"/approvals", nil).json(t)["items"].([]any)[0].(map[string]any)["id"])
		path := "/api/v1/requests/" + number + "/approvals/" + approval
		s.run(t, []apiCase{
			{"the submitter is refused and told why", "agent", "POST", path + "/approve", nil, nil, 403, []string{"you submitted this on someone's behalf"}},
			{"not waiting for the submitter", "agent", "GET", "/api/v1/approvals", nil, nil, 200, []string{`"items":[]`}},
			{"the submitter as the only approver", "agent", "POST", "/api/v1/requests", map[string]any{"item_id": byAgent, "requester_id": s.users["requester"]},
				nil, 422, []string{"nobody approves a request they submit"}},
			{"another member decides", "admin", "POST", path + "/approve", nil, nil, 200, []string{`"state":"approved"`}},
		})
	})
}

// What a requester may not see reads exactly as what does not exist: an
// item not offered to them, and a user of another customer named in an
// answer.
func TestRequesterCannotProbeItemsOrUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		mine, theirs := s.addService("Workplace", s.custA), s.addService("Beta only", s.custB)
		form := map[string]any{"fields": []map[string]any{{"key": "for_whom", "label": "For whom", "type": "user"}}}
		item := s.do("admin", "POST", "/api/v1/catalog/items", map[string]any{"service_id": mine, "name": "Badge", "form": form}).json(t)["id"]
		hidden := s.do("admin", "POST", "/api/v1/catalog/items", map[string]any{"service_id": theirs, "name": "Forklift"}).json(t)["id"]
		answer := func(user any) map[string]any {
			return map[string]any{"item_id": item, "answers": map[string]any{"for_whom": user}}
		}
		s.run(t, []apiCase{
			{"an item that does not exist", "requester", "POST", "/api/v1/requests", map[string]any{"item_id": 999999}, nil, 422,
				[]string{`"item_id":"item 999999 does not exist"`}},
			{"an item not offered to them reads the same", "requester", "POST", "/api/v1/requests", map[string]any{"item_id": hidden}, nil, 422,
				[]string{fmt.Sprintf(`"item_id":"item %v does not exist"`, hidden)}},
			{"and cannot be read either", "requester", "GET", fmt.Sprint("/api/v1/catalog/items/", hidden), nil, nil, 404, nil},
			{"a user who does not exist", "requester", "POST", "/api/v1/requests", answer(999999), nil, 422,
				[]string{`"answers.for_whom":"must name an active user (no user 999999)"`}},
			{"another customer's user reads the same", "requester", "POST", "/api/v1/requests", answer(s.users["requesterB"]), nil, 422,
				[]string{fmt.Sprintf(`"answers.for_whom":"must name an active user (no user %d)"`, s.users["requesterB"])}},
			{"themselves", "requester", "POST", "/api/v1/requests", answer(s.users["requester"]), nil, 201,
				[]string{fmt.Sprintf(`"for_whom":%d`, s.users["requester"])}},
			{"staff may name anyone", "agent", "POST", "/api/v1/requests", map[string]any{"item_id": item, "requester_id": s.users["agent"],
				"answers": map[string]any{"for_whom": s.users["requesterB"]}}, nil, 201, nil},
		})
	})
}

// Task notes are internal unless the service desk shows them to the
// requester; the requester's answers never carry an internal note.
func TestTaskNotesAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		service := s.addService("Workplace", s.custA)
		item := s.do("admin", "POST", "/api/v1/catalog/items", map[string]any{"service_id": service, "name": "Desk move",
			"tasks": []map[string]any{{"name": "Move the desk", "group_id": s.groupID}}}).json(t)["id"]
		number := s.do("requester", "POST", "/api/v1/requests", map[string]any{"item_id": item}).json(t)["number"].(string)
		tasks := "/api/v1/requests/" + number + "/tasks"
		first := fmt.Sprint(s.do("agent", "GET", tasks, nil).json(t)["items"].([]any)[0].(map[string]any)["id"])
		s.run(t, []apiCase{
			{"an internal note", "agent", "PATCH", tasks + "/" + first, `{"note":"Supplier owes us a discount"}`, nil, 200, []string{`"note_visibility":"internal"`}},
			{"a note for the requester", "agent", "POST", tasks, `{"name":"Reconnect","note":"We come on Friday","note_visibility":"requester"}`, nil, 201,
				[]string{`"note_visibility":"requester"`}},
			{"an unknown visibility", "agent", "POST", tasks, `{"name":"x","note_visibility":"everyone"}`, nil, 422, []string{`"note_visibility":"must be internal or requester"`}},
			{"staff read both", "agent", "GET", tasks, nil, nil, 200, []string{"Supplier owes us a discount", "We come on Friday"}},
			{"the requester reads the one for them", "requester", "GET", tasks, nil, nil, 200, []string{"We come on Friday", `"note":""`}},
		})
		if body := string(s.do("requester", "GET", tasks, nil).body); strings.Contains(body, "discount") {
			t.Fatalf("the requester reads an internal note: %s", body)
		}
		if body := string(s.do("requester", "GET", "/api/v1/requests/"+number+"/journal", nil).body); strings.Contains(body, "discount") {
			t.Fatalf("the requester's journal shows an internal note: %s", body)
		}
	})
}
