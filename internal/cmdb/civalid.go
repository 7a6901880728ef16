package cmdb

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// ciTypeNames maps each of ids that exists to its CI type's name.
func ciTypeNames(ctx context.Context, q store.Querier, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	for len(ids) > 0 {
		n := min(len(ids), 500)
		rows, err := q.Query(ctx, "SELECT c.id, t.name FROM cis c JOIN ci_types t ON t.id = c.type_id WHERE c.id IN ("+
			placeholders(n)+")", int64Args(ids[:n])...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var name string
			if err := rows.Scan(&id, &name); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = name
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		ids = ids[n:]
	}
	return out, nil
}

// checkFields validates what needs no database.
func checkFields(v *domainerr.Invalid, c *CI, changeRef string) {
	c.Name = strings.TrimSpace(c.Name)
	c.Location = strings.TrimSpace(c.Location)
	domainerr.Text(v, "name", c.Name, true, domainerr.MaxName)
	domainerr.Text(v, "location", c.Location, false, domainerr.MaxName)
	domainerr.Text(v, "change_ref", changeRef, false, domainerr.MaxShort)
	if !c.Status.Valid() {
		names := make([]string, len(Statuses))
		for i, s := range Statuses {
			names[i] = string(s)
		}
		v.Add("status", "must be one of %s", strings.Join(names, ", "))
	}
	if c.Redundancy != nil {
		c.Redundancy.Validate(v, "redundancy")
	}
}

// checkRef verifies that an optional id names a row of table.
func checkRef(ctx context.Context, q store.Querier, v *domainerr.Invalid, field, table, what string, id *int64) error {
	if id == nil {
		return nil
	}
	var one int
	err := store.ScanErr(q.QueryRow(ctx, "SELECT 1 FROM "+table+" WHERE id = ?", *id).Scan(&one))
	if errors.Is(err, store.ErrNotFound) {
		v.Add(field, "%s %d does not exist", what, *id)
		return nil
	}
	return err
}

// checkOwnership checks the people and groups a CI names: all of them, or
// those pt sets. The owner is an agent or an administrator, as the CI form
// asks, unless they already owned the CI (was).
func checkOwnership(ctx context.Context, q store.Querier, v *domainerr.Invalid, c CI, all bool, pt *CIPatch, was *int64) error {
	if owner := c.OwnerID; all || pt.OwnerID.Set {
		if was != nil && owner != nil && *was == *owner {
			owner = nil
		}
		if err := auth.CheckWorker(ctx, q, v, "owner_id", owner); err != nil {
			return err
		}
	}
	for _, r := range []struct {
		field, table, what string
		id                 *int64
		set                bool
	}{
		{"group_id", "support_groups", "group", c.GroupID, all || pt.GroupID.Set},
		{"customer_id", "customers", "customer", c.CustomerID, all || pt.CustomerID.Set},
		{"service_id", "services", "service", c.ServiceID, all || pt.ServiceID.Set},
	} {
		if r.set {
			if err := checkRef(ctx, q, v, r.field, r.table, r.what, r.id); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkReferences verifies that the reference attributes among names
// point to existing CIs, of the attribute's ref_type when it has one.
func checkReferences(ctx context.Context, q store.Querier, v *domainerr.Invalid, t *CIType, attrs map[string]any, names []string) error {
	var ids []int64
	for _, n := range names {
		if a, ok := t.Attr(n); ok && a.Type == AttrReference {
			if id, ok := attrs[n].(int64); ok {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	types, err := ciTypeNames(ctx, q, ids)
	if err != nil {
		return err
	}
	for _, n := range names {
		a, _ := t.Attr(n)
		id, ok := attrs[n].(int64)
		if a.Type != AttrReference || !ok {
			continue
		}
		got, found := types[id]
		switch {
		case !found:
			v.Add("attributes."+n, "CI %d does not exist", id)
		case a.RefType != "" && !strings.EqualFold(got, a.RefType):
			v.Add("attributes."+n, "CI %d is a %s; %s must refer to a CI of type %q", id, got, n, a.RefType)
		}
	}
	return nil
}

// checkIdentifiers verifies that the unique attributes among names hold
// values no other CI of the type holds.
func checkIdentifiers(ctx context.Context, q store.Querier, v *domainerr.Invalid, t *CIType, self int64, attrs map[string]any, names []string) error {
	for _, n := range names {
		a, ok := t.Attr(n)
		val, has := attrs[n]
		if !ok || !a.Unique || !has {
			continue
		}
		var other int64
		var name string
		err := store.ScanErr(q.QueryRow(ctx, `SELECT c.id, c.name FROM ci_identifiers i JOIN cis c ON c.id = i.ci_id
			WHERE i.type_id = ? AND i.attribute = ? AND i.value = ?`, t.ID, n, IdentifierValue(val)).Scan(&other, &name))
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return err
		case other != self:
			v.Add("attributes."+n, "%q is already the %s of CI %d (%s)", IdentifierValue(val), n, other, name)
		}
	}
	return nil
}

func writeIdentifiers(ctx context.Context, tx *store.Tx, t *CIType, id int64, attrs map[string]any, names []string) error {
	for _, n := range names {
		a, ok := t.Attr(n)
		if !ok || !a.Unique {
			continue
		}
		if _, err := tx.Exec(ctx, "DELETE FROM ci_identifiers WHERE type_id = ? AND attribute = ? AND ci_id = ?", t.ID, n, id); err != nil {
			return err
		}
		val, has := attrs[n]
		if !has {
			continue
		}
		_, err := tx.Exec(ctx, "INSERT INTO ci_identifiers (type_id, attribute, value, ci_id) VALUES (?, ?, ?, ?)",
			t.ID, n, IdentifierValue(val), id)
		if errors.Is(err, store.ErrConflict) {
			return domainerr.Field("attributes."+n, "%q is already the %s of another CI of type %q", IdentifierValue(val), n, t.Name)
		} else if err != nil {
			return err
		}
	}
	return nil
}

// typeForInput resolves the type a new CI names, with a message listing
// the types when it names none.
func typeForInput(ctx context.Context, q store.Querier, v *domainerr.Invalid, ref TypeRef) (*CIType, error) {
	if strings.TrimSpace(string(ref)) == "" {
		v.Add("type", "is required: the name or id of a CI type")
		return nil, nil
	}
	t, err := FindType(ctx, q, string(ref))
	if errors.Is(err, store.ErrNotFound) {
		types, err := allTypes(ctx, q)
		if err != nil {
			return nil, err
		}
		names := make([]string, 0, len(types))
		for i, t := range types {
			if i == 30 {
				names = append(names, "...")
				break
			}
			names = append(names, t.Name)
		}
		v.Add("type", "no CI type %q; the types are %s", string(ref), strings.Join(names, ", "))
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// referrers names up to five CIs whose reference attributes point to c.
func referrers(ctx context.Context, q store.Querier, c CI) ([]string, error) {
	types, err := allTypes(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, t := range types {
		for _, a := range t.Attributes {
			if a.Type != AttrReference || (a.RefType != "" && !strings.EqualFold(a.RefType, c.Type)) {
				continue
			}
			rows, err := q.Query(ctx, "SELECT c.id, c.name FROM cis c WHERE c.type_id = ? AND "+attrMatch(q.Dialect(), "c.attributes")+" LIMIT 5",
				append([]any{t.ID}, attrMatchArgs(q.Dialect(), a.Name, c.ID)...)...)
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				var id int64
				var name string
				if err := rows.Scan(&id, &name); err != nil {
					rows.Close()
					return nil, err
				}
				out = append(out, fmt.Sprintf("%s (#%d) by %s", name, id, a.Name))
			}
			rows.Close()
			if err := rows.Err(); err != nil || len(out) >= 5 {
				return out, err
			}
		}
	}
	return out, nil
}

// attrMatch is SQL comparing one attribute in a JSON column with a value;
// attrMatchArgs gives its two arguments.
func attrMatch(d store.Dialect, col string) string {
	if d == store.Postgres {
		return "(" + col + "::jsonb -> CAST(? AS text)) = CAST(? AS jsonb)"
	}
	return "json_extract(" + col + ", ?) = ?"
}

func attrMatchArgs(d store.Dialect, name string, val any) []any {
	if d == store.Postgres {
		return []any{name, jsonText(val)}
	}
	if b, ok := val.(bool); ok {
		val = 0
		if b {
			val = 1
		}
	}
	return []any{"$." + name, val}
}
