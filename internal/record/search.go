package record

import (
	"context"
	"errors"

	"steward/internal/auth"
	"steward/internal/store"
)

// MaxSearch bounds the results of a search across kinds.
const MaxSearch = 50

// Search finds records of every kind p may read. A record number ("INC-22",
// "req-000045") goes straight to that record; other words are searched in
// each kind's own index, newest first.
func (ks *Kinds) Search(ctx context.Context, q store.Querier, p *auth.Principal, words string, limit int) ([]Summary, error) {
	if limit <= 0 || limit > MaxSearch {
		limit = MaxSearch
	}
	out := []Summary{}
	if _, s, err := ks.Find(ctx, q, p, words); err == nil {
		return append(out, s), nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	var kinds []*Kind
	for _, k := range ks.All() {
		if k.Search != nil && p.Can(k.Read) {
			kinds = append(kinds, k)
		}
	}
	// Each kind gets its share, so that one busy kind does not hide the rest.
	for _, k := range kinds {
		found, err := k.Search(ctx, p, words, max(limit/len(kinds), 1))
		if err != nil {
			return nil, err
		}
		out = append(out, found...)
	}
	return out, nil
}
