package release

import (
	"context"
	"strconv"
	"strings"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/record"
	"steward/internal/store"
)

// ParseChangeRef reads a change's number (CHG-000123, chg-123) or id.
func ParseChangeRef(ref string) (int64, bool) {
	ref = strings.TrimSpace(ref)
	if id, ok := record.NumberID("CHG-", ref); ok {
		return id, true
	}
	id, err := strconv.ParseInt(ref, 10, 64)
	return id, err == nil && id > 0
}

// AddChange groups change ref into release id. A change already in the
// release stays as it is. Changes join a release until it is deployed:
// from deploying on, its scope is fixed.
func (s *Service) AddChange(ctx context.Context, p *auth.Principal, id int64, ref string, ifVersion int) (Detail, error) {
	if !p.Can(PermWrite) {
		return Detail{}, domainerr.ErrForbidden
	}
	cid, ok := ParseChangeRef(ref)
	if !ok {
		return Detail{}, domainerr.Field("change", "must be a change number such as CHG-000123")
	}
	return s.scope(ctx, p, id, ifVersion, func(tx *store.Tx, cur Release) error {
		c, msg, err := lookupChange(ctx, tx, cid)
		if err != nil {
			return err
		}
		if msg != "" {
			return domainerr.Field("change", "%s", msg)
		}
		res, err := tx.Exec(ctx, `INSERT INTO release_changes (release_id, change_id, created_at) VALUES (?, ?, ?)
			ON CONFLICT DO NOTHING`, id, cid, store.TS(now()))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errUnchanged
		}
		return note(ctx, tx, p, id, "change", "", c.Number+" "+c.Title)
	})
}

// RemoveChange takes change ref out of release id; a change the release
// does not group is not found.
func (s *Service) RemoveChange(ctx context.Context, p *auth.Principal, id int64, ref string, ifVersion int) (Detail, error) {
	if !p.Can(PermWrite) {
		return Detail{}, domainerr.ErrForbidden
	}
	cid, ok := ParseChangeRef(ref)
	if !ok {
		return Detail{}, store.ErrNotFound
	}
	return s.scope(ctx, p, id, ifVersion, func(tx *store.Tx, cur Release) error {
		res, err := tx.Exec(ctx, "DELETE FROM release_changes WHERE release_id = ? AND change_id = ?", id, cid)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return note(ctx, tx, p, id, "change", ChangeNumber(cid), "")
	})
}

// errUnchanged ends a scope change that changed nothing, without error.
var errUnchanged = domainerr.Conflictf("unchanged")

// scope runs a change to the release's changes in one transaction, in a
// state that allows it, and moves the release to its next version.
func (s *Service) scope(ctx context.Context, p *auth.Principal, id int64, ifVersion int, fn func(tx *store.Tx, cur Release) error) (Detail, error) {
	var out Detail
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := writable(ctx, tx, id, ifVersion)
		if err != nil {
			return err
		}
		if !cur.State.in(scopedIn) {
			return domainerr.Conflictf("%s is %s: changes join or leave a release only while it is planned, building or testing", cur.Number, cur.State)
		}
		switch err := fn(tx, cur); {
		case err == errUnchanged:
		case err != nil:
			return err
		default:
			if err := touch(ctx, tx, id, now()); err != nil {
				return err
			}
		}
		out, err = detail(ctx, tx, id)
		return err
	})
	return out, err
}

// note journals and audits one line about a release's changes or
// deployments.
func note(ctx context.Context, tx *store.Tx, p *auth.Principal, id int64, field, old, new string) error {
	ch := []FieldChange{{Field: field, Old: old, New: new}}
	if err := appendJournal(ctx, tx, id, p, "change", "", ch, now()); err != nil {
		return err
	}
	return audit.Record(ctx, tx, p.Actor(), "update", "release", id, ch)
}
