package web_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

var importPath = regexp.MustCompile(`^/cmdb/imports/\d+$`)

func TestCIImportPages(t *testing.T) {
	s := newSite(t)
	agent := s.signedIn("agent")
	upload := func(name, file string, fields map[string]string) page {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		mw.WriteField("csrf_token", agent.csrf)
		for k, v := range fields {
			mw.WriteField(k, v)
		}
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write([]byte(file))
		mw.Close()
		req, _ := http.NewRequest(http.MethodPost, s.url+"/cmdb/imports", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		return agent.do(req)
	}
	if p := agent.get("/cmdb/imports"); p.status != 200 || !strings.Contains(p.body, `action="/cmdb/imports"`) {
		t.Fatalf("imports page: %d", p.status)
	}
	if p := upload("cis.txt", "type,name\n", nil); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "must end in .csv") {
		t.Fatalf("a file of no known format: %d", p.status)
	}
	p := upload("cis.csv", "type,name,code\nSite,Upload plant,S-77\n", map[string]string{"change_ref": "CHG-9"})
	if p.status != http.StatusSeeOther || !importPath.MatchString(p.location) {
		t.Fatalf("upload: %d %q", p.status, p.location)
	}
	job := agent.get(p.location)
	if job.status != 200 || !strings.Contains(job.body, "Running: queued") || !strings.Contains(job.body, `http-equiv="refresh"`) {
		t.Fatalf("queued import page: %d\n%s", job.status, job.body)
	}
	if _, err := s.app.Worker().RunDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	job = agent.get(p.location)
	if !strings.Contains(job.body, "Imported") || !strings.Contains(job.body, "CIs 1 created") || strings.Contains(job.body, `http-equiv="refresh"`) {
		t.Fatalf("finished import page: %d\n%s", job.status, job.body)
	}
	if p := s.signedIn("auditor").get(p.location); p.status != 200 {
		t.Errorf("an auditor reads an import: %d", p.status)
	}
	if p := s.signedIn("requester").get("/cmdb/imports"); p.status != http.StatusForbidden {
		t.Errorf("a requester sees imports: %d", p.status)
	}
}
