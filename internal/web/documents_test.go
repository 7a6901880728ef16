package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// docID finds a demo document by title.
func docID(t *testing.T, s *site, title string) string {
	t.Helper()
	var id int64
	if err := s.app.DB.QueryRow(context.Background(), "SELECT id FROM documents WHERE title = ?", title).Scan(&id); err != nil {
		t.Fatalf("document %q: %v", title, err)
	}
	return strconv.FormatInt(id, 10)
}

func docShows(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s does not show %q", what, w)
		}
	}
}

// The register shows what exists and what is missing, flags the overdue
// review in words, and filters; requesters may not read it.
func TestDocumentRegisterPage(t *testing.T) {
	s := newSite(t)
	admin := s.signedIn("admin")
	p := admin.get("/documents")
	if p.status != http.StatusOK {
		t.Fatalf("register: %d", p.status)
	}
	docShows(t, "the register", p.body, "Service management policy", "SMS plan", "Resource plan", "Communication plan",
		"Change management process", "2 months overdue", "Mandatory documented information", "Capacity management",
		"Service level agreements (8.3.3)", "Retired", "SMS plan", "Process documents")
	if strings.Contains(p.body, "sms_plan<") || strings.Contains(p.body, ">resource_plan") {
		t.Error("the register shows type codes")
	}
	p = admin.get("/documents?overdue=1")
	docShows(t, "overdue filter", p.body, "Change management process")
	if strings.Contains(p.body, "Incident management process") {
		t.Error("the overdue filter keeps a document not overdue")
	}
	p = admin.get("/documents?type=process&status=approved")
	if strings.Contains(p.body, "Service request fulfilment") || !strings.Contains(p.body, "Incident management process") {
		t.Error("type and status filters are not applied")
	}
	if p := admin.get("/documents?type=memo"); p.status != http.StatusBadRequest {
		t.Errorf("an unknown type: %d", p.status)
	}
	if p := s.signedIn("requester").get("/documents"); p.status != http.StatusForbidden {
		t.Errorf("requester reads the register: %d", p.status)
	}
	if p := s.signedIn("auditor").get("/documents/" + docID(t, s, "Service management policy")); p.status != http.StatusOK {
		t.Errorf("auditor reads a document: %d", p.status)
	}
}

// An agent acknowledges the policy from their list, and the coverage on
// the document counts them.
func TestDocumentAcknowledgementPages(t *testing.T) {
	s := newSite(t)
	pol := docID(t, s, "Service management policy")
	admin := s.signedIn("admin")
	docShows(t, "the policy", admin.get("/documents/"+pol).body, "6 of 8", "Alex Agent", "Tom Okafor", "Customer satisfaction")
	agent := s.signedIn("agent")
	p := agent.get("/documents")
	docShows(t, "the agent's register", p.body, "You have 1 document to acknowledge")
	p = agent.get("/documents/acknowledge")
	docShows(t, "the agent's list", p.body, "Service management policy", "I have read version 2")
	p = agent.post("/documents/"+pol+"/acknowledge", url.Values{"back": {"list"}})
	if p.status != http.StatusSeeOther || p.location != "/documents/acknowledge" {
		t.Fatalf("acknowledge: %d %q", p.status, p.location)
	}
	p = agent.get("/documents/acknowledge")
	docShows(t, "the agent's list after", p.body, "Thank you: your acknowledgement is recorded.", "Nothing to acknowledge")
	p = admin.get("/documents/" + pol)
	docShows(t, "the policy after", p.body, "7 of 8")
	if strings.Contains(p.body, "<li>Alex Agent</li>") {
		t.Error("Alex Agent is still listed as not having acknowledged")
	}
	// Agents may not write, nor approve what they are not the approver of.
	req := docID(t, s, "Service request fulfilment procedure")
	if p := agent.post("/documents/"+req+"/versions/1/approve", url.Values{}); p.status != http.StatusForbidden ||
		!strings.Contains(p.body, "Only the document&#39;s approver, Ada Admin, may approve") {
		t.Errorf("agent approves: %d", p.status)
	}
	if p := agent.post("/documents/"+req+"/versions", url.Values{"body": {"x"}}); p.status != http.StatusForbidden {
		t.Errorf("agent writes a version: %d", p.status)
	}
}

// The form keeps what was typed and puts each message beside its field,
// typed fields included; a good form creates the document, version 1 is
// written and approved from the document's page.
func TestDocumentFormAndVersions(t *testing.T) {
	s := newSite(t)
	admin := s.signedIn("admin")
	form := url.Values{"title": {"Resource plan 2031"}, "type": {"resource_plan"}, "a.resource_plan.period_start": {"2031-12-31"},
		"a.resource_plan.period_end": {"2031-01-01"}, "a.resource_plan.staff_planned": {"lots"}, "a.resource_plan.budget_planned": {"50000"},
		"a.sms_plan.period_start": {"2031-01-01"}, "superseded_by": {""}, "owner_id": {""}, "approver_id": {""}}
	p := admin.post("/documents", form)
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad form: %d", p.status)
	}
	docShows(t, "the form", p.body, "must not be before period starts", "must be a number such as 12 or 12.5",
		"is required with budget planned", `value="lots"`, `value="Resource plan 2031"`, `value="50000"`)
	form.Set("a.resource_plan.period_start", "2031-01-01")
	form.Set("a.resource_plan.period_end", "2031-12-31")
	form.Set("a.resource_plan.staff_planned", "12")
	form.Set("a.resource_plan.staff_actual", "11.5")
	form.Set("a.resource_plan.budget_actual", "55000")
	form.Set("a.resource_plan.currency", "eur")
	p = admin.post("/documents", form)
	if p.status != http.StatusSeeOther {
		t.Fatalf("good form: %d %s", p.status, p.body)
	}
	id := strings.TrimPrefix(p.location, "/documents/")
	p = admin.get(p.location)
	docShows(t, "the new plan", p.body, "50,000 EUR", "Budget: 55,000 EUR actual against 50,000 EUR planned, 5,000 EUR (10%) over plan.",
		"Write version 1", "Draft")
	p = admin.post("/documents/"+id+"/versions", url.Values{"body": {" "}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "Write the text of the version, or attach a file") {
		t.Fatalf("empty version: %d", p.status)
	}
	p = admin.post("/documents/"+id+"/versions", url.Values{"body": {"# Plan\n\n<script>alert(1)</script>\n\nTwelve **people**."}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("version 1: %d", p.status)
	}
	docShows(t, "the plan before approval", admin.get("/documents/"+id).body, "Version 1, awaiting approval", "Twelve <strong>people</strong>",
		"No version is in force yet: version 1 awaits approval below")
	p = admin.post("/documents/"+id+"/versions/1/approve", url.Values{"next_review": {"2001-01-01"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "must be after today") {
		t.Fatalf("approval with a past review: %d", p.status)
	}
	p = admin.post("/documents/"+id+"/versions/1/approve", url.Values{})
	if p.status != http.StatusSeeOther {
		t.Fatalf("approve: %d %s", p.status, p.body)
	}
	p = admin.get("/documents/" + id)
	docShows(t, "the approved plan", p.body, "<strong>people</strong>", "Version 1 in force", "Approved")
	if strings.Contains(p.body, "<script>alert") {
		t.Error("raw HTML in a version is shown")
	}
	// A communication plan's rows.
	p = admin.post("/documents", url.Values{"title": {"Comms 2031"}, "type": {"communication_plan"},
		"a.communication_plan.lines.0.what": {"Newsletter"}, "a.communication_plan.lines.0.audience": {""},
		"a.communication_plan.lines.1.what": {""}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `value="Newsletter"`) {
		t.Fatalf("comms plan without audience: %d", p.status)
	}
	p = admin.post("/documents", url.Values{"title": {"Comms 2031"}, "type": {"communication_plan"},
		"a.communication_plan.lines.0.what": {"Newsletter"}, "a.communication_plan.lines.0.audience": {"Customers"},
		"a.communication_plan.lines.0.frequency": {"Monthly"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("comms plan: %d", p.status)
	}
	docShows(t, "the comms plan", admin.get(p.location).body, "Newsletter", "Customers", "Monthly")
	// Supersession in a cycle is refused beside the field.
	pol := docID(t, s, "Information security policy")
	old := docID(t, s, "Information security policy (2023)")
	p = admin.get("/documents/" + pol + "/edit")
	ver := regexpVersion(p.body)
	p = admin.post("/documents/"+pol, url.Values{"title": {"Information security policy"}, "type": {"policy"}, "status": {"approved"},
		"superseded_by": {old}, "version": {ver}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "That would make a cycle") {
		t.Fatalf("cycle: %d", p.status)
	}
	if p := admin.get("/documents/" + docID(t, s, "Service management policy") + "/compare"); p.status != http.StatusOK ||
		!strings.Contains(p.body, "<ins>+ - We measure customer satisfaction") {
		t.Errorf("compare: %d", p.status)
	}
}

func regexpVersion(body string) string {
	_, rest, _ := strings.Cut(body, `name="version" value="`)
	v, _, _ := strings.Cut(rest, `"`)
	return v
}

var formInput = regexp.MustCompile(`<input[^>]*\bname="([^"]+)"[^>]*\bvalue="([^"]*)"`)

// Editing keeps what the form shows: the communication plan's rows come
// back filled in, and a changed cell is saved.
func TestDocumentEditKeepsRows(t *testing.T) {
	s := newSite(t)
	admin := s.signedIn("admin")
	com := docID(t, s, "Communication plan")
	p := admin.get("/documents/" + com + "/edit")
	form := url.Values{}
	for _, m := range formInput.FindAllStringSubmatch(p.body, -1) {
		if m[1] != "csrf_token" && m[1] != "requires_acknowledgement" {
			form.Add(m[1], html.UnescapeString(m[2]))
		}
	}
	if form.Get("a.communication_plan.lines.1.what") != "Planned maintenance notice" || form.Get("a.communication_plan.lines.4.what") != "" {
		t.Fatalf("the edit form does not hold the rows: %v", form)
	}
	form.Set("type", "communication_plan")
	form.Set("status", "approved")
	form.Set("a.communication_plan.lines.4.what", "Release notes")
	form.Set("a.communication_plan.lines.4.audience", "Key users")
	p = admin.post("/documents/"+com, form)
	if p.status != http.StatusSeeOther {
		t.Fatalf("save: %d", p.status)
	}
	docShows(t, "the plan", admin.get("/documents/"+com).body, "Planned maintenance notice", "Release notes", "Key users")
	// The form's version is checked: sending the old one again is refused.
	if p := admin.post("/documents/"+com, form); p.status != http.StatusConflict {
		t.Errorf("a stale form: %d", p.status)
	}
}

// versionUpload posts the new-version form as the page sends it: the
// token first, the fields in the form's order, the file (if any) last.
func versionUpload(b *browser, path, token string, fields [][2]string, filename, content string) page {
	b.s.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf_token", token)
	for _, f := range fields {
		mw.WriteField(f[0], f[1])
	}
	fw, _ := mw.CreateFormFile("file", filename)
	fw.Write([]byte(content))
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.s.url+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

// A version may be a file: the form uploads it, the page shows its name,
// size, type and SHA-256 with a download link, a file stays with the form
// when another field is wrong, and the compare view says a file has no
// text to compare.
func TestDocumentVersionAsFilePage(t *testing.T) {
	s := newSite(t)
	admin := s.signedIn("admin")
	p := admin.post("/documents", url.Values{"title": {"Signed supplier policy"}, "type": {"policy"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("create: %d", p.status)
	}
	page := p.location
	id := strings.TrimPrefix(page, "/documents/")
	form := admin.get(page)
	docShows(t, "the new document", form.body, `enctype="multipart/form-data"`, `type="file" name="file"`)
	ver := regexpVersion(form.body)
	path := page + "/versions"

	if p := versionUpload(admin, path, "forged", [][2]string{{"version", ver}}, "policy.pdf", "%PDF-1.4"); p.status != http.StatusForbidden {
		t.Fatalf("a forged token: %d", p.status)
	}
	p = versionUpload(admin, path, admin.csrf, [][2]string{{"version", ver}, {"body", " "}, {"change_note", ""}}, "", "")
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "Write the text of the version, or attach a file") {
		t.Fatalf("neither text nor file: %d", p.status)
	}
	pdf := "%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
	sum := sha256.Sum256([]byte(pdf))
	p = versionUpload(admin, path, admin.csrf, [][2]string{{"version", ver}, {"body", ""}, {"change_note", ""}}, "signed policy.pdf", pdf)
	if p.status != http.StatusSeeOther {
		t.Fatalf("version 1 as a file: %d %s", p.status, p.body)
	}
	p = admin.get(page)
	link := regexp.MustCompile(`href="(/attachments/\d+)" download="signed policy.pdf"`).FindStringSubmatch(p.body)
	if link == nil {
		t.Fatalf("no download link on the page")
	}
	docShows(t, "the file version", p.body, "signed policy.pdf", "application/pdf", hex.EncodeToString(sum[:]), fmt.Sprintf("%d bytes", len(pdf)))
	dl := admin.get(link[1])
	if dl.status != http.StatusOK || dl.body != pdf {
		t.Fatalf("download: %d %q", dl.status, dl.body)
	}
	if p := s.signedIn("requester").get(link[1]); p.status != http.StatusNotFound {
		t.Errorf("a requester downloads the policy file: %d", p.status)
	}
	if p := s.signedIn("agent").get(link[1]); p.status != http.StatusOK {
		t.Errorf("an agent downloads the policy file: %d", p.status)
	}
	if p := admin.post(path+"/1/approve", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("approve the file version: %d %s", p.status, p.body)
	}
	// The document's number opens it too.
	if p := admin.get(fmt.Sprintf("/documents/DOC-%06s", id)); p.status != http.StatusOK || !strings.Contains(p.body, "Version 1 in force") ||
		!strings.Contains(p.body, fmt.Sprintf(`<dd class="mono">DOC-%06s</dd>`, id)) {
		t.Fatalf("by number: %d", p.status)
	}

	// Version 2 without a change note: refused, the file kept with the form.
	ver = regexpVersion(admin.get(page).body)
	p = versionUpload(admin, path, admin.csrf, [][2]string{{"version", ver}, {"body", "A short summary."}, {"change_note", ""}}, "v2.pdf", pdf+"% v2\n")
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("no change note: %d", p.status)
	}
	docShows(t, "the refused version 2", p.body, "Say what changed since version 1", "Uploaded and kept for this version: <strong>v2.pdf</strong>", "A short summary.")
	kept := regexp.MustCompile(`name="attachment_id" value="(\d+)"`).FindStringSubmatch(p.body)
	if kept == nil {
		t.Fatalf("the form does not hold the uploaded file")
	}
	p = versionUpload(admin, path, admin.csrf, [][2]string{{"version", ver}, {"body", ""}, {"change_note", "Signed again"}, {"attachment_id", kept[1]}}, "", "")
	if p.status != http.StatusSeeOther {
		t.Fatalf("version 2 with the kept file: %d %s", p.status, p.body)
	}
	p = admin.get(page + "/compare")
	docShows(t, "the compare view", p.body, "Version 1 is a file", "Version 2 is a file", "with no text to compare")

	// A file over the limit is refused beside the file field, the text kept.
	s.app.Records.Attachments.MaxSize = 1 << 20
	ver = regexpVersion(admin.get(page).body)
	p = versionUpload(admin, path, admin.csrf, [][2]string{{"version", ver}, {"body", "Kept text."}, {"change_note", "Bigger"}}, "big.pdf",
		pdf+strings.Repeat("x", 1<<20))
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("a file over the limit: %d", p.status)
	}
	docShows(t, "the refused big file", p.body, "larger than the limit of 1 MB", "Kept text.")

	// Only administrators write versions.
	agent := s.signedIn("agent")
	agent.get(page)
	if p := versionUpload(agent, path, agent.csrf, [][2]string{{"version", ver}}, "x.pdf", pdf); p.status != http.StatusForbidden {
		t.Errorf("an agent uploads a version: %d", p.status)
	}
}
