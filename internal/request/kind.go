package request

import (
	"context"
	"errors"
	"strings"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/record"
	"steward/internal/store"
)

// KindName is the request kind's name in links, attachments and search.
const KindName = "request"

// FilterFields are the list parameters a saved request filter may use:
// those the API reads alike for incidents, and the request list's own.
var FilterFields = record.APIListParams.FilterNames("item_id")

// Kind declares service requests to the record kernel.
func (s *Service) Kind() *record.Kind {
	return &record.Kind{
		Name: KindName, Label: "Service request", Prefix: NumberPrefix, Path: "requests",
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

func summarize(r Request) record.Summary {
	return record.Summary{Kind: KindName, ID: r.ID, Number: r.Number, Title: r.Title, State: string(r.State),
		URL: "/requests/" + r.Number}
}

func (s *Service) summary(ctx context.Context, q store.Querier, p *auth.Principal, id int64) (record.Summary, error) {
	r, err := get(ctx, q, id)
	if err != nil {
		return record.Summary{}, err
	}
	ok, err := visible(ctx, q, p, r)
	if err != nil {
		return record.Summary{}, err
	}
	if !ok {
		return record.Summary{}, store.ErrNotFound
	}
	return summarize(r), nil
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
	for i, r := range page.Items {
		out[i] = summarize(r)
	}
	return out, nil
}

// patch is one row of a bulk edit: set is read as a PATCH body.
func (s *Service) patch(ctx context.Context, tx *store.Tx, p *auth.Principal, id int64, set map[string]any) error {
	var pt Patch
	if err := record.DecodeSet(set, &pt); err != nil {
		return err
	}
	return s.update(ctx, tx, p, id, pt, 0)
}

// Count counts the requests p may see that match f, up to limit.
func (s *Service) Count(ctx context.Context, p *auth.Principal, f Filter, limit int) (int, error) {
	if !p.Can(PermRead) {
		return 0, domainerr.ErrForbidden
	}
	where, args := s.where(p, f, false)
	for i := range where {
		// A count keeps no order, so every filter may use its index.
		where[i] = strings.ReplaceAll(where[i], "+r.", "r.")
	}
	return record.CountUpTo(ctx, s.DB, "requests r", where, args, limit)
}
