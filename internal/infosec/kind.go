package infosec

import (
	"context"

	"steward/internal/auth"
	"steward/internal/record"
	"steward/internal/store"
)

// KindName is the security incident kind's name in links, attachments and
// search.
const KindName = "security_incident"

// FilterFields are the list parameters a saved filter may use.
var FilterFields = []string{"state", "q"}

// Kind declares security incidents to the record kernel. Its Load and
// Search hide every record from whoever is not cleared, so links,
// attachments, search and bulk edits find nothing for them.
func (s *Service) Kind() *record.Kind {
	return &record.Kind{
		Name: KindName, Label: "Security incident", Prefix: NumberPrefix, Path: "security-incidents",
		Read: PermRead, Update: PermWork, Comment: PermWork,
		Load:         s.summary,
		Note:         journal.Note,
		Entry:        journal.Comment,
		Search:       s.search,
		Patch:        s.patch,
		FilterFields: FilterFields,
		Machine:      &Machine,
	}
}

func summarize(in Incident) record.Summary {
	return record.Summary{Kind: KindName, ID: in.ID, Number: in.Number, Title: in.Title, State: string(in.State),
		URL: "/security-incidents/" + in.Number}
}

func (s *Service) summary(ctx context.Context, q store.Querier, p *auth.Principal, id int64) (record.Summary, error) {
	if ok, err := Cleared(ctx, q, p); err != nil || !ok {
		return record.Summary{}, cmpErr(err, store.ErrNotFound)
	}
	in, err := get(ctx, q, id)
	if err != nil {
		return record.Summary{}, err
	}
	return summarize(in), nil
}

func (s *Service) search(ctx context.Context, p *auth.Principal, words string, limit int) ([]record.Summary, error) {
	page, err := s.List(ctx, p, Filter{Query: words, Limit: min(limit, MaxLimit)})
	if err != nil {
		return nil, nil // nothing searchable in the words
	}
	out := make([]record.Summary, len(page.Items))
	for i, in := range page.Items {
		out[i] = summarize(in)
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
