package web_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"steward/internal/app"
	"steward/internal/config"
	"steward/internal/jobs"
	"steward/internal/store"
)

// newRatingSite is the demo site served where its --base-url says, so
// that the links its e-mail carries lead back to it.
func newRatingSite(t *testing.T) *site {
	t.Helper()
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Config{DataDir: t.TempDir(), CookieSecure: "auto", LogLevel: "error", LogFormat: "text",
		BaseURL: "http://" + ln.Addr().String()}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := app.OpenStore(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	a := app.New(cfg, db, log)
	if err := a.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(a.Handler())
	ts.Listener.Close()
	ts.Listener = ln
	ts.Start()
	t.Cleanup(ts.Close)
	return &site{t: t, app: a, url: ts.URL}
}

// surveyMail writes the mail of the survey about ref, as the dispatcher
// does, and returns its id and both parts as they will be sent.
func (s *site) surveyMail(t *testing.T, ref string) (id int64, html, text string) {
	t.Helper()
	ctx := context.Background()
	if err := s.app.Mail.Dispatch(ctx, jobs.Job{}); err != nil {
		t.Fatal(err)
	}
	err := s.app.DB.QueryRow(ctx, "SELECT id, html_body, text_body FROM mail_outbox WHERE kind = 'survey' AND record_ref = ?", ref).
		Scan(&id, &html, &text)
	if err != nil {
		t.Fatalf("no survey mail about %s: %v", ref, err)
	}
	return id, html, text
}

var rateLink = regexp.MustCompile(`(http://127\.0\.0\.1:\d+/surveys/r/[A-Za-z0-9_-]{43})\?rating=(\d)`)

// ratingLinks are the one-click links of a message, by rating, and the
// link without a rating; it fails unless there are exactly five, 1 to 5,
// all to the same survey.
func ratingLinks(t *testing.T, body string) (byRating map[string]string, base string) {
	t.Helper()
	byRating = map[string]string{}
	for _, m := range rateLink.FindAllStringSubmatch(body, -1) {
		if base != "" && m[1] != base {
			t.Fatalf("the links name two surveys: %s and %s", base, m[1])
		}
		base = m[1]
		if byRating[m[2]] != "" {
			t.Fatalf("rating %s is linked twice", m[2])
		}
		byRating[m[2]] = m[0]
	}
	if len(byRating) != 5 || byRating["1"] == "" || byRating["5"] == "" {
		t.Fatalf("want five rating links, 1 to 5; found %v in\n%s", byRating, body)
	}
	return byRating, base
}

func (s *site) surveyAnswer(t *testing.T, incidentID int64) (rating *int, comment string) {
	t.Helper()
	err := s.app.DB.QueryRow(context.Background(), `SELECT rating, comment FROM satisfaction_surveys
		WHERE ticket_kind = 'incident' AND ticket_id = ?`, incidentID).Scan(&rating, &comment)
	if err != nil {
		t.Fatal(err)
	}
	return rating, comment
}

// stranger is a browser without a session, as someone clicking a link in
// their mail program is.
func (s *site) stranger() *http.Client {
	return &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func linkFetch(t *testing.T, c *http.Client, method, target string, form url.Values, origin string) page {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, target, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", origin)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, location: res.Header.Get("Location"), body: string(b)}
}

// The survey's e-mail carries five one-click rating links and a link to
// comment; opening one records nothing (a link checker's GET), the page's
// POST records it once, the comment follows once; other links are
// refused with a page saying why; the outbox never shows the links.
func TestRatingLinkPages(t *testing.T) {
	s := newRatingSite(t)
	ctx := context.Background()
	inc, _ := s.resolvedFor(t, "Projector in room 4 flickers")
	msgID, html, text := s.surveyMail(t, inc.Number)
	links, base := ratingLinks(t, html)
	if textLinks, textBase := ratingLinks(t, text); textBase != base || textLinks["4"] != links["4"] {
		t.Fatalf("the text part links %v, the HTML part %v", textLinks, links)
	}
	if !strings.Contains(html, `href="`+base+`"`) || !strings.Contains(text, "Rate with a comment: "+base+"\n") {
		t.Fatalf("the message lacks the link to rate with a comment")
	}
	shown, err := s.app.Mail.Get(ctx, msgID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(shown.Text+shown.HTML, strings.TrimPrefix(base, s.url)) || !strings.Contains(shown.Text, "/surveys/r/(hidden)?rating=4") {
		t.Fatalf("the outbox shows the rating links: %s", shown.Text)
	}

	c := s.stranger()
	for range 2 {
		pg := linkFetch(t, c, "GET", links["4"], nil, "")
		if pg.status != http.StatusOK || !strings.Contains(pg.body, "Rate "+inc.Number+": <span class=\"csat-stars\" id=\"csat-link-stars\">★★★★☆</span>") ||
			!strings.Contains(pg.body, `value="4" checked`) || !strings.Contains(pg.body, `data-autosend="yes"`) ||
			!strings.Contains(pg.body, "Send rating") || !strings.Contains(pg.body, "csat_token.js") {
			t.Fatalf("the rating page: %d\n%s", pg.status, pg.body)
		}
	}
	if r, _ := s.surveyAnswer(t, inc.ID); r != nil {
		t.Fatal("opening a rating link recorded a rating")
	}
	if pg := linkFetch(t, c, "GET", base, nil, ""); strings.Contains(pg.body, "data-autosend") || strings.Contains(pg.body, " checked") ||
		!strings.Contains(pg.body, `name="comment"`) {
		t.Fatalf("the page without a rating chooses one or sends itself:\n%s", pg.body)
	}

	if pg := linkFetch(t, c, "POST", base, url.Values{"rating": {"4"}}, "https://evil.example"); pg.status != http.StatusForbidden {
		t.Fatalf("a cross-site post: %d", pg.status)
	}
	if pg := linkFetch(t, c, "POST", base, url.Values{"rating": {"0"}}, s.url); pg.status != http.StatusUnprocessableEntity ||
		!strings.Contains(pg.body, "must be a whole number from 1") {
		t.Fatalf("a rating of 0: %d", pg.status)
	}
	done := linkFetch(t, c, "POST", base, url.Values{"rating": {"4"}}, s.url)
	if done.status != http.StatusSeeOther || done.location != strings.TrimPrefix(base, s.url)+"?done=1" {
		t.Fatalf("rating: %d %q", done.status, done.location)
	}
	if r, _ := s.surveyAnswer(t, inc.ID); r == nil || *r != 4 {
		t.Fatalf("the survey holds %v after rating 4", r)
	}
	thanks := linkFetch(t, c, "GET", s.url+done.location, nil, "")
	if !strings.Contains(thanks.body, "Thank you for your rating") || !strings.Contains(thanks.body, "You rated it 4 of 5.") ||
		!strings.Contains(thanks.body, `action="`+strings.TrimPrefix(base, s.url)+`/comment"`) {
		t.Fatalf("after rating:\n%s", thanks.body)
	}
	again := linkFetch(t, c, "POST", base, url.Values{"rating": {"1"}}, s.url)
	if again.status != http.StatusConflict || !strings.Contains(again.body, "You already rated this ticket") {
		t.Fatalf("a second rating: %d", again.status)
	}
	if pg := linkFetch(t, c, "GET", links["2"], nil, ""); !strings.Contains(pg.body, "You already rated this ticket") || strings.Contains(pg.body, "data-autosend") {
		t.Fatalf("another link of the rated survey:\n%s", pg.body)
	}
	if r, _ := s.surveyAnswer(t, inc.ID); *r != 4 {
		t.Fatalf("a second rating changed it to %d", *r)
	}
	if pg := linkFetch(t, c, "POST", base+"/comment", url.Values{"comment": {"Fixed before my meeting."}}, s.url); pg.status != http.StatusSeeOther {
		t.Fatalf("the comment: %d %s", pg.status, pg.body)
	}
	if _, cm := s.surveyAnswer(t, inc.ID); cm != "Fixed before my meeting." {
		t.Fatalf("the survey's comment is %q", cm)
	}
	if pg := linkFetch(t, c, "POST", base+"/comment", url.Values{"comment": {"More"}}, s.url); pg.status != http.StatusConflict ||
		strings.Contains(pg.body, `name="comment"`) || !strings.Contains(pg.body, "Fixed before my meeting.") {
		t.Fatalf("a second comment: %d", pg.status)
	}

	// Another survey's link reaches that survey only; once it closed it
	// records nothing; a made-up link is refused.
	other, _ := s.resolvedFor(t, "Docking station does not charge")
	_, otherHTML, _ := s.surveyMail(t, other.Number)
	otherLinks, otherBase := ratingLinks(t, otherHTML)
	if pg := linkFetch(t, c, "GET", otherLinks["1"], nil, ""); !strings.Contains(pg.body, other.Number) || strings.Contains(pg.body, inc.Number) {
		t.Fatal("another survey's link shows the first ticket")
	}
	if _, err := s.app.DB.Exec(ctx, "UPDATE satisfaction_surveys SET expires_at = ? WHERE ticket_kind = 'incident' AND ticket_id = ?",
		store.TS(time.Now().Add(-time.Minute)), other.ID); err != nil {
		t.Fatal(err)
	}
	if pg := linkFetch(t, c, "GET", otherLinks["1"], nil, ""); pg.status != http.StatusGone || !strings.Contains(pg.body, "This survey has closed") ||
		strings.Contains(pg.body, "data-autosend") {
		t.Fatalf("a closed survey's link: %d\n%s", pg.status, pg.body)
	}
	if pg := linkFetch(t, c, "POST", otherBase, url.Values{"rating": {"1"}}, s.url); pg.status != http.StatusGone {
		t.Fatalf("rating a closed survey: %d", pg.status)
	}
	if r, _ := s.surveyAnswer(t, other.ID); r != nil {
		t.Fatal("a closed survey was rated")
	}
	made := s.url + "/surveys/r/" + strings.Repeat("A", 43)
	for _, target := range []string{made + "?rating=5", s.url + "/surveys/r/short"} {
		if pg := linkFetch(t, c, "GET", target, nil, ""); pg.status != http.StatusNotFound || !strings.Contains(pg.body, "This rating link does not work") {
			t.Fatalf("%s: %d\n%s", target, pg.status, pg.body)
		}
	}
	if pg := linkFetch(t, c, "POST", made, url.Values{"rating": {"5"}}, s.url); pg.status != http.StatusNotFound {
		t.Fatalf("rating through a made-up link: %d", pg.status)
	}
}

// A German reader's survey mail is in German, its links the same.
func TestRatingMailInGerman(t *testing.T) {
	s := newRatingSite(t)
	rita, _ := s.userID(t, "requester@steward.demo")
	if _, err := s.app.DB.Exec(context.Background(), `INSERT INTO user_preferences (user_id, language, updated_at) VALUES (?, 'de', ?)
		ON CONFLICT (user_id) DO UPDATE SET language = 'de'`, rita, store.TS(time.Now())); err != nil {
		t.Fatal(err)
	}
	inc, _ := s.resolvedFor(t, "Drucker druckt leer")
	_, html, text := s.surveyMail(t, inc.Number)
	ratingLinks(t, html)
	for _, want := range []string{"Ein Klick auf eine Bewertung genügt", "Sehr gut", "Mit Kommentar bewerten"} {
		if !strings.Contains(text, want) || !strings.Contains(html, want) {
			t.Errorf("the German message lacks %q:\n%s", want, text)
		}
	}
}
