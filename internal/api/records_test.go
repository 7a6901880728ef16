package api_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"steward/internal/store/storetest"
)

// upload sends content as the multipart part "file", after a comment_id
// part when commentID is not "".
func (s *server) upload(role, path, filename string, content io.Reader, commentID string) response {
	s.t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		if commentID != "" {
			mw.WriteField("comment_id", commentID)
		}
		fw, err := mw.CreateFormFile("file", filename)
		if err == nil {
			_, err = io.Copy(fw, content)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequest("POST", s.url+path, pr)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+s.tokens[role])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	checkResponse(s.t, req, res.StatusCode, res.Header, b)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// pngBytes is a 1x1 transparent PNG.
var pngBytes, _ = hex.DecodeString("89504e470d0a1a0a0000000d4948445200000001000000010806000000" +
	"1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082")

func TestRecordLinksAndAttachments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		create := func(role, title string) string {
			res := s.do(role, "POST", "/api/v1/incidents", map[string]any{"title": title})
			if res.status != 201 {
				t.Fatalf("create incident: %d %s", res.status, res.body)
			}
			return res.json(t)["number"].(string)
		}
		a, b := create("agent", "Mail queue stuck"), create("agent", "Mail delayed for sales")
		mine, mine2 := create("requester", "My laptop will not start"), create("requester", "My docking station")
		theirs := create("requesterB", "Beta's printer")

		s.run(t, []apiCase{
			{"parent", "agent", "POST", "/api/v1/incidents/" + a + "/links", map[string]string{"type": "parent", "target": b}, nil, 201,
				[]string{`"type":"parent"`, `"number":"` + b + `"`}},
			{"seen from the parent", "agent", "GET", "/api/v1/incidents/" + b + "/links", nil, nil, 200, []string{`"type":"child"`, `"number":"` + a + `"`}},
			{"a loop is refused", "agent", "POST", "/api/v1/incidents/" + b + "/links", map[string]string{"type": "parent", "target": a}, nil, 422, []string{`"target"`}},
			{"the same link again", "agent", "POST", "/api/v1/incidents/" + b + "/links", map[string]string{"type": "child", "target": a}, nil, 422, []string{`"target"`}},
			{"a second parent", "agent", "POST", "/api/v1/incidents/" + a + "/links", map[string]string{"type": "parent", "target": mine}, nil, 422, []string{`already has a parent`}},
			{"to itself", "agent", "POST", "/api/v1/incidents/" + a + "/links", map[string]string{"type": "related", "target": strings.ToLower(a)}, nil, 422, []string{`itself`}},
			{"unknown type", "agent", "POST", "/api/v1/incidents/" + a + "/links", map[string]string{"type": "blocks", "target": b}, nil, 422, []string{`"type"`}},
			{"not a number", "agent", "POST", "/api/v1/incidents/" + a + "/links", map[string]string{"type": "related", "target": "printer"}, nil, 422, []string{`"target"`}},
			{"missing target", "agent", "POST", "/api/v1/incidents/" + a + "/links", map[string]string{"type": "related", "target": "INC-999999"}, nil, 404, nil},
			{"requesters do not link", "requester", "POST", "/api/v1/incidents/" + mine + "/links", map[string]string{"type": "related", "target": a}, nil, 403, nil},
			{"duplicate of another customer's", "agent", "POST", "/api/v1/incidents/" + mine + "/links", map[string]string{"type": "duplicate_of", "target": theirs}, nil, 201, nil},
			{"related the other way round", "agent", "POST", "/api/v1/incidents/" + mine + "/links", map[string]string{"type": "related", "target": a}, nil, 201, nil},
			{"related is one link both ways", "agent", "POST", "/api/v1/incidents/" + a + "/links", map[string]string{"type": "related", "target": mine}, nil, 422, nil},
			{"caused by", "agent", "POST", "/api/v1/incidents/" + mine2 + "/links", map[string]string{"type": "causes", "target": mine}, nil, 201, nil},
		})
		links := s.do("requester", "GET", "/api/v1/incidents/"+mine+"/links", nil)
		if links.status != 200 || strings.Contains(string(links.body), theirs) || strings.Contains(string(links.body), a) ||
			!strings.Contains(string(links.body), `"type":"caused_by","target":{"kind":"incident","id":4,"number":"`+mine2) {
			t.Fatalf("a requester sees links only to what they may see: %s", links.body)
		}
		if res := s.do("requesterB", "GET", "/api/v1/incidents/"+mine+"/links", nil); res.status != 404 {
			t.Fatalf("another customer's links: %d", res.status)
		}
		all := s.do("agent", "GET", "/api/v1/incidents/"+a+"/links", nil).json(t)["items"].([]any)
		if len(all) != 2 {
			t.Fatalf("links of %s: %v", a, all)
		}
		first := fmt.Sprint(all[0].(map[string]any)["id"])
		if res := s.do("agent", "DELETE", "/api/v1/incidents/"+mine+"/links/"+first, nil); res.status != 404 {
			t.Fatalf("a link removed through a record it does not touch: %d", res.status)
		}
		if res := s.do("agent", "DELETE", "/api/v1/incidents/"+b+"/links/"+first, nil); res.status != 204 {
			t.Fatalf("remove link: %d %s", res.status, res.body)
		}
		journal := string(s.do("agent", "GET", "/api/v1/incidents/"+a+"/journal", nil).body)
		if !strings.Contains(journal, `"new":"parent `+b+`"`) || !strings.Contains(journal, `"old":"parent `+b+`"`) {
			t.Fatalf("the journal should show the link added and removed: %s", journal)
		}

		// Attachments.
		text := "the error appears at 09:14 every day\n"
		up := s.upload("requester", "/api/v1/incidents/"+mine+"/attachments", `C:\Users\me\notes.txt`, strings.NewReader(text), "")
		sum := sha256.Sum256([]byte(text))
		if up.status != 201 {
			t.Fatalf("upload: %d %s", up.status, up.body)
		}
		att := up.json(t)
		if att["filename"] != "notes.txt" || att["size"] != float64(len(text)) || att["sha256"] != hex.EncodeToString(sum[:]) ||
			!strings.HasPrefix(att["content_type"].(string), "text/plain") {
			t.Fatalf("uploaded: %s", up.body)
		}
		id := fmt.Sprint(att["id"])
		got := s.do("requester", "GET", "/api/v1/attachments/"+id, nil)
		if got.status != 200 || string(got.body) != text || got.header.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.HasPrefix(got.header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("download: %d %v %q", got.status, got.header, got.body)
		}
		if res := s.do("requesterB", "GET", "/api/v1/attachments/"+id, nil); res.status != 404 {
			t.Fatalf("another customer downloaded a file: %d", res.status)
		}
		img := s.upload("agent", "/api/v1/incidents/"+mine+"/attachments", "screen.png", bytes.NewReader(pngBytes), "")
		if img.status != 201 || img.json(t)["content_type"] != "image/png" {
			t.Fatalf("png: %d %s", img.status, img.body)
		}
		if res := s.do("agent", "GET", fmt.Sprintf("/api/v1/attachments/%v", img.json(t)["id"]), nil); !strings.HasPrefix(res.header.Get("Content-Disposition"), "inline") {
			t.Fatalf("an image may show inline: %v", res.header)
		}
		fake := s.upload("agent", "/api/v1/incidents/"+mine+"/attachments", "cute.png", strings.NewReader("<html><script>alert(1)</script></html>"), "")
		if fake.status != 201 || !strings.HasPrefix(fake.json(t)["content_type"].(string), "text/html") {
			t.Fatalf("the type is sniffed, not taken from the name: %s", fake.body)
		}
		if res := s.do("agent", "GET", fmt.Sprintf("/api/v1/attachments/%v", fake.json(t)["id"]), nil); !strings.HasPrefix(res.header.Get("Content-Disposition"), "attachment") ||
			!strings.Contains(res.header.Get("Content-Security-Policy"), "sandbox") {
			t.Fatalf("html must download, sandboxed: %v", res.header)
		}
		note := s.do("agent", "POST", "/api/v1/incidents/"+mine+"/comments", map[string]string{"body": "vendor log attached", "kind": "work_note"}).json(t)
		internal := s.upload("agent", "/api/v1/incidents/"+mine+"/attachments", "vendor.log", strings.NewReader("internal"), fmt.Sprint(note["id"]))
		if internal.status != 201 || internal.json(t)["internal"] != true {
			t.Fatalf("work note file: %d %s", internal.status, internal.body)
		}
		if res := s.do("requester", "GET", fmt.Sprintf("/api/v1/attachments/%v", internal.json(t)["id"]), nil); res.status != 404 {
			t.Fatalf("a requester downloaded a work note's file: %d", res.status)
		}
		seen := s.do("requester", "GET", "/api/v1/incidents/"+mine+"/attachments", nil)
		if strings.Contains(string(seen.body), "vendor.log") || !strings.Contains(string(seen.body), "notes.txt") {
			t.Fatalf("requester's list: %s", seen.body)
		}
		if res := s.upload("requester", "/api/v1/incidents/"+mine+"/attachments", "x.txt", strings.NewReader("x"), fmt.Sprint(note["id"])); res.status != 422 {
			t.Fatalf("a requester attached to a work note: %d %s", res.status, res.body)
		}
		if res := s.upload("requester", "/api/v1/incidents/"+theirs+"/attachments", "x.txt", strings.NewReader("x"), ""); res.status != 404 {
			t.Fatalf("upload to another customer's incident: %d", res.status)
		}
		if res := s.upload("requester", "/api/v1/incidents/"+mine+"/attachments", "empty.txt", strings.NewReader(""), ""); res.status != 422 {
			t.Fatalf("empty file: %d", res.status)
		}
		if res := s.do("requester", "POST", "/api/v1/incidents/"+mine+"/attachments", `{"file":"x"}`); res.status != 400 {
			t.Fatalf("JSON instead of multipart: %d", res.status)
		}
		big := s.upload("requester", "/api/v1/incidents/"+mine+"/attachments", "big.bin", io.LimitReader(zeros{}, 25<<20+1), "")
		if big.status != 413 {
			t.Fatalf("a file over 25 MB: %d %s", big.status, big.body)
		}
		if n := len(s.do("agent", "GET", "/api/v1/incidents/"+mine+"/attachments", nil).json(t)["items"].([]any)); n != 4 {
			t.Fatalf("after the refused uploads there should be 4 files, got %d", n)
		}
		journal = string(s.do("requester", "GET", "/api/v1/incidents/"+mine+"/journal", nil).body)
		if !strings.Contains(journal, hex.EncodeToString(sum[:])) || strings.Contains(journal, "vendor.log") {
			t.Fatalf("the requester's journal shows their file with its hash and not the work note's: %s", journal)
		}
	})
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestSearchBulkAndSavedFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		service := s.addService("Facilities", s.custA)
		item := s.do("admin", "POST", "/api/v1/catalog/items", map[string]any{"service_id": service, "name": "Aquarium care"}).json(t)
		req := s.do("requester", "POST", "/api/v1/requests", map[string]any{"item_id": item["id"], "title": "Zebrafish tank cleaning"})
		if req.status != 201 {
			t.Fatalf("submit: %d %s", req.status, req.body)
		}
		reqNumber := req.json(t)["number"].(string)
		var incs []string
		for _, title := range []string{"Zebrafish tank pump failed", "VPN drops", "Printer jam"} {
			incs = append(incs, s.do("agent", "POST", "/api/v1/incidents", map[string]any{"title": title}).json(t)["number"].(string))
		}
		theirs := s.do("requesterB", "POST", "/api/v1/incidents", map[string]any{"title": "Zebrafish in Beta's pond"}).json(t)["number"].(string)
		short := "inc-" + strings.TrimLeft(strings.TrimPrefix(incs[1], "INC-"), "0")

		s.run(t, []apiCase{
			{"a number goes to its record", "agent", "GET", "/api/v1/search?q=" + short, nil, nil, 200, []string{`"number":"` + incs[1] + `"`, `"kind":"incident"`, `"url":"/incidents/` + incs[1] + `"`}},
			{"a request number", "requester", "GET", "/api/v1/search?q=" + strings.ToLower(reqNumber), nil, nil, 200, []string{`"number":"` + reqNumber + `"`, `"kind":"request"`}},
			{"words across kinds", "agent", "GET", "/api/v1/search?q=zebrafish", nil, nil, 200, []string{`"number":"` + incs[0] + `"`, `"number":"` + reqNumber + `"`, `"number":"` + theirs + `"`}},
			{"what the caller may not see is left out", "requester", "GET", "/api/v1/search?q=" + theirs, nil, nil, 200, []string{`"items":[]`}},
			{"an empty search", "agent", "GET", "/api/v1/search?q=", nil, nil, 400, []string{`"q"`}},
			{"incident list by number", "agent", "GET", "/api/v1/incidents?q=" + short, nil, nil, 200, []string{`"number":"` + incs[1] + `"`}},
			{"request list by number", "agent", "GET", "/api/v1/requests?q=" + reqNumber, nil, nil, 200, []string{`"number":"` + reqNumber + `"`}},
			{"request list by words", "agent", "GET", "/api/v1/requests?q=tank", nil, nil, 200, []string{`"number":"` + reqNumber + `"`}},
			{"request words are searched as words", "agent", "GET", "/api/v1/requests?q=vpn", nil, nil, 200, []string{`"items":[]`}},
		})
		if body := string(s.do("requester", "GET", "/api/v1/search?q=zebrafish", nil).body); strings.Contains(body, theirs) || !strings.Contains(body, reqNumber) {
			t.Fatalf("a requester's search: %s", body)
		}

		// Bulk edit: each row as if alone.
		res := s.do("agent", "POST", "/api/v1/incidents/bulk", map[string]any{
			"refs": []string{incs[0], incs[1], "INC-999999", theirs}, "set": map[string]any{"assignee_id": s.users["agent"], "group_id": s.groupID}})
		if res.status != 200 {
			t.Fatalf("bulk: %d %s", res.status, res.body)
		}
		statuses := func(res response) []string {
			var out []string
			for _, r := range res.json(t)["results"].([]any) {
				out = append(out, fmt.Sprint(r.(map[string]any)["status"]))
			}
			return out
		}
		if got := strings.Join(statuses(res), ","); got != "200,200,404,200" || res.json(t)["applied"] != true {
			t.Fatalf("bulk statuses %s: %s", got, res.body)
		}
		if inc := s.do("agent", "GET", "/api/v1/incidents/"+incs[1], nil).json(t); inc["assignee_id"] != float64(s.users["agent"]) {
			t.Fatalf("bulk did not assign: %v", inc)
		}
		if j := string(s.do("agent", "GET", "/api/v1/incidents/"+incs[1]+"/journal", nil).body); !strings.Contains(j, `"field":"assignee_id"`) {
			t.Fatalf("bulk edit not journaled: %s", j)
		}
		res = s.do("agent", "POST", "/api/v1/incidents/bulk", map[string]any{
			"refs": []string{incs[2], incs[0]}, "set": map[string]any{"state": "resolved"}})
		if got := strings.Join(statuses(res), ","); got != "422,422" || !strings.Contains(string(res.body), `"resolution_code"`) {
			t.Fatalf("resolving without a code: %s", res.body)
		}
		res = s.do("agent", "POST", "/api/v1/incidents/bulk", map[string]any{"all_or_nothing": true,
			"refs": []string{incs[2], "INC-999999"}, "set": map[string]any{"major": true}})
		if got := strings.Join(statuses(res), ","); got != "200,404" || res.json(t)["applied"] != false {
			t.Fatalf("all or nothing: %s", res.body)
		}
		if inc := s.do("agent", "GET", "/api/v1/incidents/"+incs[2], nil).json(t); inc["major"] != false {
			t.Fatalf("an all-or-nothing edit with a bad row changed %s", incs[2])
		}
		s.run(t, []apiCase{
			{"requesters do not bulk edit", "requester", "POST", "/api/v1/incidents/bulk", map[string]any{"refs": []string{incs[0]}, "set": map[string]any{"major": true}}, nil, 403, nil},
			{"unknown field", "agent", "POST", "/api/v1/requests/bulk", map[string]any{"refs": []string{reqNumber}, "set": map[string]any{"colour": "red"}}, nil, 200, []string{`"status":422`, `"colour"`}},
			{"request priority", "agent", "POST", "/api/v1/requests/bulk", map[string]any{"refs": []string{reqNumber}, "set": map[string]any{"priority": "P2"}}, nil, 200, []string{`"status":200`}},
			{"nothing to set", "agent", "POST", "/api/v1/requests/bulk", map[string]any{"refs": []string{reqNumber}}, nil, 422, []string{`"set"`}},
		})
		if r := s.do("agent", "GET", "/api/v1/requests/"+reqNumber, nil).json(t); r["priority"] != "P2" {
			t.Fatalf("bulk priority: %v", r["priority"])
		}

		// Saved filters.
		mine := s.do("agent", "POST", "/api/v1/saved-filters", map[string]any{"kind": "incident", "name": "My open", "query": "state=open&assignee_id=me"})
		if mine.status != 201 || mine.json(t)["shared"] != false {
			t.Fatalf("save filter: %d %s", mine.status, mine.body)
		}
		id := fmt.Sprint(mine.json(t)["id"])
		s.run(t, []apiCase{
			{"unknown field", "agent", "POST", "/api/v1/saved-filters", map[string]any{"kind": "incident", "name": "x", "query": "colour=red"}, nil, 422, []string{`"query"`, `colour`}},
			{"unknown kind", "agent", "POST", "/api/v1/saved-filters", map[string]any{"kind": "spaceship", "name": "x", "query": ""}, nil, 422, []string{`"kind"`}},
			{"no name", "agent", "POST", "/api/v1/saved-filters", map[string]any{"kind": "request", "query": "state=open"}, nil, 422, []string{`"name"`}},
			{"requesters may not share", "requester", "POST", "/api/v1/saved-filters", map[string]any{"kind": "request", "name": "x", "query": "state=open", "shared": true}, nil, 403, nil},
			{"agents may", "agent", "POST", "/api/v1/saved-filters", map[string]any{"kind": "request", "name": "Desk queue", "query": "state=open&assignee_id=none", "shared": true}, nil, 201, nil},
			{"a personal filter is private", "requester", "GET", "/api/v1/saved-filters/" + id, nil, nil, 404, nil},
			{"the shared one is seen", "requester", "GET", "/api/v1/saved-filters?kind=request", nil, nil, 200, []string{`"Desk queue"`}},
			{"only mine listed", "admin", "GET", "/api/v1/saved-filters?kind=incident", nil, nil, 200, []string{`"items":[]`}},
			{"rename", "agent", "PATCH", "/api/v1/saved-filters/" + id, map[string]any{"name": "Mine, open"}, []string{"If-Match", `"v1"`}, 200, []string{`"name":"Mine, open"`, `"version":2`}},
			{"stale rename", "agent", "PATCH", "/api/v1/saved-filters/" + id, map[string]any{"name": "Again"}, []string{"If-Match", `"v1"`}, 412, nil},
			{"another's filter", "admin", "DELETE", "/api/v1/saved-filters/" + id, nil, nil, 404, nil},
			{"delete", "agent", "DELETE", "/api/v1/saved-filters/" + id, nil, nil, 204, nil},
			{"gone", "agent", "GET", "/api/v1/saved-filters/" + id, nil, nil, 404, nil},
		})
	})
}
