package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"steward/internal/audit"
	"steward/internal/cmdb"
)

// ciTypeID looks a CI type up by name.
func (s *site) ciTypeID(t *testing.T, name string) int64 {
	t.Helper()
	ty, err := s.app.CMDB.GetType(context.Background(), name)
	if err != nil {
		t.Fatalf("CI type %q: %v", name, err)
	}
	return ty.ID
}

// ci records a CI directly, for tests that need some to look at.
func (s *site) ci(t *testing.T, typ, name string, attrs map[string]any) int64 {
	t.Helper()
	c, err := s.app.CMDB.CreateCI(context.Background(), audit.System, cmdb.NewCI{Type: cmdb.TypeRef(typ), Name: name, Attributes: attrs}, nil)
	if err != nil {
		t.Fatalf("CI %q: %v", name, err)
	}
	return c.ID
}

func (s *site) relate(t *testing.T, source int64, typ cmdb.RelType, target int64) {
	t.Helper()
	if _, err := s.app.CMDB.Relate(context.Background(), audit.System, cmdb.NewRelationship{SourceID: source, TargetID: target, Type: typ}, nil); err != nil {
		t.Fatal(err)
	}
}

func (s *site) ciCount(t *testing.T) int {
	t.Helper()
	var n int
	if err := s.app.DB.QueryRow(context.Background(), "SELECT COUNT(*) FROM cis").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

var createdCI = regexp.MustCompile(`^/cis/(\d+)$`)

func TestCMDBRoles(t *testing.T) {
	s := newSite(t)
	srv := s.ci(t, "Server", "db-host-1", map[string]any{"hostname": "db-host-1"})
	app := s.ci(t, "Application", "Ledger", nil)
	s.relate(t, app, cmdb.DependsOn, srv)
	typ := sid(s.ciTypeID(t, "Server"))
	pages := []string{"/cis", "/cis/new", "/cis/new?type=" + typ, "/cis/" + sid(srv), "/cis/" + sid(srv) + "/edit",
		"/cis/" + sid(srv) + "/impact", "/cis/" + sid(srv) + "/graph", "/cis/" + sid(srv) + "/graph.json",
		"/ci-types", "/ci-types/new", "/ci-types/" + typ, "/baselines", "/assets/expiring", "/licences"}

	req := s.signedIn("requester")
	if home := req.get("/"); strings.Contains(home.body, `href="/cis"`) {
		t.Error("a requester's navigation offers the CMDB")
	}
	for _, p := range pages {
		if got := req.get(p); got.status != http.StatusForbidden {
			t.Errorf("requester GET %s: %d, want 403", p, got.status)
		}
	}
	if got := req.post("/cis", url.Values{"type_id": {typ}, "name": {"sneaky"}}); got.status != http.StatusForbidden {
		t.Errorf("requester POST /cis: %d, want 403", got.status)
	}

	aud := s.signedIn("auditor")
	if home := aud.get("/"); !strings.Contains(home.body, `href="/cis"`) {
		t.Error("the auditor's navigation lacks the CMDB")
	}
	for _, p := range []string{"/cis", "/cis/" + sid(srv), "/cis/" + sid(srv) + "/impact", "/cis/" + sid(srv) + "/graph", "/ci-types", "/ci-types/" + typ, "/baselines", "/assets/expiring", "/licences"} {
		got := aud.get(p)
		if got.status != http.StatusOK {
			t.Errorf("auditor GET %s: %d", p, got.status)
			continue
		}
		if strings.Contains(got.body, `method="post" action="/cis`) || strings.Contains(got.body, `action="/ci-types`) ||
			strings.Contains(got.body, `href="/cis/new`) || strings.Contains(got.body, `/edit"`) {
			t.Errorf("auditor GET %s offers a form or an edit link", p)
		}
	}
	detail := aud.get("/cis/" + sid(srv))
	if !strings.Contains(detail.body, ">Ledger</a>") || !strings.Contains(detail.body, "is needed by") || !strings.Contains(detail.body, "created the CI") {
		t.Errorf("the auditor's CI page lacks its relationship or history:\n%s", detail.body)
	}
	for _, p := range []string{"/cis/new", "/cis/" + sid(srv) + "/edit", "/ci-types/new"} {
		if got := aud.get(p); got.status != http.StatusForbidden {
			t.Errorf("auditor GET %s: %d, want 403", p, got.status)
		}
	}
	before := s.ciCount(t)
	if got := aud.post("/cis", url.Values{"type_id": {typ}, "name": {"audited"}, "attr.hostname": {"audited"}}); got.status != http.StatusForbidden {
		t.Errorf("auditor POST /cis: %d, want 403", got.status)
	}
	if got := aud.post("/cis/"+sid(srv)+"/relationships", url.Values{"rel": {"depends_on"}, "other": {"Ledger"}}); got.status != http.StatusForbidden {
		t.Errorf("auditor relating: %d, want 403", got.status)
	}
	if s.ciCount(t) != before {
		t.Error("the auditor changed the CMDB")
	}

	agent := s.signedIn("agent")
	if got := agent.get("/ci-types/" + typ); got.status != http.StatusOK || strings.Contains(got.body, `action="/ci-types/`) {
		t.Errorf("an agent sees the type form (%d)", got.status)
	}
	if got := agent.post("/ci-types", url.Values{"name": {"Gadget"}}); got.status != http.StatusForbidden {
		t.Errorf("agent POST /ci-types: %d, want 403", got.status)
	}
}

func TestCMDBAgentModelsAService(t *testing.T) {
	s := newSite(t)
	b := s.signedIn("agent")
	server := sid(s.ciTypeID(t, "Server"))

	picker := b.get("/cis/new")
	if picker.status != http.StatusOK || !strings.Contains(picker.body, `href="/cis/new?type=`+server+`"`) {
		t.Fatalf("the type picker: %d\n%s", picker.status, picker.body)
	}
	form := b.get("/cis/new?type=" + server)
	for _, want := range []string{`name="attr.hostname"`, `type="number" name="attr.cpu_cores"`, `type="checkbox" name="attr.virtual"`,
		`name="attr.ip_address"`, `name="type_id" value="` + server + `"`, `name="owner_id"`, `name="change_ref"`} {
		if !strings.Contains(form.body, want) {
			t.Errorf("the Server form lacks %s", want)
		}
	}

	// Bad input comes back with messages next to the fields, nothing saved.
	before := s.ciCount(t)
	bad := b.post("/cis", url.Values{"type_id": {server}, "name": {""}, "attr.ip_address": {"10.0.0.300"}, "attr.cpu_cores": {"many"},
		"status": {"in_use"}, "redundancy_mode": {"count"}, "redundancy_value": {"0"}})
	if bad.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad CI: %d\n%s", bad.status, bad.body)
	}
	for _, want := range []string{"This field is required.", "is not an IPv4 or IPv6 address", "must be a number", "is required for type", "at least 1", `value="10.0.0.300"`} {
		if !strings.Contains(bad.body, want) {
			t.Errorf("the failed form lacks %q", want)
		}
	}
	if s.ciCount(t) != before {
		t.Fatal("a refused CI was saved")
	}

	made := b.post("/cis", url.Values{"type_id": {server}, "name": {"app-01"}, "attr.hostname": {"app-01.example"}, "attr.ip_address": {"10.0.0.12"},
		"attr.cpu_cores": {"8"}, "attr.virtual": {"on"}, "status": {"in_use"}, "change_ref": {"CHG-000042"}})
	m := createdCI.FindStringSubmatch(made.location)
	if made.status != http.StatusSeeOther || m == nil {
		t.Fatalf("create: %d %q\n%s", made.status, made.location, made.body)
	}
	srvID := m[1]
	page := b.get("/cis/" + srvID)
	for _, want := range []string{"app-01.example", "10.0.0.12", "<dd>8</dd>", "<dd>Yes</dd>", "CHG-000042", "created the CI"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the CI page lacks %q", want)
		}
	}

	made = b.post("/cis", url.Values{"type_id": {sid(s.ciTypeID(t, "Business service"))}, "name": {"Payroll portal"}, "status": {"in_use"}})
	if m = createdCI.FindStringSubmatch(made.location); m == nil {
		t.Fatalf("create the service: %d\n%s", made.status, made.body)
	}
	svcID := m[1]

	// Relationships: refused ones say why, the good one shows on both pages.
	for _, c := range []struct{ rel, other, want string }{
		{"depends_on", "Payroll portal", "cannot be related to itself"},
		{"depends_on", "no-such-ci", "No CI is named like"},
		{"", "app-01", "Choose how the CIs relate"},
	} {
		got := b.post("/cis/"+svcID+"/relationships", url.Values{"rel": {c.rel}, "other": {c.other}})
		if got.status != http.StatusUnprocessableEntity || !strings.Contains(got.body, c.want) {
			t.Errorf("relate %s %q: %d, want 422 with %q", c.rel, c.other, got.status, c.want)
		}
	}
	if got := b.post("/cis/"+svcID+"/relationships", url.Values{"rel": {"depends_on"}, "other": {"app-01"}, "change_ref": {"CHG-000043"}}); got.status != http.StatusSeeOther {
		t.Fatalf("relate: %d\n%s", got.status, got.body)
	}
	if got := b.post("/cis/"+svcID+"/relationships", url.Values{"rel": {"depends_on"}, "other": {srvID}}); got.status != http.StatusConflict {
		t.Errorf("the same relationship twice: %d, want 409", got.status)
	}
	svcPage := b.get("/cis/" + svcID)
	if !strings.Contains(svcPage.body, `href="/cis/`+srvID+`">app-01</a>`) || !strings.Contains(svcPage.body, "CHG-000043") {
		t.Errorf("the service's page lacks its relationship or its history")
	}

	// What breaks if the server fails: the portal, shown as failed with its path.
	impact := b.get("/cis/" + srvID + "/impact")
	if impact.status != http.StatusOK || !strings.Contains(impact.body, `pill impact-failed">Failed`) ||
		!strings.Contains(impact.body, `<li><a href="/cis/`+srvID+`">app-01</a></li><li><a href="/cis/`+svcID+`">Payroll portal</a></li>`) {
		t.Errorf("impact page: %d\n%s", impact.status, impact.body)
	}
	up := b.get("/cis/" + svcID + "/impact?direction=up")
	if !strings.Contains(up.body, ">app-01</a>") || !strings.Contains(up.body, "to check") {
		t.Errorf("upstream of the service should list the server as a candidate cause")
	}
	if got := b.get("/cis/" + srvID + "/impact?direction=sideways"); got.status != http.StatusUnprocessableEntity {
		t.Errorf("a bad direction: %d, want 422", got.status)
	}

	var g struct {
		Center int64 `json:"center"`
		Nodes  []struct {
			ID    int64  `json:"id"`
			Name  string `json:"name"`
			State string `json:"state"`
		} `json:"nodes"`
		Edges []struct {
			Source, Target int64
			Impact         bool `json:"impact"`
		} `json:"edges"`
	}
	raw := b.get("/cis/" + srvID + "/graph.json?depth=2&impact=down")
	if err := json.Unmarshal([]byte(raw.body), &g); err != nil {
		t.Fatalf("graph.json: %v\n%s", err, raw.body)
	}
	if len(g.Nodes) != 2 || len(g.Edges) != 1 || !g.Edges[0].Impact || g.Nodes[1].Name != "Payroll portal" || g.Nodes[1].State != "failed" {
		t.Errorf("graph: %+v", g)
	}
	if got := b.get("/cis/" + srvID + "/graph.json?depth=9"); got.status != http.StatusUnprocessableEntity {
		t.Errorf("graph depth 9: %d, want 422", got.status)
	}

	// Edit: a changed attribute and a cleared one go to the history.
	edit := b.get("/cis/" + srvID + "/edit")
	upd := b.post("/cis/"+srvID, url.Values{"version": {versionOf(t, edit)}, "name": {"app-01"}, "status": {"maintenance"},
		"attr.hostname": {"app-01.example"}, "attr.ip_address": {""}, "attr.cpu_cores": {"16"}, "attr.virtual": {"on"}})
	if upd.status != http.StatusSeeOther {
		t.Fatalf("update: %d\n%s", upd.status, upd.body)
	}
	hist := b.get("/cis/" + srvID).body
	for _, want := range []string{`Cpu cores:</span>`, `<span class="chg-old">8</span> → <span class="chg-new">16</span>`,
		`<span class="chg-old">10.0.0.12</span> → <span class="chg-new">—</span>`, `<span class="chg-old">In use</span> → <span class="chg-new">Maintenance</span>`} {
		if !strings.Contains(hist, want) {
			t.Errorf("history lacks %s", want)
		}
	}
	if strings.Contains(hist, "Virtual:</span>") {
		t.Error("an unchanged box shows in the history")
	}
	if stale := b.post("/cis/"+srvID, url.Values{"version": {versionOf(t, edit)}, "name": {"app-02"}, "status": {"in_use"}, "attr.hostname": {"x"}}); stale.status != http.StatusConflict {
		t.Errorf("a stale edit: %d, want 409", stale.status)
	}

	// The list finds it by name, type and attribute.
	// (The demo has a hundred servers, all in use: by type and status.)
	for _, q := range []string{"q=app", "type=" + server + "&status=maintenance", "attr=hostname&value=app-01.example"} {
		if list := b.get("/cis?" + q); !strings.Contains(list.body, ">app-01</a>") || strings.Contains(list.body, "Payroll portal") && q != "q=app" {
			t.Errorf("/cis?%s does not list just the server", q)
		}
	}
	if list := b.get("/cis?attr=hostname&value=x&type=" + sid(s.ciTypeID(t, "Site"))); list.status != http.StatusUnprocessableEntity {
		t.Errorf("an attribute the type lacks: %d, want 422", list.status)
	}

	// Unrelating from the server's side removes it from the service's page.
	relID := regexp.MustCompile(`name="relationship_id" value="(\d+)"`).FindStringSubmatch(b.get("/cis/" + srvID).body)
	if relID == nil {
		t.Fatal("no remove button for the relationship")
	}
	if got := b.post("/cis/"+srvID+"/relationships/delete", url.Values{"relationship_id": {relID[1]}}); got.status != http.StatusSeeOther {
		t.Fatalf("unrelate: %d", got.status)
	}
	if strings.Contains(b.get("/cis/"+svcID).body, `name="relationship_id"`) {
		t.Error("the relationship is still shown")
	}
}

func TestCMDBTypeForm(t *testing.T) {
	s := newSite(t)
	b := s.signedIn("admin")
	types := func() int {
		all, err := s.app.CMDB.ListTypes(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return len(all)
	}
	before := types()
	bad := b.post("/ci-types", url.Values{"name": {"Load balancer"}, "rows": {"3"},
		"attr_0_name": {"Bad Name"}, "attr_0_type": {"string"},
		"attr_1_name": {"mode"}, "attr_1_type": {"enum"},
		"attr_2_name": {""}, "attr_2_type": {"string"}})
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "must be lower-case letters") || !strings.Contains(bad.body, "An enum needs at least one value") {
		t.Fatalf("bad type: %d\n%s", bad.status, bad.body)
	}
	if types() != before {
		t.Fatal("a refused type was saved")
	}
	made := b.post("/ci-types", url.Values{"name": {"Load balancer"}, "description": {"Spreads traffic"}, "rows": {"3"},
		"attr_0_name": {"vip"}, "attr_0_type": {"ip"}, "attr_0_required": {"on"},
		"attr_1_name": {"mode"}, "attr_1_type": {"enum"}, "attr_1_values": {"active, standby"},
		"attr_2_name": {""}, "attr_2_type": {"string"}})
	m := regexp.MustCompile(`^/ci-types/(\d+)$`).FindStringSubmatch(made.location)
	if m == nil {
		t.Fatalf("create type: %d %q\n%s", made.status, made.location, made.body)
	}
	ty, err := s.app.CMDB.GetType(context.Background(), m[1])
	if err != nil || len(ty.Attributes) != 2 || !ty.Attributes[0].Required || strings.Join(ty.Attributes[1].Values, "|") != "active|standby" {
		t.Fatalf("stored type: %+v %v", ty, err)
	}
	// The CI form follows the new type: a required IP field and a select.
	form := b.get("/cis/new?type=" + m[1]).body
	if !strings.Contains(form, `name="attr.vip"`) || !strings.Contains(form, `<option value="standby">Standby</option>`) {
		t.Errorf("the CI form does not follow the new type")
	}
	// Removing an attribute through its row.
	page := b.get("/ci-types/" + m[1])
	upd := b.post("/ci-types/"+m[1], url.Values{"version": {versionOf(t, page)}, "name": {"Load balancer"}, "rows": {"2"},
		"attr_0_name": {"vip"}, "attr_0_type": {"ip"}, "attr_0_existing": {"1"},
		"attr_1_name": {"mode"}, "attr_1_type": {"enum"}, "attr_1_values": {"active, standby"}, "attr_1_existing": {"1"}, "attr_1_remove": {"on"}})
	if upd.status != http.StatusSeeOther {
		t.Fatalf("update type: %d\n%s", upd.status, upd.body)
	}
	if ty, _ = s.app.CMDB.GetType(context.Background(), m[1]); len(ty.Attributes) != 1 || ty.Attributes[0].Required {
		t.Errorf("after the update: %+v", ty.Attributes)
	}
}

func TestCMDBIncidentLinks(t *testing.T) {
	s := newSite(t)
	srv := s.ci(t, "Server", "mail-01", map[string]any{"hostname": "mail-01"})
	svc, err := s.app.CMDB.CreateCI(context.Background(), audit.System, cmdb.NewCI{Type: "Business service", Name: "E-mail service",
		ServiceID: ptr(s.serviceID(t, "E-mail"))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.relate(t, svc.ID, cmdb.DependsOn, srv)
	_, cust := s.userID(t, "requester@steward.demo")
	inc := s.incidents(t, cust, true)
	// The demo links its incidents to their services' CIs; start from none.
	if _, err := s.app.DB.Exec(context.Background(), "DELETE FROM record_cis WHERE kind = 'incident' AND record_id = ?", inc.ID); err != nil {
		t.Fatal(err)
	}

	agent := s.signedIn("agent")
	path := "/incidents/" + inc.Number
	if p := agent.get(path); !strings.Contains(p.body, "Affected CIs") || !strings.Contains(p.body, "No CI is linked yet.") {
		t.Fatalf("the incident page lacks the affected CIs card")
	}
	if bad := agent.post(path+"/cis", url.Values{"ci": {"nothing-like-this"}}); bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "No CI is named like") {
		t.Errorf("linking an unknown CI: %d", bad.status)
	}
	if got := agent.post(path+"/cis", url.Values{"ci": {"mail-01"}}); got.status != http.StatusSeeOther {
		t.Fatalf("link: %d\n%s", got.status, got.body)
	}
	p := agent.get(path)
	if !strings.Contains(p.body, `href="/cis/`+sid(srv)+`">mail-01</a>`) || !strings.Contains(p.body, ">E-mail</a>") {
		t.Errorf("the incident page should list the CI and the service derived from it:\n%s", p.body)
	}
	if ci := agent.get("/cis/" + sid(srv)); !strings.Contains(ci.body, inc.Number) {
		t.Error("the CI page does not list the incident")
	}
	if req := s.signedIn("requester").get(path); strings.Contains(req.body, "Affected CIs") || strings.Contains(req.body, "mail-01") {
		t.Error("a requester sees the affected CIs")
	}
	if got := agent.post(path+"/cis/delete", url.Values{"ci_id": {sid(srv)}}); got.status != http.StatusSeeOther {
		t.Fatalf("unlink: %d", got.status)
	}
	if p := agent.get(path); strings.Contains(p.body, `">mail-01</a>`) {
		t.Error("the unlinked CI is still listed")
	}
	if got := s.signedIn("auditor").post(path+"/cis", url.Values{"ci": {"mail-01"}}); got.status != http.StatusForbidden {
		t.Errorf("auditor linking: %d, want 403", got.status)
	}
}

func ptr[T any](v T) *T { return &v }

func TestCMDBBaselinesAndExport(t *testing.T) {
	s := newSite(t)
	srv := s.ci(t, "Server", "batch-01", map[string]any{"hostname": "batch-01"})
	s.ci(t, "Site", "Depot", map[string]any{"code": "DEP"})
	b := s.signedIn("agent")
	server := sid(s.ciTypeID(t, "Server"))

	if bad := b.post("/baselines", url.Values{"name": {""}, "type": {server}}); bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "This field is required.") {
		t.Fatalf("a nameless baseline: %d", bad.status)
	}
	made := b.post("/baselines", url.Values{"name": {"Servers before patching"}, "type": {server}, "status": {"in_use"}})
	m := regexp.MustCompile(`^/baselines/(\d+)$`).FindStringSubmatch(made.location)
	if m == nil {
		t.Fatalf("baseline: %d %q\n%s", made.status, made.location, made.body)
	}
	if p := b.get("/baselines/" + m[1]); !strings.Contains(p.body, "Nothing has drifted") || !strings.Contains(p.body, "1 CIs") {
		t.Errorf("a fresh baseline should show no drift:\n%s", p.body)
	}
	st := cmdb.Maintenance
	if _, err := s.app.CMDB.UpdateCI(context.Background(), audit.System, srv, cmdb.CIPatch{Status: &st}, 0); err != nil {
		t.Fatal(err)
	}
	s.ci(t, "Server", "batch-02", map[string]any{"hostname": "batch-02"})
	drift := b.get("/baselines/" + m[1]).body
	if !strings.Contains(drift, `<span class="chg-old">In use</span> → <span class="chg-new">Maintenance</span>`) {
		t.Errorf("the comparison lacks the status change")
	}
	if !strings.Contains(drift, "batch-02") {
		t.Error("a server recorded since, which the baseline's filter matches, is not listed as added")
	}
	if changed := b.get("/baselines/" + m[1] + "?state=changed").body; strings.Contains(changed, "batch-02") || !strings.Contains(changed, "batch-01") {
		t.Errorf("the changed tab should list batch-01 only")
	}
	if aud := s.signedIn("auditor"); aud.post("/baselines", url.Values{"name": {"nope"}}).status != http.StatusForbidden {
		t.Error("an auditor took a baseline")
	}

	list := b.get("/cis?type=" + server)
	if !strings.Contains(list.body, `href="/cis/export.csv?type=`+server+`"`) {
		t.Fatalf("the list lacks its export link")
	}
	csv := b.get("/cis/export.csv?type=" + server)
	if csv.status != http.StatusOK || !strings.Contains(csv.body, "batch-01") || strings.Contains(csv.body, "Depot") || !strings.Contains(csv.body, "hostname") {
		t.Errorf("export: %d\n%s", csv.status, csv.body)
	}
	if bad := b.get("/cis/export.csv?status=broken"); bad.status != http.StatusUnprocessableEntity {
		t.Errorf("export with a bad status: %d, want 422", bad.status)
	}
	if req := s.signedIn("requester").get("/cis/export.csv"); req.status != http.StatusForbidden {
		t.Errorf("requester export: %d, want 403", req.status)
	}
}

// A gateway with more sensors than a drawing holds: the graph says it is
// capped and keeps the impacted chain whole.
func TestCMDBGraphCap(t *testing.T) {
	s := newSite(t)
	gw := s.ci(t, "IoT gateway", "gw-1", map[string]any{"device_id": "gw-1"})
	svc := s.ci(t, "Business service", "Telemetry", nil)
	s.relate(t, svc, cmdb.DependsOn, gw)
	var cis, rels strings.Builder
	cis.WriteString("type,name,device_id\n")
	rels.WriteString("source_type,source_key,target_type,target_key,type\n")
	for i := 0; i < 320; i++ {
		fmt.Fprintf(&cis, "Sensor,sensor-%03d,s-%03d\n", i, i)
		fmt.Fprintf(&rels, "Sensor,device_id=s-%03d,IoT gateway,device_id=gw-1,connected_to\n", i)
	}
	rep, err := s.app.CMDB.Import(context.Background(), audit.System, cmdb.ImportOptions{CIs: strings.NewReader(cis.String()), CIFormat: cmdb.FormatCSV,
		Relationships: strings.NewReader(rels.String()), RelFormat: cmdb.FormatCSV})
	if err != nil || !rep.Committed {
		t.Fatalf("import: %v %v", err, rep.Errors[:min(len(rep.Errors), 2)])
	}
	var g struct {
		Nodes []struct {
			ID    int64  `json:"id"`
			State string `json:"state"`
		} `json:"nodes"`
		Edges  []struct{ Impact bool } `json:"edges"`
		Capped bool                    `json:"capped"`
	}
	raw := s.signedIn("auditor").get("/cis/" + sid(gw) + "/graph.json?depth=1")
	if err := json.Unmarshal([]byte(raw.body), &g); err != nil {
		t.Fatalf("%v\n%s", err, raw.body)
	}
	if !g.Capped || len(g.Nodes) != 300 {
		t.Fatalf("capped %v with %d nodes", g.Capped, len(g.Nodes))
	}
	if g.Nodes[0].ID != gw || g.Nodes[1].ID != svc || g.Nodes[1].State != "failed" {
		t.Errorf("the centre and the impacted service come first: %+v", g.Nodes[:2])
	}
	impacted := 0
	for _, e := range g.Edges {
		if e.Impact {
			impacted++
		}
	}
	if impacted != 1 {
		t.Errorf("%d impact edges, want 1", impacted)
	}
}
