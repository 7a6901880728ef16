package release

import (
	"context"
	"errors"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/record"
	"steward/internal/store"
)

// KindName is the release kind's name in links, attachments and search.
const KindName = "release"

// FilterFields are the list parameters a saved release filter may use.
var FilterFields = []string{"state", "type", "q", "sort"}

// Kind declares releases to the record kernel.
func (s *Service) Kind() *record.Kind {
	return &record.Kind{
		Name: KindName, Label: "Release", Prefix: NumberPrefix, Path: "releases",
		Read: PermRead, Update: PermWrite, Comment: PermWrite,
		Load:         s.summary,
		Note:         journal.Note,
		Entry:        journal.Comment,
		Search:       s.search,
		Patch:        s.patch,
		FilterFields: FilterFields,
		Machine:      &Machine,
	}
}

func summarize(r Release) record.Summary {
	return record.Summary{Kind: KindName, ID: r.ID, Number: r.Number, Title: r.Title, State: string(r.State),
		URL: "/releases/" + r.Number}
}

func (s *Service) summary(ctx context.Context, q store.Querier, p *auth.Principal, id int64) (record.Summary, error) {
	if !p.Can(PermRead) {
		return record.Summary{}, store.ErrNotFound
	}
	r, err := get(ctx, q, id)
	if err != nil {
		return record.Summary{}, err
	}
	return summarize(r), nil
}

func (s *Service) search(ctx context.Context, p *auth.Principal, words string, limit int) ([]record.Summary, error) {
	page, err := s.List(ctx, p, Filter{Query: words, Limit: min(limit, MaxLimit)})
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]record.Summary, len(page.Items))
	for i, r := range page.Items {
		out[i] = summarize(r)
	}
	return out, nil
}

// patch is one row of a bulk edit: set is read as a PATCH body.
func (s *Service) patch(ctx context.Context, tx *store.Tx, p *auth.Principal, id int64, set map[string]any) error {
	if !p.Can(PermWrite) {
		return domainerr.ErrForbidden
	}
	var pt Patch
	if err := record.DecodeSet(set, &pt); err != nil {
		return err
	}
	return s.update(ctx, tx, p, id, pt, 0)
}
