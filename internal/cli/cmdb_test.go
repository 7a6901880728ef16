package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestImportExportCommands(t *testing.T) {
	data := t.TempDir()
	d := "--data=" + data
	fleet := filepath.Join(data, "fleet")
	cis, rels := filepath.Join(fleet, "cis.csv"), filepath.Join(fleet, "relationships.csv")
	export := filepath.Join(data, "export.json")
	bad := filepath.Join(data, "bad.csv")
	if err := os.WriteFile(bad, []byte("type,name,device_id\nSensor,no id,\nSite,x,\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string // fragment of stdout (or stderr when the code is not 0)
	}{
		{"generate bounds", []string{"cmdb", "generate", d, "--cis", "5"}, 2, "--cis must be between"},
		{"generate files", []string{"cmdb", "generate", d, "--cis", "1000", "--seed", "4", "--out", fleet}, 0, "generated 1000 CIs"},
		{"import needs a file", []string{"import", "cis", d}, 2, "usage: steward import cis FILE"},
		{"dry run", []string{"import", "cis", cis, d, "--dry-run", "--relationships", rels}, 0, "dry run: nothing was changed"},
		{"import", []string{"import", "cis", cis, "--relationships", rels, d}, 0, "CIs: 1000 lines: 1000 created"},
		{"import again", []string{"import", "cis", d, cis}, 0, "1000 unchanged"},
		{"relationships again", []string{"import", "relationships", rels, d}, 0, "0 created, 0 updated"},
		{"bad lines refuse the import", []string{"import", "cis", bad, d}, 1, "2 lines rejected"},
		{"format from the name", []string{"import", "cis", filepath.Join(data, "cis.txt"), d}, 2, "--format csv or --format json"},
		{"export", []string{"export", "cis", d, "--out", export}, 0, ""},
		{"export re-imports unchanged", []string{"import", "cis", export, d}, 0, "1000 unchanged"},
		{"export one type", []string{"export", "cis", d, "--type", "Site"}, 0, "type,name,status,owner,group,customer,location,redundancy,code,address,country\n"},
		{"export an unknown type", []string{"export", "cis", d, "--type", "Toaster"}, 1, `unknown CI type "Toaster"`},
	}
	for _, s := range steps {
		code, out, errOut := run(t, "", s.args...)
		text := out
		if s.wantCode != 0 {
			text = errOut
		}
		if code != s.wantCode || !strings.Contains(text, s.wantOut) {
			t.Errorf("%s: exit %d (want %d)\nstdout: %s\nstderr: %s", s.name, code, s.wantCode, out, errOut)
		}
	}
}
