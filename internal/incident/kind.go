package incident

import (
	"context"
	"errors"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/record"
	"steward/internal/store"
)

// KindName is the incident kind's name in links, attachments and search.
const KindName = "incident"

// FilterFields are the list parameters a saved incident filter may use:
// those the API reads alike for requests, and the incident list's own.
var FilterFields = record.APIListParams.FilterNames("category", "major", "created_after", "created_before")

// Kind declares incidents to the record kernel.
func (s *Service) Kind() *record.Kind {
	return &record.Kind{
		Name: KindName, Label: "Incident", Prefix: NumberPrefix, Path: "incidents",
		Read: PermRead, Update: PermUpdate, Comment: PermComment,
		Load:         s.summary,
		Note:         journal.Note,
		Entry:        journal.Comment,
		Search:       s.search,
		Patch:        s.patch,
		FilterFields: FilterFields,
		Machine:      &Machine,
	}
}

func summarize(inc Incident) record.Summary {
	return record.Summary{Kind: KindName, ID: inc.ID, Number: inc.Number, Title: inc.Title, State: string(inc.State),
		URL: "/incidents/" + inc.Number}
}

func (s *Service) summary(ctx context.Context, q store.Querier, p *auth.Principal, id int64) (record.Summary, error) {
	inc, err := get(ctx, q, id)
	if err != nil {
		return record.Summary{}, err
	}
	if !Visible(p, inc) {
		return record.Summary{}, store.ErrNotFound
	}
	return summarize(inc), nil
}

func (s *Service) search(ctx context.Context, p *auth.Principal, words string, limit int) ([]record.Summary, error) {
	page, err := s.List(ctx, p, Filter{Query: words, Limit: min(limit, MaxLimit)})
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		return nil, nil // nothing searchable in the words
	}
	if err != nil {
		return nil, err
	}
	out := make([]record.Summary, len(page.Items))
	for i, inc := range page.Items {
		out[i] = summarize(inc)
	}
	return out, nil
}

// patch is one row of a bulk edit: set is read as a PATCH body.
func (s *Service) patch(ctx context.Context, tx *store.Tx, p *auth.Principal, id int64, set map[string]any) error {
	var pt Patch
	if err := record.DecodeSet(set, &pt); err != nil {
		return err
	}
	matrix, err := s.Matrix(ctx)
	if err != nil {
		return err
	}
	return s.update(ctx, tx, p, id, pt, 0, matrix)
}

// byNumber is the answer to a search for one incident number: that
// incident when p may see it, else nothing.
func (s *Service) byNumber(ctx context.Context, p *auth.Principal, id int64) (Page, error) {
	inc, err := s.Get(ctx, p, id)
	if errors.Is(err, store.ErrNotFound) {
		return Page{Items: []Incident{}}, nil
	}
	if err != nil {
		return Page{}, err
	}
	return Page{Items: []Incident{inc}}, nil
}

// Count counts the incidents p may see that match f, up to limit.
func (s *Service) Count(ctx context.Context, p *auth.Principal, f Filter, limit int) (int, error) {
	if !p.Can(PermRead) {
		return 0, domainerr.ErrForbidden
	}
	where, args := s.where(p, f, "updated_at")
	return record.CountUpTo(ctx, s.DB, "incidents i", where, args, limit)
}
