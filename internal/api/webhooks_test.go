package api_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"steward/internal/store/storetest"
)

// hookCatcher is a receiver on loopback keeping each request's headers
// and body.
type hookCatcher struct {
	*httptest.Server
	mu   sync.Mutex
	got  []http.Header
	body [][]byte
}

func newHookCatcher(t *testing.T) *hookCatcher {
	c := &hookCatcher{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.got, c.body = append(c.got, r.Header.Clone()), append(c.body, b)
		c.mu.Unlock()
		w.Write([]byte("ok"))
	}))
	t.Cleanup(c.Close)
	return c
}

// An incident raised through the API reaches a webhook created through
// the API, signed with the secret shown once.
func TestWebhookAPIDeliversIncident(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		rc := newHookCatcher(t)
		res := s.do("admin", "POST", "/api/v1/webhooks", map[string]any{"url": rc.URL + "/in", "events": []string{"record.created"}, "description": "Chat"})
		if res.status != 201 || res.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("create: %d %s", res.status, res.body)
		}
		hook := res.json(t)
		secret, _ := hook["secret"].(string)
		if len(secret) < 16 || hook["secret_set"] != true || hook["state"] != "active" {
			t.Fatalf("create answer: %s", res.body)
		}
		path := fmt.Sprintf("/api/v1/webhooks/%v", hook["id"])
		for _, p := range []string{path, "/api/v1/webhooks"} {
			if got := s.do("auditor", "GET", p, nil); got.status != 200 || strings.Contains(string(got.body), secret) || strings.Contains(string(got.body), `"secret":`) {
				t.Fatalf("GET %s shows the secret or fails: %d %s", p, got.status, got.body)
			}
		}

		inc := s.do("agent", "POST", "/api/v1/incidents", map[string]any{"title": "Mail server down"}).json(t)
		if _, err := s.app.Webhooks.DeliverDue(t.Context()); err != nil {
			t.Fatal(err)
		}
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if len(rc.body) != 1 {
			t.Fatalf("%d deliveries, want 1", len(rc.body))
		}
		h, body := rc.got[0], rc.body[0]
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(h.Get("X-Steward-Timestamp") + "." + string(body)))
		if h.Get("X-Steward-Signature") != "sha256="+hex.EncodeToString(m.Sum(nil)) {
			t.Fatalf("signature %q does not verify", h.Get("X-Steward-Signature"))
		}
		var b map[string]any
		if err := json.Unmarshal(body, &b); err != nil {
			t.Fatal(err)
		}
		if b["kind"] != "record.created" || b["ref"] != inc["number"] || b["entity"] != "incident" || b["entity_id"] != inc["id"] ||
			fmt.Sprint(b["delivery_id"]) != h.Get("X-Steward-Delivery") || h.Get("X-Steward-Event") != "record.created" {
			t.Fatalf("body %s, headers %v", body, h)
		}
		log := s.do("auditor", "GET", path+"/deliveries?limit=10", nil)
		if log.status != 200 || !strings.Contains(string(log.body), `"state":"delivered"`) || !strings.Contains(string(log.body), `"response":"ok"`) {
			t.Fatalf("delivery log: %d %s", log.status, log.body)
		}
	})
}

// Bad input is refused naming the field; only administrators change
// webhooks, and auditors read them.
func TestWebhookAPIInputAndRoles(t *testing.T) {
	s := newServer(t, storetest.SQLite(t))
	rc := newHookCatcher(t)
	for _, c := range []struct {
		name, body, field, says string
	}{
		{"ftp", `{"url":"ftp://x","events":["*"]}`, "url", "http:// or https://"},
		{"javascript", `{"url":"javascript:alert(1)","events":["*"]}`, "url", "http:// or https://"},
		{"no host", `{"url":"http://","events":["*"]}`, "url", "names no host"},
		{"unknown kind", `{"url":"https://x.example","events":["ticket.exploded"]}`, "events", `unknown event kind \"ticket.exploded\"`},
		{"short secret", `{"url":"https://x.example","events":["*"],"secret":"0123456789"}`, "secret", "at least 16 characters"},
	} {
		res := s.do("admin", "POST", "/api/v1/webhooks", c.body)
		if res.status != 422 || !strings.Contains(string(res.body), `"`+c.field+`":`) || !strings.Contains(string(res.body), c.says) {
			t.Errorf("%s: %d %s", c.name, res.status, res.body)
		}
	}
	if res := s.do("admin", "POST", "/api/v1/webhooks", `{"url":"https://x.example","events":["*"],"colour":"red"}`); res.status != 400 {
		t.Errorf("an unknown field: %d", res.status)
	}
	ok := fmt.Sprintf(`{"url":%q,"events":["*"]}`, rc.URL)
	for _, role := range []string{"agent", "requester", "auditor"} {
		if res := s.do(role, "POST", "/api/v1/webhooks", ok); res.status != 403 {
			t.Errorf("%s creates a webhook: %d", role, res.status)
		}
	}
	created := s.do("admin", "POST", "/api/v1/webhooks", ok).json(t)
	path := fmt.Sprintf("/api/v1/webhooks/%v", created["id"])
	for _, role := range []string{"agent", "requester"} {
		if res := s.do(role, "GET", path, nil); res.status != 403 {
			t.Errorf("%s reads a webhook: %d", role, res.status)
		}
	}
	for _, req := range [][2]string{{"PATCH", path}, {"DELETE", path}, {"POST", path + "/test"}} {
		var body any
		if req[0] != "DELETE" {
			body = `{}`
		}
		if res := s.do("auditor", req[0], req[1], body); res.status != 403 {
			t.Errorf("an auditor may %s %s: %d", req[0], req[1], res.status)
		}
	}

	test := s.do("admin", "POST", path+"/test", nil)
	if r := test.json(t); test.status != 200 || r["ok"] != true || r["status"] != float64(200) || r["response"] != "ok" {
		t.Fatalf("test: %d %s", test.status, test.body)
	}
	rotated := s.do("admin", "PATCH", path, `{"rotate_secret":true,"paused":true}`, "If-Match", `"v1"`)
	if r := rotated.json(t); rotated.status != 200 || r["state"] != "paused" || len(fmt.Sprint(r["secret"])) < 16 {
		t.Fatalf("rotate and pause: %d %s", rotated.status, rotated.body)
	}
	if res := s.do("admin", "PATCH", path, `{"description":"late"}`, "If-Match", `"v1"`); res.status != 412 {
		t.Fatalf("a stale If-Match: %d", res.status)
	}
	if res := s.do("admin", "GET", path+"/deliveries?state=lost", nil); res.status != 400 || !strings.Contains(string(res.body), "pending, delivered or failed") {
		t.Fatalf("a bad state filter: %d %s", res.status, res.body)
	}
	// The senders' Alertmanager endpoint under the same prefix is untouched.
	if res := s.do("", "POST", "/api/v1/webhooks/alertmanager", `{}`); res.status != 401 {
		t.Fatalf("POST /api/v1/webhooks/alertmanager without a key: %d", res.status)
	}
	if res := s.do("admin", "DELETE", path, nil); res.status != 204 {
		t.Fatalf("delete: %d", res.status)
	}
	if res := s.do("admin", "GET", path, nil); res.status != 404 {
		t.Fatalf("after delete: %d", res.status)
	}
}
