package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestEventSettingsPageSavesGroupByService(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	const box = `name="group_by_service" value="1"`

	agent := s.signedIn("agent")
	p := agent.get(eventSettingsURL)
	if p.status != http.StatusOK || !strings.Contains(p.body, "Also group alerts on CIs that affect the same service") {
		t.Fatalf("agent's page lacks the service grouping: %d", p.status)
	}
	if strings.Contains(p.body, box+` aria-describedby="es-group_by_service-hint" checked`) {
		t.Fatal("grouping by service is ticked in a new installation")
	}
	if p := agent.post(eventSettingsURL, url.Values{"group_by_service": {"1"}}); p.status != http.StatusForbidden {
		t.Fatalf("agent saves: %d", p.status)
	}

	admin := s.signedIn("admin")
	p = admin.get(eventSettingsURL)
	on := esForm(t, p.body)
	on.Set("group_by_service", "1")
	if p := admin.post(eventSettingsURL, on); p.status != http.StatusSeeOther {
		t.Fatalf("tick: %d %s", p.status, p.body)
	}
	if st, err := s.app.Events.Settings(ctx); err != nil || !st.GroupByService {
		t.Fatalf("saved group_by_service %v (%v)", st.GroupByService, err)
	}
	p = admin.get(eventSettingsURL)
	if !strings.Contains(p.body, box+` aria-describedby="es-group_by_service-hint" checked`) {
		t.Fatal("the page does not show the ticked box")
	}

	// A form with an error keeps the tick as entered.
	bad := esForm(t, p.body)
	bad.Set("group_by_service", "1")
	bad.Set("hold_down", "ten")
	if p := admin.post(eventSettingsURL, bad); p.status != http.StatusUnprocessableEntity ||
		!strings.Contains(p.body, box+` aria-describedby="es-group_by_service-hint" checked`) {
		t.Fatalf("refused form: %d", p.status)
	}

	// Unticking turns it off.
	if p := admin.post(eventSettingsURL, esForm(t, p.body)); p.status != http.StatusSeeOther {
		t.Fatalf("untick: %d", p.status)
	}
	if st, _ := s.app.Events.Settings(ctx); st.GroupByService {
		t.Fatal("unticking left grouping by service on")
	}
}
