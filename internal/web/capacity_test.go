package web_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var seriesLink = regexp.MustCompile(`href="/capacity/series/(\d+)">mailbox_storage<`)

// The demo's series show against their thresholds, the most urgent first;
// an agent uploads samples and sets thresholds; a bad file names its
// lines and stores nothing; auditors read without forms; requesters are
// kept out.
func TestCapacityPages(t *testing.T) {
	s := newSite(t)
	agent := s.signedIn("agent")
	p := agent.get("/capacity")
	if p.status != 200 || !strings.Contains(p.body, "Past warning") || strings.Index(p.body, "disk_used") > strings.Index(p.body, "memory_used") {
		t.Fatalf("overview: %d", p.status)
	}
	m := seriesLink.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatal("no mailbox_storage series on the overview")
	}
	series := "/capacity/series/" + m[1]
	if d := agent.get(series); d.status != 200 || !strings.Contains(d.body, "Crossed on") || !strings.Contains(d.body, `class="cap-chart"`) {
		t.Fatalf("series page: %d", d.status)
	}
	upload := func(file string) page {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		mw.WriteField("csrf_token", agent.csrf)
		fw, _ := mw.CreateFormFile("file", "samples.csv")
		fw.Write([]byte(file))
		mw.Close()
		req, _ := http.NewRequest(http.MethodPost, s.url+"/capacity/upload", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		return agent.do(req)
	}
	bad := upload("ci,metric,at,value\nsrv-00004,cpu,2026-01-01T00:00:00Z,12\nsrv-00004,cpu,2026-01-01T01:00:00Z,lots\n")
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "line 3: value") {
		t.Fatalf("bad file: %d", bad.status)
	}
	if strings.Contains(agent.get("/capacity").body, "srv-00004") {
		t.Fatal("a refused file started a series")
	}
	if ok := upload("ci,metric,at,value\nsrv-00004,cpu,2026-01-01T00:00:00Z,12\n"); ok.status != http.StatusSeeOther {
		t.Fatalf("good file: %d", ok.status)
	}
	if !strings.Contains(agent.get("/capacity").body, "srv-00004") {
		t.Fatal("the uploaded series is not on the overview")
	}
	agent.get(series)
	form := url.Values{"unit": {"TB"}, "warn_at": {"8.5"}, "act_at": {"7"}, "warn_action": {""}, "act_action": {""}}
	if r := agent.post(series, form); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "must be at or above the warning threshold") {
		t.Fatalf("thresholds out of order: %d", r.status)
	}
	auditor := s.signedIn("auditor")
	if a := auditor.get("/capacity"); a.status != 200 || strings.Contains(a.body, `action="/capacity/upload"`) {
		t.Fatalf("auditor overview: %d", a.status)
	}
	if a := auditor.get("/capacity/plans"); a.status != 200 || !strings.Contains(a.body, "E-mail capacity 2026") {
		t.Fatalf("auditor plans: %d", a.status)
	}
	if a := auditor.get("/capacity/demand"); a.status != 200 || !strings.Contains(a.body, "tickets") {
		t.Fatalf("auditor demand: %d", a.status)
	}
	req := s.signedIn("requester")
	for _, path := range []string{"/capacity", "/capacity/plans", "/capacity/demand", series} {
		if r := req.get(path); r.status != http.StatusForbidden && r.status != http.StatusNotFound {
			t.Errorf("requester %s: %d", path, r.status)
		}
	}
}
