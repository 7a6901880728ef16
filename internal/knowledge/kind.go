package knowledge

import (
	"context"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/record"
	"steward/internal/store"
)

// Kind declares articles to the record kernel, which keeps their files
// (screenshots, a configuration file to download), their links to the
// tickets and problems they answer, and finds them in search. Articles
// have no journal: what the kernel changes about one goes to the audit
// trail.
func (s *Service) Kind() *record.Kind {
	return &record.Kind{
		Name: KindName, Label: "Article", Prefix: NumberPrefix, Path: "articles",
		Read: PermRead, Update: PermWrite, Comment: PermWrite,
		Load:    s.summary,
		Note:    note,
		Entry:   noEntry,
		Search:  s.searchKind,
		Patch:   s.patch,
		Machine: &Machine,
	}
}

func summarize(a Article) record.Summary {
	return record.Summary{Kind: KindName, ID: a.ID, Number: a.Number, Title: a.Title, State: string(a.State), URL: URL(a.ID)}
}

func (s *Service) summary(ctx context.Context, q store.Querier, p *auth.Principal, id int64) (record.Summary, error) {
	a, err := get(ctx, q, id)
	if err != nil {
		return record.Summary{}, err
	}
	if !a.VisibleTo(p) {
		return record.Summary{}, store.ErrNotFound
	}
	return summarize(a), nil
}

// note writes what the kernel changed about an article (a file, a link)
// to the audit trail, articles having no journal of their own.
func note(ctx context.Context, tx *store.Tx, p *auth.Principal, id int64, field, old, new string, _ bool) error {
	return audit.Record(ctx, tx, p.Actor(), "note", "kb_article", id, map[string]any{"field": field, "old": old, "new": new})
}

// noEntry: articles have no comments for a file to belong to.
func noEntry(context.Context, store.Querier, int64, int64) (bool, error) {
	return false, store.ErrNotFound
}

func (s *Service) searchKind(ctx context.Context, p *auth.Principal, words string, limit int) ([]record.Summary, error) {
	page, err := s.List(ctx, p, Filter{Query: words, Limit: min(limit, MaxList)})
	if err != nil {
		return nil, nil // nothing searchable in the words
	}
	out := make([]record.Summary, len(page.Items))
	for i, a := range page.Items {
		out[i] = summarize(a)
	}
	return out, nil
}

// patch is one row of a bulk edit: set is read as a PATCH body.
func (s *Service) patch(ctx context.Context, tx *store.Tx, p *auth.Principal, id int64, set map[string]any) error {
	var in Input
	if err := record.DecodeSet(set, &in); err != nil {
		return err
	}
	// A bulk edit changes the articles' own fields, never their text.
	if in.Title != nil || in.Body != nil || in.State != nil || in.Links != nil {
		return domainerr.Field("set", "a bulk edit changes audience, customers, owner or review date; an article's text changes one at a time")
	}
	cur, err := get(ctx, tx, id)
	if err != nil {
		return err
	}
	return s.update(ctx, tx, p, cur, in)
}
