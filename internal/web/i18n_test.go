package web_test

import (
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"steward/internal/i18n"
)

var messageCall = regexp.MustCompile(`\{\{[^}]*?\bt "([^"]+)"`)

// portal are the pages a requester lives in, which read entirely in every
// language offered.
var portal = map[string]bool{
	"layout.html": true, "login.html": true, "error.html": true, "catalog.html": true, "catalog_item.html": true,
	"partials/questions.html": true, "requests.html": true, "notifications.html": true, "profile.html": true, "request.html": true,
	"queue.html": true, "incident_new.html": true, "incident.html": true,
}

// Every message a page asks for is in the catalogue, and the requester's
// pages have each of theirs in every language.
func TestPagesAskOnlyForMessagesInTheCatalogue(t *testing.T) {
	en, err := i18n.IDs("en")
	if err != nil {
		t.Fatal(err)
	}
	root := os.DirFS("templates")
	err = fs.WalkDir(root, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		buf, err := fs.ReadFile(root, path)
		if err != nil {
			return err
		}
		for _, m := range messageCall.FindAllStringSubmatch(string(buf), -1) {
			if _, ok := en[m[1]]; !ok {
				t.Errorf("%s asks for %q, which the catalogue lacks", path, m[1])
			}
			if !portal[path] {
				continue
			}
			for _, l := range i18n.Languages {
				msgs, _ := i18n.IDs(l.Code)
				if _, ok := msgs[m[1]]; !ok {
					t.Errorf("%s: %q has no %s text", path, m[1], l.Name)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A requester who chooses German reads the portal in German; one who
// chose nothing reads their browser's language; anything else offered
// is refused with what to do.
func TestRequesterReadsTheirLanguage(t *testing.T) {
	s := newSite(t)
	rq := s.signedIn("requester")
	if p := rq.get("/catalog"); !strings.Contains(p.body, "Request catalogue") || !strings.Contains(p.body, `<html lang="en">`) {
		t.Fatalf("the catalogue in English: %d", p.status)
	}
	if p := rq.post("/profile", url.Values{"time_zone": {"Europe/Berlin"}, "locale": {"en-GB"}, "language": {"tlh"}}); p.status != http.StatusUnprocessableEntity ||
		!strings.Contains(p.body, "one of the languages offered") {
		t.Fatalf("a language not offered: %d", p.status)
	}
	p := rq.post("/profile", url.Values{"time_zone": {"Europe/Berlin"}, "locale": {"de-DE"}, "language": {"de"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("choosing German: %d %s", p.status, p.body)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	if p := rq.get(p.location); !strings.Contains(p.body, "Gespeichert.") || !strings.Contains(p.body, "Sprache") ||
		!strings.Contains(p.body, "Jetzt ist es "+time.Now().In(berlin).Format("02.01.2006")) {
		t.Errorf("the profile after saving does not say so in German, with the date as Germans write it")
	}
	cat := rq.get("/catalog")
	for _, want := range []string{`<html lang="de">`, "Anfragekatalog", "Wählen Sie, was Sie brauchen", ">Anfragen<", "Abmelden"} {
		if !strings.Contains(cat.body, want) {
			t.Errorf("the German catalogue lacks %q", want)
		}
	}
	if strings.Contains(cat.body, "Sign out") || strings.Contains(cat.body, "Pick what you need") {
		t.Error("the German catalogue still has English")
	}
	mine := rq.get("/requests")
	if !strings.Contains(mine.body, "Meine Anfragen") || !strings.Contains(mine.body, "Jeder Status") {
		t.Errorf("my requests in German: %d", mine.status)
	}
	if m := regexp.MustCompile(`href="/requests/(REQ-\d+)"`).FindStringSubmatch(mine.body); m == nil {
		t.Error("the demo requester has no request to open")
	} else if p := rq.get("/requests/" + m[1]); !strings.Contains(p.body, "Verlauf") || !strings.Contains(p.body, "Eingereicht") ||
		strings.Contains(p.body, ">Activity<") {
		t.Errorf("a request in German: %d", p.status)
	}

	if p := rq.get("/"); !strings.Contains(p.body, "Störung melden") || !strings.Contains(p.body, "Störungen durchsuchen") {
		t.Errorf("my incidents in German: %d", p.status)
	}
	if p := rq.get("/incidents/new"); !strings.Contains(p.body, "Was funktioniert nicht?") || !strings.Contains(p.body, ">Niedrig<") {
		t.Errorf("raising an incident in German: %d", p.status)
	}
	if p := rq.post("/incidents", url.Values{"title": {""}, "impact": {"medium"}, "urgency": {"medium"}}); p.status != http.StatusUnprocessableEntity ||
		!strings.Contains(p.body, "Dieses Feld ist erforderlich.") || !strings.Contains(p.body, "Einige Felder brauchen Ihre Aufmerksamkeit") {
		t.Errorf("a missing title, told in German: %d", p.status)
	}
	if p := rq.get("/requests/REQ-999999"); p.status != http.StatusNotFound || !strings.Contains(p.body, "Nicht gefunden") {
		t.Errorf("a missing page in German: %d", p.status)
	}

	// A notification reads in the language of whoever reads it, though it
	// was written once.
	agent := s.signedIn("agent")
	ritaID, _ := s.userID(t, "requester@steward.demo")
	made := agent.post("/incidents", url.Values{"title": {"Drucker im 2. Stock"}, "requester_id": {strconv.FormatInt(ritaID, 10)}})
	if made.status != http.StatusSeeOther {
		t.Fatalf("raise for the requester: %d", made.status)
	}
	number := strings.TrimPrefix(made.location, "/incidents/")
	page := agent.get(made.location)
	if p := agent.post(made.location+"/resolve", url.Values{"version": {versionOf(t, page)}, "resolution_code": {"fixed"},
		"resolution_notes": {"Toner getauscht."}}); p.status != http.StatusSeeOther {
		t.Fatalf("resolve: %d", p.status)
	}
	if p := rq.get("/notifications"); !strings.Contains(p.body, "Gelöst: "+number+" Drucker im 2. Stock") ||
		!strings.Contains(p.body, "Bestätigen Sie die Lösung") || strings.Contains(p.body, "Resolved: "+number) {
		t.Errorf("the resolution's notice in German")
	}
	if p := rq.post("/profile", url.Values{"time_zone": {"Europe/Berlin"}, "locale": {"de-DE"}, "language": {"en"}}); p.status != http.StatusSeeOther {
		t.Fatalf("back to English: %d", p.status)
	}
	if p := rq.get("/notifications"); !strings.Contains(p.body, "Resolved: "+number+" Drucker im 2. Stock") ||
		!strings.Contains(p.body, "Confirm the resolution if all works again") {
		t.Errorf("the same notice in English")
	}

	// Before signing in, and for people who chose nothing, the browser's
	// language decides.
	b := s.browser()
	req, _ := http.NewRequest(http.MethodGet, s.url+"/login", nil)
	req.Header.Set("Accept-Language", "de-CH, de;q=0.9, en;q=0.5")
	if p := b.do(req); !strings.Contains(p.body, "Passwort") || !strings.Contains(p.body, "Anmelden") {
		t.Errorf("the sign-in page for a German browser: %d", p.status)
	}
	if p := b.get("/login"); !strings.Contains(p.body, "Password") {
		t.Errorf("the sign-in page for a browser that asks for nothing: %d", p.status)
	}
	// An agent who chose no language keeps English pages.
	if p := s.signedIn("agent").get("/requests"); !strings.Contains(p.body, "Any state") {
		t.Error("an agent's requests page is not in English")
	}
}

var redirectNotice = regexp.MustCompile(`redirect\(w, r, [^\n]*?, "([a-z-]+)(?::[^"]*)?"\)`)

// Every notice a form's answer names is in the catalogue: a missing one
// would be dropped without a word.
func TestNoticesAreInTheCatalogue(t *testing.T) {
	en, err := i18n.IDs("en")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, f := range files {
		buf, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range redirectNotice.FindAllStringSubmatch(string(buf), -1) {
			seen++
			if _, ok := en["flash."+m[1]]; !ok {
				t.Errorf("%s: the notice %q is not in the catalogue", f, m[1])
			}
		}
	}
	if seen < 20 {
		t.Fatalf("found only %d notices: the pattern no longer matches the code", seen)
	}
}
