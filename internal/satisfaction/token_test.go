package satisfaction_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/satisfaction"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// tokenDesk is two requesters with surveys, over one engine.
type tokenDesk struct {
	t   *testing.T
	db  *store.DB
	svc *satisfaction.Service
}

func (d tokenDesk) requester(email string) int64 {
	d.t.Helper()
	u, err := auth.CreateUser(context.Background(), d.db, audit.System, auth.NewUser{Email: email, Name: email, Role: auth.Requester,
		Password: "a-long-password"})
	if err != nil {
		d.t.Fatal(err)
	}
	return u.ID
}

// survey records a survey sent at sent, open for 14 days.
func (d tokenDesk) survey(ticketID, requester int64, sent time.Time) int64 {
	d.t.Helper()
	var id int64
	err := d.db.InTx(context.Background(), func(tx *store.Tx) error {
		return tx.QueryRow(context.Background(), `INSERT INTO satisfaction_surveys (ticket_kind, ticket_id, requester_id, sent_at, expires_at)
			VALUES ('incident', ?, ?, ?, ?) RETURNING id`, ticketID, requester, store.TS(sent), store.TS(sent.AddDate(0, 0, 14))).Scan(&id)
	})
	if err != nil {
		d.t.Fatal(err)
	}
	return id
}

// link mints the rating link of survey id for user, as outgoing mail does.
func (d tokenDesk) link(user, id int64) string {
	d.t.Helper()
	var path string
	err := d.db.InTx(context.Background(), func(tx *store.Tx) error {
		var err error
		path, err = d.svc.RatingLink(context.Background(), tx, user, fmt.Sprintf("/surveys/%d", id))
		return err
	})
	if err != nil {
		d.t.Fatal(err)
	}
	return path
}

func (d tokenDesk) answered(id int64) (rating *int, comment string) {
	d.t.Helper()
	if err := d.db.QueryRow(context.Background(), "SELECT rating, comment FROM satisfaction_surveys WHERE id = ?", id).
		Scan(&rating, &comment); err != nil {
		d.t.Fatal(err)
	}
	return rating, comment
}

// A rating link rates its own survey once, for its own requester, while
// the survey is open; reading it records nothing; every other link is
// refused with a reason a page can word.
func TestRatingLinks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		d := tokenDesk{t: t, db: e.DB, svc: satisfaction.NewService(e.DB, nil)}
		ann, bob := d.requester("ann@token.test"), d.requester("bob@token.test")
		now := time.Now().UTC()
		mine, theirs := d.survey(1, ann, now), d.survey(2, bob, now)
		old := d.survey(3, ann, now.AddDate(0, 0, -15))

		if p := d.link(bob, mine); p != "" {
			t.Fatalf("a link to Ann's survey was made for Bob: %s", p)
		}
		if p := d.link(ann, old); p != "" {
			t.Fatalf("a link was made for a closed survey: %s", p)
		}
		first := d.link(ann, mine)
		path := d.link(ann, mine) // a newer message replaces the link
		token, ok := strings.CutPrefix(path, "/surveys/r/")
		if !ok || len(token) != 43 || first == path {
			t.Fatalf("rating links %q, %q", first, path)
		}
		var stored string
		if err := e.DB.QueryRow(ctx, "SELECT token_hash FROM survey_tokens WHERE survey_id = ?", mine).Scan(&stored); err != nil || strings.Contains(stored, token) {
			t.Fatalf("the token is kept as %q (%v), want its hash", stored, err)
		}
		if _, err := d.svc.RateByToken(ctx, strings.TrimPrefix(first, "/surveys/r/"), 5, ""); !errors.Is(err, satisfaction.ErrRatingLink) {
			t.Fatalf("the replaced link rated: %v", err)
		}

		for range 3 {
			if sv, err := d.svc.ByToken(ctx, token); err != nil || !sv.Open || sv.ID != mine {
				t.Fatalf("reading the link: %+v %v", sv, err)
			}
		}
		if r, _ := d.answered(mine); r != nil {
			t.Fatal("reading the link recorded a rating")
		}

		var inv *domainerr.Invalid
		if _, err := d.svc.RateByToken(ctx, token, 6, ""); !errors.As(err, &inv) || inv.Fields["rating"] == "" {
			t.Fatalf("a rating of 6: %v", err)
		}
		if _, err := d.svc.CommentByToken(ctx, token, "first"); !errors.As(err, &inv) || inv.Fields["rating"] == "" {
			t.Fatalf("a comment before the rating: %v", err)
		}
		sv, err := d.svc.RateByToken(ctx, token, 4, "")
		if err != nil || sv.Score() != 4 {
			t.Fatalf("rating 4: %+v %v", sv, err)
		}
		if _, err := d.svc.RateByToken(ctx, token, 1, ""); !errors.Is(err, satisfaction.ErrAlreadyRated) {
			t.Fatalf("a second rating: %v", err)
		}
		if r, _ := d.answered(mine); r == nil || *r != 4 {
			t.Fatalf("the survey holds %v, want 4", r)
		}
		if r, _ := d.answered(theirs); r != nil {
			t.Fatal("Bob's survey was rated by Ann's link")
		}

		if _, err := d.svc.CommentByToken(ctx, token, "  "); !errors.As(err, &inv) || inv.Fields["comment"] == "" {
			t.Fatalf("an empty comment: %v", err)
		}
		if _, err := d.svc.CommentByToken(ctx, token, strings.Repeat("x", satisfaction.MaxComment+1)); !errors.As(err, &inv) || inv.Fields["comment"] == "" {
			t.Fatalf("an overlong comment: %v", err)
		}
		if sv, err := d.svc.CommentByToken(ctx, token, " Quick fix. "); err != nil || sv.Comment != "Quick fix." {
			t.Fatalf("the comment: %+v %v", sv, err)
		}
		if _, err := d.svc.CommentByToken(ctx, token, "again"); !errors.Is(err, satisfaction.ErrCommented) {
			t.Fatalf("a second comment: %v", err)
		}
		if r, c := d.answered(mine); *r != 4 || c != "Quick fix." {
			t.Fatalf("the survey holds %d %q", *r, c)
		}

		// A link whose survey closed meanwhile, and one whose requester
		// was disabled, rate nothing.
		closing := d.survey(4, ann, now)
		closed, _ := strings.CutPrefix(d.link(ann, closing), "/surveys/r/")
		if _, err := e.DB.Exec(ctx, "UPDATE satisfaction_surveys SET expires_at = ? WHERE id = ?", store.TS(now.Add(-time.Minute)), closing); err != nil {
			t.Fatal(err)
		}
		if _, err := d.svc.RateByToken(ctx, closed, 5, ""); !errors.Is(err, satisfaction.ErrSurveyClosed) {
			t.Fatalf("rating a closed survey: %v", err)
		}
		bobs, _ := strings.CutPrefix(d.link(bob, theirs), "/surveys/r/")
		if _, err := e.DB.Exec(ctx, "UPDATE users SET active = FALSE WHERE id = ?", bob); err != nil {
			t.Fatal(err)
		}
		if _, err := d.svc.RateByToken(ctx, bobs, 5, ""); !errors.Is(err, satisfaction.ErrRatingLink) {
			t.Fatalf("a disabled requester's link rated: %v", err)
		}
		for _, bad := range []string{"", "short", strings.Repeat("A", 43), token + "x", strings.Repeat("é", 22)} {
			if _, err := d.svc.ByToken(ctx, bad); !errors.Is(err, satisfaction.ErrRatingLink) {
				t.Errorf("link %q: %v", bad, err)
			}
		}
	})
}

// BenchmarkRatingLink opens a rating link (the page's lookup) and rates
// through one, over 20,000 surveys each with its link.
func BenchmarkRatingLink(b *testing.B) {
	e := storetest.SQLite(b)
	ctx := context.Background()
	u, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: "r@x.test", Name: "R", Role: auth.Requester, Password: "a-long-password"})
	if err != nil {
		b.Fatal(err)
	}
	svc := satisfaction.NewService(e.DB, nil)
	now := time.Now().UTC()
	tokens := make([]string, 0, 20000)
	err = e.DB.InTx(ctx, func(tx *store.Tx) error {
		for i := range 20000 {
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO satisfaction_surveys (ticket_kind, ticket_id, requester_id, sent_at, expires_at)
				VALUES ('incident', ?, ?, ?, ?) RETURNING id`, i+1, u.ID, store.TS(now), store.TS(now.AddDate(0, 0, 14))).Scan(&id); err != nil {
				return err
			}
			path, err := svc.RatingLink(ctx, tx, u.ID, fmt.Sprintf("/surveys/%d", id))
			if err != nil {
				return err
			}
			tokens = append(tokens, strings.TrimPrefix(path, "/surveys/r/"))
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("open", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := svc.ByToken(ctx, tokens[i%len(tokens)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	// Each survey is rated once, across repeated runs (-count).
	i := 0
	b.Run("rate", func(b *testing.B) {
		for b.Loop() {
			if i >= len(tokens) {
				b.Skip("every survey rated")
			}
			if _, err := svc.RateByToken(ctx, tokens[i], 4, ""); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
