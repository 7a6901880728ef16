package record

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// MaxBulk bounds the records one bulk edit may name.
const MaxBulk = 1000

// BulkResult is the outcome of one row of a bulk edit: Err is nil when the
// row was applied (or, in an all-or-nothing edit that failed, would have
// been).
type BulkResult struct {
	Ref string
	ID  int64
	Err error
}

// errRolledBack ends an all-or-nothing transaction in which a row failed.
var errRolledBack = errors.New("bulk edit rolled back")

// Bulk applies set to every record in refs, each checked and journaled as
// if edited alone. Without allOrNothing a bad row leaves the others
// applied; with it, nothing is kept unless every row succeeds. applied
// reports whether the good rows were kept.
func (ks *Kinds) Bulk(ctx context.Context, db *store.DB, p *auth.Principal, k *Kind, refs []string, set map[string]any, allOrNothing bool) (results []BulkResult, applied bool, err error) {
	if !p.Can(k.Update) {
		return nil, false, domainerr.ErrForbidden
	}
	v := domainerr.NewInvalid()
	switch {
	case len(refs) == 0:
		v.Add("refs", "name at least one record")
	case len(refs) > MaxBulk:
		v.Add("refs", "may name at most %d records", MaxBulk)
	}
	if len(set) == 0 {
		v.Add("set", "name at least one field to change")
	}
	if err := v.Err(); err != nil {
		return nil, false, err
	}
	results = make([]BulkResult, len(refs))
	for i, ref := range refs {
		results[i].Ref = ref
		id, ok := k.ParseRef(ref)
		if !ok {
			results[i].Err = store.ErrNotFound
			continue
		}
		results[i].ID = id
	}
	// One transaction with a savepoint per row: a row that fails is rolled
	// back alone (on PostgreSQL too, where an error spoils the transaction)
	// and the next rows are still checked; one commit for all is half the
	// time of a commit per row.
	err = db.InTx(ctx, func(tx *store.Tx) error {
		failed := false
		for i := range results {
			if results[i].Err != nil {
				failed = true
				continue
			}
			sp := fmt.Sprintf("bulk_row_%d", i)
			if err := tx.Savepoint(ctx, sp); err != nil {
				return err
			}
			if err := k.Patch(ctx, tx, p, results[i].ID, set); err != nil {
				results[i].Err, failed = err, true
				if err := tx.RollbackTo(ctx, sp); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(ctx, "RELEASE SAVEPOINT "+sp); err != nil {
				return err
			}
		}
		if failed && allOrNothing {
			return errRolledBack
		}
		return nil
	})
	if errors.Is(err, errRolledBack) {
		return results, false, nil
	}
	return results, err == nil, err
}

// DecodeSet reads the fields of a bulk edit into a kind's patch struct,
// refusing fields it does not have, as the kind's PATCH does.
func DecodeSet(set map[string]any, dst any) error {
	raw, err := json.Marshal(set)
	if err != nil {
		return domainerr.Field("set", "must be an object of fields")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err = dec.Decode(dst)
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &te) && te.Field != "":
		return domainerr.Field(te.Field, "has the wrong type")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return domainerr.Field(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "cannot be set here")
	}
	return domainerr.Field("set", "%s", strings.TrimPrefix(err.Error(), "json: "))
}
