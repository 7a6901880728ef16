package cli

import (
	"archive/zip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestComplianceAuditPackCommand(t *testing.T) {
	data := t.TempDir()
	d := "--data=" + data
	out := filepath.Join(data, "pack.zip")
	if code, _, errOut := run(t, "", "compliance", "audit-pack", d); code != 2 || !strings.Contains(errOut, "--out FILE is required") {
		t.Errorf("without --out: %d %s", code, errOut)
	}
	if code, _, errOut := run(t, "", "compliance", "audit-pack", d, "--out", out, "--standard", "iso9999"); code != 2 || !strings.Contains(errOut, `unknown standard "iso9999"`) {
		t.Errorf("unknown standard: %d %s", code, errOut)
	}
	code, stdout, errOut := run(t, "", "compliance", "audit-pack", d, "--out", out)
	if code != 0 || !strings.Contains(stdout, "audit pack written to "+out) {
		t.Fatalf("exit %d: %s %s", code, stdout, errOut)
	}
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	names := map[string]bool{}
	for _, f := range zr.File {
		names[f.Name] = true
	}
	for _, want := range []string{"manifest.json", "index.html", "evidence.json", "readiness.pdf", "tables/incidents.csv"} {
		if !names[want] {
			t.Errorf("the pack lacks %s", want)
		}
	}
	if code, _, errOut := run(t, "", "compliance", "audit-pack", d, "--out", out); code != 1 || !strings.Contains(errOut, "already exists") {
		t.Errorf("over an existing file: %d %s", code, errOut)
	}
	if st, err := os.Stat(out); err != nil || st.Size() == 0 {
		t.Errorf("the first pack was harmed: %v", err)
	}
	// Only an account that may export is named as the exporter.
	if code, _, errOut := run(t, "a-long-enough-password\n", "user", "create", d, "--email", "rita@pack.test", "--name", "Rita",
		"--role", "requester", "--password-stdin"); code != 0 {
		t.Fatalf("requester: %d %s", code, errOut)
	}
	other := filepath.Join(data, "other.zip")
	if code, _, errOut := run(t, "", "compliance", "audit-pack", d, "--out", other, "--email", "rita@pack.test"); code != 1 || !strings.Contains(errOut, "may not export") {
		t.Errorf("as a requester: %d %s", code, errOut)
	}
	if _, err := os.Stat(other); err == nil {
		t.Error("a pack was written for a requester")
	}
}
