package document

import (
	"context"
	"strconv"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/record"
	"steward/internal/sms"
	"steward/internal/store"
)

// KindName is the document kind's name in links, attachments and search.
const KindName = "document"

// NumberPrefix starts a document's number: DOC-000012. Pages and the API
// take the number or the plain id.
const NumberPrefix = "DOC-"

// Kind declares documents to the record kernel, which keeps their files
// (a version may be a file rather than Markdown), their links to other
// records and finds them in search. Documents have no journal: what the
// kernel changes about one goes to the audit trail.
func (s *Service) Kind() *record.Kind {
	return &record.Kind{
		Name: KindName, Label: "Document", Prefix: NumberPrefix, Path: "documents",
		Read: sms.PermRead, Update: sms.PermWrite, Comment: sms.PermWrite,
		Load:   summary,
		Note:   note,
		Entry:  noEntry,
		Search: s.search,
		Patch:  s.patch,
	}
}

// Number is a document's record number.
func Number(id int64) string { return (&record.Kind{Prefix: NumberPrefix}).Number(id) }

// ParseRef reads a document's id or number (12, DOC-000012, doc-12).
func ParseRef(ref string) (int64, bool) { return (&record.Kind{Prefix: NumberPrefix}).ParseRef(ref) }

func summarize(d Document) record.Summary {
	return record.Summary{Kind: KindName, ID: d.ID, Number: Number(d.ID), Title: d.Title, State: string(d.Status),
		URL: "/documents/" + strconv.FormatInt(d.ID, 10)}
}

func summary(ctx context.Context, q store.Querier, p *auth.Principal, id int64) (record.Summary, error) {
	if !p.Can(sms.PermRead) {
		return record.Summary{}, store.ErrNotFound
	}
	d, err := Get(ctx, q, id)
	if err != nil {
		return record.Summary{}, err
	}
	return summarize(d), nil
}

// note writes what the kernel changed about a document (a file, a link)
// to the audit trail, documents having no journal of their own.
func note(ctx context.Context, tx *store.Tx, p *auth.Principal, id int64, field, old, new string, _ bool) error {
	return audit.Record(ctx, tx, p.Actor(), "note", "document", id, map[string]any{"field": field, "old": old, "new": new})
}

// noEntry: documents have no comments for a file to belong to.
func noEntry(context.Context, store.Querier, int64, int64) (bool, error) {
	return false, store.ErrNotFound
}

func (s *Service) search(ctx context.Context, p *auth.Principal, words string, limit int) ([]record.Summary, error) {
	if !p.Can(sms.PermRead) {
		return nil, nil
	}
	page, err := List(ctx, s.DB, Filter{Query: words, Limit: min(limit, MaxList)})
	if err != nil {
		return nil, nil // nothing searchable in the words
	}
	out := make([]record.Summary, len(page.Items))
	for i, d := range page.Items {
		out[i] = summarize(d)
	}
	return out, nil
}

// patch is one row of a bulk edit: set is read as a PATCH body.
func (s *Service) patch(ctx context.Context, tx *store.Tx, p *auth.Principal, id int64, set map[string]any) error {
	var in Input
	if err := record.DecodeSet(set, &in); err != nil {
		return err
	}
	return s.update(ctx, tx, p.Actor(), id, in, 0)
}
