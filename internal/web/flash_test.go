package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// A notice after a change shows on the next page only: a reload, a
// bookmark or an old ?ok= link shows nothing, and a cookie made by hand
// can only pick one of the fixed notices.
func TestFlashShownOnce(t *testing.T) {
	s := newSite(t)
	a := s.signedIn("agent")

	form := url.Values{"title": {"Printer on floor 2 jams"}, "csrf_token": {a.csrf}}
	req, _ := http.NewRequest(http.MethodPost, s.url+"/incidents", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := a.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || strings.Contains(loc, "?") {
		t.Fatalf("create: %d %q, want a redirect to the plain incident address", res.StatusCode, loc)
	}
	var flash *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "steward_flash" {
			flash = c
		}
	}
	if flash == nil || flash.Value != "created" || !flash.HttpOnly || flash.SameSite != http.SameSiteLaxMode || flash.Path != "/" {
		t.Fatalf("the redirect should set an HttpOnly, SameSite=Lax flash cookie naming the notice: %+v", flash)
	}

	if first := a.get(loc); !strings.Contains(first.body, "Incident created.") {
		t.Fatalf("the page after the redirect lacks its notice")
	}
	if again := a.get(loc); strings.Contains(again.body, "Incident created.") {
		t.Fatal("a reload shows the notice again")
	}
	if old := a.get(loc + "?ok=created"); strings.Contains(old.body, "Incident created.") {
		t.Fatal("an old ?ok= link still puts a notice on the page")
	}

	u, _ := url.Parse(s.url)
	for value, want := range map[string]string{
		"resolved":          "Incident resolved.",
		"imported:3:1":      "Imported 3 holiday(s); 1 were already in the calendar.",
		"imported:3:x":      "",
		"imported":          "",
		"created:7":         "",
		"Hello_from_a_link": "",
	} {
		a.c.Jar.SetCookies(u, []*http.Cookie{{Name: "steward_flash", Value: value, Path: "/"}})
		body := a.get(loc).body
		if want != "" && !strings.Contains(body, want) {
			t.Errorf("cookie %q: page lacks %q", value, want)
		}
		if want == "" && strings.Contains(body, `class="flash"`) {
			t.Errorf("cookie %q put a notice on the page", value)
		}
		if strings.Contains(body, "Hello") {
			t.Errorf("cookie %q put its own text on the page", value)
		}
	}
}
