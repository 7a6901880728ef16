package api_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"steward/internal/cmdb"
	"steward/internal/store/storetest"
)

// postCreated creates a record and returns it; anything but 201 fails the test.
func (s *server) postCreated(role, path string, body any) map[string]any {
	s.t.Helper()
	res := s.do(role, "POST", path, body)
	if res.status != 201 {
		s.t.Fatalf("POST %s: %d %s", path, res.status, res.body)
	}
	return res.json(s.t)
}

func TestCITypeAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		res := s.do("admin", "POST", "/api/v1/ci-types", map[string]any{"name": "Router", "description": "Routes packets.",
			"attributes": []map[string]any{{"name": "serial", "type": "string", "unique": true}, {"name": "site", "type": "reference", "ref_type": "site"}}})
		if res.status != 201 || res.header.Get("ETag") != `"v1"` || !strings.HasPrefix(res.header.Get("Location"), "/api/v1/ci-types/") ||
			!strings.Contains(string(res.body), `"ref_type":"Site"`) {
			t.Fatalf("create: %d %v %s", res.status, res.header, res.body)
		}
		id := fmt.Sprint(res.json(t)["id"])
		s.run(t, []apiCase{
			{"list", "auditor", "GET", "/api/v1/ci-types", nil, nil, 200, []string{`"name":"Business service"`, `"name":"Router"`, `"next_cursor":null`}},
			{"by name", "agent", "GET", "/api/v1/ci-types/iot%20gateway", nil, nil, 200, []string{`"name":"IoT gateway"`, `"builtin":true`}},
			{"by id", "auditor", "GET", "/api/v1/ci-types/" + id, nil, nil, 200, []string{`"name":"Router"`}},
			{"unknown", "agent", "GET", "/api/v1/ci-types/Toaster", nil, nil, 404, []string{`"not_found"`}},
			{"list takes no parameters", "agent", "GET", "/api/v1/ci-types?limit=5", nil, nil, 400, []string{`"limit":`}},
			{"requester cannot read", "requester", "GET", "/api/v1/ci-types", nil, nil, 403, nil},
			{"agent cannot define", "agent", "POST", "/api/v1/ci-types", `{"name":"X"}`, nil, 403, nil},
			{"auditor cannot define", "auditor", "POST", "/api/v1/ci-types", `{"name":"X"}`, nil, 403, nil},
			{"bad definition", "admin", "POST", "/api/v1/ci-types", map[string]any{"name": "", "attributes": []map[string]any{
				{"name": "Serial", "type": "string"}, {"name": "kind", "type": "colour"}, {"name": "up", "type": "reference", "ref_type": "Nope"}}}, nil, 422,
				[]string{`"name":"is required"`, `"attributes[0].name":`, `"attributes[1].type":`, `"attributes[2].ref_type":"no CI type named \"Nope\""`}},
			{"duplicate name", "admin", "POST", "/api/v1/ci-types", `{"name":"router"}`, nil, 422, []string{`"name":"a CI type named`}},
			{"unknown field", "admin", "POST", "/api/v1/ci-types", `{"name":"X","colour":"red"}`, nil, 400, []string{`"colour":"is not a known field"`}},
			{"unknown attribute field", "admin", "POST", "/api/v1/ci-types", `{"name":"X","attributes":[{"name":"a","type":"string","optional":true}]}`, nil, 400, []string{`"optional"`}},
			{"stale If-Match", "admin", "PATCH", "/api/v1/ci-types/Router", `{"description":"x"}`, []string{"If-Match", `"v9"`}, 412, nil},
			{"rename", "admin", "PATCH", "/api/v1/ci-types/Router", `{"name":"Edge router"}`, []string{"If-Match", `"v1"`}, 200, []string{`"name":"Edge router"`, `"version":2`}},
			{"builtin stays", "admin", "DELETE", "/api/v1/ci-types/Server", nil, nil, 409, []string{"built in"}},
			{"agent cannot delete", "agent", "DELETE", "/api/v1/ci-types/" + id, nil, nil, 403, nil},
			{"delete", "admin", "DELETE", "/api/v1/ci-types/" + id, nil, nil, 204, nil},
			{"gone", "admin", "GET", "/api/v1/ci-types/" + id, nil, nil, 404, nil},
		})
	})
}

func TestCIAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		site := s.postCreated("agent", "/api/v1/cis", `{"type":"Site","name":"Plant North","attributes":{"code":"PN"}}`)
		siteID := fmt.Sprint(site["id"])

		key := []string{"Idempotency-Key", "ci-create-1"}
		body := map[string]any{"type": "server", "name": "web-01", "customer_id": s.custA, "group_id": s.groupID,
			"attributes": map[string]any{"hostname": "web-01", "cpu_cores": 4, "os": "Debian", "virtual": true}, "change_ref": "CHG-000001"}
		first := s.do("agent", "POST", "/api/v1/cis", body, key...)
		again := s.do("agent", "POST", "/api/v1/cis", body, key...)
		if first.status != 201 || again.status != 201 || string(first.body) != string(again.body) ||
			again.header.Get("Idempotent-Replayed") != "true" || again.header.Get("Location") != first.header.Get("Location") ||
			first.header.Get("ETag") != `"v1"` || again.header.Get("ETag") != `"v1"` {
			t.Fatalf("create and replay: %d %v %s / %d %v %s", first.status, first.header, first.body, again.status, again.header, again.body)
		}
		web := first.json(t)
		webID := fmt.Sprint(web["id"])
		if web["type"] != "Server" || web["status"] != "in_use" || first.header.Get("Location") != "/api/v1/cis/"+webID {
			t.Fatalf("created: %s", first.body)
		}
		for _, f := range []string{"id", "type_id", "type", "name", "status", "owner_id", "group_id", "customer_id", "service_id",
			"location", "attributes", "redundancy", "created_at", "updated_at", "version"} {
			if _, ok := web[f]; !ok {
				t.Errorf("field %s missing from the CI", f)
			}
		}
		serverType := fmt.Sprint(web["type_id"])
		for i := 2; i <= 4; i++ {
			s.postCreated("agent", "/api/v1/cis", map[string]any{"type": web["type_id"], "name": fmt.Sprintf("web-%02d", i),
				"attributes": map[string]any{"hostname": fmt.Sprintf("web-%02d", i), "cpu_cores": "2", "os": "Windows"}})
		}

		s.run(t, []apiCase{
			{"get", "auditor", "GET", "/api/v1/cis/" + webID, nil, nil, 200, []string{`"hostname":"web-01"`, `"cpu_cores":4`}},
			{"not modified", "agent", "GET", "/api/v1/cis/" + webID, nil, []string{"If-None-Match", `"v1"`}, 304, nil},
			{"missing", "agent", "GET", "/api/v1/cis/999999", nil, nil, 404, nil},
			{"garbage id", "agent", "GET", "/api/v1/cis/abc", nil, nil, 400, nil},
			{"requester cannot read", "requester", "GET", "/api/v1/cis/" + webID, nil, nil, 403, nil},
			{"requester cannot list", "requester", "GET", "/api/v1/cis", nil, nil, 403, nil},
			{"auditor cannot create", "auditor", "POST", "/api/v1/cis", `{"type":"Server","name":"x"}`, nil, 403, nil},
			{"auditor cannot patch", "auditor", "PATCH", "/api/v1/cis/" + webID, `{"name":"x"}`, nil, 403, nil},
			{"auditor cannot delete", "auditor", "DELETE", "/api/v1/cis/" + webID, nil, nil, 403, nil},
			{"key reused for another body", "agent", "POST", "/api/v1/cis", `{"type":"Application","name":"other"}`, key, 422, []string{`"Idempotency-Key"`}},
			{"unknown type", "agent", "POST", "/api/v1/cis", `{"type":"Toaster","name":"x"}`, nil, 422, []string{`"type":"no CI type \"Toaster\"; the types are`}},
			{"no type", "agent", "POST", "/api/v1/cis", `{"name":"x"}`, nil, 422, []string{`"type":"is required`}},
			{"type of the wrong kind", "agent", "POST", "/api/v1/cis", `{"type":true,"name":"x"}`, nil, 400, []string{`"type":`}},
			{"unknown attribute", "agent", "POST", "/api/v1/cis", `{"type":"Server","name":"x","attributes":{"hostname":"h","colour":"red"}}`, nil, 422,
				[]string{`"attributes.colour":"type \"Server\" has no attribute \"colour\"`}},
			{"wrong attribute types", "agent", "POST", "/api/v1/cis", `{"type":"Server","name":"x","attributes":{"hostname":"h","cpu_cores":"many","ip_address":"1.2.3","virtual":"maybe"}}`, nil, 422,
				[]string{`"attributes.cpu_cores":"must be a number`, `"attributes.ip_address":`, `"attributes.virtual":`}},
			{"missing required attribute", "agent", "POST", "/api/v1/cis", `{"type":"Server","name":"x"}`, nil, 422, []string{`"attributes.hostname":"is required for type \"Server\""`}},
			{"duplicate identifier", "agent", "POST", "/api/v1/cis", `{"type":"Server","name":"x","attributes":{"hostname":"web-01"}}`, nil, 422,
				[]string{`"attributes.hostname":"\"web-01\" is already the hostname of CI ` + webID + ` (web-01)"`}},
			{"reference to a missing CI", "agent", "POST", "/api/v1/cis", `{"type":"IoT gateway","name":"gw","attributes":{"device_id":"g1","site":999999}}`, nil, 422,
				[]string{`"attributes.site":"CI 999999 does not exist"`}},
			{"reference to a CI of another type", "agent", "POST", "/api/v1/cis", `{"type":"IoT gateway","name":"gw","attributes":{"device_id":"g1","site":` + webID + `}}`, nil, 422,
				[]string{`"attributes.site":`, `type \"Site\"`}},
			{"missing owner, bad status", "agent", "POST", "/api/v1/cis", `{"type":"Application","name":"x","owner_id":999999,"status":"lost"}`, nil, 422,
				[]string{`"owner_id":"user 999999 does not exist"`, `"status":`}},
			{"bad redundancy", "agent", "POST", "/api/v1/cis", `{"type":"Cluster","name":"c","redundancy":{"failed_when_down_percent":150}}`, nil, 422, []string{`"redundancy.failed_when_down_percent":`}},
			{"unknown redundancy field", "agent", "POST", "/api/v1/cis", `{"type":"Cluster","name":"c","redundancy":{"n":2}}`, nil, 400, []string{`"n":`}},
			{"unknown field", "agent", "POST", "/api/v1/cis", `{"type":"Server","name":"x","colour":"red"}`, nil, 400, []string{`"colour":"is not a known field"`}},
			{"name of the wrong type", "agent", "POST", "/api/v1/cis", `{"type":"Server","name":5}`, nil, 400, []string{`"name":"must be a string"`}},
			{"gateway at the site", "agent", "POST", "/api/v1/cis", `{"type":"IoT gateway","name":"gw","attributes":{"device_id":"g1","site":` + siteID + `}}`, nil, 201, []string{`"site":` + siteID}},

			{"filter by type and attribute", "auditor", "GET", "/api/v1/cis?type=Server&attr.os=Windows&limit=2", nil, nil, 200, []string{`"name":"web-02"`, `"name":"web-03"`, `"next_cursor":"`}},
			{"filter by identifier", "agent", "GET", "/api/v1/cis?attr.hostname=web-04", nil, nil, 200, []string{`"name":"web-04"`}},
			{"filter by number and boolean", "agent", "GET", "/api/v1/cis?type=" + serverType + "&attr.cpu_cores=4&attr.virtual=true", nil, nil, 200, []string{`"name":"web-01"`, `"next_cursor":null`}},
			{"filter by status, customer, group and name", "agent", "GET", "/api/v1/cis?status=in_use,planned&customer_id=" + fmt.Sprint(s.custA) + "&group_id=" + fmt.Sprint(s.groupID) + "&q=WEB", nil, nil, 200, []string{`"name":"web-01"`}},
			{"bad filters", "agent", "GET", "/api/v1/cis?status=lost&type=Toaster&attr.colour=red&limit=0", nil, nil, 400,
				[]string{`"status":`, `"type":"no CI type \"Toaster\""`, `"limit":`}},
			{"unknown attribute filter", "agent", "GET", "/api/v1/cis?attr.colour=red", nil, nil, 400, []string{`"attr.colour":"no CI type has an attribute \"colour\""`}},
			{"attribute value of the wrong type", "agent", "GET", "/api/v1/cis?type=Server&attr.cpu_cores=many", nil, nil, 400, []string{`"attr.cpu_cores":"must be a number`}},
			{"malformed attribute filter", "agent", "GET", "/api/v1/cis?attr.Bad-Name=1", nil, nil, 400, []string{`"attr.Bad-Name":`}},
			{"unknown parameter", "agent", "GET", "/api/v1/cis?colour=red", nil, nil, 400, []string{`"colour":"is not a known parameter"`}},
			{"bad cursor", "agent", "GET", "/api/v1/cis?cursor=xyz", nil, nil, 400, []string{`"cursor":`}},
		})

		t.Run("pages", func(t *testing.T) {
			var names []string
			path := "/api/v1/cis?type=Server&limit=3"
			for path != "" {
				page := s.do("agent", "GET", path, nil).json(t)
				for _, it := range page["items"].([]any) {
					names = append(names, it.(map[string]any)["name"].(string))
				}
				path = ""
				if c, ok := page["next_cursor"].(string); ok {
					path = "/api/v1/cis?type=Server&limit=3&cursor=" + c
				}
			}
			if strings.Join(names, ",") != "web-01,web-02,web-03,web-04" {
				t.Fatalf("paged: %v", names)
			}
		})

		t.Run("patch and history", func(t *testing.T) {
			res := s.do("agent", "PATCH", "/api/v1/cis/"+webID, `{"status":"maintenance","owner_id":`+fmt.Sprint(s.users["agent"])+`,"attributes":{"os":null,"cpu_cores":8},"change_ref":"CHG-000002"}`, "If-Match", `"v1"`)
			if res.status != 200 || res.header.Get("ETag") != `"v2"` || !strings.Contains(string(res.body), `"status":"maintenance"`) ||
				strings.Contains(string(res.body), `"os"`) {
				t.Fatalf("patch: %d %s", res.status, res.body)
			}
			s.run(t, []apiCase{
				{"stale", "agent", "PATCH", "/api/v1/cis/" + webID, `{"name":"x"}`, []string{"If-Match", `"v1"`}, 412, []string{`"precondition_failed"`}},
				{"required attribute removed", "agent", "PATCH", "/api/v1/cis/" + webID, `{"attributes":{"hostname":null}}`, nil, 422, []string{`"attributes.hostname":"is required`}},
				{"identifier taken", "agent", "PATCH", "/api/v1/cis/" + webID, `{"attributes":{"hostname":"web-02"}}`, nil, 422, []string{`"attributes.hostname":"\"web-02\" is already`}},
				{"clear a missing reference", "agent", "PATCH", "/api/v1/cis/" + webID, `{"service_id":424242}`, nil, 422, []string{`"service_id":"service 424242 does not exist"`}},
				{"type cannot change", "agent", "PATCH", "/api/v1/cis/" + webID, `{"type":"Application"}`, nil, 400, []string{`"type":"is not a known field"`}},
				{"change ref too long", "agent", "PATCH", "/api/v1/cis/" + webID, map[string]any{"name": "x", "change_ref": strings.Repeat("C", 101)}, nil, 422, []string{`"change_ref":`}},
			})
			hist := s.do("auditor", "GET", "/api/v1/cis/"+webID+"/history?limit=2", nil)
			page := hist.json(t)
			items := page["items"].([]any)
			if hist.status != 200 || len(items) != 2 || page["next_cursor"] == nil {
				t.Fatalf("history page 1: %s", hist.body)
			}
			var fields []string
			for _, it := range items {
				m := it.(map[string]any)
				if m["change_ref"] != "CHG-000002" || m["action"] != "update" || m["actor_name"] != "agent@api.test" {
					t.Errorf("entry: %v", m)
				}
				fields = append(fields, m["field"].(string))
			}
			rest := s.do("auditor", "GET", "/api/v1/cis/"+webID+"/history?limit=10&cursor="+page["next_cursor"].(string), nil).json(t)
			all := append(items, rest["items"].([]any)...)
			if len(all) != 5 || all[4].(map[string]any)["action"] != "create" || rest["next_cursor"] != nil {
				t.Fatalf("whole history: %v", all)
			}
			for _, it := range all[:4] {
				fields = append(fields, it.(map[string]any)["field"].(string))
			}
			for _, f := range []string{"status", "owner_id", "attributes.os", "attributes.cpu_cores"} {
				if !slices.Contains(fields, f) {
					t.Errorf("no history entry for %s: %v", f, fields)
				}
			}
			if res := s.do("auditor", "GET", "/api/v1/cis/"+webID+"/history?cursor=abc", nil); res.status != 400 {
				t.Errorf("bad history cursor: %d", res.status)
			}
			if res := s.do("auditor", "GET", "/api/v1/cis/999999/history", nil); res.status != 404 {
				t.Errorf("history of nothing: %d", res.status)
			}
		})

		t.Run("delete", func(t *testing.T) {
			gw := s.do("agent", "GET", "/api/v1/cis?type=IoT%20gateway", nil).json(t)["items"].([]any)[0].(map[string]any)
			if res := s.do("agent", "DELETE", "/api/v1/cis/"+siteID, nil); res.status != 409 || !strings.Contains(string(res.body), "gw") {
				t.Fatalf("delete a site a gateway refers to: %d %s", res.status, res.body)
			}
			gwID := fmt.Sprint(gw["id"])
			s.run(t, []apiCase{
				{"stale", "agent", "DELETE", "/api/v1/cis/" + gwID, nil, []string{"If-Match", `"v7"`}, 412, nil},
				{"unknown parameter", "agent", "DELETE", "/api/v1/cis/" + gwID + "?reason=x", nil, nil, 400, []string{`"reason":`}},
				{"delete", "agent", "DELETE", "/api/v1/cis/" + gwID + "?change_ref=CHG-9", nil, nil, 204, nil},
				{"gone", "agent", "GET", "/api/v1/cis/" + gwID, nil, nil, 404, nil},
				{"history stays", "auditor", "GET", "/api/v1/cis/" + gwID + "/history", nil, nil, 200, []string{`"action":"delete"`, `"change_ref":"CHG-9"`}},
				{"again", "agent", "DELETE", "/api/v1/cis/" + gwID, nil, nil, 404, nil},
			})
		})
	})
}

func TestRelationshipAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		app := fmt.Sprint(s.postCreated("agent", "/api/v1/cis", `{"type":"Application","name":"Shop"}`)["id"])
		srv := fmt.Sprint(s.postCreated("agent", "/api/v1/cis", `{"type":"Server","name":"web-01","attributes":{"hostname":"web-01"}}`)["id"])
		body := `{"source_id":` + app + `,"target_id":` + srv + `,"type":"runs_on","change_ref":"CHG-5"}`
		key := []string{"Idempotency-Key", "rel-1"}
		first := s.do("agent", "POST", "/api/v1/relationships", body, key...)
		again := s.do("agent", "POST", "/api/v1/relationships", body, key...)
		if first.status != 201 || again.status != 201 || string(first.body) != string(again.body) || again.header.Get("Idempotent-Replayed") != "true" ||
			again.header.Get("Location") != first.header.Get("Location") || !strings.Contains(string(first.body), `"target_name":"web-01"`) {
			t.Fatalf("relate and replay: %d %s / %d %v", first.status, first.body, again.status, again.header)
		}
		relID := fmt.Sprint(first.json(t)["id"])
		s.run(t, []apiCase{
			{"same again", "agent", "POST", "/api/v1/relationships", body, nil, 409, []string{"Shop already runs_on web-01"}},
			{"itself", "agent", "POST", "/api/v1/relationships", `{"source_id":` + app + `,"target_id":` + app + `,"type":"depends_on"}`, nil, 422,
				[]string{`"target_id":"a CI cannot be related to itself"`}},
			{"unknown type", "agent", "POST", "/api/v1/relationships", `{"source_id":` + app + `,"target_id":` + srv + `,"type":"likes"}`, nil, 422,
				[]string{`"type":"\"likes\" is not a relationship type; use one of depends_on, used_by, runs_on, hosts, connected_to, member_of"`}},
			{"missing CIs", "agent", "POST", "/api/v1/relationships", `{"source_id":999998,"target_id":999999,"type":"depends_on"}`, nil, 422,
				[]string{`"source_id":"CI 999998 does not exist"`, `"target_id":"CI 999999 does not exist"`}},
			{"ids of the wrong type", "agent", "POST", "/api/v1/relationships", `{"source_id":"one","target_id":2,"type":"depends_on"}`, nil, 400, []string{`"source_id":"must be a number"`}},
			{"a cycle is fine", "agent", "POST", "/api/v1/relationships", `{"source_id":` + srv + `,"target_id":` + app + `,"type":"depends_on"}`, nil, 201, nil},
			{"auditor cannot relate", "auditor", "POST", "/api/v1/relationships", body, nil, 403, nil},
			{"requester cannot read", "requester", "GET", "/api/v1/relationships", nil, nil, 403, nil},
			{"one", "auditor", "GET", "/api/v1/relationships/" + relID, nil, nil, 200, []string{`"source_name":"Shop"`, `"type":"runs_on"`}},
			{"filtered", "auditor", "GET", "/api/v1/relationships?type=runs_on&source_id=" + app, nil, nil, 200, []string{`"id":` + relID, `"next_cursor":null`}},
			{"bad filters", "agent", "GET", "/api/v1/relationships?type=likes&source_id=x", nil, nil, 400, []string{`"type":`, `"source_id":`}},
			{"of a CI", "auditor", "GET", "/api/v1/cis/" + srv + "/relationships", nil, nil, 200,
				[]string{`"direction":"incoming","impact":"downstream","ci_id":` + app + `,"ci_name":"Shop","ci_type":"Application"`, `"direction":"outgoing"`}},
			{"of a CI, one way", "auditor", "GET", "/api/v1/cis/" + srv + "/relationships?direction=outgoing&type=depends_on", nil, nil, 200, []string{`"impact":"upstream"`}},
			{"bad direction", "agent", "GET", "/api/v1/cis/" + srv + "/relationships?direction=sideways", nil, nil, 400, []string{`"direction":`}},
			{"of a missing CI", "agent", "GET", "/api/v1/cis/999999/relationships", nil, nil, 404, nil},
			{"history of the source", "auditor", "GET", "/api/v1/cis/" + app + "/history", nil, nil, 200,
				[]string{`"action":"relate"`, `"related_id":` + srv, `"rel_type":"runs_on"`, `"related_name":"web-01"`, `"change_ref":"CHG-5"`}},
			{"agent unrelates", "agent", "DELETE", "/api/v1/relationships/" + relID + "?change_ref=CHG-6", nil, nil, 204, nil},
			{"gone", "agent", "GET", "/api/v1/relationships/" + relID, nil, nil, 404, nil},
			{"unrelate again", "agent", "DELETE", "/api/v1/relationships/" + relID, nil, nil, 404, nil},
			{"unrelate in the history", "auditor", "GET", "/api/v1/cis/" + app + "/history?limit=1", nil, nil, 200, []string{`"action":"unrelate"`, `"change_ref":"CHG-6"`}},
		})
	})
}

func TestIncidentCILinkAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		inc := s.postCreated("requester", "/api/v1/incidents", `{"title":"Shop is down"}`)["number"].(string)
		ci := fmt.Sprint(s.postCreated("agent", "/api/v1/cis", `{"type":"Application","name":"Shop"}`)["id"])
		link := "/api/v1/incidents/" + inc + "/cis/" + ci
		s.run(t, []apiCase{
			{"link", "agent", "PUT", link, nil, nil, 201, []string{`"ci_id":` + ci, `"name":"Shop"`, `"type":"Application"`, `"linked_at":`}},
			{"link again", "agent", "PUT", link, nil, nil, 200, []string{`"ci_id":` + ci}},
			{"requester cannot link", "requester", "PUT", link, nil, nil, 403, nil},
			{"auditor cannot link", "auditor", "PUT", link, nil, nil, 403, nil},
			{"missing CI", "agent", "PUT", "/api/v1/incidents/" + inc + "/cis/999999", nil, nil, 404, nil},
			{"missing incident", "agent", "PUT", "/api/v1/incidents/INC-999999/cis/" + ci, nil, nil, 404, nil},
			{"garbage CI id", "agent", "PUT", "/api/v1/incidents/" + inc + "/cis/shop", nil, nil, 400, nil},
			{"CIs of the incident", "auditor", "GET", "/api/v1/incidents/" + strings.ToLower(inc) + "/cis", nil, nil, 200, []string{`"name":"Shop"`, `"next_cursor":null`}},
			{"requester sees no CIs", "requester", "GET", "/api/v1/incidents/" + inc + "/cis", nil, nil, 403, nil},
			{"incidents of the CI", "auditor", "GET", "/api/v1/cis/" + ci + "/incidents", nil, nil, 200, []string{`"number":"` + inc + `"`, `"title":"Shop is down"`, `"state":"new"`, `"priority":"P3"`}},
			{"linked CIs stay", "agent", "DELETE", "/api/v1/cis/" + ci, nil, nil, 409, []string{"1 incidents are linked"}},
			{"unlink", "agent", "DELETE", link, nil, nil, 204, nil},
			{"unlink again", "agent", "DELETE", link, nil, nil, 404, nil},
			{"none left", "agent", "GET", "/api/v1/incidents/" + inc + "/cis", nil, nil, 200, []string{`"items":[]`}},
		})
	})
}

// TestOpenAPICMDBSchemas keeps the CMDB schemas in step with the Go types.
func TestOpenAPICMDBSchemas(t *testing.T) {
	doc := loadOpenAPI(t)
	for name, v := range map[string]any{
		"CIType":         cmdb.CIType{},
		"CIAttribute":    cmdb.Attribute{},
		"CI":             cmdb.CI{},
		"Relationship":   cmdb.RelationshipView{},
		"RelatedCI":      cmdb.RelatedCI{},
		"CIHistoryEntry": cmdb.HistoryEntry{},
		"LinkedCI":       cmdb.LinkedCI{},
		"LinkedIncident": cmdb.LinkedIncident{},
		"Redundancy":     cmdb.Redundancy{},
	} {
		all, always := oaJSONFields(reflect.TypeOf(v))
		props, required, _ := oaSchemaFields(t, doc, name)
		if !slices.Equal(props, all) {
			t.Errorf("schema %s has properties %v, the type encodes %v", name, props, all)
		}
		if !slices.Equal(required, always) {
			t.Errorf("schema %s requires %v, the type always encodes %v", name, required, always)
		}
	}
	for name, v := range map[string]any{
		"NewCIType":        cmdb.NewCIType{},
		"CITypePatch":      cmdb.CITypePatch{},
		"CIAttributeInput": cmdb.Attribute{},
		"NewCI":            cmdb.NewCI{},
		"CIPatch":          cmdb.CIPatch{},
		"NewRelationship":  cmdb.NewRelationship{},
		"Redundancy":       cmdb.Redundancy{},
	} {
		want, _ := oaJSONFields(reflect.TypeOf(v))
		props, _, closed := oaSchemaFields(t, doc, name)
		if !slices.Equal(props, want) {
			t.Errorf("schema %s has properties %v, the server reads %v", name, props, want)
		}
		if !closed {
			t.Errorf("schema %s must set additionalProperties: false (the server refuses unknown fields)", name)
		}
	}
}
