package change

import (
	"context"

	"steward/internal/auth"
	"steward/internal/record"
	"steward/internal/store"
)

// Kind declares changes to the record kernel: numbers, links (a change
// that caused an incident), attachments and search.
func (s *Service) Kind() *record.Kind {
	return &record.Kind{
		Name: KindName, Label: "Change", Prefix: NumberPrefix, Path: "changes",
		Read: PermRead, Update: PermUpdate, Comment: PermUpdate,
		Load:         s.summary,
		Note:         journal.Note,
		Entry:        journal.Comment,
		Search:       s.search,
		Patch:        s.patch,
		FilterFields: FilterFields,
		Machine:      &Machine,
	}
}

func summarize(c Change) record.Summary {
	return record.Summary{Kind: KindName, ID: c.ID, Number: c.Number, Title: c.Title, State: c.State, URL: "/changes/" + c.Number}
}

func (s *Service) summary(ctx context.Context, q store.Querier, p *auth.Principal, id int64) (record.Summary, error) {
	if !p.Can(PermRead) {
		return record.Summary{}, store.ErrNotFound
	}
	c, err := get(ctx, q, id)
	if err != nil {
		return record.Summary{}, err
	}
	return summarize(c), nil
}

func (s *Service) search(ctx context.Context, p *auth.Principal, words string, limit int) ([]record.Summary, error) {
	page, err := s.List(ctx, p, Filter{Query: words, Limit: min(limit, MaxLimit)})
	if err != nil {
		return nil, nil
	}
	out := make([]record.Summary, len(page.Items))
	for i, c := range page.Items {
		out[i] = summarize(c)
	}
	return out, nil
}

func (s *Service) patch(ctx context.Context, tx *store.Tx, p *auth.Principal, id int64, set map[string]any) error {
	var pt Patch
	if err := record.DecodeSet(set, &pt); err != nil {
		return err
	}
	if !p.Can(PermUpdate) {
		return store.ErrNotFound
	}
	return s.update(ctx, tx, p, id, pt, 0)
}
