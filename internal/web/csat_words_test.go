package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// A low rating says before and after that the desk follows it up with a
// complaint; the complaint tells how it came in, in its history and in
// the requester's list, and its header says "Received" once.
func TestComplaintTellsHowItCameIn(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	inc, link := s.resolvedFor(t, "Monitor flickers after the update")
	rita := s.signedIn("requester")
	if pg := rita.get(link); !strings.Contains(pg.body, "A rating of 2 or lower: the service desk follows it up with a complaint you can follow under My complaints.") {
		t.Errorf("the survey does not say a low rating opens a complaint")
	}
	done := rita.post(link, url.Values{"rating": {"2"}})
	if done.status != http.StatusSeeOther {
		t.Fatalf("rating: %d", done.status)
	}
	after := rita.get(done.location)
	if !strings.Contains(after.body, "Thank you for your rating. The service desk follows it up with a complaint you can follow under My complaints.") {
		t.Errorf("after a low rating the page does not say a complaint follows")
	}
	var cmp string
	if err := s.app.DB.QueryRow(ctx, "SELECT 'CMP-' || substr('000000' || id, -6) FROM complaints WHERE related_id = ?", inc.ID).Scan(&cmp); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(after.body, `<a href="/complaints/`+cmp+`">`) {
		t.Errorf("the rated incident does not link the requester to %s", cmp)
	}
	pg := rita.get("/complaints/" + cmp)
	if want := "Opened from a rating of 2 of 5 on " + inc.Number; !strings.Contains(pg.body, want) {
		t.Errorf("the history lacks %q", want)
	}
	if strings.Contains(pg.body, "received the complaint") || strings.Contains(pg.body, "Received · Received") {
		t.Errorf("the complaint still reads \"received the complaint\" or \"Received · Received\"")
	}
	// Rita raises one herself; the desk raises one for her customer.
	own := rita.post("/complaints", url.Values{"title": {"Nobody called back"}, "description": {"I waited all week."}})
	if own.status != http.StatusSeeOther {
		t.Fatalf("raise: %d %s", own.status, own.body)
	}
	if pg := rita.get(own.location); !strings.Contains(pg.body, "<strong>Rita Requester</strong> raised the complaint") {
		t.Errorf("her own complaint's history does not say she raised it")
	}
	_, cust := s.userID(t, "requester@steward.demo")
	agent := s.signedIn("agent")
	desk := agent.post("/complaints", url.Values{"title": {"Invoice sent twice"}, "customer_id": {itoa(cust)}})
	if desk.status != http.StatusSeeOther {
		t.Fatalf("the desk raises one: %d %s", desk.status, desk.body)
	}
	list := rita.get("/complaints")
	for number, want := range map[string]string{cmp: "From your rating", strings.TrimPrefix(own.location, "/complaints/"): "Raised by you",
		strings.TrimPrefix(desk.location, "/complaints/"): "Raised by the desk"} {
		row := regexp.MustCompile(`(?s)<tr id="complaint-\d+">\s*<td class="cmp-title"><a href="/complaints/` + number + `">.*?</tr>`).FindString(list.body)
		if !strings.Contains(row, want) {
			t.Errorf("%s on the requester's list: want %q in %q", number, want, row)
		}
	}
}

// In German the requester's complaint history names the fields in
// German, and the bar's "My complaints" is translated.
func TestComplaintHistoryInGerman(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	inc, link := s.resolvedFor(t, "Docking station drops the screen")
	rita := s.signedIn("requester")
	if res := rita.post(link, url.Values{"rating": {"1"}}); res.status != http.StatusSeeOther {
		t.Fatalf("rating: %d", res.status)
	}
	var cmp string
	if err := s.app.DB.QueryRow(ctx, "SELECT 'CMP-' || substr('000000' || id, -6) FROM complaints WHERE related_id = ?", inc.ID).Scan(&cmp); err != nil {
		t.Fatal(err)
	}
	agent := s.signedIn("agent")
	if res := agent.post("/complaints/"+cmp, url.Values{"version": {"1"}, "title": {"Low rating"}, "target_on": {"2030-01-01"}, "move": {"investigating"}}); res.status != http.StatusSeeOther {
		t.Fatalf("start investigating: %d %s", res.status, res.body)
	}
	if res := rita.post("/profile", url.Values{"time_zone": {"Europe/Berlin"}, "locale": {"de-DE"}, "language": {"de"}}); res.status != http.StatusSeeOther {
		t.Fatalf("choosing German: %d", res.status)
	}
	pg := rita.get("/complaints/" + cmp)
	for _, want := range []string{"Status → In Prüfung", "Zieldatum", "Titel", ">Meine Beschwerden<", "Aus einer Bewertung mit 1 von 5 zu " + inc.Number} {
		if !strings.Contains(pg.body, want) {
			t.Errorf("the German complaint page lacks %q", want)
		}
	}
	for _, english := range []string{"State →", "Target date", ">My complaints<"} {
		if strings.Contains(pg.body, english) {
			t.Errorf("the German complaint page still says %q", english)
		}
	}
}
