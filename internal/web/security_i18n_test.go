package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// An administrator who reads German sees the security pages and the
// Assurance menu in German, with no English words of the pages left; one
// who reads English sees them in English.
func TestSecurityPagesInGerman(t *testing.T) {
	s := newSite(t)
	en := s.signedIn("admin")
	if p := en.get("/controls"); p.status != http.StatusOK || !strings.Contains(p.body, "Controls and Statement of Applicability") ||
		!strings.Contains(p.body, "Not yet implemented") {
		t.Fatalf("/controls in English: %d", p.status)
	}
	de := s.signedIn("admin")
	if p := de.post("/profile", url.Values{"time_zone": {"Europe/Berlin"}, "locale": {"de-DE"}, "language": {"de"}}); p.status != http.StatusSeeOther {
		t.Fatalf("choosing German: %d", p.status)
	}
	pages := map[string]struct{ want, gone []string }{
		"/controls": {
			want: []string{`<html lang="de">`, "<title>Maßnahmen und Erklärung zur Anwendbarkeit · Steward</title>", "<h1>Maßnahmen und Erklärung zur Anwendbarkeit</h1>",
				"Maßnahmen entschieden", "Noch nicht umgesetzt", "Organisatorische: Maßnahmen", "Nachweise",
				">Absicherung<", ">Schwachstellen<", ">Sicherheitsvorfälle<", ">Kapazität<", ">Kapazitätspläne<", ">Nachfrage<", ">Kosten &amp; Budgets<", ">Kosten-Nutzen<", ">Verfügbarkeit<", ">Kontinuität<"},
			gone: []string{"Controls and Statement of Applicability", "controls decided", "Not yet implemented", "Organisational controls", ">Evidence<", ">Assurance<", ">Vulnerabilities<"},
		},
		"/controls/A.5.1": {
			want: []string{"Hier anwendbar?", "Umsetzung", "Nachweis hinzufügen", "Organisatorische: Maßnahme"},
			gone: []string{"Applicable here?", "Add evidence", "How it is implemented"},
		},
		"/vulnerabilities": {
			want: []string{"<h1>Schwachstellen und Exposition</h1>", "exponierte Geräte", "Liste von Sicherheitshinweisen importieren"},
			gone: []string{"Vulnerabilities and exposure", "devices exposed", "Import an advisory list"},
		},
		"/security-incidents": {
			want: []string{"<h1>Sicherheitsvorfälle</h1>", "Sicherheitsvorfall melden", "Personenbezogene Daten"},
			gone: []string{"Report a security incident", "Personal data", "Not yet known"},
		},
		"/security-incidents/new": {
			want: []string{"Auswirkung auf Vertraulichkeit", "Personenbezogene Daten betroffen?", "hier beginnt die 72-Stunden-Frist"},
			gone: []string{"Confidentiality impact", "Became aware at"},
		},
	}
	for path, c := range pages {
		p := de.get(path)
		if p.status != http.StatusOK {
			t.Errorf("%s in German: %d", path, p.status)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(p.body, w) {
				t.Errorf("%s in German lacks %q", path, w)
			}
		}
		for _, g := range c.gone {
			if strings.Contains(p.body, g) {
				t.Errorf("%s in German still reads %q", path, g)
			}
		}
	}
}
