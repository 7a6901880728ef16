package api_test

import (
	"archive/zip"
	"bytes"
	"net/http"
	"strings"
	"testing"

	"steward/internal/store/storetest"
)

// Who may rate clauses and export: the SMS manager (admin) does both, the
// auditor reads and exports but does not rate, agents and requesters
// neither.
func TestCompliancePackAPIPermissions(t *testing.T) {
	s := newServer(t, storetest.SQLite(t))
	rate := map[string]any{"rating": "partly_met", "comment": "Reviews lag.", "evidence": []string{"INC-000001"}}
	for _, c := range []struct {
		role, method, path string
		body               any
		want               int
	}{
		{"", "GET", "/api/v1/compliance/assessments", nil, http.StatusUnauthorized},
		{"requester", "GET", "/api/v1/compliance/assessments", nil, http.StatusForbidden},
		{"agent", "GET", "/api/v1/compliance/assessments", nil, http.StatusForbidden},
		{"agent", "GET", "/api/v1/compliance/audit-pack", nil, http.StatusForbidden},
		{"requester", "GET", "/api/v1/compliance/readiness.pdf", nil, http.StatusForbidden},
		{"agent", "PUT", "/api/v1/compliance/assessments/8.6.1", rate, http.StatusForbidden},
		{"auditor", "PUT", "/api/v1/compliance/assessments/8.6.1", rate, http.StatusForbidden},
		{"auditor", "DELETE", "/api/v1/compliance/assessments/8.6.1", nil, http.StatusForbidden},
		{"admin", "PUT", "/api/v1/compliance/assessments/8.6.1", rate, http.StatusOK},
		{"auditor", "GET", "/api/v1/compliance/assessments", nil, http.StatusOK},
		{"auditor", "GET", "/api/v1/compliance/readiness.pdf", nil, http.StatusOK},
		{"auditor", "GET", "/api/v1/compliance/audit-pack", nil, http.StatusOK},
	} {
		if got := s.do(c.role, c.method, c.path, c.body); got.status != c.want {
			t.Errorf("%s %s %s: %d, want %d: %s", c.role, c.method, c.path, got.status, c.want, got.body)
		}
	}
}

// A rating is kept beside the evidence, refused field by field when
// wrong, listed, and cleared; the exports answer as files.
func TestComplianceAssessmentsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		bad := s.do("admin", "PUT", "/api/v1/compliance/assessments/8.6.1", map[string]any{"rating": "great", "evidence": []string{"javascript:alert(1)"}})
		if f := bad.errorFields(t); bad.status != http.StatusUnprocessableEntity || f["rating"] == nil || f["evidence"] == nil {
			t.Errorf("bad rating: %d %s", bad.status, bad.body)
		}
		if got := s.do("admin", "PUT", "/api/v1/compliance/assessments/8.99", map[string]any{"rating": "met"}); got.status != http.StatusUnprocessableEntity || got.errorFields(t)["clause"] == nil {
			t.Errorf("unknown clause: %d %s", got.status, got.body)
		}
		if got := s.do("admin", "GET", "/api/v1/compliance/assessments?standard=iso0", nil); got.status != http.StatusBadRequest {
			t.Errorf("unknown standard: %d %s", got.status, got.body)
		}
		put := s.do("admin", "PUT", "/api/v1/compliance/assessments/9.2", map[string]any{"rating": "not_met", "comment": "No audit this year.", "evidence": []string{"/audit"}})
		if put.status != http.StatusOK || put.json(t)["assessed_by_name"] != "admin" {
			t.Fatalf("rating: %d %s", put.status, put.body)
		}
		list := s.do("auditor", "GET", "/api/v1/compliance/assessments", nil)
		items, _ := list.json(t)["items"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["clause"] != "9.2" || items[0].(map[string]any)["rating"] != "not_met" {
			t.Errorf("list: %s", list.body)
		}
		if got := s.do("admin", "DELETE", "/api/v1/compliance/assessments/9.2", nil); got.status != http.StatusNoContent {
			t.Errorf("clear: %d", got.status)
		}
		if got := s.do("admin", "DELETE", "/api/v1/compliance/assessments/9.2", nil); got.status != http.StatusNotFound {
			t.Errorf("clear again: %d", got.status)
		}

		zipped := s.do("auditor", "GET", "/api/v1/compliance/audit-pack", nil)
		if zipped.status != http.StatusOK || zipped.header.Get("Content-Type") != "application/zip" || !strings.Contains(zipped.header.Get("Content-Disposition"), "audit-pack.zip") {
			t.Fatalf("audit pack: %d %v", zipped.status, zipped.header)
		}
		zr, err := zip.NewReader(bytes.NewReader(zipped.body), int64(len(zipped.body)))
		if err != nil {
			t.Fatal(err)
		}
		if zr.File[len(zr.File)-1].Name != "manifest.json" {
			t.Errorf("the pack does not end with its manifest")
		}
		pdf := s.do("admin", "GET", "/api/v1/compliance/readiness.pdf", nil)
		if pdf.status != http.StatusOK || pdf.header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(pdf.body, []byte("%PDF")) {
			t.Errorf("readiness PDF: %d %v", pdf.status, pdf.header)
		}
		if n := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM audit_log WHERE action = 'export' AND actor_id = ?", s.users["auditor"]); n != 1 {
			t.Errorf("%d exports by the auditor in the audit trail", n)
		}
	})
}
