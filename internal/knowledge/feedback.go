package knowledge

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/incident"
	"steward/internal/store"
)

// MaxComment bounds the comment given with feedback.
const MaxComment = 2000

// Feedback is one reader's answer to "did this help?".
type Feedback struct {
	ID            int64     `json:"id"`
	VersionNumber int       `json:"version_number"`
	Helpful       bool      `json:"helpful"`
	Comment       string    `json:"comment"`
	UserName      string    `json:"user_name"`
	CreatedAt     time.Time `json:"created_at"`
}

// GiveFeedback records whether the published version of an article
// helped p, once per person and version: a second answer is a conflict.
// Only readers holding PermFeedback answer: the auditor writes nothing.
func (s *Service) GiveFeedback(ctx context.Context, p *auth.Principal, id int64, helpful bool, comment string) (Feedback, error) {
	if !p.Can(PermFeedback) {
		return Feedback{}, domainerr.ErrForbidden
	}
	a, err := s.Get(ctx, p, id)
	if err != nil {
		return Feedback{}, err
	}
	if a.State != Published || a.currentID == nil {
		return Feedback{}, &domainerr.Conflict{Message: "only a published article takes feedback"}
	}
	comment = strings.TrimSpace(comment)
	if utf8.RuneCountInString(comment) > MaxComment {
		return Feedback{}, domainerr.Field("comment", "must be at most %d characters", MaxComment)
	}
	f := Feedback{VersionNumber: a.VersionNumber, Helpful: helpful, Comment: comment, UserName: p.Name, CreatedAt: s.now()}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO kb_feedback (article_id, version_id, user_id, helpful, comment, created_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, id, *a.currentID, p.UserID, helpful, comment, store.TS(f.CreatedAt)).Scan(&f.ID)
		if err := store.ScanErr(err); errors.Is(err, store.ErrConflict) {
			return &domainerr.Conflict{Message: "you have already said whether this version of the article helped"}
		} else if err != nil {
			return err
		}
		return nil
	})
	return f, err
}

// FeedbackGiven reports whether p has answered for the version readers see.
func (s *Service) FeedbackGiven(ctx context.Context, p *auth.Principal, a Article) (bool, error) {
	if a.currentID == nil {
		return false, nil
	}
	var n int
	err := s.DB.QueryRow(ctx, "SELECT COUNT(*) FROM kb_feedback WHERE version_id = ? AND user_id = ?", *a.currentID, p.UserID).Scan(&n)
	return n > 0, err
}

// Comments lists the newest feedback on an article, for staff.
func (s *Service) Comments(ctx context.Context, p *auth.Principal, id int64, limit int) ([]Feedback, error) {
	if !p.Can(PermReadAll) {
		return nil, store.ErrNotFound
	}
	rows, err := s.DB.Query(ctx, `SELECT f.id, v.number, f.helpful, f.comment, COALESCE(u.name, ''), f.created_at
		FROM kb_feedback f JOIN kb_versions v ON v.id = f.version_id LEFT JOIN users u ON u.id = f.user_id
		WHERE f.article_id = ? ORDER BY f.id DESC LIMIT ?`, id, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Feedback{}
	for rows.Next() {
		var f Feedback
		var at store.Time
		if err := rows.Scan(&f.ID, &f.VersionNumber, &f.Helpful, &f.Comment, &f.UserName, &at); err != nil {
			return nil, err
		}
		f.CreatedAt = at.Time
		out = append(out, f)
	}
	return out, rows.Err()
}

// Opened is where an article was opened from: a suggestion on the form
// raising an incident (Draft), on an incident's page (Incident), or
// neither.
type Opened struct {
	Draft    bool
	Incident int64
}

// View counts one reading of an article and, when it was opened from a
// suggestion by the requester it was suggested to, remembers where. A
// person's readings count once a day (UTC), their own article's never,
// and only from readers holding PermFeedback; counted reports whether
// this one was.
func (s *Service) View(ctx context.Context, p *auth.Principal, a Article, from Opened) (counted bool, err error) {
	now := s.now()
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if counted, err = countView(ctx, tx, p, a.ID, now); err != nil {
			return err
		}
		if p.IsStaff() {
			return nil // deflection is about requesters helping themselves
		}
		switch {
		case from.Incident != 0:
			var requester *int64
			err := store.ScanErr(tx.QueryRow(ctx, "SELECT requester_id FROM incidents WHERE id = ?", from.Incident).Scan(&requester))
			if errors.Is(err, store.ErrNotFound) || requester == nil || *requester != p.UserID {
				return nil
			} else if err != nil {
				return err
			}
			return addOpen(ctx, tx, a.ID, p.UserID, &from.Incident, now.Add(-24*time.Hour), now)
		case from.Draft:
			return addOpen(ctx, tx, a.ID, p.UserID, nil, now.Add(-DraftWindow), now)
		}
		return nil
	})
	return counted, err
}

// countView adds p's reading to the article's views unless p wrote the
// article or was counted already today: kb_views keeps the last day each
// person was counted, one row per reader and article.
func countView(ctx context.Context, tx *store.Tx, p *auth.Principal, article int64, now time.Time) (bool, error) {
	if !p.Can(PermFeedback) {
		return false, nil
	}
	var author *int64
	if err := store.ScanErr(tx.QueryRow(ctx, "SELECT created_by FROM kb_articles WHERE id = ?", article).Scan(&author)); err != nil {
		return false, err
	}
	if author != nil && *author == p.UserID {
		return false, nil
	}
	res, err := tx.Exec(ctx, `INSERT INTO kb_views (article_id, user_id, day) VALUES (?, ?, ?)
		ON CONFLICT (article_id, user_id) DO UPDATE SET day = excluded.day WHERE kb_views.day < excluded.day`,
		article, p.UserID, now.Format(DateLayout))
	if err != nil {
		return false, store.Translate(err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	_, err = tx.Exec(ctx, "UPDATE kb_articles SET view_count = view_count + 1 WHERE id = ?", article)
	return err == nil, err
}

// addOpen remembers an opened suggestion once: a reload, or the page
// again after feedback, within the window since is the same opening.
func addOpen(ctx context.Context, tx *store.Tx, article, user int64, incidentID *int64, since, now time.Time) error {
	ctxName, cond, args := "draft", "incident_id IS NULL", []any{article, user}
	if incidentID != nil {
		ctxName, cond, args = "incident", "incident_id = ?", append(args, *incidentID)
	}
	var n int
	if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM kb_opens WHERE article_id = ? AND user_id = ? AND "+cond+" AND opened_at >= ?",
		append(args, store.TS(since))...).Scan(&n); err != nil || n > 0 {
		return err
	}
	_, err := tx.Exec(ctx, "INSERT INTO kb_opens (article_id, user_id, context, incident_id, opened_at) VALUES (?, ?, ?, ?, ?)",
		article, user, ctxName, incidentID, store.TS(now))
	return err
}

// DraftWindow is how long after opening a suggested article on the new
// incident form the incident that requester raises next counts as the
// one the article was suggested for.
const DraftWindow = time.Hour

// Deflection counts the incidents resolved or withdrawn after their
// requester opened an article suggested for them: from the incident's
// page before it was resolved or withdrawn, or from the form that raised
// it within DraftWindow before it was raised.
type Deflection struct {
	Since     time.Time
	Tickets   int // incidents deflected
	Withdrawn int // of them, withdrawn by the requester
	Resolved  int // of them, resolved
	Opens     int // suggested articles opened in the period
}

// maxDeflectionRows bounds the opens one count reads.
const maxDeflectionRows = 20000

// Deflected counts the deflected incidents raised since.
func (s *Service) Deflected(ctx context.Context, since time.Time) (Deflection, error) {
	d := Deflection{Since: since}
	rows, err := s.DB.Query(ctx, `SELECT i.id, i.resolution_code, o.context, o.opened_at, i.created_at
		FROM kb_opens o JOIN incidents i ON i.requester_id = o.user_id
		WHERE o.opened_at >= ? AND i.created_at >= ? AND (i.state = 'resolved' OR i.state = 'closed')
		AND ((o.context = 'incident' AND o.incident_id = i.id AND o.opened_at <= COALESCE(i.resolved_at, i.closed_at))
		  OR (o.context = 'draft' AND o.opened_at <= i.created_at))
		ORDER BY i.id LIMIT ?`, store.TS(since.Add(-DraftWindow)), store.TS(since), maxDeflectionRows)
	if err != nil {
		return d, err
	}
	defer rows.Close()
	codes := map[int64]string{}
	for rows.Next() {
		var id int64
		var code, context string
		var opened, created store.Time
		if err := rows.Scan(&id, &code, &context, &opened, &created); err != nil {
			return d, err
		}
		if context == "draft" && created.Sub(opened.Time) > DraftWindow {
			continue
		}
		codes[id] = code
	}
	if err := rows.Err(); err != nil {
		return d, err
	}
	for _, code := range codes {
		d.Tickets++
		if code == incident.Withdrawn {
			d.Withdrawn++
		} else {
			d.Resolved++
		}
	}
	err = s.DB.QueryRow(ctx, "SELECT COUNT(*) FROM kb_opens WHERE opened_at >= ?", store.TS(since)).Scan(&d.Opens)
	return d, err
}
