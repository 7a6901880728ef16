package api_test

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"steward/internal/cmdb"
	"steward/internal/store/storetest"
)

func TestOpenAPIImpactSchemas(t *testing.T) {
	doc := loadOpenAPI(t)
	for name, v := range map[string]any{"ImpactItem": cmdb.ImpactItem{}, "ImpactResult": cmdb.ImpactResult{}} {
		all, always := oaJSONFields(reflect.TypeOf(v))
		props, required, _ := oaSchemaFields(t, doc, name)
		if !slices.Equal(props, all) || !slices.Equal(required, always) {
			t.Errorf("schema %s: properties %v required %v; the type encodes %v always %v", name, props, required, all, always)
		}
	}
	props, _, closed := oaSchemaFields(t, doc, "ImpactInput")
	if !slices.Equal(props, []string{"depth", "direction", "failed", "limit", "unknown"}) || !closed {
		t.Errorf("ImpactInput: %v closed=%v", props, closed)
	}
}

func TestImpactAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		mk := func(name string) int64 {
			id, err := insertCI(e, name)
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		db, app := mk("db"), mk("app")
		if err := insertRel(e, app, db, cmdb.DependsOn); err != nil {
			t.Fatal(err)
		}
		res := s.do("auditor", "GET", fmt.Sprintf("/api/v1/cis/%d/impact", db), nil)
		items, _ := res.json(t)["items"].([]any)
		if res.status != http.StatusOK || len(items) != 1 {
			t.Fatalf("impact: %d %s", res.status, res.body)
		}
		it := items[0].(map[string]any)
		if it["ci_id"] != float64(app) || it["state"] != "failed" || it["name"] != "app" || it["depth"] != float64(1) {
			t.Errorf("item %v", it)
		}
		res = s.do("agent", "GET", fmt.Sprintf("/api/v1/cis/%d/impact?direction=up", app), nil)
		if items, _ := res.json(t)["items"].([]any); res.status != http.StatusOK || len(items) != 1 {
			t.Errorf("upstream: %d %s", res.status, res.body)
		}
		res = s.do("agent", "POST", "/api/v1/impact", map[string]any{"failed": []int64{db}, "direction": "down", "depth": 1})
		if items, _ := res.json(t)["items"].([]any); res.status != http.StatusOK || len(items) != 1 {
			t.Errorf("POST impact: %d %s", res.status, res.body)
		}
		for _, c := range []struct {
			method, path string
			body         any
			status       int
			field        string
		}{
			{"GET", "/api/v1/cis/999999/impact", nil, 404, ""},
			{"GET", fmt.Sprintf("/api/v1/cis/%d/impact?direction=left", db), nil, 422, "direction"},
			{"GET", fmt.Sprintf("/api/v1/cis/%d/impact?depth=0", db), nil, 400, "depth"},
			{"GET", fmt.Sprintf("/api/v1/cis/%d/impact?limit=x", db), nil, 400, "limit"},
			{"POST", "/api/v1/impact", map[string]any{"failed": []int64{}}, 422, "failed"},
			{"POST", "/api/v1/impact", map[string]any{"failed": []int64{db, 424242}}, 422, "failed[1]"},
			{"POST", "/api/v1/impact", map[string]any{"failed": []int64{db}, "colour": 1}, 400, ""},
		} {
			res := s.do("agent", c.method, c.path, c.body)
			if res.status != c.status {
				t.Errorf("%s %s: %d %s, want %d", c.method, c.path, res.status, res.body, c.status)
				continue
			}
			if c.field != "" {
				if _, ok := res.errorFields(t)[c.field]; !ok {
					t.Errorf("%s %s: fields %v do not name %s", c.method, c.path, res.errorFields(t), c.field)
				}
			}
		}
		if res := s.do("requester", "GET", fmt.Sprintf("/api/v1/cis/%d/impact", db), nil); res.status != http.StatusForbidden {
			t.Errorf("requester: %d", res.status)
		}
	})
}

// An incident's affected services follow from its linked CIs through the
// impact graph.
func TestIncidentAffectedServices(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		ctx := t.Context()
		res := s.do("admin", "POST", "/api/v1/services", map[string]any{"name": "Web shop", "status": "live", "criticality": "high"})
		if res.status != http.StatusCreated {
			t.Fatalf("service: %d %s", res.status, res.body)
		}
		svc := int64(res.json(t)["id"].(float64))
		shop, _ := insertCI(e, "shop")
		api, _ := insertCI(e, "api")
		if _, err := e.DB.Exec(ctx, `UPDATE cis SET service_id = ? WHERE id = ?`, svc, shop); err != nil {
			t.Fatal(err)
		}
		if err := insertRel(e, shop, api, cmdb.DependsOn); err != nil {
			t.Fatal(err)
		}
		res = s.do("agent", "POST", "/api/v1/incidents", map[string]any{"title": "API errors"})
		number := res.json(t)["number"].(string)
		if res := s.do("agent", "PUT", fmt.Sprintf("/api/v1/incidents/%s/cis/%d", number, api), nil); res.status != http.StatusCreated {
			t.Fatalf("link: %d %s", res.status, res.body)
		}
		res = s.do("auditor", "GET", "/api/v1/incidents/"+number+"/services", nil)
		items, _ := res.json(t)["items"].([]any)
		if res.status != http.StatusOK || len(items) != 1 {
			t.Fatalf("services: %d %s", res.status, res.body)
		}
		it := items[0].(map[string]any)
		if it["service_id"] != float64(svc) || it["state"] != "failed" || it["name"] != "Web shop" {
			t.Errorf("affected service %v", it)
		}
	})
}

// Any filtered CI list can be exported: by name and customer too.
func TestExportFollowsFilters(t *testing.T) {
	s := newServer(t, storetest.SQLite(t))
	e := storetest.Engine{DB: s.app.DB}
	alpha, _ := insertCI(e, "alpha-1")
	insertCI(e, "beta-2")
	if _, err := s.app.DB.Exec(t.Context(), `UPDATE cis SET customer_id = ? WHERE id = ?`, s.custA, alpha); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"q=ALPHA", fmt.Sprintf("customer_id=%d", s.custA)} {
		res := s.do("auditor", "GET", "/api/v1/cis/export?format=csv&"+q, nil)
		body := string(res.body)
		if res.status != http.StatusOK || !strings.Contains(body, "alpha-1") || strings.Contains(body, "beta-2") {
			t.Errorf("export ?%s: %d %s", q, res.status, body)
		}
	}
	if res := s.do("auditor", "GET", "/api/v1/cis/export?customer_id=x", nil); res.status != http.StatusBadRequest {
		t.Errorf("bad customer_id: %d", res.status)
	}
}
