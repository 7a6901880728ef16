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
// must not be readable by auditors either, nor kept in the audit trail.
func TestReviewReceiverTokenHiddenFromAuditors(t *testing.T) {
	s := newServer(t, storetest.SQLite(t))
	const token = "T0001/B0002/Xq7secretPathToken9"
	created := s.do("admin", "POST", "/api/v1/webhooks", fmt.Sprintf(`{"url":"https://hooks.chat.example/services/%s","events":["*"]}`, token))
	if created.status != 201 {
		t.Fatalf("create: %d %s", created.status, created.body)
	}
	id := created.json(t)["id"]
	for _, p := range []string{"/api/v1/webhooks", fmt.Sprintf("/api/v1/webhooks/%v", id)} {
		if res := s.do("auditor", "GET", p, nil); strings.Contains(string(res.body), "Xq7secretPathToken9") {
			t.Errorf("an auditor reads the receiver's path token in GET %s: %s", p, res.body)
		}
	}
	if n := storetest.Count(t, s.app.DB, `SELECT COUNT(*) FROM audit_log WHERE data LIKE ?`, "%Xq7secretPathToken9%"); n != 0 {
		t.Errorf("the audit trail keeps the receiver's path token in %d entries", n)
	}
}
