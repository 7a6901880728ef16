package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
)

const eventSettingsURL = "/integrations/settings"

var esTag = regexp.MustCompile(`name="tag" value="([0-9a-f]+)"`)

// esForm is the settings form as the page fills it, ready to post.
func esForm(t *testing.T, body string) url.Values {
	t.Helper()
	m := esTag.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no tag in the form: %s", body)
	}
	return url.Values{"tag": {m[1]}, "sev": {"critical", "major"}, "flap_changes": {"5"}, "flap_window": {"10"},
		"hold_down": {"5"}, "reopen_window": {"0"}, "group_window": {"10"}, "unknown_after": {"60"}, "retention_days": {"30"},
		"off_rows": {"2"}, "rule_rows": {"1"}}
}

func TestEventSettingsPage(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()

	// Who may see and who may change.
	agent := s.signedIn("agent")
	p := agent.get(eventSettingsURL)
	if p.status != http.StatusOK || !strings.Contains(p.body, "Processing settings") {
		t.Fatalf("agent: %d", p.status)
	}
	if strings.Contains(p.body, "Save settings") || !strings.Contains(p.body, `<fieldset class="es-all" disabled>`) {
		t.Fatal("the agent's page offers to save")
	}
	if p := agent.post(eventSettingsURL, url.Values{"hold_down": {"1"}}); p.status != http.StatusForbidden {
		t.Fatalf("agent saves: %d", p.status)
	}
	if p := s.signedIn("requester").get(eventSettingsURL); p.status != http.StatusForbidden {
		t.Fatalf("requester reads: %d", p.status)
	}
	if p := s.signedIn("auditor").get(eventSettingsURL); p.status != http.StatusOK || strings.Contains(p.body, "Save settings") {
		t.Fatalf("auditor reads the settings without a way to save: %d", p.status)
	}
	if p := s.signedIn("auditor").post(eventSettingsURL, url.Values{"hold_down": {"1"}}); p.status != http.StatusForbidden {
		t.Fatalf("auditor saves: %d", p.status)
	}

	admin := s.signedIn("admin")
	p = admin.get(eventSettingsURL)
	if p.status != http.StatusOK || !strings.Contains(p.body, "Save settings") || !strings.Contains(p.body, `<option value="Sensor">Sensor</option>`) {
		t.Fatalf("admin's page: %d", p.status)
	}
	if !strings.Contains(p.body, `href="/integrations/settings" aria-current="page"`) {
		t.Fatal("the nav does not light the page's entry")
	}
	form := esForm(t, p.body)

	// A form from elsewhere is refused.
	noToken := url.Values{"csrf_token": {"forged"}}
	for k, v := range form {
		noToken[k] = v
	}
	if p := admin.post(eventSettingsURL, noToken); p.status != http.StatusForbidden {
		t.Fatalf("without the CSRF token: %d", p.status)
	}

	// Bad entries come back beside their fields, as entered.
	bad := esForm(t, p.body)
	bad.Set("hold_down", "ten")
	bad.Set("flap_changes", "1")
	bad.Set("group_window", "20000")
	bad.Set("off_type_0", "Sensor")
	bad.Set("off_min_0", "0.1")
	bad.Set("off_min_1", "5")
	bad.Set("rule_name_0", "Only a name")
	p = admin.post(eventSettingsURL, bad)
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad entries: %d", p.status)
	}
	for _, frag := range []string{"Nothing was saved", `value="ten"`, "Enter a number of minutes, such as 10 or 1.5.", "Enter between 2 and 20.",
		`value="20000"`, "Enter between 0 and 10080 minutes.", "Enter between 0.2 minutes (10 seconds)", "Choose a CI type for these minutes.",
		`value="Only a name"`, "Choose at least one severity, CI type or criticality"} {
		if !strings.Contains(p.body, frag) {
			t.Errorf("the refused form lacks %s", frag)
		}
	}
	if st, _ := s.app.Events.Settings(ctx); st.HoldDown.D() != 5*time.Minute {
		t.Fatalf("a refused form changed the settings: %+v", st)
	}

	// Good entries are saved, and shown again in minutes.
	good := esForm(t, p.body)
	good.Set("hold_down", "10")
	good.Set("reopen_window", "1,5")
	good.Set("off_type_0", "Sensor")
	good.Set("off_min_0", "15")
	good["sev"] = []string{"critical"}
	good.Set("rule_name_0", "Sensors")
	good["rule_sev_0"] = []string{"minor", "warning"}
	good["rule_type_0"] = []string{"Sensor"}
	good.Set("rule_crit_0", "high")
	if p := admin.post(eventSettingsURL, good); p.status != http.StatusSeeOther || p.location != eventSettingsURL {
		t.Fatalf("save: %d %s", p.status, p.body)
	}
	st, err := s.app.Events.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.HoldDown.D() != 10*time.Minute || st.ReopenWindow.D() != 90*time.Second || st.OfflineAfter["Sensor"] != 900 ||
		len(st.IncidentSeverities) != 1 || len(st.Rules) != 1 || st.Rules[0].MinCriticality != "high" || len(st.Rules[0].Severities) != 2 {
		t.Fatalf("saved: %+v", st)
	}
	p = admin.get(eventSettingsURL)
	for _, frag := range []string{"Processing settings saved.", `name="hold_down" value="10"`, `name="reopen_window" value="1.5"`,
		`name="off_min_0" value="15"`, `<option value="Sensor" selected>Sensor</option>`, `value="Sensors"`, `<option value="high" selected>`} {
		if !strings.Contains(p.body, frag) {
			t.Errorf("the saved page lacks %s", frag)
		}
	}

	// A form opened before someone else saved does not overwrite them.
	opened := esForm(t, p.body)
	st.RetentionDays = 40
	if _, _, err := s.app.Events.SaveSettingsIf(ctx, audit.System, st, ""); err != nil {
		t.Fatal(err)
	}
	opened.Set("hold_down", "20")
	p = admin.post(eventSettingsURL, opened)
	if p.status != http.StatusConflict || !strings.Contains(p.body, "Someone else saved these settings") || !strings.Contains(p.body, `name="hold_down" value="20"`) {
		t.Fatalf("stale form: %d", p.status)
	}
	// Saving that page again replaces the other change on purpose.
	if p := admin.post(eventSettingsURL, esForm(t, p.body)); p.status != http.StatusSeeOther {
		t.Fatalf("save after the conflict: %d %s", p.status, p.body)
	}
	if st, _ := s.app.Events.Settings(ctx); st.RetentionDays != 30 {
		t.Fatalf("after the second save: %+v", st)
	}
}
