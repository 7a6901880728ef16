package api_test

import (
	"fmt"
	"strings"
	"testing"

	"steward/internal/store/storetest"
)

// A receiver address often is the credential itself (chat and automation
// services put a token in the path: whoever knows it may post there). The
// signing secret is never shown after creation; the token in the address
// is not readable by auditors either, nor kept in the audit trail:
// auditors see the scheme, the host and a fingerprint of the path;
// administrators see the whole address.
func TestWebhookReceiverTokenHiddenFromAuditors(t *testing.T) {
	s := newServer(t, storetest.SQLite(t))
	const token = "T0001/B0002/Xq7secretPathToken9"
	created := s.do("admin", "POST", "/api/v1/webhooks", fmt.Sprintf(`{"url":"https://hooks.chat.example/services/%s","events":["*"]}`, token))
	if created.status != 201 {
		t.Fatalf("create: %d %s", created.status, created.body)
	}
	id := created.json(t)["id"]
	for _, p := range []string{"/api/v1/webhooks", fmt.Sprintf("/api/v1/webhooks/%v", id)} {
		res := s.do("auditor", "GET", p, nil)
		if res.status != 200 || strings.Contains(string(res.body), "Xq7secretPathToken9") {
			t.Errorf("an auditor reads the receiver's path token in GET %s: %d %s", p, res.status, res.body)
		}
		if !strings.Contains(string(res.body), `"url":"https://hooks.chat.example/… (path `) || !strings.Contains(string(res.body), `"url_masked":true`) {
			t.Errorf("an auditor does not see where the deliveries go (scheme, host, fingerprint) in GET %s: %s", p, res.body)
		}
		if res := s.do("admin", "GET", p, nil); !strings.Contains(string(res.body), "Xq7secretPathToken9") || !strings.Contains(string(res.body), `"url_masked":false`) {
			t.Errorf("an administrator does not see the whole address in GET %s: %s", p, res.body)
		}
	}
	// Changing and deleting keep the token out of the trail too.
	if res := s.do("admin", "PATCH", fmt.Sprintf("/api/v1/webhooks/%v", id), `{"url":"https://hooks.chat.example/services/T0001/B0003/Zz8otherToken"}`); res.status != 200 {
		t.Fatalf("change: %d %s", res.status, res.body)
	}
	if res := s.do("admin", "DELETE", fmt.Sprintf("/api/v1/webhooks/%v", id), nil); res.status != 204 {
		t.Fatalf("delete: %d %s", res.status, res.body)
	}
	if n := storetest.Count(t, s.app.DB, `SELECT COUNT(*) FROM audit_log WHERE data LIKE ?`, "%Zz8otherToken%"); n != 0 {
		t.Errorf("the audit trail keeps the changed address's path token in %d entries", n)
	}
	if n := storetest.Count(t, s.app.DB, `SELECT COUNT(*) FROM audit_log WHERE data LIKE ?`, "%Xq7secretPathToken9%"); n != 0 {
		t.Errorf("the audit trail keeps the receiver's path token in %d entries", n)
	}
}
