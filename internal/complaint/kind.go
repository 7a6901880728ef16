package complaint

import (
	"context"

	"steward/internal/auth"
	"steward/internal/record"
	"steward/internal/store"
)

// KindName is the complaint kind's name in links, attachments and search.
const KindName = "complaint"

// FilterFields are the list parameters a saved complaint filter may use.
var FilterFields = []string{"state", "customer_id", "owner_id", "overdue", "q"}

// Kind declares complaints to the record kernel.
func (s *Service) Kind() *record.Kind {
	return &record.Kind{
		Name: KindName, Label: "Complaint", Prefix: NumberPrefix, Path: "complaints",
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

func summarize(c Complaint) record.Summary {
	return record.Summary{Kind: KindName, ID: c.ID, Number: c.Number, Title: c.Title, State: string(c.State),
		URL: "/complaints/" + c.Number}
}

func (s *Service) summary(ctx context.Context, q store.Querier, p *auth.Principal, id int64) (record.Summary, error) {
	if !p.Can(PermRead) {
		return record.Summary{}, store.ErrNotFound
	}
	c, err := get(ctx, q, id)
	if err != nil {
		return record.Summary{}, err
	}
	if !Visible(p, c) {
		return record.Summary{}, store.ErrNotFound
	}
	return summarize(c), nil
}

func (s *Service) search(ctx context.Context, p *auth.Principal, words string, limit int) ([]record.Summary, error) {
	page, err := s.List(ctx, p, Filter{Query: words, Limit: min(limit, MaxLimit)})
	if err != nil {
		return nil, nil // nothing searchable in the words
	}
	out := make([]record.Summary, len(page.Items))
	for i, c := range page.Items {
		out[i] = summarize(c)
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
