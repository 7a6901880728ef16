package demo_test

import (
	"testing"
	"time"

	"steward/internal/store/storetest"
)

// Every low rating in the demo has the complaint a low rating opens, told
// by its history, and the older ones have been worked to a close.
func TestDemoLowRatingsHaveComplaints(t *testing.T) {
	e := loadAll(t)
	lows := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM satisfaction_surveys WHERE rating <= 2")
	t.Logf("%d low ratings; complaints by state: closed %d, open %d", lows,
		storetest.Count(t, e.DB, "SELECT COUNT(*) FROM complaints WHERE source = 'rating' AND state = 'closed'"),
		storetest.Count(t, e.DB, "SELECT COUNT(*) FROM complaints WHERE source = 'rating' AND state <> 'closed'"))
	if lows < 3 {
		t.Fatalf("the demo has %d low ratings, too few to show", lows)
	}
	if n := storetest.Count(t, e.DB, `SELECT COUNT(*) FROM satisfaction_surveys s JOIN complaints c ON c.id = s.complaint_id
		WHERE s.rating <= 2 AND c.source = 'rating' AND c.related_id = s.ticket_id`); n != lows {
		t.Errorf("%d of %d low ratings have their complaint", n, lows)
	}
	if n := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM complaint_journal j JOIN complaints c ON c.id = j.complaint_id WHERE c.source = 'rating' AND j.kind = 'created' AND j.changes LIKE '%rating%'"); n != lows {
		t.Errorf("%d of %d complaints from ratings keep the rating in their history", n, lows)
	}
	if n := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM complaints WHERE source = 'rating' AND state = 'closed' AND accepted AND closure <> ''"); n == 0 {
		t.Errorf("no complaint from a rating has been closed")
	}
	if n := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM complaints WHERE source = 'rating' AND state <> 'closed' AND target_on < ?", time.Now().UTC().Format(time.DateOnly)); n != 0 {
		t.Errorf("%d complaints from ratings are overdue", n)
	}
}

// The demo's story is told in the app, not by mail: nothing it wrote waits
// to be mailed when a demo starts with a mail server.
func TestDemoNoticesAreNotMailed(t *testing.T) {
	e := loadAll(t)
	if n := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM notifications"); n == 0 {
		t.Fatal("the demo wrote no notifications")
	}
	if n := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM notifications WHERE mail_state IS NOT NULL AND mail_state <> 'skipped'"); n != 0 {
		t.Errorf("%d of the demo's notifications wait to be mailed", n)
	}
}
