package api_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"steward/internal/catalog"
	"steward/internal/store/storetest"
)

func TestServiceAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		create := func(body any) map[string]any {
			t.Helper()
			res := s.do("admin", "POST", "/api/v1/services", body)
			if res.status != 201 {
				t.Fatalf("create: %d %s", res.status, res.body)
			}
			return res.json(t)
		}
		network := create(map[string]any{"name": "Network", "status": "live", "criticality": "critical"})
		netID := fmt.Sprint(network["id"])
		res := s.do("admin", "POST", "/api/v1/services", `{"name":"VPN","status":"live","cost_per_month":950.5,"hours":"24x7",
			"depends_on":[`+netID+`],"customer_ids":[`+fmt.Sprint(s.custA)+`],"support_group_id":`+fmt.Sprint(s.groupID)+`,
			"owner_id":`+fmt.Sprint(s.users["agent"])+`}`)
		if res.status != 201 || res.header.Get("ETag") != `"v1"` || !strings.HasPrefix(res.header.Get("Location"), "/api/v1/services/") ||
			!strings.Contains(string(res.body), `"cost_per_month":950.50`) || !strings.Contains(string(res.body), `"support_group_name":"Service Desk"`) {
			t.Fatalf("create VPN: %d %v %s", res.status, res.header, res.body)
		}
		vpn := res.json(t)
		vpnID := fmt.Sprint(vpn["id"])
		if vpn["status"] != "live" || vpn["criticality"] != "medium" || fmt.Sprint(vpn["depends_on"]) != "["+netID+"]" {
			t.Fatalf("VPN: %s", res.body)
		}
		planned := create(map[string]any{"name": "Data warehouse"})
		if planned["status"] != "pipeline" {
			t.Fatalf("a new service should start in the pipeline: %v", planned["status"])
		}
		onlyB := create(map[string]any{"name": "Fleet tracking", "status": "live", "customer_ids": []int64{s.custB}})

		cases := []struct {
			name, role, method, path string
			body                     any
			headers                  []string
			status                   int
			want                     []string
		}{
			{"agent cannot create", "agent", "POST", "/api/v1/services", `{"name":"x"}`, nil, 403, []string{`"forbidden"`}},
			{"requester cannot patch", "requester", "PATCH", "/api/v1/services/" + vpnID, `{"hours":"x"}`, nil, 403, nil},
			{"unknown field", "admin", "POST", "/api/v1/services", `{"name":"x","colour":"red"}`, nil, 400, []string{`"colour":"is not a known field"`}},
			{"cost as a string", "admin", "POST", "/api/v1/services", `{"name":"x","cost_per_month":"12"}`, nil, 400, []string{`"cost_per_month":"must be a number"`}},
			{"validation", "admin", "POST", "/api/v1/services",
				`{"name":"","status":"gone","criticality":"extreme","cost_per_month":1.234,"owner_id":999,"support_group_id":999,"customer_ids":[999],"depends_on":[999]}`, nil, 422,
				[]string{`"name":"is required"`, `"status":`, `"criticality":`, `"cost_per_month":"must be an amount with at most two decimals`,
					`"owner_id":"user 999 does not exist"`, `"support_group_id":"group 999 does not exist"`,
					`"customer_ids":"customer 999 does not exist"`, `"depends_on":"service 999 does not exist"`}},
			{"duplicate name", "admin", "POST", "/api/v1/services", `{"name":"vpn"}`, nil, 422, []string{`already exists`}},
			{"requester as owner", "admin", "POST", "/api/v1/services", map[string]any{"name": "x", "owner_id": s.users["requester"]}, nil, 422, []string{`only an agent or an administrator may hold this role`}},
			{"get", "auditor", "GET", "/api/v1/services/" + vpnID, nil, nil, 200, []string{`"name":"VPN"`, `"cost_per_month":950.50`}},
			{"requester reads the published view", "requester", "GET", "/api/v1/services/" + vpnID, nil, nil, 200, []string{`"cost_per_month":0.00`}},
			{"another customer's service", "requester", "GET", "/api/v1/services/" + fmt.Sprint(onlyB["id"]), nil, nil, 404, []string{`"not_found"`}},
			{"a planned service", "requester", "GET", "/api/v1/services/" + fmt.Sprint(planned["id"]), nil, nil, 404, nil},
			{"no such service", "agent", "GET", "/api/v1/services/424242", nil, nil, 404, nil},
			{"bad id", "agent", "GET", "/api/v1/services/abc", nil, nil, 400, nil},
			{"stale If-Match", "admin", "PATCH", "/api/v1/services/" + vpnID, `{"hours":"Mon-Fri"}`, []string{"If-Match", `"v7"`}, 412, []string{`"precondition_failed"`}},
			{"self dependency", "admin", "PATCH", "/api/v1/services/" + vpnID, `{"depends_on":[` + vpnID + `]}`, nil, 422, []string{`"depends_on":"a service cannot depend on itself"`}},
			{"cycle", "admin", "PATCH", "/api/v1/services/" + netID, `{"depends_on":[` + vpnID + `]}`, nil, 422, []string{`would close a cycle of dependencies: Network → VPN → Network`}},
			{"bad filters", "agent", "GET", "/api/v1/services?status=gone&criticality=x&cost_min=lots&owner_id=-1", nil, nil, 400,
				[]string{`"status":`, `"criticality":`, `"cost_min":`, `"owner_id":`}},
			{"unknown parameter", "agent", "GET", "/api/v1/services?colour=red", nil, nil, 400, []string{`"colour":"is not a known parameter"`}},
			{"bad cursor", "agent", "GET", "/api/v1/services?cursor=xyz", nil, nil, 400, []string{`"cursor":`}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				res := s.do(c.role, c.method, c.path, c.body, c.headers...)
				if res.status != c.status {
					t.Fatalf("status %d, want %d: %s", res.status, c.status, res.body)
				}
				for _, w := range c.want {
					if !strings.Contains(string(res.body), w) {
						t.Errorf("body lacks %s: %s", w, res.body)
					}
				}
			})
		}

		t.Run("patch with If-Match", func(t *testing.T) {
			res := s.do("admin", "PATCH", "/api/v1/services/"+vpnID, `{"hours":"Mon-Fri 07:00-19:00","owner_id":null,"customer_ids":null}`, "If-Match", `"v1"`)
			got := res.json(t)
			if res.status != 200 || res.header.Get("ETag") != `"v2"` || got["owner_id"] != nil || fmt.Sprint(got["customer_ids"]) != "[]" {
				t.Fatalf("patch: %d %s", res.status, res.body)
			}
		})

		t.Run("lists", func(t *testing.T) {
			names := func(role, query string) []string {
				t.Helper()
				res := s.do(role, "GET", "/api/v1/services"+query, nil)
				if res.status != 200 {
					t.Fatalf("%s: %d %s", query, res.status, res.body)
				}
				var out []string
				for _, it := range res.json(t)["items"].([]any) {
					out = append(out, it.(map[string]any)["name"].(string))
				}
				return out
			}
			for _, c := range []struct {
				role, query string
				want        []string
			}{
				{"agent", "", []string{"Data warehouse", "Fleet tracking", "Network", "VPN"}},
				{"requester", "", []string{"Network", "VPN"}},
				{"requesterB", "", []string{"Fleet tracking", "Network", "VPN"}},
				{"agent", "?status=live,pipeline&criticality=critical", []string{"Network"}},
				{"agent", "?customer_id=" + fmt.Sprint(s.custB), []string{"Data warehouse", "Fleet tracking", "Network", "VPN"}},
				{"agent", "?cost_min=900&cost_max=1000", []string{"VPN"}},
				{"agent", "?q=TRACK", []string{"Fleet tracking"}},
				{"agent", "?support_group_id=" + fmt.Sprint(s.groupID), []string{"VPN"}},
			} {
				if got := names(c.role, c.query); !slices.Equal(got, c.want) {
					t.Errorf("%s %s: %v, want %v", c.role, c.query, got, c.want)
				}
			}
			var seen []string
			path := "/api/v1/services?limit=3"
			for {
				page := s.do("agent", "GET", path, nil).json(t)
				for _, it := range page["items"].([]any) {
					seen = append(seen, it.(map[string]any)["name"].(string))
				}
				if page["next_cursor"] == nil {
					break
				}
				path = "/api/v1/services?limit=3&cursor=" + page["next_cursor"].(string)
			}
			if len(seen) != 4 {
				t.Fatalf("paging saw %v", seen)
			}
		})

		t.Run("incidents refer to services", func(t *testing.T) {
			res := s.do("requester", "POST", "/api/v1/incidents", map[string]any{"title": "VPN drops", "service_id": vpn["id"]})
			if res.status != 201 || !strings.Contains(string(res.body), `"service_id":`+vpnID) || !strings.Contains(string(res.body), `"service_name":"VPN"`) {
				t.Fatalf("incident with a service: %d %s", res.status, res.body)
			}
			number := res.json(t)["number"].(string)
			res = s.do("requester", "POST", "/api/v1/incidents", map[string]any{"title": "Trucks missing", "service_id": onlyB["id"]})
			if res.status != 422 || !strings.Contains(string(res.body), `"service_id":"no such service"`) {
				t.Fatalf("a service the requester cannot see: %d %s", res.status, res.body)
			}
			if res := s.do("agent", "POST", "/api/v1/incidents", `{"title":"x","service":"VPN"}`); res.status != 400 {
				t.Fatalf("the old free-text field: %d %s", res.status, res.body)
			}
			if res := s.do("agent", "PATCH", "/api/v1/incidents/"+number, map[string]any{"service_id": network["id"]}); res.status != 200 ||
				!strings.Contains(string(res.body), `"service_name":"Network"`) {
				t.Fatalf("move to another service: %d %s", res.status, res.body)
			}
			list := s.do("agent", "GET", "/api/v1/incidents?service_id="+netID, nil).json(t)
			if items := list["items"].([]any); len(items) != 1 || items[0].(map[string]any)["number"] != number {
				t.Fatalf("incidents by service: %v", items)
			}

			refused := s.do("admin", "DELETE", "/api/v1/services/"+netID, nil)
			if refused.status != 409 || !strings.Contains(string(refused.body), "Retire it instead") {
				t.Fatalf("delete a service with incidents: %d %s", refused.status, refused.body)
			}
			if res := s.do("admin", "DELETE", "/api/v1/services/"+fmt.Sprint(planned["id"]), nil); res.status != 204 {
				t.Fatalf("delete: %d %s", res.status, res.body)
			}
			if res := s.do("admin", "GET", "/api/v1/services/"+fmt.Sprint(planned["id"]), nil); res.status != 404 {
				t.Fatalf("deleted service: %d", res.status)
			}
		})

		t.Run("audit trail", func(t *testing.T) {
			res := s.do("auditor", "GET", "/api/v1/audit?entity=service&entity_id="+vpnID, nil)
			if res.status != 200 || !strings.Contains(string(res.body), `"action":"update"`) || !strings.Contains(string(res.body), `"action":"create"`) {
				t.Fatalf("audit: %s", res.body)
			}
		})
	})
}

// TestOpenAPIServiceSchemas keeps the catalogue's schemas in step with the
// types the server encodes and decodes.
func TestOpenAPIServiceSchemas(t *testing.T) {
	doc := loadOpenAPI(t)
	all, always := oaJSONFields(reflect.TypeOf(catalog.Service{}))
	props, required, _ := oaSchemaFields(t, doc, "Service")
	if !slices.Equal(props, all) || !slices.Equal(required, always) {
		t.Errorf("schema Service: properties %v required %v; the type encodes %v, always %v", props, required, all, always)
	}
	for name, v := range map[string]any{"NewService": catalog.NewService{}, "ServicePatch": catalog.Patch{}} {
		want, _ := oaJSONFields(reflect.TypeOf(v))
		props, _, closed := oaSchemaFields(t, doc, name)
		if !slices.Equal(props, want) || !closed {
			t.Errorf("schema %s: properties %v (closed %v), the server reads %v", name, props, closed, want)
		}
	}
}
