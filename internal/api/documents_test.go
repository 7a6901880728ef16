package api_test

import (
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"steward/internal/document"
	"steward/internal/store/storetest"
)

// Requesters may not read the register at all; agents and auditors read
// it and acknowledge, but only administrators write; approving is the
// named approver's.
func TestDocumentsAPIPermissions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		created := s.do("admin", "POST", "/api/v1/documents", map[string]any{"title": "Service management policy", "type": "policy",
			"requires_acknowledgement": true, "owner_id": s.users["agent"], "retention": "7 years after superseded"})
		if created.status != http.StatusCreated || created.header.Get("ETag") != `"v1"` {
			t.Fatalf("create: %d %s", created.status, created.body)
		}
		path := created.header.Get("Location")
		id := int64(created.json(t)["id"].(float64))
		for _, c := range []struct {
			role, method, path string
			body               any
			status             int
		}{
			{"requester", "GET", "/api/v1/documents", nil, 403},
			{"requester", "GET", path, nil, 403},
			{"requester", "GET", path + "/versions", nil, 403},
			{"requester", "GET", "/api/v1/documents/pending-acknowledgement", nil, 403},
			{"requester", "POST", path + "/acknowledge", nil, 403},
			{"agent", "GET", "/api/v1/documents", nil, 200},
			{"agent", "GET", path, nil, 200},
			{"auditor", "GET", "/api/v1/documents?type=policy,sms_plan&status=draft", nil, 200},
			{"auditor", "GET", path + "/acknowledgements", nil, 200},
			{"agent", "POST", "/api/v1/documents", map[string]any{"title": "x", "type": "other"}, 403},
			{"agent", "PATCH", path, map[string]any{"title": "x"}, 403},
			{"agent", "POST", path + "/versions", map[string]any{"body": "x"}, 403},
			{"auditor", "POST", path + "/versions", map[string]any{"body": "x"}, 403},
			{"", "GET", "/api/v1/documents", nil, 401},
		} {
			if got := s.do(c.role, c.method, c.path, c.body); got.status != c.status {
				t.Errorf("%s %s %s: %d, want %d: %s", c.role, c.method, c.path, got.status, c.status, got.body)
			}
		}
		ver := s.do("admin", "POST", path+"/versions", map[string]any{"body": "# Policy\n\nWe keep our promises."})
		if ver.status != http.StatusCreated || ver.json(t)["number"] != 1.0 {
			t.Fatalf("version: %d %s", ver.status, ver.body)
		}
		// No approver named: an agent may not approve; the only admin may, their own text included.
		if got := s.do("agent", "POST", path+"/versions/1/approve", nil); got.status != 403 {
			t.Errorf("agent approves: %d %s", got.status, got.body)
		}
		if got := s.do("agent", "POST", path+"/acknowledge", nil); got.status != 409 {
			t.Errorf("acknowledging a draft: %d %s", got.status, got.body)
		}
		got := s.do("admin", "POST", path+"/versions/1/approve", map[string]any{"next_review": "2099-01-31"})
		if got.status != 200 || got.json(t)["status"] != "approved" || got.json(t)["next_review"] != "2099-01-31" || got.json(t)["current_version"] != 1.0 {
			t.Fatalf("approve: %d %s", got.status, got.body)
		}
		if got := s.do("agent", "GET", "/api/v1/documents/pending-acknowledgement", nil); len(got.json(t)["items"].([]any)) != 1 {
			t.Fatalf("agent's pending: %s", got.body)
		}
		for _, role := range []string{"agent", "auditor", "agent"} {
			if got := s.do(role, "POST", path+"/acknowledge", nil); got.status != 200 || got.json(t)["user_id"] != float64(s.users[role]) {
				t.Errorf("%s acknowledges: %d %s", role, got.status, got.body)
			}
		}
		cov := s.do("auditor", "GET", path+"/acknowledgements", nil).json(t)
		if cov["staff"] != 3.0 || len(cov["acknowledged"].([]any)) != 2 || len(cov["pending"].([]any)) != 1 {
			t.Errorf("coverage: %v", cov)
		}
		if got := s.do("agent", "GET", "/api/v1/documents/pending-acknowledgement", nil); len(got.json(t)["items"].([]any)) != 0 {
			t.Errorf("agent's pending after acknowledging: %s", got.body)
		}
		// Bad input is a field error; a stale If-Match is 412.
		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"next_review": "31/01/2099"}, "next_review"},
			{map[string]any{"superseded_by": id}, "superseded_by"},
			{map[string]any{"owner_id": s.users["requester"]}, "owner_id"},
			{map[string]any{"type": "sms_plan", "attributes": map[string]any{"period_start": "2027-01-01"}}, "attributes.period_end"},
			{map[string]any{"status": "draft"}, "status"},
		} {
			got := s.do("admin", "PATCH", path, c.body)
			if got.status != 422 || got.errorFields(t)[c.field] == nil {
				t.Errorf("PATCH %v: %d %s", c.body, got.status, got.body)
			}
		}
		if got := s.do("admin", "PATCH", path, map[string]any{"title": "x"}, "If-Match", `"v1"`); got.status != http.StatusPreconditionFailed {
			t.Errorf("stale If-Match: %d", got.status)
		}
		if got := s.do("admin", "GET", "/api/v1/documents?colour=red", nil); got.status != 400 {
			t.Errorf("unknown parameter: %d", got.status)
		}
		if got := s.do("admin", "GET", fmt.Sprintf("/api/v1/documents/%d/versions/1/approve", id), nil); got.status != 405 && got.status != 404 {
			t.Errorf("GET on approve: %d", got.status)
		}
		list := s.do("auditor", "GET", "/api/v1/documents/"+fmt.Sprint(id)+"/versions", nil).json(t)["items"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["approved_by"] != float64(s.users["admin"]) {
			t.Errorf("versions: %v", list)
		}
	})
}

// The OpenAPI schemas name exactly the fields the types encode.
func TestDocumentSchemasMatchTypes(t *testing.T) {
	doc := loadOpenAPI(t)
	for name, v := range map[string]any{
		"RegisterDocument": document.Document{}, "DocumentVersion": document.Version{},
		"DocumentAcknowledgement": document.Acknowledgement{}, "DocumentCoverage": document.Coverage{}, "DocumentFile": document.File{},
	} {
		all, always := oaJSONFields(reflect.TypeOf(v))
		props, required, _ := oaSchemaFields(t, doc, name)
		if !slices.Equal(props, all) || !slices.Equal(required, always) {
			t.Errorf("schema %s has %v (required %v), the type encodes %v (always %v)", name, props, required, all, always)
		}
	}
	for name, v := range map[string]any{"RegisterDocumentInput": document.Input{}, "DocumentVersionInput": document.NewVersion{}, "DocumentApproval": document.Approval{}} {
		want, _ := oaJSONFields(reflect.TypeOf(v))
		props, _, closed := oaSchemaFields(t, doc, name)
		if !slices.Equal(props, want) || !closed {
			t.Errorf("schema %s has %v (closed %v), the server reads %v", name, props, closed, want)
		}
	}
}

// A version may be a file: uploaded to the document through the record
// kernel, then named by the new version. Only administrators upload; a
// file of another record is refused; a version needs text or a file.
func TestDocumentVersionAsFile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		mk := func(title string) int64 {
			res := s.do("admin", "POST", "/api/v1/documents", map[string]any{"title": title, "type": "policy"})
			if res.status != http.StatusCreated {
				t.Fatalf("create: %d %s", res.status, res.body)
			}
			return int64(res.json(t)["id"].(float64))
		}
		id, other := mk("Signed policy"), mk("Another policy")
		pdf := "%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
		for _, role := range []string{"agent", "auditor", "requester"} {
			if res := s.upload(role, fmt.Sprintf("/api/v1/documents/%d/attachments", id), "policy.pdf", strings.NewReader(pdf), ""); res.status != 403 {
				t.Errorf("%s uploads: %d %s", role, res.status, res.body)
			}
		}
		// The number works as well as the id.
		up := s.upload("admin", fmt.Sprintf("/api/v1/documents/DOC-%06d/attachments", id), "policy.pdf", strings.NewReader(pdf), "")
		if up.status != http.StatusCreated {
			t.Fatalf("upload: %d %s", up.status, up.body)
		}
		att := up.json(t)
		if att["content_type"] != "application/pdf" || att["kind"] != "document" {
			t.Fatalf("uploaded file: %s", up.body)
		}
		fileID := int64(att["id"].(float64))
		elsewhere := s.upload("admin", fmt.Sprintf("/api/v1/documents/%d/attachments", other), "other.pdf", strings.NewReader(pdf), "")
		otherFile := int64(elsewhere.json(t)["id"].(float64))
		if res := s.upload("admin", fmt.Sprintf("/api/v1/documents/%d/attachments", id), "x.pdf", strings.NewReader(pdf), "1"); res.status != 422 {
			t.Errorf("a comment_id on a document: %d %s", res.status, res.body)
		}
		if list := s.do("auditor", "GET", fmt.Sprintf("/api/v1/documents/doc-%d/attachments", id), nil); list.status != 200 ||
			len(list.json(t)["items"].([]any)) != 1 {
			t.Fatalf("auditor lists the files: %d %s", list.status, list.body)
		}

		path := fmt.Sprintf("/api/v1/documents/%d/versions", id)
		if res := s.do("admin", "POST", path, map[string]any{"body": "  "}); res.status != 422 || res.errorFields(t)["body"] == nil {
			t.Errorf("neither text nor file: %d %s", res.status, res.body)
		}
		res := s.do("admin", "POST", path, map[string]any{"attachment_id": otherFile})
		if res.status != 422 || !strings.Contains(fmt.Sprint(res.errorFields(t)["attachment_id"]), "another record") {
			t.Errorf("another document's file: %d %s", res.status, res.body)
		}
		ver := s.do("admin", "POST", path, map[string]any{"attachment_id": fileID})
		if ver.status != http.StatusCreated {
			t.Fatalf("version as file: %d %s", ver.status, ver.body)
		}
		file, _ := ver.json(t)["file"].(map[string]any)
		if file == nil || file["filename"] != "policy.pdf" || file["sha256"] != att["sha256"] || ver.json(t)["body"] != "" {
			t.Fatalf("the version does not carry its file: %s", ver.body)
		}
		if got := s.do("admin", "POST", path+"/1/approve", nil); got.status != 200 || got.json(t)["status"] != "approved" {
			t.Fatalf("approve a file version: %d %s", got.status, got.body)
		}
		dl := s.do("agent", "GET", fmt.Sprintf("/api/v1/attachments/%d", fileID), nil)
		if dl.status != 200 || string(dl.body) != pdf || dl.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("download: %d %q %v", dl.status, dl.body, dl.header)
		}
		if got := s.do("requester", "GET", fmt.Sprintf("/api/v1/attachments/%d", fileID), nil); got.status != 404 {
			t.Errorf("a requester downloads a document's file: %d", got.status)
		}

		// The kernel's other routes: links between documents, bulk edits.
		link := s.do("admin", "POST", fmt.Sprintf("/api/v1/documents/%d/links", id), map[string]any{"type": "related", "target": fmt.Sprintf("DOC-%06d", other)})
		if link.status != http.StatusCreated {
			t.Fatalf("link: %d %s", link.status, link.body)
		}
		if got := s.do("agent", "POST", fmt.Sprintf("/api/v1/documents/%d/links", id), map[string]any{"type": "related", "target": "DOC-1"}); got.status != 403 {
			t.Errorf("an agent links: %d", got.status)
		}
		bulk := s.do("admin", "POST", "/api/v1/documents/bulk", map[string]any{"refs": []string{fmt.Sprint(id), fmt.Sprintf("DOC-%d", other)},
			"set": map[string]any{"retention": "10 years"}, "all_or_nothing": true})
		if bulk.status != 200 || bulk.json(t)["applied"] != true {
			t.Fatalf("bulk: %d %s", bulk.status, bulk.body)
		}
		if got := s.do("auditor", "GET", fmt.Sprintf("/api/v1/documents/%d", other), nil).json(t)["retention"]; got != "10 years" {
			t.Errorf("after the bulk edit the retention is %v", got)
		}

		s.app.Records.Attachments.MaxSize = 1 << 20
		big := s.upload("admin", fmt.Sprintf("/api/v1/documents/%d/attachments", id), "big.bin", io.LimitReader(zeros{}, 1<<20+1), "")
		if big.status != 413 {
			t.Fatalf("a file over the limit: %d %s", big.status, big.body)
		}
	})
}
