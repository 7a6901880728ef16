package api_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"steward/internal/auth"
	"steward/internal/mailin"
	"steward/internal/store/storetest"
)

// TestIncomingMailAPI: agents and admins read the log and decide on held
// messages; requesters and auditors may not; bad filters are named.
func TestIncomingMailAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		ctx := context.Background()
		st := mailin.DefaultSettings()
		st.UnknownSender = mailin.UnknownHold
		if _, err := s.app.Inbound.SaveSettings(ctx, &auth.Principal{UserID: s.users["admin"], Role: auth.Admin, Email: "admin@api.test"}, st); err != nil {
			t.Fatal(err)
		}
		take := func(from, subject string) mailin.Result {
			// As the mailbox's server delivers it: with the Return-Path it writes.
			raw := "Return-Path: <" + from + ">\r\nFrom: " + from + "\r\nSubject: " + subject + "\r\nMessage-ID: <" + subject + "@example.com>\r\n\r\ntext\r\n"
			res, err := s.app.Inbound.Take(ctx, mailin.Delivery{Raw: []byte(raw), Via: "imap"})
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		take("requester@api.test", "opened-one")
		held := take("stranger@outside.test", "held-one")
		discard := take("spammer@outside.test", "held-two")

		for role, want := range map[string]int{"admin": 200, "agent": 200, "auditor": 403, "requester": 403, "": 401} {
			if r := s.do(role, "GET", "/api/v1/mail-inbound/log", nil); r.status != want {
				t.Errorf("%q lists the log: %d, want %d", role, r.status, want)
			}
		}
		r := s.do("agent", "GET", "/api/v1/mail-inbound/log?outcome=held", nil)
		items, _ := r.json(t)["items"].([]any)
		if len(items) != 2 {
			t.Fatalf("%d held messages, want 2: %s", len(items), r.body)
		}
		if w, _ := items[0].(map[string]any)["words"].(string); w == "" {
			t.Error("an entry comes without its reason in words")
		}
		if r := s.do("agent", "GET", "/api/v1/mail-inbound/log?outcome=lost", nil); r.status != 400 || r.errorFields(t)["outcome"] == nil {
			t.Errorf("unknown outcome: %d %s", r.status, r.body)
		}
		heldPath := "/api/v1/mail-inbound/log/" + strconv.FormatInt(held.Entry.ID, 10)
		if r := s.do("requester", "POST", heldPath+"/accept", nil); r.status != http.StatusForbidden {
			t.Errorf("requester accepted: %d", r.status)
		}
		if r := s.do("agent", "POST", heldPath+"/accept", map[string]string{"requester": "nobody@nowhere.test"}); r.status != 422 || r.errorFields(t)["requester"] == nil {
			t.Errorf("accept for a missing account: %d %s", r.status, r.body)
		}
		r = s.do("agent", "POST", heldPath+"/accept", map[string]string{"requester": "requester@api.test"})
		if r.status != 200 || r.json(t)["outcome"] != "opened" || r.json(t)["record"] == "" {
			t.Fatalf("accept: %d %s", r.status, r.body)
		}
		if r := s.do("agent", "POST", heldPath+"/discard", nil); r.status != http.StatusConflict {
			t.Errorf("discarding an accepted message: %d, want 409", r.status)
		}
		if r := s.do("admin", "POST", "/api/v1/mail-inbound/log/"+strconv.FormatInt(discard.Entry.ID, 10)+"/discard", nil); r.status != 204 {
			t.Errorf("discard: %d %s", r.status, r.body)
		}
	})
}
