package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"steward/internal/event"
)

func integrationNamed(t *testing.T, s *site, name string) event.Integration {
	t.Helper()
	items, err := s.app.Events.Integrations(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.Name == name {
			return it
		}
	}
	t.Fatalf("no integration called %q", name)
	return event.Integration{}
}

// A broker integration's page shows its address without the password,
// says it needs no routing key and offers none, and its edit form changes
// it, keeping what was typed when something is wrong and the password
// when the shown address comes back.
func TestBrokerIntegrationPagesAndEditForm(t *testing.T) {
	s := newSite(t)
	admin := s.signedIn("admin")
	const secret = "S3cretPass"
	p := admin.post("/integrations", url.Values{"name": {"Plant broker"}, "kind": {"mqtt"}, "url": {"tcp://fleetuser:" + secret + "@127.0.0.1:1883"},
		"topics": {"plant/+/status"}})
	if p.status != 200 || strings.Contains(p.body, secret) {
		t.Fatalf("created: %d %s", p.status, p.body)
	}
	it := integrationNamed(t, s, "Plant broker")
	page := "/integrations/" + itoa(it.ID)
	for _, role := range []string{"admin", "agent", "auditor"} {
		for _, path := range []string{"/integrations", page} {
			p := s.signedIn(role).get(path)
			if p.status != 200 || strings.Contains(p.body, secret) {
				t.Fatalf("%s %s: %d, or the broker password is shown", role, path, p.status)
			}
		}
	}
	p = admin.get(page)
	for _, want := range []string{"tcp://fleetuser:xxxxx@127.0.0.1:1883", "needs no routing key", "Not used: Steward reads",
		"mosquitto_pub -h 127.0.0.1 -p 1883 -u &#39;fleetuser&#39; -P &#39;YOUR-BROKER-PASSWORD&#39; -q 1 -t &#39;plant/router-1/status&#39;", page + "/edit"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("broker page lacks %q", want)
		}
	}
	for _, not := range []string{"YOUR-ROUTING-KEY", "Replace routing key", "key ends in"} {
		if strings.Contains(p.body, not) {
			t.Errorf("broker page shows %q", not)
		}
	}

	// Who may edit.
	for _, role := range []string{"agent", "auditor"} {
		if p := s.signedIn(role).get(page + "/edit"); p.status != http.StatusForbidden {
			t.Errorf("%s opens the edit form: %d", role, p.status)
		}
		if p := s.signedIn(role).post(page+"/edit", url.Values{"name": {"x"}, "version": {"1"}}); p.status != http.StatusForbidden {
			t.Errorf("%s edits: %d", role, p.status)
		}
	}
	form := admin.get(page + "/edit")
	if form.status != 200 || strings.Contains(form.body, secret) || !strings.Contains(form.body, `value="tcp://fleetuser:xxxxx@127.0.0.1:1883"`) ||
		!strings.Contains(form.body, `name="version" value="1"`) || !strings.Contains(form.body, "plant/&#43;/status</textarea>") {
		t.Fatalf("edit form: %d %s", form.status, form.body)
	}

	// Errors come back with what was typed.
	p = admin.post(page+"/edit", url.Values{"version": {"1"}, "name": {"Plant broker A"}, "url": {"http://broker"},
		"topics": {"plant/+/alarm"}, "mapping": {"ci = $topic[2]\nthis is wrong"}})
	if p.status != 422 || !strings.Contains(p.body, "Line 2: write field = path") || !strings.Contains(p.body, `value="Plant broker A"`) ||
		!strings.Contains(p.body, "plant/&#43;/alarm</textarea>") {
		t.Fatalf("bad mapping: %d %s", p.status, p.body)
	}
	p = admin.post(page+"/edit", url.Values{"version": {"1"}, "name": {"Plant broker A"}, "url": {"http://broker"}, "topics": {"plant/+/alarm"}})
	if p.status != 422 || !strings.Contains(p.body, "must start with tcp://") || !strings.Contains(p.body, `value="http://broker"`) {
		t.Fatalf("bad address: %d %s", p.status, p.body)
	}

	// A good edit saves; the shown address keeps the stored password.
	p = admin.post(page+"/edit", url.Values{"version": {"1"}, "name": {"Plant broker A"}, "url": {"tcp://fleetuser:xxxxx@127.0.0.1:1883"},
		"topics": {"plant/+/status\r\nplant/+/alarm"}, "mapping": {"ci = $topic[2]"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", p.status, p.body)
	}
	it, err := s.app.Events.Integration(t.Context(), it.ID)
	if err != nil || it.Name != "Plant broker A" || it.URL != "tcp://fleetuser:"+secret+"@127.0.0.1:1883" || len(it.Topics) != 2 ||
		it.Mapping == nil || it.Mapping.Fields["ci"] != "$topic[2]" || it.Version != 2 {
		t.Fatalf("saved: %+v %v", it, err)
	}
	if p := admin.get(page); !strings.Contains(p.body, "Integration saved") {
		t.Fatal("no word that the integration was saved")
	}
	// A form opened before that change does not overwrite it.
	p = admin.post(page+"/edit", url.Values{"version": {"1"}, "name": {"Old name"}, "url": {"tcp://127.0.0.1:1883"}, "topics": {"plant/#"}})
	if p.status != http.StatusConflict || !strings.Contains(p.body, "changed by someone else") {
		t.Fatalf("stale form: %d %s", p.status, p.body)
	}
	if it, _ := s.app.Events.Integration(t.Context(), it.ID); it.Name != "Plant broker A" {
		t.Fatalf("a stale form overwrote the change: %+v", it)
	}

	// An HTTP integration's form has its name only, and still its key.
	p = admin.post("/integrations", url.Values{"name": {"Checks"}, "kind": {"http"}})
	h := integrationNamed(t, s, "Checks")
	hp := "/integrations/" + itoa(h.ID)
	if p := admin.get(hp); !strings.Contains(p.body, "Replace routing key") || !strings.Contains(p.body, "YOUR-ROUTING-KEY") {
		t.Fatal("an HTTP integration's page lost its routing key")
	}
	if f := admin.get(hp + "/edit"); f.status != 200 || strings.Contains(f.body, `name="url"`) {
		t.Fatalf("HTTP edit form: %d", f.status)
	}
	if p := admin.post(hp+"/edit", url.Values{"version": {"1"}, "name": {"Checks renamed"}}); p.status != http.StatusSeeOther {
		t.Fatalf("rename: %d %s", p.status, p.body)
	}
}
