package cmdb_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"steward/internal/audit"
	"steward/internal/cmdb"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

var importActor = audit.Actor{Type: "system", Name: "import test"}

const importSites = `type,name,status,location,code,country,device_id,firmware,ip_address,site,model,redundancy
Site,Lyon plant,in_use,Lyon,S-1,FR,,,,,,
Site,Porto plant,,Porto,S-2,PT,,,,,,
IoT gateway,gw one,in_use,Lyon,,,GW-1,4.1,10.0.0.1,code=S-1,,
IoT gateway,gw two,in_use,Porto,,,GW-2,4.1,10.0.0.2,code=S-2,,
Sensor,sensor one,in_use,Lyon,,,SN-1,1.0,,,TH-200,
Sensor,sensor two,maintenance,Lyon,,,SN-2,1.0,,,TH-200,
Fleet,Fleet site S-1,in_use,,,,,,,,,30%
Business service,Metering,in_use,,,,,,,,,
`

const importRels = `source_type,source_key,target_type,target_key,type
Sensor,device_id=SN-1,IoT gateway,device_id=GW-1,depends_on
Sensor,device_id=SN-2,IoT gateway,device_id=GW-1,depends_on
Sensor,device_id=SN-1,Fleet,name=Fleet site S-1,member_of
Sensor,device_id=SN-2,Fleet,name=Fleet site S-1,member_of
Business service,name=Metering,Fleet,name=Fleet site S-1,depends_on
`

func importRun(t *testing.T, db *store.DB, cis, rels string, opts cmdb.ImportOptions) cmdb.ImportReport {
	t.Helper()
	if cis != "" {
		opts.CIs = strings.NewReader(cis)
		if opts.CIFormat == "" {
			opts.CIFormat = cmdb.FormatCSV
		}
	}
	if rels != "" {
		opts.Relationships = strings.NewReader(rels)
		if opts.RelFormat == "" {
			opts.RelFormat = cmdb.FormatCSV
		}
	}
	rep, err := cmdb.NewService(db, nil).Import(context.Background(), importActor, opts)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return rep
}

func importCount(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func importWant(t *testing.T, got, want cmdb.ImportCounts, what string) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got %+v, want %+v", what, got, want)
	}
}

func TestImportUpsertsAndIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		rep := importRun(t, e.DB, importSites, importRels, cmdb.ImportOptions{})
		if !rep.Committed || rep.Rejected != 0 {
			t.Fatalf("first import: %+v", rep)
		}
		importWant(t, rep.CIs, cmdb.ImportCounts{Lines: 8, Created: 8}, "CIs")
		importWant(t, rep.Relationships, cmdb.ImportCounts{Lines: 5, Created: 5}, "relationships")
		if n := importCount(t, e.DB, "SELECT count(*) FROM ci_history WHERE action = 'create'"); n != 8 {
			t.Errorf("create history entries: %d", n)
		}
		if n := importCount(t, e.DB, "SELECT count(*) FROM ci_history WHERE action = 'relate'"); n != 5 {
			t.Errorf("relate history entries: %d", n)
		}
		if n := importCount(t, e.DB, "SELECT count(*) FROM ci_identifiers"); n != 6 {
			t.Errorf("identifiers: %d", n)
		}
		var siteID int64
		var attrs, red string
		for _, q := range []struct {
			sql  string
			dest any
		}{
			{"SELECT id FROM cis WHERE name = 'Lyon plant'", &siteID},
			{"SELECT attributes FROM cis WHERE name = 'gw one'", &attrs},
			{"SELECT redundancy FROM cis WHERE name = 'Fleet site S-1'", &red},
		} {
			if err := e.DB.QueryRow(context.Background(), q.sql).Scan(q.dest); err != nil {
				t.Fatalf("%s: %v", q.sql, err)
			}
		}
		if !strings.Contains(attrs, `"site":`) || red != `{"failed_when_down_percent":30}` {
			t.Errorf("gateway attributes %s, fleet redundancy %s", attrs, red)
		}
		if !strings.Contains(attrs, `"site":`+strconv.FormatInt(siteID, 10)) {
			t.Errorf("the gateway's site reference should be the site's id %d: %s", siteID, attrs)
		}

		history := importCount(t, e.DB, "SELECT count(*) FROM ci_history")
		again := importRun(t, e.DB, importSites, importRels, cmdb.ImportOptions{})
		importWant(t, again.CIs, cmdb.ImportCounts{Lines: 8, Unchanged: 8}, "second import, CIs")
		importWant(t, again.Relationships, cmdb.ImportCounts{Lines: 5, Unchanged: 5}, "second import, relationships")
		if n := importCount(t, e.DB, "SELECT count(*) FROM ci_history"); n != history {
			t.Errorf("an unchanged import wrote history: %d entries, then %d", history, n)
		}

		changed := strings.Replace(importSites, "SN-2,1.0,,,TH-200,", "SN-2,1.1,,,TH-200,", 1)
		changed = strings.Replace(changed, "Site,Porto plant,,Porto", "Site,Porto plant,retired,Porto", 1)
		upd := importRun(t, e.DB, changed, "", cmdb.ImportOptions{})
		importWant(t, upd.CIs, cmdb.ImportCounts{Lines: 8, Updated: 2, Unchanged: 6}, "changed import")
		if len(upd.Changes) != 2 || upd.Changes[0].Line != 3 || upd.Changes[0].Fields[0].Field != "status" ||
			upd.Changes[1].Fields[0].Field != "attributes.firmware" || *upd.Changes[1].Fields[0].Old != "1.0" || *upd.Changes[1].Fields[0].New != "1.1" {
			t.Errorf("changes: %+v", upd.Changes)
		}
		if n := importCount(t, e.DB, "SELECT count(*) FROM ci_history WHERE action = 'update' AND field = 'attributes.firmware' AND old_value = '1.0' AND new_value = '1.1' AND actor_name = 'import test'"); n != 1 {
			t.Errorf("update history for the firmware: %d", n)
		}
	})
}

func TestImportBadInputRefusesEverything(t *testing.T) {
	const head = "type,name,status,device_id,firmware,ip_address,code\n"
	cases := []struct {
		name        string
		cis, rels   string
		line        int
		file, field string
		msg         string
	}{
		{"bad quoting", head + "Site,\"Lyon,in_use,,,,S-1\nSite,Porto,in_use,,,,S-2\n", "", 2, "cis", "", "quot"},
		{"bare quote", head + "Site,Ly\"on,in_use,,,,S-1\n", "", 2, "cis", "", "quot"},
		{"wrong column count", head + "Site,Lyon,in_use,,,S-1\n", "", 2, "cis", "", "has 6 columns, the header has 7"},
		{"invalid UTF-8", head + "Site,Lyon,in_use,,,,S-1\nSite,Z\xfcrich,in_use,,,,S-2\n", "", 3, "cis", "name", "UTF-8"},
		{"UTF-16", "\xff\xfet\x00y\x00", "", 1, "cis", "", "UTF-16"},
		{"unknown type", head + "Toaster,T1,in_use,,,,\n", "", 2, "cis", "type", `unknown CI type "Toaster"`},
		{"attribute of another type", head + "Site,Lyon,in_use,GW-1,,,S-1\n", "", 2, "cis", "device_id", `type "Site" has no attribute "device_id"`},
		{"wrong attribute type", head + "IoT gateway,gw,in_use,GW-1,,not-an-ip,\n", "", 2, "cis", "ip_address", "not an IPv4 or IPv6 address"},
		{"missing required", head + "Site,Lyon,in_use,,,,S-1\nIoT gateway,gw,in_use,,4.1,,\n", "", 3, "cis", "device_id", "is required"},
		{"bad status", head + "Site,Lyon,broken,,,,S-1\n", "", 2, "cis", "status", "must be one of"},
		{"missing name", head + "Site,,in_use,,,,S-1\n", "", 2, "cis", "name", "is required"},
		{"duplicate identifier", head + "Site,Lyon,in_use,,,,S-1\nSite,Porto,in_use,,,,S-2\nSite,Lyon again,in_use,,,,S-1\n", "", 4, "cis", "code", "is also on line 2"},
		{"duplicate name", head + "Cluster,c1,in_use,,,,\nCluster,C1,in_use,,,,\n", "", 3, "cis", "name", "is also on line 2"},
		{"reference to a missing CI", "type,name,device_id,site\nIoT gateway,gw,GW-1,code=S-404\n", "", 2, "cis", "site", "no Site with code=S-404"},
		{"reference by id to a missing CI", "type,name,device_id,site\nIoT gateway,gw,GW-1,999999\n", "", 2, "cis", "site", "there is no CI #999999"},
		{"empty file", "", "", 1, "cis", "", "empty"},
		{"no name column", "type,code\nSite,S-1\n", "", 1, "cis", "name", "no column name"},
		{"relationship to a missing CI", head + "Site,Lyon,in_use,,,,S-1\n",
			"source_type,source_key,target_type,target_key,type\nSite,code=S-1,Site,code=S-9,depends_on\n", 2, "relationships", "target_key", "no Site with code=S-9"},
		{"relationship to itself", head + "Site,Lyon,in_use,,,,S-1\n",
			"source_type,source_key,target_type,target_key,type\nSite,code=S-1,Site,code=S-1,depends_on\n", 2, "relationships", "target_key", "itself"},
		{"unknown relationship type", head + "Site,Lyon,in_use,,,,S-1\nSite,Porto,in_use,,,,S-2\n",
			"source_type,source_key,target_type,target_key,type\nSite,code=S-1,Site,code=S-2,loves\n", 2, "relationships", "type", "must be one of"},
		{"not a unique attribute", head + "Site,Lyon,in_use,,,,S-1\nSite,Porto,in_use,,,,S-2\n",
			"source_type,source_key,target_type,target_key,type\nSite,country=FR,Site,code=S-2,depends_on\n", 2, "relationships", "source_key", "country is not a unique attribute"},
		{"relationship column count", head + "Site,Lyon,in_use,,,,S-1\n",
			"source_type,source_key,target_type,target_key,type\nSite,code=S-1,Site\n", 2, "relationships", "", "has 3 columns"},
	}
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				opts := cmdb.ImportOptions{CIs: strings.NewReader(c.cis), CIFormat: cmdb.FormatCSV}
				if c.rels != "" {
					opts.Relationships, opts.RelFormat = strings.NewReader(c.rels), cmdb.FormatCSV
				}
				rep, err := cmdb.NewService(e.DB, nil).Import(context.Background(), importActor, opts)
				if err != nil {
					t.Fatal(err)
				}
				if rep.Committed || rep.Rejected == 0 {
					t.Fatalf("the import was not refused: %+v", rep)
				}
				found := false
				for _, er := range rep.Errors {
					if er.Line == c.line && er.File == c.file && er.Field == c.field && strings.Contains(er.Message, c.msg) {
						found = true
					}
				}
				if !found {
					t.Errorf("want %s line %d, %s: ...%s...; got %+v", c.file, c.line, c.field, c.msg, rep.Errors)
				}
				for _, table := range []string{"cis", "ci_history", "ci_identifiers", "ci_relationships"} {
					if n := importCount(t, e.DB, "SELECT count(*) FROM "+table); n != 0 {
						t.Errorf("a refused import left %d rows in %s", n, table)
					}
				}
			})
		}
	})
}

func TestImportContinueOnError(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		cis := "type,name,device_id,ip_address,code\n" +
			"Site,Lyon,,,S-1\n" +
			"IoT gateway,gw bad,GW-1,999.1.1.1,\n" +
			"IoT gateway,gw good,GW-2,10.0.0.2,\n" +
			"Site,Lyon twin,,,S-1\n"
		rels := "source_type,source_key,target_type,target_key,type\n" +
			"IoT gateway,device_id=GW-2,Site,code=S-1,runs_on\n" +
			"IoT gateway,device_id=GW-1,Site,code=S-1,runs_on\n"
		rep := importRun(t, e.DB, cis, rels, cmdb.ImportOptions{ContinueOnError: true})
		if !rep.Committed || rep.Rejected != 3 {
			t.Fatalf("report: %+v", rep)
		}
		importWant(t, rep.CIs, cmdb.ImportCounts{Lines: 4, Created: 2, Rejected: 2}, "CIs")
		importWant(t, rep.Relationships, cmdb.ImportCounts{Lines: 2, Created: 1, Rejected: 1}, "relationships")
		if len(rep.Errors) != 3 || rep.Errors[0].Line != 3 || rep.Errors[1].Line != 5 || rep.Errors[2].File != "relationships" || rep.Errors[2].Line != 3 {
			t.Errorf("errors: %+v", rep.Errors)
		}
		if n := importCount(t, e.DB, "SELECT count(*) FROM cis"); n != 2 {
			t.Errorf("CIs written: %d", n)
		}
		if n := importCount(t, e.DB, "SELECT count(*) FROM ci_relationships"); n != 1 {
			t.Errorf("relationships written: %d", n)
		}
	})
}

func TestImportDryRunChangesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		rep := importRun(t, e.DB, importSites, importRels, cmdb.ImportOptions{DryRun: true})
		if rep.Committed || !rep.DryRun || rep.CIs.Created != 8 || rep.Relationships.Created != 5 {
			t.Fatalf("dry run: %+v", rep)
		}
		if n := importCount(t, e.DB, "SELECT count(*) FROM cis"); n != 0 {
			t.Fatalf("a dry run wrote %d CIs", n)
		}
		importRun(t, e.DB, importSites, importRels, cmdb.ImportOptions{})
		history := importCount(t, e.DB, "SELECT count(*) FROM ci_history")
		changed := strings.Replace(importSites, "GW-1,4.1,10.0.0.1", "GW-1,4.2,10.0.0.9", 1)
		rep = importRun(t, e.DB, changed, "", cmdb.ImportOptions{DryRun: true})
		if rep.CIs.Updated != 1 || len(rep.Changes) != 1 || len(rep.Changes[0].Fields) != 2 {
			t.Fatalf("dry run of a change: %+v", rep)
		}
		if n := importCount(t, e.DB, "SELECT count(*) FROM ci_history"); n != history {
			t.Errorf("a dry run wrote history")
		}
		if n := importCount(t, e.DB, "SELECT count(*) FROM cis WHERE attributes LIKE '%4.2%'"); n != 0 {
			t.Errorf("a dry run changed a CI")
		}
	})
}

func TestImportJSON(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		array := `[
  {"type": "Site", "name": "Lyon", "attributes": {"code": "S-1"}},
  {"type": "Server", "name": "db host", "redundancy": null,
   "attributes": {"hostname": "srv-1", "cpu_cores": 8, "virtual": true}},
  {"type": "Server", "name": "bad host", "attributes": {"hostname": "srv-2", "cpu_cores": "eight"}}
]`
		rep := importRun(t, e.DB, array, "", cmdb.ImportOptions{CIFormat: cmdb.FormatJSON})
		if rep.Committed || len(rep.Errors) != 1 || rep.Errors[0].Line != 5 || rep.Errors[0].Field != "attributes.cpu_cores" {
			t.Fatalf("JSON array with an error: %+v", rep.Errors)
		}
		lines := `{"type": "Site", "name": "Lyon", "attributes": {"code": "S-1"}}
{"type": "Server", "name": "db host", "attributes": {"hostname": "srv-1", "cpu_cores": 8, "virtual": true}}
{"type": "Cluster", "name": "pool", "redundancy": {"failed_when_down": 2}}
`
		rep = importRun(t, e.DB, lines, "", cmdb.ImportOptions{CIFormat: cmdb.FormatJSON})
		importWant(t, rep.CIs, cmdb.ImportCounts{Lines: 3, Created: 3}, "JSON lines")
		bundle := `{"cis": [{"type": "Cluster", "name": "pool", "redundancy": {"failed_when_down": 2}}],
 "relationships": [
   {"source_type": "Server", "source_key": "hostname=srv-1", "target_type": "Cluster", "target_key": "name=pool", "type": "member_of"},
   {"source_type": "Server", "source_key": "hostname=srv-1", "target_type": "Cluster", "target_key": "name=nope", "type": "member_of"}
 ]}`
		rep = importRun(t, e.DB, bundle, "", cmdb.ImportOptions{CIFormat: cmdb.FormatJSON})
		if rep.Committed || len(rep.Errors) != 1 || rep.Errors[0].File != "relationships" || rep.Errors[0].Line != 4 {
			t.Fatalf("bundle with a bad relationship: %+v", rep.Errors)
		}
		rep = importRun(t, e.DB, strings.Replace(bundle, "name=nope", "name=pool", 1), "", cmdb.ImportOptions{CIFormat: cmdb.FormatJSON})
		importWant(t, rep.CIs, cmdb.ImportCounts{Lines: 1, Unchanged: 1}, "bundle CIs")
		importWant(t, rep.Relationships, cmdb.ImportCounts{Lines: 2, Created: 1, Unchanged: 1}, "bundle relationships")
		bad := "{\"type\": \"Site\", \"name\": \"x\", \"attributes\": {\"code\": \"S-5\"}}\n{\"type\": \"Site\", \"name\": \"y\",\n"
		rep = importRun(t, e.DB, bad, "", cmdb.ImportOptions{CIFormat: cmdb.FormatJSON})
		if rep.Committed || len(rep.Errors) != 1 || rep.Errors[0].Line != 2 {
			t.Fatalf("truncated JSON: %+v", rep.Errors)
		}
	})
}

func TestExportReimportsUnchanged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		importRun(t, e.DB, importSites, importRels, cmdb.ImportOptions{})
		svc := cmdb.NewService(e.DB, nil)
		for _, f := range []cmdb.DataFormat{cmdb.FormatCSV, cmdb.FormatJSON} {
			var buf bytes.Buffer
			n, err := svc.Export(context.Background(), &buf, cmdb.ExportFilter{}, f)
			if err != nil || n != 8 {
				t.Fatalf("export %s: %d %v", f, n, err)
			}
			rep := importRun(t, e.DB, buf.String(), "", cmdb.ImportOptions{CIFormat: f})
			importWant(t, rep.CIs, cmdb.ImportCounts{Lines: 8, Unchanged: 8}, "re-import of the "+string(f)+" export")
		}
		var buf bytes.Buffer
		n, err := svc.Export(context.Background(), &buf, cmdb.ExportFilter{Type: "sensor", Status: cmdb.Maintenance}, cmdb.FormatCSV)
		if err != nil || n != 1 || !strings.HasPrefix(buf.String(), "type,name,status,owner,group,customer,location,redundancy,device_id,model,firmware,installed_on\n") {
			t.Errorf("filtered export: %d %v\n%s", n, err, buf.String())
		}
		if _, err := svc.Export(context.Background(), &buf, cmdb.ExportFilter{Type: "Toaster"}, cmdb.FormatCSV); err == nil {
			t.Error("an unknown type should be refused")
		}
	})
}

func TestGeneratedFleetImports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		var cis, rels bytes.Buffer
		counts, err := cmdb.GenerateFleet(cmdb.FleetSpec{CIs: 3000, Seed: 7}, &cis, &rels)
		if err != nil || counts.CIs != 3000 || counts.ByType["Sensor"] < 2000 || counts.Relationships < 8000 {
			t.Fatalf("generate: %+v %v", counts, err)
		}
		var again bytes.Buffer
		cmdb.GenerateFleet(cmdb.FleetSpec{CIs: 3000, Seed: 7}, &again, &bytes.Buffer{})
		if again.String() != cis.String() {
			t.Error("the same seed should give the same fleet")
		}
		rep := importRun(t, e.DB, cis.String(), rels.String(), cmdb.ImportOptions{})
		if !rep.Committed || rep.Rejected != 0 {
			t.Fatalf("import: %+v", rep.Errors)
		}
		importWant(t, rep.CIs, cmdb.ImportCounts{Lines: 3000, Created: 3000}, "fleet CIs")
		importWant(t, rep.Relationships, cmdb.ImportCounts{Lines: counts.Relationships, Created: counts.Relationships}, "fleet relationships")
		rep = importRun(t, e.DB, cis.String(), rels.String(), cmdb.ImportOptions{})
		importWant(t, rep.CIs, cmdb.ImportCounts{Lines: 3000, Unchanged: 3000}, "fleet CIs again")
		importWant(t, rep.Relationships, cmdb.ImportCounts{Lines: counts.Relationships, Unchanged: counts.Relationships}, "fleet relationships again")
	})
}

// A fleet given the names of its business services uses them, and names
// each service's applications after it.
func TestGeneratedFleetNamesServices(t *testing.T) {
	var cis, rels bytes.Buffer
	counts, err := cmdb.GenerateFleet(cmdb.FleetSpec{CIs: 600, Seed: 7, Services: []string{"ERP", "E-mail", "VPN"}}, &cis, &rels)
	if err != nil || counts.CIs != 600 || counts.ByType["Business service"] != 3 || counts.ByType["Application"] != 9 {
		t.Fatalf("generate: %+v %v", counts, err)
	}
	for _, want := range []string{"Business service,ERP,", "Application,ERP application,", "Application,VPN batch jobs,",
		"Business service,name=E-mail,Application,name=E-mail API,depends_on"} {
		if !strings.Contains(cis.String()+rels.String(), want) {
			t.Errorf("the fleet lacks %q", want)
		}
	}
}

// A CSV export never hands a spreadsheet a formula, and importing it gives
// back the very names and values that were exported (the csvsafe rule).
func TestExportNeutralisesFormulas(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		names := []string{`=cmd|' /C calc'!A0`, `'=already quoted`, `''@twice quoted`, `+SUM(A1:A9)`, `-2+3`, `@HYPERLINK("http://x")`, `-5`, `'plain quote`}
		var lines strings.Builder
		for i, n := range names {
			fmt.Fprintf(&lines, `{"type": "Site", "name": %q, "location": "=loc%d", "attributes": {"code": "-S-%d+1"}}`+"\n", n, i, i)
		}
		rep := importRun(t, e.DB, lines.String(), "", cmdb.ImportOptions{CIFormat: cmdb.FormatJSON})
		importWant(t, rep.CIs, cmdb.ImportCounts{Lines: len(names), Created: len(names)}, "CIs with formula-like names")
		svc := cmdb.NewService(e.DB, nil)
		var buf bytes.Buffer
		if _, err := svc.Export(context.Background(), &buf, cmdb.ExportFilter{}, cmdb.FormatCSV); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(bytes.NewReader(buf.Bytes())).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rows[1:] {
			for _, cell := range row {
				if cell != "" && strings.ContainsRune("=+@\t\r", rune(cell[0])) || strings.HasPrefix(cell, "-") && cell != "-5" {
					t.Errorf("exported cell %q starts a formula", cell)
				}
			}
		}
		if !strings.Contains(buf.String(), `'=cmd|' /C calc'!A0`) || !strings.Contains(buf.String(), `'''@twice quoted`) {
			t.Errorf("export:\n%s", buf.String())
		}
		rep = importRun(t, e.DB, buf.String(), "", cmdb.ImportOptions{CIFormat: cmdb.FormatCSV})
		importWant(t, rep.CIs, cmdb.ImportCounts{Lines: len(names), Unchanged: len(names)}, "re-import of the CSV export")
		for i, n := range names {
			if got := importCount(t, e.DB, "SELECT COUNT(*) FROM cis WHERE name = ? AND location = ?", n, fmt.Sprintf("=loc%d", i)); got != 1 {
				t.Errorf("%q is not stored as itself after the round trip", n)
			}
		}
	})
}
