package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"steward/internal/jobs"
	"steward/internal/mail"
	"steward/internal/notify"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// The outbox is the administrators' alone: who may read it and send a
// failed message again, and who may not.
func TestMailOutboxAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		ctx := context.Background()
		err := e.DB.InTx(ctx, func(tx *store.Tx) error {
			return notify.Add(ctx, tx, []int64{s.users["requester"], s.users["agent"]}, "incident_resolved",
				"Resolved: INC-000007 Printer jams", "Confirm the resolution.", "/incidents/INC-000007")
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.app.Mail.Dispatch(ctx, jobs.Job{}); err != nil {
			t.Fatal(err)
		}
		list, _, err := s.app.Mail.List(ctx, mailFilterAll())
		if err != nil || len(list) != 2 {
			t.Fatalf("outbox after dispatch: %d messages, %v", len(list), err)
		}
		failed, queued := list[0].ID, list[1].ID
		if _, err := e.DB.Exec(ctx, "UPDATE mail_outbox SET state = 'failed', last_error = 'mailbox unavailable' WHERE id = ?", failed); err != nil {
			t.Fatal(err)
		}
		one := fmt.Sprint(failed)
		s.run(t, []apiCase{
			{"anonymous callers must sign in", "", "GET", "/api/v1/mail/messages", nil, nil, 401, nil},
			{"agents may not read the outbox", "agent", "GET", "/api/v1/mail/messages", nil, nil, 403, nil},
			{"nor requesters", "requester", "GET", "/api/v1/mail/messages", nil, nil, 403, nil},
			{"nor auditors", "auditor", "GET", "/api/v1/mail/messages", nil, nil, 403, nil},
			{"administrators may", "admin", "GET", "/api/v1/mail/messages", nil, nil, 200,
				[]string{`"subject":"[INC-000007] Resolved: Printer jams"`, `"record_ref":"INC-000007"`, `"state":"queued"`}},
			{"by state", "admin", "GET", "/api/v1/mail/messages?state=failed", nil, nil, 200,
				[]string{`"last_error":"mailbox unavailable"`, `"next_cursor":null`}},
			{"paged", "admin", "GET", "/api/v1/mail/messages?limit=1", nil, nil, 200, []string{`"next_cursor":"` + one + `"`}},
			{"an unknown state is refused by name", "admin", "GET", "/api/v1/mail/messages?state=lost", nil, nil, 400, []string{`"state"`}},
			{"one message with its parts", "admin", "GET", "/api/v1/mail/messages/" + one, nil, nil, 200,
				[]string{`"text":"`, `"html":"`, `["X-Steward-Ref","INC-000007"]`}},
			{"agents may not read one", "agent", "GET", "/api/v1/mail/messages/" + one, nil, nil, 403, nil},
			{"no such message", "admin", "GET", "/api/v1/mail/messages/99999", nil, nil, 404, nil},
			{"agents may not send again", "agent", "POST", "/api/v1/mail/messages/" + one + "/retry", nil, nil, 403, nil},
			{"auditors may not either", "auditor", "POST", "/api/v1/mail/messages/" + one + "/retry", nil, nil, 403, nil},
			{"a message on its way is not sent again", "admin", "POST", fmt.Sprintf("/api/v1/mail/messages/%d/retry", queued), nil, nil, 409, nil},
			{"administrators send a failed one again", "admin", "POST", "/api/v1/mail/messages/" + one + "/retry", nil, nil, 200,
				[]string{`"state":"queued"`, `"attempts":0`}},
		})
		trail := string(s.do("admin", "GET", "/api/v1/audit?entity=mail_message", nil).body)
		if !containsAll(trail, `"action":"retry"`, `"entity_id":"`+one+`"`) {
			t.Errorf("the audit trail should show the retry: %s", trail)
		}
	})
}

func mailFilterAll() mail.Filter { return mail.Filter{Limit: 10} }

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
