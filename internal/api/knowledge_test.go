package api_test

import (
	"net/http"
	"strings"
	"testing"

	"steward/internal/store/storetest"
)

// The knowledge base's routes: who may, who may not, and what a reader
// of each role finds.
func TestKnowledgeAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		mk := func(role string, body map[string]any, want int) map[string]any {
			t.Helper()
			res := s.do(role, "POST", "/api/v1/articles", body)
			if res.status != want {
				t.Fatalf("%s creating %v: %d %s", role, body["title"], res.status, res.body)
			}
			if want != http.StatusCreated {
				return nil
			}
			return res.json(t)
		}
		token := mk("admin", map[string]any{"title": "Set up or resync your VPN token", "body": "Open the authenticator app and resync the token.",
			"audience": "requesters", "state": "published"}, http.StatusCreated)
		mk("admin", map[string]any{"title": "VPN keeps disconnecting", "body": "Choose TCP in the VPN client.", "audience": "requesters", "state": "published"}, http.StatusCreated)
		agentsOnly := mk("admin", map[string]any{"title": "ERP batch queue", "body": "Restart it.", "audience": "agents", "state": "published"}, http.StatusCreated)
		onlyB := mk("admin", map[string]any{"title": "Beta's payroll portal", "body": "Payslips on the 25th.", "audience": "requesters",
			"customer_ids": []int64{s.custB}, "state": "published"}, http.StatusCreated)
		draft := mk("agent", map[string]any{"title": "Printer jams", "body": "Open every tray.", "audience": "requesters"}, http.StatusCreated)
		if draft["state"] != "draft" {
			t.Errorf("agent's article is %v, want a draft", draft["state"])
		}

		// Creating: who may not, and bad input, with nothing stored.
		mk("agent", map[string]any{"title": "Published by an agent", "body": "x", "audience": "requesters", "state": "published"}, http.StatusForbidden)
		mk("requester", map[string]any{"title": "x", "audience": "requesters"}, http.StatusForbidden)
		mk("auditor", map[string]any{"title": "x", "audience": "requesters"}, http.StatusForbidden)
		for field, body := range map[string]map[string]any{
			"title":    {"title": "", "audience": "requesters"},
			"audience": {"title": "x", "audience": "everyone"},
			"links":    {"title": "x", "audience": "requesters", "links": []string{"INC-999999"}},
		} {
			res := s.do("agent", "POST", "/api/v1/articles", body)
			if res.status != http.StatusUnprocessableEntity || res.errorFields(t)[field] == nil {
				t.Errorf("bad %s: %d %s", field, res.status, res.body)
			}
		}
		if !strings.Contains(string(s.do("agent", "POST", "/api/v1/articles", map[string]any{"title": "x", "audience": "requesters", "links": []string{"INC-999999"}}).body), "INC-999999") {
			t.Error("the error does not name the record that cannot be linked")
		}
		if res := s.do("admin", "GET", "/api/v1/articles?limit=200", nil); len(res.json(t)["items"].([]any)) != 5 {
			t.Errorf("refused articles were stored: %s", res.body)
		}

		// Reading.
		ref := func(a map[string]any) string { return a["number"].(string) }
		for _, c := range []struct {
			role, path string
			want       int
		}{
			{"requester", "/api/v1/articles/" + ref(token), 200},
			{"requester", "/api/v1/articles/" + ref(agentsOnly), 404},
			{"requester", "/api/v1/articles/" + ref(draft), 404},
			{"requester", "/api/v1/articles/" + ref(onlyB), 404},
			{"requesterB", "/api/v1/articles/" + ref(onlyB), 200},
			{"agent", "/api/v1/articles/" + ref(draft), 200},
			{"auditor", "/api/v1/articles/" + ref(agentsOnly), 200},
			{"requester", "/api/v1/articles/" + ref(token) + "/versions", 403},
			{"auditor", "/api/v1/articles/" + ref(token) + "/versions", 200},
			{"", "/api/v1/articles", 401},
			{"requester", "/api/v1/incident-classification?title=vpn", 403},
			{"auditor", "/api/v1/incident-classification?title=vpn", 403},
			{"agent", "/api/v1/incident-classification?title=vpn", 200},
		} {
			if res := s.do(c.role, "GET", c.path, nil); res.status != c.want {
				t.Errorf("%s GET %s: %d, want %d", c.role, c.path, res.status, c.want)
			}
		}
		if items := s.do("requester", "GET", "/api/v1/articles", nil).json(t)["items"].([]any); len(items) != 2 {
			t.Errorf("requester lists %d articles, want the 2 published for every requester", len(items))
		}

		// Moves: an agent submits, only an administrator publishes.
		base := "/api/v1/articles/" + ref(draft)
		for _, c := range []struct {
			role, action string
			want         int
		}{
			{"requester", "submit", 403}, {"auditor", "submit", 403},
			{"agent", "publish", 403}, {"agent", "submit", 200}, {"agent", "submit", 409},
			{"agent", "return", 403}, {"admin", "publish", 200}, {"agent", "retire", 403}, {"admin", "retire", 200}, {"admin", "restore", 200},
		} {
			if res := s.do(c.role, "POST", base+"/"+c.action, nil); res.status != c.want {
				t.Errorf("%s %s: %d, want %d: %s", c.role, c.action, res.status, c.want, res.body)
			}
		}
		if res := s.do("requester", "PATCH", base, map[string]any{"title": "mine"}); res.status != 403 {
			t.Errorf("requester changed an article: %d", res.status)
		}

		// Feedback: once per person and version.
		fb := "/api/v1/articles/" + ref(token) + "/feedback"
		if res := s.do("requester", "POST", fb, map[string]any{"helpful": true, "comment": "worked"}); res.status != 201 {
			t.Errorf("feedback: %d %s", res.status, res.body)
		}
		if res := s.do("requester", "POST", fb, map[string]any{"helpful": false}); res.status != 409 {
			t.Errorf("feedback twice: %d %s", res.status, res.body)
		}
		if res := s.do("requester", "POST", "/api/v1/articles/"+ref(agentsOnly)+"/feedback", map[string]any{"helpful": true}); res.status != 404 {
			t.Errorf("feedback on an article the requester may not read: %d", res.status)
		}

		// Suggestions: "vpn token" finds the VPN token article first.
		res := s.do("requester", "GET", "/api/v1/articles/suggest?q=vpn+token", nil)
		items := res.json(t)["items"].([]any)
		if len(items) == 0 || items[0].(map[string]any)["number"] != ref(token) {
			t.Errorf("vpn token: %s", res.body)
		}
		for _, it := range items {
			if it.(map[string]any)["number"] == ref(agentsOnly) {
				t.Error("requester is suggested an agents' article")
			}
		}
		if res := s.do("requester", "GET", "/api/v1/articles/suggest?q=vpn&limit=99", nil); res.status != 400 {
			t.Errorf("limit 99: %d", res.status)
		}

		// The kernel keeps the article's links like any record's.
		inc := s.do("agent", "POST", "/api/v1/incidents", map[string]any{"title": "VPN token rejected", "impact": "low", "urgency": "low"})
		if inc.status != 201 {
			t.Fatalf("incident: %d %s", inc.status, inc.body)
		}
		if res := s.do("agent", "POST", "/api/v1/articles/"+ref(token)+"/links", map[string]any{"type": "related", "target": inc.json(t)["number"]}); res.status != 201 {
			t.Errorf("link: %d %s", res.status, res.body)
		}
		// Links given on creation are stored with the article.
		linked := mk("agent", map[string]any{"title": "VPN token rejected after a phone change", "audience": "requesters",
			"links": []string{inc.json(t)["number"].(string)}}, http.StatusCreated)
		links := s.do("agent", "GET", "/api/v1/articles/"+ref(linked)+"/links", nil).json(t)["items"].([]any)
		if len(links) != 1 || links[0].(map[string]any)["target"].(map[string]any)["number"] != inc.json(t)["number"] {
			t.Errorf("links of the new article: %v", links)
		}
	})
}
