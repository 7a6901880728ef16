package satisfaction_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"steward/internal/auth"
	"steward/internal/complaint"
	"steward/internal/satisfaction"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// The comment a requester writes after a low rating given by one click in
// the e-mail reaches the complaint that rating opened: in its history,
// as the requester's words they can read too, and in its description, and
// the complaint's owner is told. A comment after a good rating opens no
// complaint.
func TestCommentAfterLowRatingReachesItsComplaint(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		d := tokenDesk{t: t, db: e.DB, svc: satisfaction.NewService(e.DB, nil)}
		d.svc.Complaints = complaint.NewService(e.DB, nil)
		ann := d.requester("ann@comment.test")
		var admin int64
		if err := e.DB.InTx(ctx, func(tx *store.Tx) error {
			now := store.TS(time.Now())
			return tx.QueryRow(ctx, `INSERT INTO users (email, name, role, created_at, updated_at) VALUES ('boss@comment.test', 'Boss', 'admin', ?, ?)
				RETURNING id`, now, now).Scan(&admin)
		}); err != nil {
			t.Fatal(err)
		}
		ticket := func(title string) int64 {
			var id int64
			err := e.DB.InTx(ctx, func(tx *store.Tx) error {
				now := store.TS(time.Now())
				return tx.QueryRow(ctx, `INSERT INTO incidents (title, requester_id, impact, urgency, priority, state, created_at, updated_at, resolved_at)
					VALUES (?, ?, 'low', 'low', 4, 'resolved', ?, ?, ?) RETURNING id`, title, ann, now, now, now).Scan(&id)
			})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		now := time.Now().UTC()
		low := d.survey(ticket("Printer smudges"), ann, now)
		token := strings.TrimPrefix(d.link(ann, low), "/surveys/r/")
		sv, err := d.svc.RateByToken(ctx, token, 1, "")
		if err != nil || sv.Complaint == "" {
			t.Fatalf("a rating of 1 opened no complaint: %+v %v", sv, err)
		}
		if _, err := d.svc.CommentByToken(ctx, token, "Still smudges, and nobody called back."); err != nil {
			t.Fatal(err)
		}
		id, _ := complaintID(sv.Complaint)
		annP := &auth.Principal{UserID: ann, Name: "ann@comment.test", Role: auth.Requester}
		c, err := d.svc.Complaints.Get(ctx, annP, id)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(c.Description, "Still smudges, and nobody called back.") {
			t.Errorf("the complaint's description lacks the comment: %q", c.Description)
		}
		journal, err := d.svc.Complaints.Journal(ctx, annP, id)
		if err != nil {
			t.Fatal(err)
		}
		var said bool
		for _, en := range journal {
			if en.Kind == "comment" && en.Body == "Still smudges, and nobody called back." && en.AuthorID != nil && *en.AuthorID == ann && !en.ByEmail() {
				said = true
			}
		}
		if !said {
			t.Errorf("the complaint's history as its requester reads it lacks their comment: %+v", journal)
		}
		var told int
		if err := e.DB.QueryRow(ctx, "SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = 'complaint_comment'", admin).Scan(&told); err != nil || told != 1 {
			t.Errorf("the administrator (nobody owns the complaint) was told %d times, %v", told, err)
		}

		good := d.survey(ticket("New laptop"), ann, now)
		token = strings.TrimPrefix(d.link(ann, good), "/surveys/r/")
		if sv, err := d.svc.RateByToken(ctx, token, 5, ""); err != nil || sv.Complaint != "" {
			t.Fatalf("a rating of 5: %+v %v", sv, err)
		}
		if _, err := d.svc.CommentByToken(ctx, token, "Great, thanks."); err != nil {
			t.Fatal(err)
		}
		var comments int
		if err := e.DB.QueryRow(ctx, "SELECT COUNT(*) FROM complaint_journal WHERE kind = 'comment'").Scan(&comments); err != nil || comments != 1 {
			t.Errorf("%d comments in complaints' histories, want the low rating's one", comments)
		}
	})
}

func complaintID(number string) (int64, bool) {
	var id int64
	for _, r := range strings.TrimPrefix(number, complaint.NumberPrefix) {
		id = id*10 + int64(r-'0')
	}
	return id, id > 0
}
