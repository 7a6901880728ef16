package api_test

import (
	"fmt"
	"strings"
	"testing"

	"steward/internal/store/storetest"
)

// A broker address with a password is used to connect and shown to
// nobody: not in answers, not in the audit record, not in the connection
// status; sending the shown address back keeps the password.
func TestIntegrationBrokerPasswordIsNeverShown(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		const secret = "S3cretPass"
		res := s.do("admin", "POST", "/api/v1/integrations", map[string]any{"name": "Plant broker", "kind": "mqtt",
			"url": "tcp://fleetuser:" + secret + "@127.0.0.1:1883", "topics": []string{"plant/#"}})
		if res.status != 201 {
			t.Fatalf("create: %d %s", res.status, res.body)
		}
		id := fmt.Sprint(res.json(t)["id"])
		path := "/api/v1/integrations/" + id
		shown := "tcp://fleetuser:xxxxx@127.0.0.1:1883"
		storedURL := func() string {
			t.Helper()
			var cfg string
			if err := e.DB.QueryRow(t.Context(), `SELECT config FROM integrations WHERE id = ?`, id).Scan(&cfg); err != nil {
				t.Fatal(err)
			}
			return cfg
		}
		noSecret := func(what string, body []byte) {
			t.Helper()
			if strings.Contains(string(body), secret) {
				t.Fatalf("%s shows the broker password: %s", what, body)
			}
		}
		noSecret("the creation answer", res.body)
		if !strings.Contains(string(res.body), shown) {
			t.Fatalf("the creation answer should show %s: %s", shown, res.body)
		}
		for _, role := range []string{"admin", "agent", "auditor"} {
			list := s.do(role, "GET", "/api/v1/integrations", nil)
			one := s.do(role, "GET", path, nil)
			if list.status != 200 || one.status != 200 {
				t.Fatalf("%s reads: %d %d", role, list.status, one.status)
			}
			noSecret(role+"'s list", list.body)
			noSecret(role+"'s integration", one.body)
			if !strings.Contains(string(one.body), shown) {
				t.Fatalf("%s should see the address without its password: %s", role, one.body)
			}
		}
		if !strings.Contains(storedURL(), secret) {
			t.Fatalf("the password must stay stored for connecting: %s", storedURL())
		}

		// An edit that sends the shown address back keeps the password; so
		// does one that moves only the port; a new password replaces it.
		res = s.do("admin", "PATCH", path, map[string]any{"name": "Plant broker A", "url": shown})
		if res.status != 200 || !strings.Contains(storedURL(), "fleetuser:"+secret+"@127.0.0.1:1883") {
			t.Fatalf("the shown address sent back lost the password: %d %s; stored %s", res.status, res.body, storedURL())
		}
		noSecret("the change answer", res.body)
		res = s.do("admin", "PATCH", path, map[string]any{"url": "tcp://fleetuser:xxxxx@127.0.0.1:1884"})
		if res.status != 200 || !strings.Contains(storedURL(), "fleetuser:"+secret+"@127.0.0.1:1884") {
			t.Fatalf("a new port with the shown password lost the password: %d %s; stored %s", res.status, res.body, storedURL())
		}
		res = s.do("admin", "PATCH", path, map[string]any{"url": "tcp://fleetuser:N3wPass@127.0.0.1:1884"})
		if res.status != 200 || !strings.Contains(storedURL(), "N3wPass") || strings.Contains(string(res.body), "N3wPass") {
			t.Fatalf("a new password: %d %s; stored %s", res.status, res.body, storedURL())
		}

		// A connection error that names the address shows no password.
		if err := s.app.Events.SetStatus(t.Context(), mustInt(t, id), "cannot connect to tcp://fleetuser:N3wPass@127.0.0.1:1884: refused"); err != nil {
			t.Fatal(err)
		}
		res = s.do("agent", "GET", path, nil)
		if strings.Contains(string(res.body), "N3wPass") || !strings.Contains(string(res.body), "fleetuser:xxxxx@127.0.0.1:1884: refused") {
			t.Fatalf("status text: %s", res.body)
		}

		// The audit trail records the changes without the password.
		rows, err := e.DB.Query(t.Context(), `SELECT data FROM audit_log WHERE entity = 'integration' AND entity_id = ?`, id)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var data string
			if err := rows.Scan(&data); err != nil {
				t.Fatal(err)
			}
			n++
			if strings.Contains(data, secret) || strings.Contains(data, "N3wPass") {
				t.Fatalf("audit record shows the password: %s", data)
			}
		}
		if n < 4 {
			t.Fatalf("%d audit records, want the creation and 3 changes", n)
		}
	})
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}
