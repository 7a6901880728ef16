package cmdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// NewCIType is what an admin sends to define a type.
type NewCIType struct {
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Attributes  []Attribute `json:"attributes"`
}

// CITypePatch changes a type; absent fields stay as they are. Attributes,
// when given, replace the whole list.
type CITypePatch struct {
	Name        *string      `json:"name"`
	Description *string      `json:"description"`
	Attributes  *[]Attribute `json:"attributes"`
}

// MaxTypes bounds the list of types (a CMDB has tens, not thousands).
const MaxTypes = 1000

const typeCols = "id, name, description, attributes, builtin, created_at, updated_at, version"

type rowScanner interface{ Scan(...any) error }

func scanType(r rowScanner) (CIType, error) {
	var t CIType
	var attrs string
	var created, updated store.Time
	if err := r.Scan(&t.ID, &t.Name, &t.Description, &attrs, &t.Builtin, &created, &updated, &t.Version); err != nil {
		return t, store.ScanErr(err)
	}
	if err := json.Unmarshal([]byte(attrs), &t.Attributes); err != nil {
		return t, fmt.Errorf("ci type %d attributes: %w", t.ID, err)
	}
	if t.Attributes == nil {
		t.Attributes = []Attribute{}
	}
	t.CreatedAt, t.UpdatedAt = created.Time, updated.Time
	return t, nil
}

// FindType loads a type by id ("12") or by name, in any letter case.
func FindType(ctx context.Context, q store.Querier, ref string) (CIType, error) {
	ref = strings.TrimSpace(ref)
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		return typeByID(ctx, q, id)
	}
	if ref == "" {
		return CIType{}, store.ErrNotFound
	}
	return scanType(q.QueryRow(ctx, "SELECT "+typeCols+" FROM ci_types WHERE lower(name) = lower(?)", ref))
}

func typeByID(ctx context.Context, q store.Querier, id int64) (CIType, error) {
	return scanType(q.QueryRow(ctx, "SELECT "+typeCols+" FROM ci_types WHERE id = ?", id))
}

// allTypes lists every type by name.
func allTypes(ctx context.Context, q store.Querier) ([]CIType, error) {
	rows, err := q.Query(ctx, "SELECT "+typeCols+" FROM ci_types ORDER BY lower(name), id LIMIT ?", MaxTypes)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []CIType{}
	for rows.Next() {
		t, err := scanType(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// ListTypes returns every CI type by name.
func (s *Service) ListTypes(ctx context.Context) ([]CIType, error) { return allTypes(ctx, s.DB) }

// GetType loads a type by id or name.
func (s *Service) GetType(ctx context.Context, ref string) (CIType, error) {
	return FindType(ctx, s.DB, ref)
}

func (s *Service) now() time.Time {
	return s.Now().UTC().Truncate(time.Microsecond)
}

// mergeInvalid copies the messages of a validation error into v; other
// errors are returned.
func mergeInvalid(v *domainerr.Invalid, err error) error {
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		for k, m := range inv.Fields {
			v.Add(k, "%s", m)
		}
		return nil
	}
	return err
}

// checkType validates a normalized type and resolves each ref_type to the
// name of an existing type, as stored. self is the type's own name, which
// a reference may name before the type exists; renamedFrom is its former
// name during a rename.
func checkType(ctx context.Context, q store.Querier, t *CIType, renamedFrom string) error {
	v := domainerr.NewInvalid()
	if err := mergeInvalid(v, t.Validate()); err != nil {
		return err
	}
	if _, err := strconv.ParseInt(t.Name, 10, 64); err == nil {
		v.Add("name", "must not be a number: types are found by id or by name")
	}
	for i := range t.Attributes {
		a := &t.Attributes[i]
		if a.RefType == "" {
			continue
		}
		if strings.EqualFold(a.RefType, t.Name) || (renamedFrom != "" && strings.EqualFold(a.RefType, renamedFrom)) {
			a.RefType = t.Name
			continue
		}
		rt, err := FindType(ctx, q, a.RefType)
		if errors.Is(err, store.ErrNotFound) {
			v.Add(fmt.Sprintf("attributes[%d].ref_type", i), "no CI type named %q", a.RefType)
			continue
		} else if err != nil {
			return err
		}
		a.RefType = rt.Name
	}
	return v.Err()
}

// CreateType defines a new CI type.
func (s *Service) CreateType(ctx context.Context, actor audit.Actor, in NewCIType) (CIType, error) {
	t := CIType{Name: in.Name, Description: in.Description, Attributes: in.Attributes}
	t.Normalize()
	now := s.now()
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := checkType(ctx, tx, &t, ""); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM ci_types").Scan(&n); err != nil {
			return err
		}
		if n >= MaxTypes {
			return domainerr.Conflictf("there are already %d CI types, the most Steward keeps; reuse or delete one", n)
		}
		raw, _ := json.Marshal(t.Attributes)
		err := store.ScanErr(tx.QueryRow(ctx, `INSERT INTO ci_types (name, description, attributes, builtin, created_at, updated_at, version)
			VALUES (?, ?, ?, FALSE, ?, ?, 1) RETURNING id`, t.Name, t.Description, string(raw), store.TS(now), store.TS(now)).Scan(&t.ID))
		if errors.Is(err, store.ErrConflict) {
			return domainerr.Field("name", "a CI type named %q already exists", t.Name)
		} else if err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "create", "ci_type", t.ID, t)
	})
	if err != nil {
		return CIType{}, err
	}
	return typeByID(ctx, s.DB, t.ID)
}

// UpdateType renames a type, edits its description or replaces its
// attributes. Attribute changes that existing CIs would not satisfy are
// refused (see reconcileAttributes); values that only change form (a
// number kept as text once the attribute becomes a string) are rewritten,
// with a history entry on each CI. With ifVersion other than 0 the change
// is refused with ErrStale when the type moved on meanwhile.
func (s *Service) UpdateType(ctx context.Context, actor audit.Actor, ref string, pt CITypePatch, ifVersion int) (CIType, error) {
	var id int64
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := FindType(ctx, tx, ref)
		if err != nil {
			return err
		}
		id = cur.ID
		if ifVersion != 0 && cur.Version != ifVersion {
			return domainerr.ErrStale
		}
		next := cur
		if pt.Name != nil {
			next.Name = *pt.Name
		}
		if pt.Description != nil {
			next.Description = *pt.Description
		}
		if pt.Attributes != nil {
			next.Attributes = append([]Attribute(nil), (*pt.Attributes)...)
		} else {
			next.Attributes = append([]Attribute(nil), cur.Attributes...)
		}
		next.Normalize()
		if err := checkType(ctx, tx, &next, cur.Name); err != nil {
			return err
		}
		changes := map[string][2]any{}
		if next.Name != cur.Name {
			changes["name"] = [2]any{cur.Name, next.Name}
		}
		if next.Description != cur.Description {
			changes["description"] = [2]any{cur.Description, next.Description}
		}
		oldAttrs, _ := json.Marshal(cur.Attributes)
		newAttrs, _ := json.Marshal(next.Attributes)
		if string(oldAttrs) != string(newAttrs) {
			changes["attributes"] = [2]any{cur.Attributes, next.Attributes}
		}
		if len(changes) == 0 {
			return nil
		}
		now := s.now()
		res, err := tx.Exec(ctx, `UPDATE ci_types SET name = ?, description = ?, attributes = ?, updated_at = ?, version = version + 1
			WHERE id = ? AND version = ?`, next.Name, next.Description, string(newAttrs), store.TS(now), cur.ID, cur.Version)
		if errors.Is(err, store.ErrConflict) {
			return domainerr.Field("name", "a CI type named %q already exists", next.Name)
		} else if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domainerr.ErrStale
		}
		data := map[string]any{"changes": changes}
		if _, ok := changes["attributes"]; ok {
			n, err := s.reconcileAttributes(ctx, tx, actor, cur, next, now)
			if err != nil {
				return err
			}
			if n > 0 {
				data["cis_rewritten"] = n
			}
		}
		if next.Name != cur.Name {
			if err := renameRefType(ctx, tx, actor, cur.ID, cur.Name, next.Name, now); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, actor, "update", "ci_type", cur.ID, data)
	})
	if err != nil {
		return CIType{}, err
	}
	return typeByID(ctx, s.DB, id)
}

// renameRefType follows a type's rename in the reference attributes of
// the other types that name it.
func renameRefType(ctx context.Context, tx *store.Tx, actor audit.Actor, id int64, from, to string, now time.Time) error {
	types, err := allTypes(ctx, tx)
	if err != nil {
		return err
	}
	for _, t := range types {
		if t.ID == id {
			continue
		}
		changed := false
		for i := range t.Attributes {
			if t.Attributes[i].RefType != "" && strings.EqualFold(t.Attributes[i].RefType, from) {
				t.Attributes[i].RefType, changed = to, true
			}
		}
		if !changed {
			continue
		}
		raw, _ := json.Marshal(t.Attributes)
		if _, err := tx.Exec(ctx, "UPDATE ci_types SET attributes = ?, updated_at = ?, version = version + 1 WHERE id = ?",
			string(raw), store.TS(now), t.ID); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, actor, "update", "ci_type", t.ID,
			map[string]any{"ref_type_renamed": [2]string{from, to}}); err != nil {
			return err
		}
	}
	return nil
}

// DeleteType removes a type no CI uses and no other type refers to.
// Built-in types may be changed but stay.
func (s *Service) DeleteType(ctx context.Context, actor audit.Actor, ref string, ifVersion int) error {
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := FindType(ctx, tx, ref)
		if err != nil {
			return err
		}
		if ifVersion != 0 && cur.Version != ifVersion {
			return domainerr.ErrStale
		}
		if cur.Builtin {
			return domainerr.Conflictf("CI type %q is built in: it can be renamed and its attributes changed, but it cannot be deleted", cur.Name)
		}
		var n int64
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM cis WHERE type_id = ?", cur.ID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return domainerr.Conflictf("CI type %q cannot be deleted: %d CIs are of this type; delete them first", cur.Name, n)
		}
		types, err := allTypes(ctx, tx)
		if err != nil {
			return err
		}
		for _, t := range types {
			for _, a := range t.Attributes {
				if t.ID != cur.ID && strings.EqualFold(a.RefType, cur.Name) {
					return domainerr.Conflictf("CI type %q cannot be deleted: attribute %q of type %q refers to it", cur.Name, a.Name, t.Name)
				}
			}
		}
		if _, err := tx.Exec(ctx, "DELETE FROM ci_types WHERE id = ?", cur.ID); err != nil {
			if errors.Is(err, store.ErrReferenced) {
				return domainerr.Conflictf("CI type %q cannot be deleted: other records refer to it", cur.Name)
			}
			return err
		}
		return audit.Record(ctx, tx, actor, "delete", "ci_type", cur.ID, map[string]any{"name": cur.Name})
	})
}
