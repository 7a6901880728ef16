package knowledge

import (
	"context"
	"errors"
	"strconv"
	"time"

	"steward/internal/auth"
	"steward/internal/problem"
	"steward/internal/store"
)

// indexState is what the index has read: when it last looked, and the
// newest change it saw of articles and of problems.
type indexState struct {
	built        bool
	checked      time.Time
	articlesTo   string // the newest updated_at of the articles read
	problemsSign string // the known errors' count and newest change
}

// Suggestion is an article or known error that may answer what a person
// is writing.
type Suggestion struct {
	ID     int64   `json:"id"`
	Number string  `json:"number"`
	Title  string  `json:"title"`
	Score  float64 `json:"score"`
	Kind   string  `json:"kind"`
	URL    string  `json:"url"`
}

// minShare is the least share of the best score a suggestion keeps.
const minShare = 0.25

// MaxSuggestions bounds one answer.
const MaxSuggestions = 20

// MaxQuery bounds the text suggestions are asked for: a title and the
// start of a description.
const MaxQuery = 2000

// Suggest ranks the published articles p may read, and for those who may
// read problems the known errors, against text. Nothing matches an empty
// text.
func (s *Service) Suggest(ctx context.Context, p *auth.Principal, text string, limit int) ([]Suggestion, error) {
	if !p.Can(PermRead) {
		return nil, errors.New("knowledge: suggestions for someone who may not read articles")
	}
	if limit <= 0 || limit > MaxSuggestions {
		limit = 5
	}
	if len(text) > MaxQuery {
		text = text[:MaxQuery]
	}
	if err := s.refresh(ctx); err != nil {
		return nil, err
	}
	knownErrors := p.Can(problem.PermRead)
	hits := s.idx.Rank(text, func(e *Entry) bool {
		if e.Kind == KnownErrorKind {
			return knownErrors
		}
		return e.State == Published && visible(p, e.State, e.Audience, e.Customers)
	}, limit)
	// A word in common with the best match is not a match: what scores
	// under a quarter of the best is left out.
	for i, h := range hits {
		if h.Score < hits[0].Score*minShare {
			hits = hits[:i]
			break
		}
	}
	out := make([]Suggestion, len(hits))
	for i, h := range hits {
		out[i] = Suggestion{ID: h.ID, Number: h.Number, Title: h.Title, Score: float64(int(h.Score*1000+0.5)) / 1000, Kind: h.Kind, URL: URL(h.ID)}
		if h.Kind == KnownErrorKind {
			out[i].URL = "/problems/" + h.Number
		}
	}
	return out, nil
}

// recheck is how often the index looks for other nodes' changes.
func (s *Service) recheck() time.Duration {
	if s.Recheck > 0 {
		return s.Recheck
	}
	return time.Minute
}

// refresh builds the index when it has none, and otherwise, at most once
// per recheck interval, reads the articles changed since it last looked
// and the known errors when any of them changed.
func (s *Service) refresh(ctx context.Context) error {
	s.idxMu.Lock()
	defer s.idxMu.Unlock()
	if s.seen.built && time.Since(s.seen.checked) < s.recheck() {
		return nil
	}
	if err := s.readArticles(ctx, s.seen.articlesTo); err != nil {
		return err
	}
	var n int
	var newest store.Time
	if err := s.DB.QueryRow(ctx, "SELECT COUNT(*), MAX(updated_at) FROM problems WHERE state = 'known_error'").Scan(&n, &newest); err != nil {
		return err
	}
	sign := strconv.Itoa(n) + "@" + newest.String()
	if !s.seen.built || sign != s.seen.problemsSign {
		if err := s.readKnownErrors(ctx); err != nil {
			return err
		}
		s.seen.problemsSign = sign
	}
	s.seen.built, s.seen.checked = true, time.Now()
	return nil
}

// Rebuild reads everything again: on start and by the periodic job.
func (s *Service) Rebuild(ctx context.Context) error {
	s.idxMu.Lock()
	s.seen = indexState{}
	s.idxMu.Unlock()
	return s.refresh(ctx)
}

// articleBatch is how many articles one read of the index takes.
const articleBatch = 2000

// readArticles puts the articles changed at or after since into the
// index, the version readers see of each (else the working one).
func (s *Service) readArticles(ctx context.Context, since string) error {
	for {
		rows, err := s.DB.Query(ctx, `SELECT a.id, a.title, COALESCE(v.body, ''), a.state, a.audience, a.updated_at
			FROM kb_articles a LEFT JOIN kb_versions v ON v.id = COALESCE(a.current_version_id, a.working_version_id)
			WHERE a.updated_at >= ? ORDER BY a.updated_at, a.id LIMIT ?`, orEpoch(since), articleBatch)
		if err != nil {
			return err
		}
		type row struct {
			e           Entry
			title, body string
		}
		var batch []row
		last := since
		for rows.Next() {
			var r row
			var up store.Time
			if err := rows.Scan(&r.e.ID, &r.title, &r.body, &r.e.State, &r.e.Audience, &up); err != nil {
				rows.Close()
				return err
			}
			r.e.Kind, r.e.Number, r.e.Title = KindName, Number(r.e.ID), r.title
			batch = append(batch, r)
			last = store.TS(up.Time)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range batch {
			var err error
			if r.e.Customers, err = store.IDs(ctx, s.DB, "SELECT customer_id FROM kb_article_customers WHERE article_id = ?", r.e.ID); err != nil {
				return err
			}
			s.idx.Put(r.e, r.title, r.body)
		}
		s.seen.articlesTo = last
		// A full batch whose rows all share one instant would read the
		// same rows again; the next batch starts just after it.
		if len(batch) < articleBatch || last == since {
			return nil
		}
		since = last
	}
}

func orEpoch(ts string) string {
	if ts == "" {
		return store.TS(time.Unix(0, 0))
	}
	return ts
}

// maxKnownErrors bounds the known errors the index holds.
const maxKnownErrors = 5000

// readKnownErrors replaces the index's known errors with the problems in
// state known error: their title, and their description, root cause and
// workaround as the body.
func (s *Service) readKnownErrors(ctx context.Context) error {
	rows, err := s.DB.Query(ctx, `SELECT id, title, description, root_cause, workaround FROM problems
		WHERE state = 'known_error' ORDER BY id DESC LIMIT ?`, maxKnownErrors)
	if err != nil {
		return err
	}
	defer rows.Close()
	type row struct {
		id                  int64
		title, desc, rc, wa string
	}
	var list []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.title, &r.desc, &r.rc, &r.wa); err != nil {
			return err
		}
		list = append(list, r)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	s.idx.mu.RLock()
	var gone []int64
	for key := range s.idx.slotOf {
		if key.kind == KnownErrorKind {
			gone = append(gone, key.id)
		}
	}
	s.idx.mu.RUnlock()
	for _, id := range gone {
		s.idx.Remove(KnownErrorKind, id)
	}
	for _, r := range list {
		s.idx.Put(Entry{Kind: KnownErrorKind, ID: r.id, Number: problem.FormatNumber(r.id), Title: r.title, State: Published, Audience: Agents},
			r.title, r.desc+"\n"+r.rc+"\n"+r.wa)
	}
	return nil
}

// reindex puts one article, as it now is, into the index after a write
// on this node. A failure only leaves the index to the next look.
func (s *Service) reindex(ctx context.Context, id int64) {
	a, err := get(ctx, s.DB, id)
	if err != nil {
		s.Log.Warn("knowledge: reindexing an article", "id", id, "err", err)
		return
	}
	s.idx.Put(Entry{Kind: KindName, ID: a.ID, Number: a.Number, Title: a.Title, State: a.State, Audience: a.Audience, Customers: a.CustomerIDs},
		a.Title, a.Body)
}

// Index is the in-memory index, for benchmarks and tests.
func (s *Service) Index() *Index { return s.idx }
