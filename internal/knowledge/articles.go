package knowledge

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// articleCols read an article with the version readers see (or the
// working one before the first publication) and its feedback counts.
const articleCols = `a.id, a.title, COALESCE(v.body, ''), a.audience, a.state, COALESCE(v.number, 0), COALESCE(w.state, ''),
	a.owner_id, COALESCE(o.name, ''), COALESCE(a.review_date, ''), a.view_count,
	(SELECT COUNT(*) FROM kb_feedback f WHERE f.version_id = v.id AND f.helpful),
	(SELECT COUNT(*) FROM kb_feedback f WHERE f.version_id = v.id AND NOT f.helpful),
	a.current_version_id, a.working_version_id, a.created_at, a.updated_at, a.version`

const articleFrom = ` FROM kb_articles a
	LEFT JOIN kb_versions v ON v.id = COALESCE(a.current_version_id, a.working_version_id)
	LEFT JOIN kb_versions w ON w.id = a.working_version_id AND a.current_version_id IS NOT NULL
	LEFT JOIN users o ON o.id = a.owner_id`

func scanArticle(row interface{ Scan(...any) error }) (Article, error) {
	var a Article
	var cr, up store.Time
	err := row.Scan(&a.ID, &a.Title, &a.Body, &a.Audience, &a.State, &a.VersionNumber, &a.Pending,
		&a.OwnerID, &a.OwnerName, &a.ReviewDate, &a.Views, &a.Helpful, &a.NotHelpful,
		&a.currentID, &a.workingID, &cr, &up, &a.Version)
	if err != nil {
		return a, store.ScanErr(err)
	}
	a.Number, a.CreatedAt, a.UpdatedAt = Number(a.ID), cr.Time, up.Time
	a.CustomerIDs = []int64{}
	return a, nil
}

// get loads an article whoever asks; callers decide who may see it.
func get(ctx context.Context, q store.Querier, id int64) (Article, error) {
	a, err := scanArticle(q.QueryRow(ctx, "SELECT "+articleCols+articleFrom+" WHERE a.id = ?", id))
	if err != nil {
		return a, err
	}
	a.CustomerIDs, err = store.IDs(ctx, q, "SELECT customer_id FROM kb_article_customers WHERE article_id = ? ORDER BY customer_id", id)
	return a, err
}

// Get loads article id as p may see it: store.ErrNotFound when it does
// not exist or p may not read it.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id int64) (Article, error) {
	a, err := get(ctx, s.DB, id)
	if err != nil {
		return a, err
	}
	if !a.VisibleTo(p) {
		return Article{}, store.ErrNotFound
	}
	return a, nil
}

// Versions lists an article's versions, newest first, for staff.
func (s *Service) Versions(ctx context.Context, p *auth.Principal, id int64) ([]Version, error) {
	if !p.Can(PermReadAll) {
		return nil, store.ErrNotFound
	}
	if _, err := get(ctx, s.DB, id); err != nil {
		return nil, err
	}
	rows, err := s.DB.Query(ctx, `SELECT v.id, v.number, v.title, v.body, v.state, COALESCE(u.name, ''), v.created_at, v.updated_at,
		v.submitted_at, v.published_at FROM kb_versions v LEFT JOIN users u ON u.id = v.author_id
		WHERE v.article_id = ? ORDER BY v.number DESC LIMIT 200`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Version{}
	for rows.Next() {
		var v Version
		var cr, up, sub, pub store.Time
		if err := rows.Scan(&v.ID, &v.Number, &v.Title, &v.Body, &v.State, &v.AuthorName, &cr, &up, &sub, &pub); err != nil {
			return nil, err
		}
		v.CreatedAt, v.UpdatedAt, v.SubmittedAt, v.PublishedAt = cr.Time, up.Time, sub.Ptr(), pub.Ptr()
		out = append(out, v)
	}
	return out, rows.Err()
}

// WorkingVersion is the newer version being written beside the one
// readers see, for staff; nil when there is none (before the first
// publication the article itself is its working version).
func (s *Service) WorkingVersion(ctx context.Context, p *auth.Principal, a Article) (*Version, error) {
	if a.workingID == nil || a.currentID == nil || !p.Can(PermReadAll) {
		return nil, nil
	}
	vs, err := s.Versions(ctx, p, a.ID)
	if err != nil {
		return nil, err
	}
	for i := range vs {
		if vs[i].ID == *a.workingID {
			return &vs[i], nil
		}
	}
	return nil, nil
}

// Filter narrows the article list.
type Filter struct {
	States   []State
	Audience Audience
	// Overdue keeps published articles whose review date is before Today.
	Overdue bool
	Today   string
	// Pending keeps articles with a version waiting in review: the queue.
	Pending bool
	// Query ranks the matching articles by relevance instead of listing
	// them by title; there is no next page.
	Query  string
	Limit  int
	Cursor string
}

// Page is one page of articles.
type Page struct {
	Items      []Article `json:"items"`
	NextCursor string    `json:"next_cursor,omitempty"`
}

// MaxList bounds one page of articles.
const MaxList = 200

var errBadCursor = domainerr.Field("cursor", "is not a page link from this list")

// List reads the articles p may see, by title one page at a time, or by
// relevance to f.Query.
func (s *Service) List(ctx context.Context, p *auth.Principal, f Filter) (Page, error) {
	if f.Limit <= 0 || f.Limit > MaxList {
		f.Limit = 50
	}
	if !p.Can(PermRead) {
		return Page{}, domainerr.ErrForbidden
	}
	for _, st := range f.States {
		if !st.Valid() {
			return Page{}, domainerr.Field("state", "must be draft, review, published or retired")
		}
	}
	if f.Audience != "" && !f.Audience.Valid() {
		return Page{}, domainerr.Field("audience", "must be agents or requesters")
	}
	if strings.TrimSpace(f.Query) != "" {
		return s.search(ctx, p, f)
	}
	sql := "SELECT " + articleCols + articleFrom + " WHERE 1 = 1"
	var args []any
	if len(f.States) > 0 {
		sql += " AND a.state IN (" + marks(len(f.States)) + ")"
		for _, st := range f.States {
			args = append(args, string(st))
		}
	}
	if f.Audience != "" {
		sql, args = sql+" AND a.audience = ?", append(args, string(f.Audience))
	}
	if f.Overdue {
		sql, args = sql+" AND a.state = 'published' AND a.review_date IS NOT NULL AND a.review_date < ?", append(args, f.Today)
	}
	if f.Pending {
		sql += " AND (a.state = 'review' OR w.state = 'review')"
	}
	if !p.Can(PermReadAll) {
		sql += ` AND a.state = 'published' AND a.audience = 'requesters' AND (NOT EXISTS (SELECT 1 FROM kb_article_customers c WHERE c.article_id = a.id)
			OR EXISTS (SELECT 1 FROM kb_article_customers c WHERE c.article_id = a.id AND c.customer_id = ?))`
		args = append(args, p.CustomerID)
	}
	if f.Cursor != "" {
		title, id, ok := parseCursor(f.Cursor)
		if !ok {
			return Page{}, errBadCursor
		}
		sql, args = sql+" AND (a.title > ? OR (a.title = ? AND a.id > ?))", append(args, title, title, id)
	}
	sql, args = sql+" ORDER BY a.title, a.id LIMIT ?", append(args, f.Limit+1)
	items, err := s.scanAll(ctx, sql, args...)
	if err != nil {
		return Page{}, err
	}
	pg := Page{Items: items}
	if len(items) > f.Limit {
		pg.Items = items[:f.Limit]
		last := pg.Items[len(pg.Items)-1]
		pg.NextCursor = makeCursor(last.Title, last.ID)
	}
	return pg, nil
}

// search ranks the articles p may see that match f.Query and keep to f.
func (s *Service) search(ctx context.Context, p *auth.Principal, f Filter) (Page, error) {
	if err := s.refresh(ctx); err != nil {
		return Page{}, err
	}
	hits := s.idx.Rank(f.Query, func(e *Entry) bool {
		if e.Kind != KindName || !visible(p, e.State, e.Audience, e.Customers) {
			return false
		}
		if len(f.States) > 0 && !containsState(f.States, e.State) {
			return false
		}
		return f.Audience == "" || e.Audience == f.Audience
	}, f.Limit)
	pg := Page{Items: []Article{}}
	for _, h := range hits {
		a, err := get(ctx, s.DB, h.ID)
		if err == store.ErrNotFound {
			continue
		} else if err != nil {
			return Page{}, err
		}
		if f.Overdue && !a.ReviewOverdue(f.Today) || f.Pending && a.State != Review && a.Pending != Review {
			continue
		}
		pg.Items = append(pg.Items, a)
	}
	return pg, nil
}

func containsState(list []State, s State) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (s *Service) scanAll(ctx context.Context, sql string, args ...any) ([]Article, error) {
	rows, err := s.DB.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Article{}
	for rows.Next() {
		a, err := scanArticle(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].CustomerIDs, err = store.IDs(ctx, s.DB, "SELECT customer_id FROM kb_article_customers WHERE article_id = ? ORDER BY customer_id", out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Counts are the figures the knowledge page heads with.
type Counts struct {
	Published, Drafts, InReview, Overdue int
}

// Count reads the figures, for staff.
func (s *Service) Count(ctx context.Context, today string) (Counts, error) {
	var c Counts
	err := s.DB.QueryRow(ctx, `SELECT
		COALESCE(SUM(CASE WHEN a.state = 'published' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN a.state = 'draft' OR w.state = 'draft' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN a.state = 'review' OR w.state = 'review' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN a.state = 'published' AND a.review_date < ? THEN 1 ELSE 0 END), 0)
		FROM kb_articles a LEFT JOIN kb_versions w ON w.id = a.working_version_id AND a.current_version_id IS NOT NULL`, today).
		Scan(&c.Published, &c.Drafts, &c.InReview, &c.Overdue)
	return c, err
}

func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }

func makeCursor(title string, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(title + "\x00" + strconv.FormatInt(id, 10)))
}

func parseCursor(c string) (string, int64, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", 0, false
	}
	title, n, ok := strings.Cut(string(raw), "\x00")
	id, err := strconv.ParseInt(n, 10, 64)
	return title, id, ok && err == nil && id > 0
}
