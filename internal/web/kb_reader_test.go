package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The auditor reads an article without the "did this help?" form, and
// an answer sent anyway is refused and changes nothing.
func TestKbAuditorGivesNoFeedback(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	aud := s.signedIn("auditor")
	pg := aud.get("/articles/KB-000001")
	if pg.status != http.StatusOK {
		t.Fatalf("auditor reads the article: %d", pg.status)
	}
	if strings.Contains(pg.body, `action="/articles/KB-000001/feedback"`) {
		t.Errorf("the auditor is offered the feedback form")
	}
	count := func() (n int) {
		t.Helper()
		if err := s.app.DB.QueryRow(ctx, "SELECT COUNT(*) FROM kb_feedback WHERE article_id = 1").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	if res := aud.post("/articles/KB-000001/feedback", url.Values{"helpful": {"no"}, "comment": {"audit"}}); res.status != http.StatusForbidden {
		t.Errorf("auditor's answer: %d, want 403", res.status)
	}
	if after := count(); after != before {
		t.Errorf("the auditor's answer was stored: %d answers, were %d", after, before)
	}
	rq := s.signedIn("requester")
	if !strings.Contains(rq.get("/articles/KB-000001").body, `action="/articles/KB-000001/feedback"`) {
		t.Errorf("the requester is not offered the feedback form")
	}
}

var kbViews = regexp.MustCompile(`· (\d+) (views?)</span>`)

// The author opening a new article counts no view; a reader counts one,
// "1 view", however often they reload it that day.
func TestKbViewsCountReadersOnce(t *testing.T) {
	s := newSite(t)
	agent := s.signedIn("agent")
	made := agent.post("/articles", url.Values{"title": {"Map a network drive"}, "body": {"Open Explorer."}, "audience": {"requesters"}, "then": {"submit"}})
	if made.status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", made.status, made.body)
	}
	views := func(b *browser) string {
		t.Helper()
		m := kbViews.FindStringSubmatch(b.get(made.location).body)
		if m == nil {
			t.Fatalf("no view count on the article's page")
		}
		return m[1] + " " + m[2]
	}
	if got := views(agent); got != "0 views" {
		t.Errorf("the author's own opening: %q", got)
	}
	admin := s.signedIn("admin")
	if got := views(admin); got != "1 view" {
		t.Errorf("first reader: %q", got)
	}
	if got := views(admin); got != "1 view" {
		t.Errorf("the same reader reloading: %q", got)
	}
	if got := views(agent); got != "1 view" {
		t.Errorf("the author again: %q", got)
	}
}

// A review date in the past is refused on the editor, naming the field
// and keeping what was typed.
func TestKbReviewDateInThePast(t *testing.T) {
	s := newSite(t)
	agent := s.signedIn("agent")
	past := time.Now().AddDate(0, 0, -3).Format("2006-01-02")
	res := agent.post("/articles", url.Values{"title": {"Request a new laptop"}, "body": {"Use the catalogue."}, "audience": {"requesters"}, "review_date": {past}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("create with a past review date: %d", res.status)
	}
	field := regexp.MustCompile(`(?s)<div class="field has-error">\s*<label for="kb-review">Review by</label>.*?Review date ` + past + ` is in the past: pick a future date`)
	if !field.MatchString(res.body) {
		t.Errorf("the review date field does not say to pick a future date:\n%s", res.body)
	}
	if !strings.Contains(res.body, `value="`+past+`"`) || !strings.Contains(res.body, "Request a new laptop") {
		t.Errorf("what was typed is lost")
	}
	// An article in review whose date passed meanwhile is not published
	// until the date moves on.
	ctx := context.Background()
	var id int64
	if err := s.app.DB.QueryRow(ctx, "SELECT id FROM kb_articles WHERE state = 'review' ORDER BY id LIMIT 1").Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.app.DB.Exec(ctx, "UPDATE kb_articles SET review_date = ? WHERE id = ?", past, id); err != nil {
		t.Fatal(err)
	}
	number := fmt.Sprintf("KB-%06d", id)
	admin := s.signedIn("admin")
	admin.get("/articles/" + number)
	res = admin.post("/articles/"+number+"/publish", nil)
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, "Review date "+past+" is in the past: edit the article and pick a future date before publishing it.") {
		t.Errorf("publishing with a past review date: %d", res.status)
	}
	// The demo's overdue article is still edited with its date as it is.
	var late int64
	var date, audience string
	if err := s.app.DB.QueryRow(ctx, "SELECT id, review_date, audience FROM kb_articles WHERE state = 'published' AND review_date < ? ORDER BY id LIMIT 1",
		time.Now().Format("2006-01-02")).Scan(&late, &date, &audience); err != nil {
		t.Fatal(err)
	}
	lateNumber := fmt.Sprintf("KB-%06d", late)
	form := agent.get("/articles/" + lateNumber + "/edit")
	res = agent.post("/articles/"+lateNumber+"/edit", url.Values{"version": {versionOf(t, form)}, "title": {"Badge reader at the side door"},
		"body": {"Hold the badge flat."}, "audience": {audience}, "review_date": {date}, "owner_id": {""}, "then": {"save"}})
	if res.status != http.StatusSeeOther {
		t.Errorf("editing an overdue article with its date unchanged: %d %s", res.status, res.body)
	}
}
