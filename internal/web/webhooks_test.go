package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

var webhookSecret = regexp.MustCompile(`id="wh-secret" class="mono" readonly value="(whsec_[0-9a-f]{64})"`)

// pageCatcher is a receiver on loopback that keeps the bodies it gets.
type pageCatcher struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
	status int
}

func newPageCatcher(t *testing.T) *pageCatcher {
	c := &pageCatcher{status: 200}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		defer c.mu.Unlock()
		c.bodies = append(c.bodies, string(b))
		w.WriteHeader(c.status)
		w.Write([]byte(`{"received":true}`))
	}))
	t.Cleanup(c.Close)
	return c
}

func TestWebhookPages(t *testing.T) {
	s := newSite(t)
	rc := newPageCatcher(t)
	admin := s.signedIn("admin")
	for _, c := range []struct {
		role, path string
		status     int
	}{
		{"admin", "/webhooks", 200}, {"auditor", "/webhooks", 200}, {"agent", "/webhooks", 403}, {"requester", "/webhooks", 403},
		{"auditor", "/webhooks/new", 403}, {"agent", "/webhooks/new", 403}, {"admin", "/webhooks/new", 200},
	} {
		if p := s.signedIn(c.role).get(c.path); p.status != c.status {
			t.Errorf("%s GET %s: %d, want %d", c.role, c.path, p.status, c.status)
		}
	}
	if p := s.signedIn("auditor").post("/webhooks", url.Values{"url": {rc.URL}, "events": {"*"}}); p.status != 403 {
		t.Errorf("an auditor creates a webhook: %d", p.status)
	}

	// The form offers events by name, and errors come back beside their
	// fields with what was typed.
	form := admin.get("/webhooks/new")
	if !strings.Contains(form.body, "Ticket raised") || !strings.Contains(form.body, "Comment added") || strings.Contains(form.body, ">record.created<") {
		t.Fatalf("the form does not name the events in words: %s", form.body)
	}
	p := admin.post("/webhooks", url.Values{"url": {"ftp://files.example.com/drop"}, "events": {"record.created"}, "secret": {"short"}, "description": {"Drop box"}})
	if p.status != 422 || !strings.Contains(p.body, "must start with http:// or https://") || !strings.Contains(p.body, "must be at least 16 characters") ||
		!strings.Contains(p.body, `value="ftp://files.example.com/drop"`) || !strings.Contains(p.body, `value="Drop box"`) ||
		!regexp.MustCompile(`value="record.created" checked`).MatchString(p.body) {
		t.Fatalf("bad form: %d %s", p.status, p.body)
	}
	if m := doubleStop.FindString(p.body); m != "" {
		t.Errorf("the webhook form's errors end in two full stops: %q", m)
	}

	// Created: the secret is on the answer, and never again.
	p = admin.post("/webhooks", url.Values{"url": {rc.URL + "/steward"}, "events": {"record.created", "record.commented"}, "active": {"1"}, "description": {"Chat channel"}})
	m := webhookSecret.FindStringSubmatch(p.body)
	if p.status != 200 || m == nil {
		t.Fatalf("created: %d %s", p.status, p.body)
	}
	hooks, _ := s.app.Webhooks.List(t.Context())
	path := "/webhooks/" + strconv.FormatInt(hooks[0].ID, 10)
	for _, who := range []*browser{admin, s.signedIn("auditor")} {
		if d := who.get(path); d.status != 200 || strings.Contains(d.body, m[1]) || !strings.Contains(d.body, "Set · last changed") {
			t.Fatalf("the receiver's page shows the secret, or fails: %d", d.status)
		}
	}
	if l := admin.get("/webhooks"); !strings.Contains(l.body, "Ticket raised, Comment added") || !strings.Contains(l.body, "Chat channel") {
		t.Fatalf("the list: %s", l.body)
	}
	// The breadcrumb leads back to the list and ends with the page itself.
	host := strings.TrimPrefix(rc.URL, "http://")
	for page, last := range map[string]string{path: host, path + "/edit": "Edit webhook", "/webhooks/new": "New webhook"} {
		crumbs := regexp.MustCompile(`<p class="crumbs">(.*?)</p>`).FindStringSubmatch(admin.get(page).body)
		if crumbs == nil || strings.HasSuffix(strings.TrimSpace(crumbs[1]), "/") || !strings.Contains(crumbs[1], `<a href="/webhooks">Webhooks</a>`) ||
			!strings.HasSuffix(crumbs[1], `<span aria-current="page">`+last+`</span>`) {
			t.Errorf("the breadcrumb of %s: %v", page, crumbs)
		}
	}
	// The address's path may be a token: the auditor sees the host and a
	// fingerprint of the path, the administrator the whole address.
	auditor := s.signedIn("auditor")
	for _, page := range []string{"/webhooks", path} {
		if d := auditor.get(page); strings.Contains(d.body, rc.URL+"/steward") || !strings.Contains(d.body, rc.URL+"/… (path ") {
			t.Errorf("the auditor's %s shows the receiver's path, or not where deliveries go", page)
		}
		if d := admin.get(page); !strings.Contains(d.body, rc.URL+"/steward") {
			t.Errorf("the administrator's %s lacks the receiver's whole address", page)
		}
	}

	// A test shows the receiver's answer.
	p = admin.post(path+"/test", nil)
	if p.status != 200 || !strings.Contains(p.body, "the receiver accepted it") || !strings.Contains(p.body, "{&#34;received&#34;:true}") {
		t.Fatalf("test: %d %s", p.status, p.body)
	}
	// Pausing and resuming leave a notice; a new secret is shown once.
	if p = admin.post(path+"/pause", nil); p.status != http.StatusSeeOther {
		t.Fatalf("pause: %d", p.status)
	}
	if d := admin.get(path); !strings.Contains(d.body, "Webhook paused: events are kept") || !strings.Contains(d.body, ">Resume<") {
		t.Fatalf("after pausing: %s", d.body)
	}
	admin.post(path+"/resume", nil)
	p = admin.post(path+"/rotate-secret", nil)
	if n := webhookSecret.FindStringSubmatch(p.body); n == nil || n[1] == m[1] || !strings.Contains(p.body, "New signing secret") {
		t.Fatalf("rotate: %d", p.status)
	}
	if p = admin.post(path+"/delete", nil); p.status != http.StatusSeeOther || p.location != "/webhooks" {
		t.Fatalf("delete: %d %s", p.status, p.location)
	}
	if d := admin.get(path); d.status != 404 {
		t.Fatalf("after delete: %d", d.status)
	}
}
