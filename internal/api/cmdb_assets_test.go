package api_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"steward/internal/cmdb"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// assetsCI writes a CI straight into the database.
func assetsCI(t *testing.T, db *store.DB, name, typ string) int64 {
	t.Helper()
	var id int64
	now := store.TS(time.Now())
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		return tx.QueryRow(context.Background(), `INSERT INTO cis (type_id, name, status, location, attributes, created_at, updated_at)
			VALUES ((SELECT id FROM ci_types WHERE name = ?), ?, 'in_use', '', '{}', ?, ?) RETURNING id`, typ, name, now, now).Scan(&id)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestCIAssetsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		ctx := context.Background()
		web := assetsCI(t, e.DB, "web01", "Server")
		office := assetsCI(t, e.DB, "Office", "Software")
		if _, err := e.DB.Exec(ctx, "INSERT INTO ci_relationships (source_id, target_id, type, created_at) VALUES (?, ?, 'runs_on', ?)",
			office, web, store.TS(time.Now())); err != nil {
			t.Fatal(err)
		}
		webID, officeID := fmt.Sprint(web), fmt.Sprint(office)

		res := s.do("agent", "POST", "/api/v1/baselines", map[string]any{"name": "As built", "note": "go-live", "ci_ids": []int64{web, office}})
		if res.status != 201 || !strings.HasPrefix(res.header.Get("Location"), "/api/v1/baselines/") || !strings.Contains(string(res.body), `"ci_count":2`) {
			t.Fatalf("take a baseline: %d %v %s", res.status, res.header, res.body)
		}
		baseID := fmt.Sprint(res.json(t)["id"])
		run := `{"baseline_id":` + baseID + `,"note":"Q1","findings":[{"ci_id":` + webID +
			`,"result":"differs","differences":[{"field":"attributes.serial_number","recorded":null,"observed":"SN-1"}]}]}`
		res = s.do("agent", "POST", "/api/v1/verifications", run, "Idempotency-Key", "run-1")
		if res.status != 201 || !strings.Contains(string(res.body), `"counts":{"ok":1,"differs":1,"missing":0}`) ||
			!strings.Contains(string(res.body), `"baseline_name":"As built"`) || !strings.Contains(string(res.body), `"verified_by":"agent@api.test"`) {
			t.Fatalf("record a verification run: %d %s", res.status, res.body)
		}
		runID := fmt.Sprint(res.json(t)["id"])
		soon := time.Now().UTC().AddDate(0, 0, 30).Format(time.DateOnly)

		cases := []struct {
			name, role, method, path string
			body                     any
			headers                  []string
			status                   int
			want                     []string
		}{
			{"auditors read but do not take baselines", "auditor", "POST", "/api/v1/baselines", `{"name":"x","ci_ids":[1]}`, nil, 403, []string{`"forbidden"`}},
			{"unknown field", "agent", "POST", "/api/v1/baselines", `{"name":"x","ci_ids":[1],"colour":"red"}`, nil, 400, []string{`"colour":"is not a known field"`}},
			{"missing CI", "agent", "POST", "/api/v1/baselines", `{"name":"x","ci_ids":[` + webID + `,9999]}`, nil, 422, []string{`"ci_ids[1]":"CI 9999 does not exist"`}},
			{"unknown type", "agent", "POST", "/api/v1/baselines", `{"name":"x","filter":{"type":"Spaceship"}}`, nil, 422, []string{`"filter.type":"there is no CI type \"Spaceship\""`}},
			{"name taken", "agent", "POST", "/api/v1/baselines", `{"name":"AS BUILT","ci_ids":[` + webID + `]}`, nil, 422, []string{`"name":"a baseline named \"AS BUILT\" already exists"`}},
			{"list", "auditor", "GET", "/api/v1/baselines", nil, nil, 200, []string{`"name":"As built"`, `"next_cursor":null`}},
			{"get", "auditor", "GET", "/api/v1/baselines/" + baseID, nil, nil, 200, []string{`"ci_count":2`, `"filter":null`, `"created_by":"agent@api.test"`}},
			{"no such baseline", "agent", "GET", "/api/v1/baselines/4242", nil, nil, 404, []string{`"not_found"`}},
			{"bad id", "agent", "GET", "/api/v1/baselines/abc", nil, nil, 400, nil},
			{"items", "agent", "GET", "/api/v1/baselines/" + baseID + "/items", nil, nil, 200, []string{`"name":"web01"`, `"type":"runs_on"`}},
			{"compare", "agent", "GET", "/api/v1/baselines/" + baseID + "/compare", nil, nil, 200, []string{`"state":"unchanged"`, `"scanned":2`}},
			{"compare bad state", "agent", "GET", "/api/v1/baselines/" + baseID + "/compare?state=gone", nil, nil, 400, []string{`"state":"must be one of unchanged, changed, deleted, added"`}},
			{"compare bad cursor", "agent", "GET", "/api/v1/baselines/" + baseID + "/compare?cursor=zzz", nil, nil, 400, []string{`"cursor":`}},
			{"compare unknown parameter", "agent", "GET", "/api/v1/baselines/" + baseID + "/compare?colour=red", nil, nil, 400, []string{`"colour":"is not a known parameter"`}},

			{"verification of a missing CI", "agent", "POST", "/api/v1/verifications",
				`{"findings":[{"ci_id":` + webID + `,"result":"ok"},{"ci_id":9999,"result":"ok"}]}`, nil, 422, []string{`"findings[1].ci_id":"CI 9999 does not exist"`}},
			{"verification with a bad result", "agent", "POST", "/api/v1/verifications",
				`{"findings":[{"ci_id":` + webID + `,"result":"fine"}]}`, nil, 422, []string{`"findings[0].result":"must be one of ok, differs, missing"`}},
			{"verification against no baseline", "agent", "POST", "/api/v1/verifications", `{"baseline_id":4242}`, nil, 422, []string{`"baseline_id":"baseline 4242 does not exist"`}},
			{"verification replayed", "agent", "POST", "/api/v1/verifications", run, []string{"Idempotency-Key", "run-1"}, 201,
				[]string{`"id":` + runID, `"note":"Q1"`}},
			{"key used for another run", "agent", "POST", "/api/v1/verifications", `{"ci_ids":[` + webID + `]}`, []string{"Idempotency-Key", "run-1"}, 422,
				[]string{`"Idempotency-Key":"was already used for a different request"`}},
			{"get verification", "auditor", "GET", "/api/v1/verifications/" + runID, nil, nil, 200, []string{`"counts":{"ok":1,"differs":1,"missing":0}`}},
			{"verifications", "auditor", "GET", "/api/v1/verifications?baseline_id=" + baseID, nil, nil, 200, []string{`"differs":1`, `"next_cursor":null`}},
			{"verifications bad filter", "auditor", "GET", "/api/v1/verifications?baseline_id=abc", nil, nil, 400, []string{`"baseline_id":`}},
			{"findings", "auditor", "GET", "/api/v1/verifications/" + runID + "/findings?result=differs", nil, nil, 200, []string{`"observed":"SN-1"`, `"name":"web01"`}},
			{"findings bad result", "auditor", "GET", "/api/v1/verifications/" + runID + "/findings?result=maybe", nil, nil, 400, []string{`"result":`}},
			{"the baseline is now evidence", "admin", "DELETE", "/api/v1/baselines/" + baseID, nil, nil, 409, []string{`verification run`}},

			{"no asset yet", "agent", "GET", "/api/v1/cis/" + webID + "/asset", nil, nil, 404, nil},
			{"create asset", "agent", "PUT", "/api/v1/cis/" + webID + "/asset",
				`{"asset_tag":"A-1","cost":1250.5,"supplier":"Acme","warranty_end":"` + soon + `","lifecycle":{"ordered":"2025-01-10","deployed":"2025-02-01"},"change_ref":"CHG-1"}`,
				nil, 201, []string{`"cost":1250.50`, `"version":1`, `"ci_name":"web01"`, `"received":null`}},
			{"cost as text", "agent", "PUT", "/api/v1/cis/" + webID + "/asset", `{"cost":"12"}`, nil, 400, []string{`"cost":"must be a number"`}},
			{"cost with three decimals", "agent", "PUT", "/api/v1/cis/" + webID + "/asset", `{"cost":1.005}`, nil, 422, []string{`"cost":"must be an amount with at most two decimals`}},
			{"lifecycle out of order", "agent", "PUT", "/api/v1/cis/" + webID + "/asset", `{"lifecycle":{"ordered":"2025-03-01","received":"2025-02-01"}}`,
				nil, 422, []string{`"lifecycle.received":"must not be before lifecycle.ordered (2025-03-01)"`}},
			{"stale If-Match", "agent", "PUT", "/api/v1/cis/" + webID + "/asset", `{"asset_tag":"A-1"}`, []string{"If-Match", `"v7"`}, 412, []string{`"precondition_failed"`}},
			{"replace at the version read", "agent", "PUT", "/api/v1/cis/" + webID + "/asset",
				`{"asset_tag":"A-1","cost":1250.5,"supplier":"Acme Ltd","warranty_end":"` + soon + `"}`, []string{"If-Match", `"v1"`}, 200, []string{`"version":2`, `"ordered":null`}},
			{"auditors cannot change assets", "auditor", "PUT", "/api/v1/cis/" + webID + "/asset", `{}`, nil, 403, nil},
			{"asset of no CI", "agent", "PUT", "/api/v1/cis/9999/asset", `{}`, nil, 404, nil},
			{"licence", "agent", "PUT", "/api/v1/cis/" + officeID + "/asset", `{"seats_owned":0,"licence_end":"` + soon + `"}`, nil, 201, []string{`"seats_owned":0`}},
			{"get asset", "auditor", "GET", "/api/v1/cis/" + webID + "/asset", nil, nil, 200, []string{`"supplier":"Acme Ltd"`}},
			{"register", "auditor", "GET", "/api/v1/assets?limit=1", nil, nil, 200, []string{`"asset_tag":"A-1"`, `"next_cursor":"`}},
			{"expiring", "auditor", "GET", "/api/v1/assets/expiring", nil, nil, 200,
				[]string{`"kind":"licence","date":"` + soon + `","days_left":30`, `"kind":"warranty"`, `"type":"Server"`, `"until":"`}},
			{"expiring licences", "auditor", "GET", "/api/v1/assets/expiring?within=5w&kind=licence", nil, nil, 200, []string{`"name":"Office"`}},
			{"expiring window too long", "auditor", "GET", "/api/v1/assets/expiring?within=6y", nil, nil, 400, []string{`"within":"must be at most 5 years"`}},
			{"expiring bad window", "auditor", "GET", "/api/v1/assets/expiring?within=soon", nil, nil, 400, []string{`"within":`}},
			{"licences", "auditor", "GET", "/api/v1/licences", nil, nil, 200,
				[]string{`"name":"Office","seats_owned":0,"installed":1,"compliance":-1,"over_deployed":true`}},
			{"stale delete", "agent", "DELETE", "/api/v1/cis/" + webID + "/asset", nil, []string{"If-Match", `"v1"`}, 412, nil},
			{"delete asset", "agent", "DELETE", "/api/v1/cis/" + webID + "/asset?change_ref=CHG-2", nil, nil, 204, nil},
			{"deleted asset", "agent", "GET", "/api/v1/cis/" + webID + "/asset", nil, nil, 404, nil},
			{"asset history", "auditor", "GET", "/api/v1/audit?entity=asset&entity_id=" + webID, nil, nil, 200,
				[]string{`"action":"delete"`, `"action":"update"`, `"action":"create"`}},
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

		var runs, history int
		if err := e.DB.QueryRow(ctx, "SELECT COUNT(*) FROM ci_verifications").Scan(&runs); err != nil || runs != 1 {
			t.Fatalf("the replayed run was recorded again: %d %v", runs, err)
		}
		if err := e.DB.QueryRow(ctx, "SELECT COUNT(*) FROM ci_history WHERE ci_id = ? AND field LIKE 'asset.%' AND change_ref = 'CHG-2'", web).Scan(&history); err != nil || history != 4 {
			t.Fatalf("the delete should clear asset_tag, cost, supplier and warranty_end in the history: %d %v", history, err)
		}
	})
}

// TestOpenAPICMDBAssetSchemas keeps the baseline, verification and asset
// schemas in step with the Go types.
func TestOpenAPICMDBAssetSchemas(t *testing.T) {
	doc := loadOpenAPI(t)
	for name, v := range map[string]any{
		"Baseline":     cmdb.Baseline{},
		"Edge":         cmdb.Edge{},
		"Snapshot":     cmdb.Snapshot{},
		"FieldDiff":    cmdb.FieldDiff{},
		"ComparedCI":   cmdb.ComparedCI{},
		"Comparison":   cmdb.Comparison{},
		"ResultCounts": cmdb.ResultCounts{},
		"Verification": cmdb.Verification{},
		"Finding":      cmdb.Finding{},
		"Asset":        cmdb.Asset{},
		"Expiring":     cmdb.Expiring{},
		"ExpiringList": cmdb.ExpiringPage{},
		"Licence":      cmdb.Licence{},
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
		"BaselineFilter":  cmdb.BaselineFilter{},
		"NewBaseline":     cmdb.NewBaseline{},
		"Difference":      cmdb.Difference{},
		"FindingInput":    cmdb.FindingInput{},
		"NewVerification": cmdb.NewVerification{},
		"Lifecycle":       cmdb.Lifecycle{},
		"AssetInput":      cmdb.AssetInput{},
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
