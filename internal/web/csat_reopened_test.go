package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// A ticket reopened before its requester rated it is not rated while it
// is worked on again: its page offers no rating, the survey's page says
// it was reopened (not "fulfilled", not closed) and a rating sent anyway
// is refused; once it is fulfilled again, one click rates it.
func TestReopenedTicketIsRatedOnceDoneAgain(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	uid, _ := s.userID(t, "requester@steward.demo")
	var survey, req int64
	err := s.app.DB.QueryRow(ctx, `SELECT s.id, r.id FROM satisfaction_surveys s JOIN requests r ON r.id = s.ticket_id
		WHERE s.ticket_kind = 'request' AND s.requester_id = ? AND s.answered_at IS NULL AND r.state = 'in_fulfilment'`, uid).Scan(&survey, &req)
	if err != nil {
		t.Fatalf("the demo has no reopened request awaiting its rating: %v", err)
	}
	number := fmt.Sprintf("REQ-%06d", req)
	rq := s.signedIn("requester")
	if p := rq.get("/requests/" + number); p.status != http.StatusOK || strings.Contains(p.body, "Rate how we did") {
		t.Errorf("the reopened %s offers a rating (%d)", number, p.status)
	}
	path := fmt.Sprintf("/surveys/%d", survey)
	p := rq.get(path)
	if !strings.Contains(p.body, number+" was reopened before you rated it") || strings.Contains(p.body, `name="rating"`) ||
		strings.Contains(p.body, "fulfilled.") {
		t.Errorf("the survey of the reopened %s reads:\n%s", number, between(p.body, `id="csat-heading"`, "</section>"))
	}
	if p := rq.post(path, url.Values{"rating": {"5"}}); p.status != http.StatusConflict {
		t.Errorf("rating the reopened %s: %d, want 409", number, p.status)
	}
	if _, err := s.app.DB.Exec(ctx, "UPDATE requests SET state = 'fulfilled' WHERE id = ?", req); err != nil {
		t.Fatal(err)
	}
	if p := rq.get("/requests/" + number); !strings.Contains(p.body, "Rate how we did") {
		t.Errorf("%s fulfilled again offers no rating", number)
	}
	if p := rq.post(path, url.Values{"rating": {"4"}}); p.status != http.StatusSeeOther {
		t.Errorf("one click on 4 once fulfilled again: %d %s", p.status, between(p.body, "<main", "</main>"))
	}
}

// between is the part of s from the first a to the next b, for messages.
func between(s, a, b string) string {
	i := strings.Index(s, a)
	if i < 0 {
		return s
	}
	j := strings.Index(s[i:], b)
	if j < 0 {
		return s[i:]
	}
	return s[i : i+j]
}
