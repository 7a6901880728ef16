package api_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/org"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// withSecurityGroup adds a support group marked as a security group, with
// an agent "secagent" in it; the harness's "agent" stays outside.
func (s *server) withSecurityGroup() int64 {
	s.t.Helper()
	ctx := context.Background()
	g, err := org.Groups.Create(ctx, s.app.DB, audit.System, "Security team")
	if err != nil {
		s.t.Fatal(err)
	}
	if res := s.do("admin", "PUT", fmt.Sprintf("/api/v1/security-groups/%d", g.ID), map[string]any{"security": true}); res.status != 200 ||
		!strings.Contains(string(res.body), `"security":true`) {
		s.t.Fatalf("mark the group: %d %s", res.status, res.body)
	}
	u, err := auth.CreateUser(ctx, s.app.DB, audit.System, auth.NewUser{Email: "sec@api.test", Name: "Sec Agent", Role: auth.Agent,
		Password: "a-long-password", GroupIDs: []int64{g.ID}})
	if err != nil {
		s.t.Fatal(err)
	}
	secret, _, err := auth.CreateToken(ctx, s.app.DB, audit.System, u.ID, "test")
	if err != nil {
		s.t.Fatal(err)
	}
	s.tokens["secagent"], s.users["secagent"] = secret, u.ID
	return g.ID
}

// Only members of a security group and administrators see security
// incidents; to an agent outside the group each one does not exist (404,
// not 403), in lists, search, links, journals, notifications, the
// activity feed, the audit trail and the audit pack.
func TestSecurityIncidentsStayWithTheSecurityGroup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		s.withSecurityGroup()
		inc := s.raiseFor("Strange logins on the VPN", nil)
		if res := s.do("agent", "POST", "/api/v1/security-incidents", map[string]any{"title": "x"}); res.status != 404 {
			t.Errorf("an agent outside the group reported one: %d %s", res.status, res.body)
		}
		res := s.do("secagent", "POST", "/api/v1/security-incidents", map[string]any{"title": "Credential stuffing on the VPN",
			"incident": inc, "confidentiality": "high", "personal_data": "yes"})
		sec := res.json(t)
		if res.status != 201 || sec["incident"] != inc || !strings.HasPrefix(sec["number"].(string), "SEC-") {
			t.Fatalf("report: %d %s", res.status, res.body)
		}
		num := sec["number"].(string)
		path := "/api/v1/security-incidents/" + num
		if res := s.do("secagent", "POST", path+"/links", map[string]any{"type": "related", "target": inc}); res.status != 201 {
			t.Fatalf("link: %d %s", res.status, res.body)
		}
		s.do("secagent", "POST", path+"/notes", map[string]any{"body": "Blocked the source range."})
		for _, c := range []struct {
			role, method, path string
			body               any
			want               int
		}{
			{"secagent", "GET", path, nil, 200},
			{"admin", "GET", path, nil, 200},
			{"agent", "GET", path, nil, 404},
			{"agent", "GET", path + "/journal", nil, 404},
			{"agent", "PATCH", path, map[string]any{"title": "mine now"}, 404},
			{"agent", "POST", path + "/notes", map[string]any{"body": "hello"}, 404},
			{"agent", "GET", path + "/links", nil, 404},
			{"agent", "GET", path + "/attachments", nil, 404},
			{"auditor", "GET", path, nil, 404},
			{"requester", "GET", path, nil, 403},
			{"requester", "GET", "/api/v1/security-incidents", nil, 403},
		} {
			if res := s.do(c.role, c.method, c.path, c.body); res.status != c.want {
				t.Errorf("%s %s %s: %d %s, want %d", c.role, c.method, c.path, res.status, res.body, c.want)
			}
		}
		for role, want := range map[string]bool{"agent": false, "auditor": false, "secagent": true, "admin": true} {
			lists := []string{"/api/v1/security-incidents?state=open", "/api/v1/search?q=" + num, "/api/v1/search?q=Credential",
				"/api/v1/incidents/" + inc + "/links", "/api/v1/audit?limit=200"}
			for _, l := range lists {
				if strings.HasPrefix(l, "/api/v1/audit") && (role == "agent" || role == "secagent") {
					continue // agents do not read the trail
				}
				res := s.do(role, "GET", l, nil)
				body := string(res.body)
				seen := strings.Contains(body, num) || strings.Contains(body, "Credential stuffing") || strings.Contains(body, `"security_incident"`)
				if res.status != 200 || seen != want {
					t.Errorf("%s %s: %d, sees it %v, want %v: %s", role, l, res.status, seen, want, body)
				}
			}
		}
		if n := s.count("SELECT COUNT(*) FROM notifications WHERE link LIKE '/security-incidents/%' AND user_id = ?", s.users["agent"]); n != 0 {
			t.Errorf("the agent outside the group was told %d times", n)
		}
		if n := s.count("SELECT COUNT(*) FROM notifications WHERE link LIKE '/security-incidents/%' AND user_id = ?", s.users["admin"]); n != 1 {
			t.Errorf("the administrator was told %d times", n)
		}
		if n := s.count("SELECT COUNT(*) FROM activity WHERE ref LIKE 'SEC-%' OR summary LIKE '%Credential stuffing%'"); n != 0 {
			t.Errorf("the activity feed (and so webhooks) carries %d entries of the security incident", n)
		}
		pack := s.do("auditor", "GET", "/api/v1/compliance/audit-pack", nil)
		if pack.status != 200 {
			t.Fatalf("audit pack: %d", pack.status)
		}
		zr, err := zip.NewReader(bytes.NewReader(pack.body), int64(len(pack.body)))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			if strings.Contains(f.Name, "security_incident") || strings.Contains(string(b), "Credential stuffing") ||
				strings.Contains(string(b), "security_incident") {
				t.Errorf("the audit pack's %s names the security incident", f.Name)
			}
		}
	})
}

// A security incident's breach assessment and notification clocks: the
// authority's 72 hours run from awareness, a decision needs its reason, and
// closing needs the notifications the decision calls for.
func TestSecurityIncidentBreachClocks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		s.withSecurityGroup()
		aware := time.Now().UTC().Add(-80 * time.Hour).Truncate(time.Second)
		bad := []struct {
			name string
			body map[string]any
			want string
		}{
			{"no title", map[string]any{"confidentiality": "high"}, `"title":"is required"`},
			{"a level that is no level", map[string]any{"title": "x", "integrity": "severe"}, `"integrity":"must be one of none, low, medium, high"`},
			{"aware in the future", map[string]any{"title": "x", "aware_at": time.Now().Add(time.Hour)}, `"aware_at":"cannot be in the future"`},
			{"an unknown incident", map[string]any{"title": "x", "incident": "INC-999999"}, `"incident":"INC-999999 does not exist"`},
			{"an owner outside the group", map[string]any{"title": "x", "owner_id": s.users["agent"]}, `"owner_id"`},
		}
		for _, b := range bad {
			if res := s.do("secagent", "POST", "/api/v1/security-incidents", b.body); res.status != 422 || !strings.Contains(string(res.body), b.want) {
				t.Errorf("%s: %d %s", b.name, res.status, res.body)
			}
		}
		if n := s.count("SELECT COUNT(*) FROM security_incidents"); n != 0 {
			t.Fatalf("refused reports stored: %d", n)
		}
		res := s.do("secagent", "POST", "/api/v1/security-incidents", map[string]any{"title": "Customer export left public",
			"confidentiality": "high", "personal_data": "yes", "aware_at": aware, "owner_id": s.users["secagent"]})
		c := res.json(t)
		clocks, _ := c["clocks"].([]any)
		if res.status != 201 || len(clocks) != 1 {
			t.Fatalf("report: %d %s", res.status, res.body)
		}
		ck := clocks[0].(map[string]any)
		due, _ := time.Parse(time.RFC3339, ck["due"].(string))
		if ck["who"] != "authority" || ck["state"] != "overdue" || !due.Equal(aware.Add(72*time.Hour)) || ck["left_seconds"].(float64) > -7*3600 {
			t.Errorf("the authority's clock 80 hours after awareness: %v", ck)
		}
		path := "/api/v1/security-incidents/" + c["number"].(string)
		told := aware.Add(30 * time.Hour)
		steps := []struct {
			name string
			body map[string]any
			want int
			frag string
		}{
			{"closed straight away", map[string]any{"state": "closed", "closure": "x"}, 409, "allowed: triaged"},
			{"an unknown state", map[string]any{"state": "solved"}, 422, `"state"`},
			{"told before a decision", map[string]any{"authority_notified_at": told}, 422, `"authority_notified_at":"needs a breach decided`},
			{"a decision without its reason", map[string]any{"breach": "authority"}, 422, `"breach_reason":"is required with a breach decision`},
			{"told before awareness", map[string]any{"breach": "authority", "breach_reason": "Records of 300 customers copied.", "authority_notified_at": aware.Add(-time.Hour)}, 422, `"authority_notified_at":"cannot be before`},
			{"decide and tell the authority", map[string]any{"breach": "authority", "breach_reason": "Records of 300 customers copied.", "authority_notified_at": told, "state": "triaged"}, 200, `"state":"on_time"`},
			{"contain", map[string]any{"state": "contained"}, 200, `"state":"contained"`},
			{"eradicate", map[string]any{"state": "eradicated"}, 200, `"state":"eradicated"`},
			{"recover", map[string]any{"state": "recovered"}, 200, `"state":"recovered"`},
			{"close without closure", map[string]any{"state": "closed"}, 422, `"closure":"is required to close`},
			{"raise to the people concerned without telling them", map[string]any{"breach": "authority_and_subjects", "state": "closed", "closure": "Bucket locked."}, 422, `"subjects_notified_at":"is required before closing`},
			{"close", map[string]any{"breach": "authority", "state": "closed", "closure": "Bucket locked, keys rotated."}, 200, `"state":"closed"`},
			{"change a closed one", map[string]any{"title": "x"}, 409, "closed and can no longer be changed"},
		}
		for _, st := range steps {
			res := s.do("secagent", "PATCH", path, st.body)
			if res.status != st.want || !strings.Contains(string(res.body), st.frag) {
				t.Errorf("%s: %d %s, want %d with %q", st.name, res.status, res.body, st.want, st.frag)
			}
		}
		res = s.do("secagent", "GET", path+"/journal", nil)
		if res.status != 200 || !strings.Contains(string(res.body), `"field":"breach"`) {
			t.Errorf("journal: %d %s", res.status, res.body)
		}
	})
}

// The controls register: 93 Annex A controls, decisions with their
// justification, linked risks and evidence, each refused with a reason
// per field when wrong.
func TestControlsRegister(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		res := s.do("auditor", "GET", "/api/v1/controls", nil)
		if res.status != 200 || strings.Count(string(res.body), `"theme"`) != 93 || !strings.Contains(string(res.body), `"title":"Management of technical vulnerabilities"`) {
			t.Fatalf("register: %d", res.status)
		}
		var riskID int64
		err := s.app.DB.InTx(context.Background(), func(tx *store.Tx) error {
			return tx.QueryRow(context.Background(), `INSERT INTO risks (title, likelihood, impact, created_at, updated_at)
				VALUES ('Unpatched gateways', 4, 4, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z') RETURNING id`).Scan(&riskID)
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name, role, method, path string
			body                     any
			want                     int
			frag                     string
		}{
			{"an agent decides", "agent", "PATCH", "/api/v1/controls/A.8.8", map[string]any{"status": "planned"}, 403, "forbidden"},
			{"no such control", "admin", "PATCH", "/api/v1/controls/A.9.1", map[string]any{"status": "planned"}, 404, "not_found"},
			{"not applicable without a reason", "admin", "PATCH", "/api/v1/controls/7.4", map[string]any{"applicability": "not_applicable"}, 422, `"justification":"is required for a control that is not applicable`},
			{"an unknown status", "admin", "PATCH", "/api/v1/controls/A.8.8", map[string]any{"status": "done"}, 422, `"status"`},
			{"an unknown risk", "admin", "PATCH", "/api/v1/controls/A.8.8", map[string]any{"risk_ids": []int64{999999}}, 422, `"risk_ids":"risk 999999 does not exist"`},
			{"an owner who is a requester", "admin", "PATCH", "/api/v1/controls/A.8.8", map[string]any{"owner_id": s.users["requester"]}, 422, `"owner_id"`},
			{"not applicable with a reason", "admin", "PATCH", "/api/v1/controls/7.4", map[string]any{"applicability": "not_applicable", "justification": "No premises of our own: hosted in a provider's data centre."}, 200, `"applicability":"not_applicable"`},
			{"applicable, implemented, with its risk", "admin", "PATCH", "/api/v1/controls/A.8.8", map[string]any{"applicability": "applicable", "status": "implemented",
				"owner_id": s.users["agent"], "risk_ids": []int64{riskID}}, 200, `"title":"Unpatched gateways"`},
			{"evidence that is no link", "admin", "POST", "/api/v1/controls/A.8.8/evidence", map[string]any{"target": "see the wiki"}, 422, `"target":"must be a record number`},
			{"evidence", "admin", "POST", "/api/v1/controls/A.8.8/evidence", map[string]any{"label": "Advisory exposure", "target": "/vulnerabilities"}, 201, `"target":"/vulnerabilities"`},
			{"read back", "auditor", "GET", "/api/v1/controls/8.8", nil, 200, `"label":"Advisory exposure"`},
		} {
			res := s.do(c.role, c.method, c.path, c.body)
			if res.status != c.want || !strings.Contains(string(res.body), c.frag) {
				t.Errorf("%s: %d %s, want %d with %q", c.name, res.status, res.body, c.want, c.frag)
			}
		}
		if n := s.count("SELECT COUNT(*) FROM security_controls WHERE ref = '8.8' AND status = 'implemented'"); n != 1 {
			t.Errorf("the decision was not kept")
		}
	})
}

// Advisories imported as CSV are matched against the CIs' model and
// firmware; the exposed devices lead through the CMDB to their services.
func TestAdvisoryExposure(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		svc := fmt.Sprint(s.postCreated("agent", "/api/v1/cis", `{"type":"Business service","name":"Metering"}`)["id"])
		for i, fw := range []string{"2.1.3", "2.1.4", "1.9.12", "3.0.0"} {
			id := fmt.Sprint(s.postCreated("agent", "/api/v1/cis", fmt.Sprintf(`{"type":"Sensor","name":"sensor-%d","attributes":{"device_id":"D%d","model":"TH-200","firmware":%q}}`, i, i, fw))["id"])
			if res := s.do("agent", "POST", "/api/v1/relationships", `{"source_id":`+svc+`,"target_id":`+id+`,"type":"depends_on"}`); res.status != 201 {
				t.Fatalf("relate: %d %s", res.status, res.body)
			}
		}
		s.postCreated("agent", "/api/v1/cis", `{"type":"Sensor","name":"other","attributes":{"device_id":"X1","model":"PX-10","firmware":"1.0"}}`)
		csv := func(role, body string) response {
			return s.do(role, "POST", "/api/v1/advisories", body, "Content-Type", "text/csv")
		}
		badList := "id,product,affected,fixed,severity,published\nADV-1,TH-200,<2.1.4,2.1.4,high,2026-03-01\nADV-2,TH-200,latest,,urgent,March\n"
		if res := csv("admin", badList); res.status != 422 || !strings.Contains(string(res.body), `"row 3":"affected cannot read`) {
			t.Errorf("a bad row: %d %s", res.status, res.body)
		}
		if res := csv("admin", "product,affected\nTH-200,<2\n"); res.status != 422 || !strings.Contains(string(res.body), `"file":"has no id column`) {
			t.Errorf("no id column: %d %s", res.status, res.body)
		}
		if res := csv("agent", "id\n"); res.status != 403 {
			t.Errorf("an agent imports: %d", res.status)
		}
		if res := s.do("admin", "POST", "/api/v1/advisories", `{"id":"x"}`); res.status != 415 {
			t.Errorf("JSON body: %d", res.status)
		}
		if n := s.count("SELECT COUNT(*) FROM security_advisories"); n != 0 {
			t.Fatalf("a refused list stored %d advisories", n)
		}
		good := "id,product,affected,fixed,severity,published,summary\n" +
			"ADV-1,TH-200,<2.1.4,2.1.4,high,2026-03-01,Buffer overflow in the radio stack\n" +
			"ADV-2,th-200,1.9.x || 3.0.0,3.0.1,critical,2026-04-01,Default key\n" +
			"ADV-3,PX-10,>=2.0,2.5,low,2026-01-10,\n"
		if res := csv("admin", good); res.status != 200 || !strings.Contains(string(res.body), `"added":3`) {
			t.Fatalf("import: %d %s", res.status, res.body)
		}
		res := s.do("auditor", "GET", "/api/v1/advisories", nil)
		var x struct {
			Advisories []struct {
				Ref         string `json:"ref"`
				DeviceCount int    `json:"device_count"`
				Services    []struct {
					Name string `json:"name"`
				} `json:"services"`
			} `json:"advisories"`
			Devices  int `json:"devices"`
			Services []struct {
				Name  string `json:"name"`
				Worst string `json:"worst"`
			} `json:"services"`
		}
		if err := json.Unmarshal(res.body, &x); err != nil || res.status != 200 {
			t.Fatalf("exposure: %d %s", res.status, res.body)
		}
		counts := map[string]int{}
		for _, a := range x.Advisories {
			counts[a.Ref] = a.DeviceCount
		}
		// ADV-1: 2.1.3 and 1.9.12 (not 2.1.4); ADV-2: 1.9.12 and 3.0.0; ADV-3: none.
		if counts["ADV-1"] != 2 || counts["ADV-2"] != 2 || counts["ADV-3"] != 0 || x.Devices != 3 {
			t.Errorf("devices per advisory %v, %d in all", counts, x.Devices)
		}
		if len(x.Services) != 1 || x.Services[0].Name != "Metering" || x.Services[0].Worst != "critical" {
			t.Errorf("services exposed: %+v", x.Services)
		}
		if res := csv("admin", "id,product,affected,fixed,severity,published\nADV-1,TH-200,<2.2,2.2,high,2026-03-01\n"); res.status != 200 || !strings.Contains(string(res.body), `"updated":1`) {
			t.Errorf("re-import: %d %s", res.status, res.body)
		}
		if res := s.do("auditor", "GET", "/api/v1/advisories/999999", nil); res.status != 404 {
			t.Errorf("an unknown advisory: %d", res.status)
		}
	})
}
