package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// On the agent's incident page the category learnt from resolved
// incidents is offered beside the articles; it is set only by the click.
func TestIncidentPageOffersKnowledge(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	agent := s.signedIn("agent")
	made := agent.post("/incidents", url.Values{"title": {"VPN drops every few minutes in the Lyon office"}, "impact": {"medium"}, "urgency": {"medium"}})
	if made.status != http.StatusSeeOther {
		t.Fatalf("raise: %d %s", made.status, made.body)
	}
	number := strings.TrimPrefix(made.location, "/incidents/")
	pg := agent.get(made.location)
	if !strings.Contains(pg.body, `id="knowledge"`) || !strings.Contains(pg.body, "VPN keeps disconnecting or is slow") {
		t.Fatalf("the incident page has no knowledge panel with the VPN article")
	}
	if !regexp.MustCompile(`Category: <strong>network</strong> \(\d+ %\)`).MatchString(pg.body) {
		t.Errorf("no category suggestion on the page")
	}
	if !strings.Contains(pg.body, "/articles/KB-000002?from="+number) {
		t.Errorf("article links do not carry the incident")
	}
	inc := s.incident(t, number)
	var cat string
	if err := s.app.DB.QueryRow(ctx, "SELECT category FROM incidents WHERE id = ?", inc.ID).Scan(&cat); err != nil || cat != "" {
		t.Fatalf("category before the click: %q (%v)", cat, err)
	}
	res := agent.post("/incidents/"+number+"/suggested", url.Values{"field": {"category"}, "value": {"network"}, "version": {versionOf(t, pg)}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("apply: %d", res.status)
	}
	if err := s.app.DB.QueryRow(ctx, "SELECT category FROM incidents WHERE id = ?", inc.ID).Scan(&cat); err != nil || cat != "network" {
		t.Errorf("category after the click: %q (%v)", cat, err)
	}
	// A requester may not apply suggestions, nor publish.
	rq := s.signedIn("requester")
	if res := rq.post("/incidents/"+number+"/suggested", url.Values{"field": {"category"}, "value": {"x"}, "version": {"1"}}); res.status != http.StatusForbidden {
		t.Errorf("requester applied a suggestion: %d", res.status)
	}
	if res := rq.post("/articles/KB-000001/retire", nil); res.status != http.StatusForbidden {
		t.Errorf("requester retired an article: %d", res.status)
	}
	if res := agent.post("/articles/KB-000001/retire", nil); res.status != http.StatusForbidden {
		t.Errorf("agent retired an article: %d", res.status)
	}
	// Requesters see their help articles, not agents' ones nor drafts.
	list := rq.get("/articles")
	if !strings.Contains(list.body, "Set up or resync your VPN token") || strings.Contains(list.body, "ERP invoice run") || strings.Contains(list.body, "Badge reader") {
		t.Errorf("the requester's help articles are wrong")
	}
	if res := rq.get("/articles/KB-000013"); res.status != http.StatusNotFound {
		t.Errorf("requester reads an agents' article: %d", res.status)
	}
	if res := rq.get("/articles/suggest?q=erp+invoice"); strings.Contains(res.body, "ERP") {
		t.Errorf("requester suggested an agents' article: %s", res.body)
	}
}
