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

const importAPISites = "type,name,status,code,device_id,site\n" +
	"Site,Lyon plant,in_use,S-1,,\n" +
	"IoT gateway,gw one,in_use,,GW-1,code=S-1\n"

func TestCIImportAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		csv := func(role, query, body string) response {
			return s.do(role, "POST", "/api/v1/cis/import"+query, body, "Content-Type", "text/csv")
		}
		counts := func(r response, file string) map[string]any {
			c, _ := r.json(t)[file].(map[string]any)
			return c
		}

		r := csv("agent", "?dry_run=true", importAPISites)
		if r.status != http.StatusOK || r.json(t)["committed"] != false || counts(r, "cis")["created"] != 2.0 {
			t.Fatalf("dry run: %d %s", r.status, r.body)
		}
		r = csv("agent", "", importAPISites)
		if r.status != http.StatusOK || r.json(t)["committed"] != true || counts(r, "cis")["created"] != 2.0 {
			t.Fatalf("import: %d %s", r.status, r.body)
		}
		rels := "source_type,source_key,target_type,target_key,type\nIoT gateway,device_id=GW-1,Site,code=S-1,runs_on\n"
		r = csv("admin", "?records=relationships", rels)
		if r.status != http.StatusOK || counts(r, "relationships")["created"] != 1.0 {
			t.Fatalf("relationships: %d %s", r.status, r.body)
		}

		bad := importAPISites + "IoT gateway,gw two,in_use,,GW-2,code=S-9\n"
		r = csv("agent", "", bad)
		errs, _ := r.json(t)["errors"].([]any)
		if r.status != http.StatusUnprocessableEntity || len(errs) != 1 || !strings.Contains(string(r.body), `"line":4`) {
			t.Fatalf("bad line: %d %s", r.status, r.body)
		}
		r = csv("agent", "?continue_on_error=true", bad)
		if r.status != http.StatusOK || counts(r, "cis")["unchanged"] != 2.0 || counts(r, "cis")["rejected"] != 1.0 {
			t.Fatalf("continue on error: %d %s", r.status, r.body)
		}

		r = s.do("agent", "POST", "/api/v1/cis/import", `[{"type": "Site", "name": "Porto", "attributes": {"code": "S-2"}}]`)
		if r.status != http.StatusOK || counts(r, "cis")["created"] != 1.0 {
			t.Fatalf("JSON: %d %s", r.status, r.body)
		}

		for _, c := range []struct {
			name, role, query, ctype, body string
			status                         int
		}{
			{"auditor may not import", "auditor", "", "text/csv", importAPISites, http.StatusForbidden},
			{"requester may not import", "requester", "", "text/csv", importAPISites, http.StatusForbidden},
			{"anonymous", "", "", "text/csv", importAPISites, http.StatusUnauthorized},
			{"unsupported media type", "agent", "", "application/xml", "<cis/>", http.StatusUnsupportedMediaType},
			{"unknown parameter", "agent", "?force=true", "text/csv", importAPISites, http.StatusBadRequest},
			{"bad flag", "agent", "?dry_run=maybe", "text/csv", importAPISites, http.StatusBadRequest},
			{"too large", "agent", "", "text/csv", strings.Repeat("x", 32<<20+1), http.StatusRequestEntityTooLarge},
		} {
			if r := s.do(c.role, "POST", "/api/v1/cis/import"+c.query, c.body, "Content-Type", c.ctype); r.status != c.status {
				t.Errorf("%s: status %d, want %d: %.300s", c.name, r.status, c.status, r.body)
			}
		}

		r = s.do("auditor", "GET", "/api/v1/cis/export", nil)
		if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") ||
			!strings.HasPrefix(string(r.body), "type,name,status,owner,group,customer,location,redundancy,") {
			t.Fatalf("export: %d %s %s", r.status, r.header, r.body)
		}
		r = csv("agent", "", string(r.body))
		if c := counts(r, "cis"); r.status != http.StatusOK || c["unchanged"] != 3.0 || c["lines"] != 3.0 {
			t.Fatalf("re-import of the export: %d %s", r.status, r.body)
		}
		r = s.do("agent", "GET", "/api/v1/cis/export?format=json&type=Site&status=in_use", nil)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" || strings.Count(string(r.body), `"type":"Site"`) != 2 {
			t.Fatalf("JSON export: %d %s", r.status, r.body)
		}
		for q, status := range map[string]int{"?type=Toaster": 400, "?format=xml": 400, "?status=gone": 400} {
			if r := s.do("agent", "GET", "/api/v1/cis/export"+q, nil); r.status != status {
				t.Errorf("export%s: %d %s", q, r.status, r.body)
			}
		}
		if r := s.do("requester", "GET", "/api/v1/cis/export", nil); r.status != http.StatusForbidden {
			t.Errorf("requester export: %d", r.status)
		}
	})
}

func TestCIImportJobAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		r := s.do("agent", "POST", "/api/v1/cis/import?async=true", importAPISites, "Content-Type", "text/csv")
		loc := r.header.Get("Location")
		if r.status != http.StatusAccepted || r.json(t)["state"] != "queued" || !strings.HasPrefix(loc, "/api/v1/cmdb/imports/") {
			t.Fatalf("async import: %d %s %s", r.status, loc, r.body)
		}
		if r := s.do("auditor", "GET", loc, nil); r.status != http.StatusOK || r.json(t)["state"] != "queued" {
			t.Fatalf("queued job: %d %s", r.status, r.body)
		}
		if _, err := s.app.Worker().RunDue(t.Context()); err != nil {
			t.Fatal(err)
		}
		r = s.do("agent", "GET", loc, nil)
		job := r.json(t)
		rep, _ := job["report"].(map[string]any)
		cis, _ := rep["cis"].(map[string]any)
		if r.status != http.StatusOK || job["state"] != "done" || job["phase"] != "done" || rep["committed"] != true || cis["created"] != 2.0 {
			t.Fatalf("finished job: %d %s", r.status, r.body)
		}

		// A large body runs as a job without asking; a bad line refuses it.
		var big strings.Builder
		big.WriteString("type,name,code\n")
		for i := 0; i < 5001; i++ {
			fmt.Fprintf(&big, "Site,site %d,S-%d\n", i, i)
		}
		big.WriteString("Site,bad,\"\n")
		r = s.do("agent", "POST", "/api/v1/cis/import", big.String(), "Content-Type", "text/csv")
		if r.status != http.StatusAccepted {
			t.Fatalf("large import: %d %.300s", r.status, r.body)
		}
		if _, err := s.app.Worker().RunDue(t.Context()); err != nil {
			t.Fatal(err)
		}
		r = s.do("agent", "GET", r.header.Get("Location"), nil)
		job = r.json(t)
		rep, _ = job["report"].(map[string]any)
		errs, _ := rep["errors"].([]any)
		if job["state"] != "refused" || rep["committed"] != false || len(errs) != 1 {
			t.Fatalf("refused job: %d %.600s", r.status, r.body)
		}
		if n := importAPICount(t, e, "SELECT count(*) FROM cis WHERE name LIKE 'site %'"); n != 0 {
			t.Errorf("a refused job wrote %d CIs", n)
		}

		for _, c := range []struct {
			role, path string
			status     int
		}{
			{"agent", "/api/v1/cmdb/imports/999999", http.StatusNotFound},
			{"agent", "/api/v1/cmdb/imports/x", http.StatusBadRequest},
			{"requester", loc, http.StatusForbidden},
			{"", loc, http.StatusUnauthorized},
		} {
			if r := s.do(c.role, "GET", c.path, nil); r.status != c.status {
				t.Errorf("GET %s as %q: %d, want %d", c.path, c.role, r.status, c.status)
			}
		}
	})
}

func importAPICount(t *testing.T, e storetest.Engine, q string) int {
	t.Helper()
	var n int
	if err := e.DB.QueryRow(t.Context(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestOpenAPIImportSchemas keeps the import report's schemas in step with
// the types the server encodes.
func TestOpenAPIImportSchemas(t *testing.T) {
	doc := loadOpenAPI(t)
	for name, v := range map[string]any{
		"ImportReport":      cmdb.ImportReport{},
		"ImportCounts":      cmdb.ImportCounts{},
		"ImportError":       cmdb.ImportError{},
		"ImportChange":      cmdb.ImportChange{},
		"ImportFieldChange": cmdb.FieldChange{},
		"ImportJob":         cmdb.ImportJob{},
	} {
		all, always := oaJSONFields(reflect.TypeOf(v))
		props, required, _ := oaSchemaFields(t, doc, name)
		if !slices.Equal(props, all) || !slices.Equal(required, always) {
			t.Errorf("schema %s: properties %v required %v; the type encodes %v, always %v", name, props, required, all, always)
		}
	}
}
