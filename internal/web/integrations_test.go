package web_test

import (
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

var routingKey = regexp.MustCompile(`id="routing-key" class="mono" readonly value="([0-9a-f]{32})"`)

func TestIntegrationPages(t *testing.T) {
	s := newSite(t)
	admin := s.signedIn("admin")

	// Who may see and who may change.
	for _, c := range []struct {
		role, path string
		status     int
	}{
		{"admin", "/integrations", 200}, {"agent", "/integrations", 200}, {"requester", "/integrations", 403},
		{"auditor", "/integrations", 200}, {"agent", "/integrations/new", 403}, {"auditor", "/integrations/new", 403}, {"admin", "/integrations/new", 200},
	} {
		if p := s.signedIn(c.role).get(c.path); p.status != c.status {
			t.Errorf("%s GET %s: %d, want %d", c.role, c.path, p.status, c.status)
		}
	}
	if p := s.browser().get("/integrations"); p.status != http.StatusSeeOther {
		t.Errorf("anonymous: %d, want a redirect to sign in", p.status)
	}

	// Errors come back on the form with what was typed.
	p := admin.post("/integrations", url.Values{"name": {"Plant floor"}, "kind": {"mqtt"}, "url": {"http://broker"},
		"topics": {"plant/#\nplant/+/alarm"}, "mapping": {"ci = $topic[2]\nthis is wrong"}})
	if p.status != 422 || !strings.Contains(p.body, "Line 2: write field = path") || !strings.Contains(p.body, `value="Plant floor"`) ||
		!strings.Contains(p.body, "plant/&#43;/alarm") {
		t.Fatalf("bad mapping: %d %s", p.status, p.body)
	}
	p = admin.post("/integrations", url.Values{"name": {"Plant floor"}, "kind": {"mqtt"}, "url": {"http://broker"}, "topics": {"plant/#"}})
	if p.status != 422 || !strings.Contains(p.body, "must start with tcp://") {
		t.Fatalf("bad broker URL: %d %s", p.status, p.body)
	}

	// An MQTT integration: a mosquitto_pub line and the settings, and no
	// routing key, which a broker integration does not use.
	p = admin.post("/integrations", url.Values{"name": {"Plant floor"}, "kind": {"mqtt"}, "url": {"tcp://127.0.0.1:1883"},
		"topics": {"plant/#\r\nplant/+/alarm\r\n"}, "mapping": {"ci = $topic[2]\nseverity ALARM = critical"}})
	if p.status != 200 || routingKey.MatchString(p.body) || !strings.Contains(p.body, "mosquitto_pub -h 127.0.0.1 -p 1883 -q 1 -t &#39;plant/router-1&#39;") {
		t.Fatalf("created mqtt: %d %s", p.status, p.body)
	}
	it := integrationNamed(t, s, "Plant floor")
	if it.Name != "Plant floor" || len(it.Topics) != 2 || it.Mapping == nil || it.Mapping.Fields["ci"] != "$topic[2]" ||
		it.Mapping.Severities["ALARM"] != "critical" {
		t.Fatalf("stored: %+v", it)
	}

	// An Alertmanager integration shows its webhook_config; its page later
	// shows no key.
	p = admin.post("/integrations", url.Values{"name": {"Prometheus"}, "kind": {"alertmanager"}})
	m := routingKey.FindStringSubmatch(p.body)
	if m == nil || !strings.Contains(p.body, "/api/v1/webhooks/alertmanager?key="+m[1]) || !strings.Contains(p.body, "send_resolved: true") ||
		!strings.Contains(p.body, "authorization:\n            credentials: &#39;"+m[1]+"&#39;") {
		t.Fatalf("created alertmanager: %d %s", p.status, p.body)
	}
	am, _ := s.app.Events.ByKey(t.Context(), m[1])
	page := "/integrations/" + itoa(am.ID)
	if p := s.signedIn("agent").get(page); p.status != 200 || strings.Contains(p.body, m[1]) || !strings.Contains(p.body, "YOUR-ROUTING-KEY") ||
		strings.Contains(p.body, "Replace routing key") {
		t.Fatalf("agent's view: %d %s", p.status, p.body)
	}

	// Rotation shows the new key; deactivation stops it.
	p = admin.post(page+"/rotate-key", url.Values{})
	fresh := routingKey.FindStringSubmatch(p.body)
	if fresh == nil || fresh[1] == m[1] || !strings.Contains(p.body, "The old key no longer works") {
		t.Fatalf("rotate: %d %s", p.status, p.body)
	}
	if _, err := s.app.Events.ByKey(t.Context(), m[1]); err == nil {
		t.Fatal("the old key still works")
	}
	if p := s.signedIn("agent").post(page+"/deactivate", url.Values{}); p.status != 403 {
		t.Fatalf("agent deactivates: %d", p.status)
	}
	if p := admin.post(page+"/deactivate", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("deactivate: %d %s", p.status, p.body)
	}
	if _, err := s.app.Events.ByKey(t.Context(), fresh[1]); err == nil {
		t.Fatal("a deactivated integration's key still works")
	}
	if p := admin.get(page); !strings.Contains(p.body, "Its events and alerts are kept") || !strings.Contains(p.body, "Reactivate") {
		t.Fatalf("after deactivation: %s", p.body)
	}
	if p := admin.get("/integrations"); !strings.Contains(p.body, "Deactivated") || !strings.Contains(p.body, "Not connected yet") {
		t.Fatalf("list: %s", p.body)
	}
}

// In a real browser, an admin creates an HTTP integration, sees its
// routing key and a curl line that uses it, and finds it in the list.
func TestBrowserIntegration(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	shots := os.Getenv("STEWARD_SCREENSHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tb := openTab(t, bin, s.url, shots)
	tb.do(chromedp.EmulateViewport(1366, 900))
	tb.login("admin@steward.demo")
	tb.do(chromedp.Navigate(s.url+"/integrations/new"), chromedp.WaitVisible(chromedp.CSS("#int-name")))
	shown := func(sel string) bool {
		t.Helper()
		v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`document.querySelector("`+sel+`").checkVisibility()`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if shown("#int-url") {
		t.Error("the broker fields show for an HTTP integration")
	}
	tb.do(chromedp.SetValue(chromedp.CSS("#int-kind"), "nats"))
	if !shown("#int-stream") || !shown("#int-subjects") || shown("#int-topics") {
		t.Error("a NATS integration should show the stream and subjects and hide MQTT topics")
	}
	tb.shot("integration-new")
	tb.do(chromedp.SetValue(chromedp.CSS("#int-kind"), "http"), chromedp.SendKeys(chromedp.CSS("#int-name"), "Shop floor sensors"))
	tb.navigates(chromedp.Click(chromedp.CSS(`.int-form button[type="submit"]`)))
	tb.do(chromedp.WaitVisible(chromedp.CSS("#routing-key")))
	key, err := chromedp.Run(tb.ctx, chromedp.Value(chromedp.CSS("#routing-key")))
	if err != nil || !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(key) {
		t.Fatalf("routing key %q: %v", key, err)
	}
	if ex := tb.text("#example-0"); !strings.Contains(ex, "X-Routing-Key: "+key) || !strings.Contains(ex, s.url+"/api/v1/events") {
		t.Errorf("curl example: %q", ex)
	}
	tb.shot("integration-key")
	tb.do(chromedp.Navigate(s.url+"/integrations"), chromedp.WaitVisible(chromedp.CSS(".int-list")))
	if row := tb.text(".int-list tbody"); !strings.Contains(row, "Shop floor sensors") || !strings.Contains(row, "…"+key[28:]) {
		t.Errorf("list: %q", row)
	}
	tb.shot("integrations")
}
