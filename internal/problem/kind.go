package problem

import (
	"context"

	"steward/internal/auth"
	"steward/internal/record"
	"steward/internal/store"
)

// KindName is the problem kind's name in links, attachments and search.
const KindName = "problem"

// FilterFields are the list parameters a saved problem filter may use.
var FilterFields = []string{"state", "assignee_id", "ci_id", "service_id", "q"}

// Kind declares problems to the record kernel.
func (s *Service) Kind() *record.Kind {
	return &record.Kind{
		Name: KindName, Label: "Problem", Prefix: NumberPrefix, Path: "problems",
		Read: PermRead, Update: PermUpdate, Comment: PermUpdate,
		Load:         summary,
		Note:         journal.Note,
		Entry:        journal.Comment,
		Search:       s.search,
		Patch:        s.patch,
		FilterFields: FilterFields,
		Machine:      &Machine,
	}
}

func summarize(pr Problem) record.Summary {
	return record.Summary{Kind: KindName, ID: pr.ID, Number: pr.Number, Title: pr.Title, State: string(pr.State),
		URL: "/problems/" + pr.Number}
}

func summary(ctx context.Context, q store.Querier, p *auth.Principal, id int64) (record.Summary, error) {
	if !p.Can(PermRead) {
		return record.Summary{}, store.ErrNotFound
	}
	pr, err := scanProblem(q.QueryRow(ctx, selectCols+" WHERE p.id = ?", id))
	if err != nil {
		return record.Summary{}, err
	}
	return summarize(pr), nil
}

func (s *Service) search(ctx context.Context, p *auth.Principal, words string, limit int) ([]record.Summary, error) {
	page, err := s.List(ctx, p, Filter{Query: words, Limit: min(limit, MaxLimit)})
	if err != nil {
		return nil, nil // nothing searchable in the words
	}
	out := make([]record.Summary, len(page.Items))
	for i, pr := range page.Items {
		out[i] = summarize(pr)
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
