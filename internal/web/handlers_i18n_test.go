package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// The assurance cards of a service's page, whose words the handlers
// write, read in German for someone who reads German and in English for
// someone who reads English; so does the page for a missing record.
func TestServiceAssuranceCardsInGerman(t *testing.T) {
	s := newSite(t)
	var id int64
	if err := s.app.DB.QueryRow(context.Background(), "SELECT id FROM services WHERE name = 'Network'").Scan(&id); err != nil {
		t.Fatal(err)
	}
	path := "/services/" + strconv.FormatInt(id, 10)
	english := []string{"Availability report", "Over the last 30 days, against a target of 99.95 % (round the clock).", "down in 1 outage.",
		"Capacity of this service", "Continuity plan →", "Last test ", ": RTO met, RPO met.",
		"Costs of this service", "EUR left."}
	en := s.signedIn("auditor").get(path)
	if en.status != http.StatusOK {
		t.Fatalf("%s in English: %d", path, en.status)
	}
	for _, w := range english {
		if !strings.Contains(en.body, w) {
			t.Errorf("%s in English lacks %q", path, w)
		}
	}
	de := s.signedIn("agent")
	if p := de.post("/profile", url.Values{"time_zone": {"Europe/Berlin"}, "locale": {"de-DE"}, "language": {"de"}}); p.status != http.StatusSeeOther {
		t.Fatalf("choosing German: %d", p.status)
	}
	p := de.get(path)
	if p.status != http.StatusOK {
		t.Fatalf("%s in German: %d", path, p.status)
	}
	for _, w := range []string{">Verfügbarkeit<", "Verfügbarkeitsbericht →", "In den letzten 30 Tagen, gemessen an einem Ziel von 99.95 % (rund um die Uhr).",
		"ausgefallen bei 1 Ausfall.", ">Kapazität<", "Kapazität dieses Dienstes →", ">Kontinuität<", "Kontinuitätsplan →",
		"Letzter Test am ", ": RTO erreicht, RPO erreicht.", ">Kosten<", "Kosten dieses Dienstes →", "EUR verbleibend."} {
		if !strings.Contains(p.body, w) {
			t.Errorf("%s in German lacks %q", path, w)
		}
	}
	for _, g := range english {
		if strings.Contains(p.body, g) {
			t.Errorf("%s in German still reads %q", path, g)
		}
	}
	if p := de.get("/services/999999"); p.status != http.StatusNotFound || !strings.Contains(p.body, "Nicht gefunden") ||
		!strings.Contains(p.body, "Diese Seite gibt es nicht") || strings.Contains(p.body, "There is no such page") {
		t.Errorf("a missing page in German: %d", p.status)
	}
}
