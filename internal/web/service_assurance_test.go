package web_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// Staff who may read the assurance areas (agents and auditors by
// default) see each area's card on a service's page; a requester, who
// may read none of them, sees the service without any.
func TestServiceAssuranceCardsFollowPermissions(t *testing.T) {
	s := newSite(t)
	var id int64
	if err := s.app.DB.QueryRow(context.Background(), "SELECT id FROM services WHERE name = 'Network'").Scan(&id); err != nil {
		t.Fatal(err)
	}
	path := "/services/" + strconv.FormatInt(id, 10)
	cards := []string{`id="assurance-availability"`, `id="assurance-capacity"`, `id="assurance-continuity"`, `id="assurance-costs"`}
	for _, role := range []string{"agent", "auditor"} {
		p := s.signedIn(role).get(path)
		if p.status != http.StatusOK {
			t.Fatalf("%s: %d", role, p.status)
		}
		for _, c := range cards {
			if !strings.Contains(p.body, c) {
				t.Errorf("%s does not see %s", role, c)
			}
		}
	}
	p := s.signedIn("requester").get(path)
	if p.status != http.StatusOK || !strings.Contains(p.body, "<h1>Network</h1>") {
		t.Fatalf("requester: %d", p.status)
	}
	if strings.Contains(p.body, "assurance") {
		t.Errorf("a requester's service page holds assurance cards")
	}
}
