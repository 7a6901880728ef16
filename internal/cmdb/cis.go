package cmdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/patch"
	"steward/internal/store"
)

// TypeRef names a CI type by name or by id; JSON may give a string or a
// whole number.
type TypeRef string

// UnmarshalJSON accepts "Server" as well as 4.
func (r *TypeRef) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*r = TypeRef(s)
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err == nil {
		*r = TypeRef(strconv.FormatInt(n, 10))
		return nil
	}
	return &json.UnmarshalTypeError{Value: "value", Type: reflect.TypeOf("")}
}

// NewCI is what a client sends to record a configuration item.
type NewCI struct {
	Type       TypeRef        `json:"type"`
	Name       string         `json:"name"`
	Status     Status         `json:"status"` // default in_use
	OwnerID    *int64         `json:"owner_id"`
	GroupID    *int64         `json:"group_id"`
	CustomerID *int64         `json:"customer_id"`
	ServiceID  *int64         `json:"service_id"`
	Location   string         `json:"location"`
	Attributes map[string]any `json:"attributes"`
	Redundancy *Redundancy    `json:"redundancy"`
	// ChangeRef names the change record that authorised this, e.g. CHG-000123.
	ChangeRef string `json:"change_ref"`
}

// CIPatch changes a CI. Absent fields stay; null clears an optional id or
// the redundancy rule. Attributes merge into the CI's: a key with a value
// sets it, a key with null removes it. The type of a CI does not change.
type CIPatch struct {
	Name       *string                 `json:"name"`
	Status     *Status                 `json:"status"`
	OwnerID    patch.Field[int64]      `json:"owner_id"`
	GroupID    patch.Field[int64]      `json:"group_id"`
	CustomerID patch.Field[int64]      `json:"customer_id"`
	ServiceID  patch.Field[int64]      `json:"service_id"`
	Location   *string                 `json:"location"`
	Attributes map[string]any          `json:"attributes"`
	Redundancy patch.Field[Redundancy] `json:"redundancy"`
	ChangeRef  string                  `json:"change_ref"`
}

// CIHook runs inside the transaction that creates a CI, after it is stored.
type CIHook = func(ctx context.Context, tx *store.Tx, ci CI) error

const ciCols = `c.id, c.type_id, t.name, c.name, c.status, c.owner_id, c.group_id, c.customer_id, c.service_id,
	c.location, c.attributes, c.redundancy, c.created_at, c.updated_at, c.version`

const ciFrom = ` FROM cis c JOIN ci_types t ON t.id = c.type_id`

func scanCI(r rowScanner) (CI, error) {
	var c CI
	var attrs, red string
	var created, updated store.Time
	if err := r.Scan(&c.ID, &c.TypeID, &c.Type, &c.Name, &c.Status, &c.OwnerID, &c.GroupID, &c.CustomerID, &c.ServiceID,
		&c.Location, &attrs, &red, &created, &updated, &c.Version); err != nil {
		return c, store.ScanErr(err)
	}
	c.Attributes = map[string]any{}
	if err := json.Unmarshal([]byte(attrs), &c.Attributes); err != nil {
		return c, fmt.Errorf("ci %d attributes: %w", c.ID, err)
	}
	if red != "" {
		c.Redundancy = &Redundancy{}
		if err := json.Unmarshal([]byte(red), c.Redundancy); err != nil {
			return c, fmt.Errorf("ci %d redundancy: %w", c.ID, err)
		}
	}
	c.CreatedAt, c.UpdatedAt = created.Time, updated.Time
	return c, nil
}

func getCI(ctx context.Context, q store.Querier, id int64) (CI, error) {
	return scanCI(q.QueryRow(ctx, "SELECT "+ciCols+ciFrom+" WHERE c.id = ?", id))
}

// GetCI loads one CI.
func (s *Service) GetCI(ctx context.Context, id int64) (CI, error) { return getCI(ctx, s.DB, id) }

// FindByIdentifier finds the CI of a type whose unique attribute holds
// value, as imports and event sources do; store.ErrNotFound when none.
func FindByIdentifier(ctx context.Context, q store.Querier, typeID int64, attribute, value string) (CI, error) {
	var id int64
	err := store.ScanErr(q.QueryRow(ctx, "SELECT ci_id FROM ci_identifiers WHERE type_id = ? AND attribute = ? AND value = ?",
		typeID, attribute, value).Scan(&id))
	if err != nil {
		return CI{}, err
	}
	return getCI(ctx, q, id)
}

// attrText is an attribute value as history shows it.
func attrText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64, int64, int:
		return IdentifierValue(x)
	}
	return jsonText(v)
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func redundancyText(r *Redundancy) string {
	if r == nil {
		return ""
	}
	return jsonText(r)
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

func int64Args(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// CreateCI validates and records a new CI. hook, when not nil, runs in the
// same transaction with the stored CI.
func (s *Service) CreateCI(ctx context.Context, actor audit.Actor, in NewCI, hook CIHook) (CI, error) {
	var out CI
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if out, err = s.CreateCITx(ctx, tx, actor, in); err != nil {
			return err
		}
		if hook != nil {
			return hook(ctx, tx, out)
		}
		return nil
	})
	return out, err
}

// CreateCITx is CreateCI inside the caller's transaction, for imports
// that store many CIs or none.
func (s *Service) CreateCITx(ctx context.Context, tx *store.Tx, actor audit.Actor, in NewCI) (CI, error) {
	c := CI{Name: in.Name, Status: in.Status, OwnerID: in.OwnerID, GroupID: in.GroupID, CustomerID: in.CustomerID,
		ServiceID: in.ServiceID, Location: in.Location, Redundancy: in.Redundancy}
	if c.Status == "" {
		c.Status = InUse
	}
	v := domainerr.NewInvalid()
	checkFields(v, &c, in.ChangeRef)
	if err := checkOwnership(ctx, tx, v, c, true, nil, nil); err != nil {
		return CI{}, err
	}
	t, err := typeForInput(ctx, tx, v, in.Type)
	if err != nil {
		return CI{}, err
	}
	var names []string
	if t != nil {
		c.TypeID, c.Type = t.ID, t.Name
		c.Attributes = CheckAttributes(t, in.Attributes, v, "")
		names = sortedKeys(c.Attributes)
		if err := checkReferences(ctx, tx, v, t, c.Attributes, names); err != nil {
			return CI{}, err
		}
		if err := checkIdentifiers(ctx, tx, v, t, 0, c.Attributes, names); err != nil {
			return CI{}, err
		}
	}
	if err := v.Err(); err != nil {
		return CI{}, err
	}
	now := s.now()
	err = store.ScanErr(tx.QueryRow(ctx, `INSERT INTO cis (type_id, name, status, owner_id, group_id, customer_id, service_id,
		location, attributes, redundancy, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) RETURNING id`,
		c.TypeID, c.Name, string(c.Status), c.OwnerID, c.GroupID, c.CustomerID, c.ServiceID, c.Location,
		jsonText(c.Attributes), redundancyText(c.Redundancy), store.TS(now), store.TS(now)).Scan(&c.ID))
	if err != nil {
		return CI{}, err
	}
	if err := writeIdentifiers(ctx, tx, t, c.ID, c.Attributes, names); err != nil {
		return CI{}, err
	}
	stored, err := getCI(ctx, tx, c.ID)
	if err != nil {
		return CI{}, err
	}
	snap := jsonText(stored)
	if err := RecordChange(ctx, tx, actor, Change{CIID: c.ID, At: now, Action: ActionCreate, New: &snap, ChangeRef: in.ChangeRef}); err != nil {
		return CI{}, err
	}
	return stored, audit.Record(ctx, tx, actor, "create", "ci", c.ID, stored)
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// UpdateCI applies a patch, recording one history entry per changed
// field. With ifVersion other than 0 the change is refused with ErrStale
// when the CI moved on meanwhile.
func (s *Service) UpdateCI(ctx context.Context, actor audit.Actor, id int64, pt CIPatch, ifVersion int) (CI, error) {
	var out CI
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		out, err = s.UpdateCITx(ctx, tx, actor, id, pt, ifVersion)
		return err
	})
	return out, err
}

// UpdateCITx is UpdateCI inside the caller's transaction.
func (s *Service) UpdateCITx(ctx context.Context, tx *store.Tx, actor audit.Actor, id int64, pt CIPatch, ifVersion int) (CI, error) {
	cur, err := getCI(ctx, tx, id)
	if err != nil {
		return CI{}, err
	}
	if ifVersion != 0 && cur.Version != ifVersion {
		return CI{}, domainerr.ErrStale
	}
	t, err := typeByID(ctx, tx, cur.TypeID)
	if err != nil {
		return CI{}, err
	}
	next, touched, err := applyCIPatch(ctx, tx, &t, cur, pt)
	if err != nil {
		return CI{}, err
	}
	changes := diffCI(cur, next)
	if len(changes) == 0 {
		return cur, nil
	}
	now := s.now()
	res, err := tx.Exec(ctx, `UPDATE cis SET name = ?, status = ?, owner_id = ?, group_id = ?, customer_id = ?, service_id = ?,
		location = ?, attributes = ?, redundancy = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
		next.Name, string(next.Status), next.OwnerID, next.GroupID, next.CustomerID, next.ServiceID, next.Location,
		jsonText(next.Attributes), redundancyText(next.Redundancy), store.TS(now), id, cur.Version)
	if err != nil {
		return CI{}, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return CI{}, domainerr.ErrStale
	}
	if err := writeIdentifiers(ctx, tx, &t, id, next.Attributes, touched); err != nil {
		return CI{}, err
	}
	audited := map[string][2]*string{}
	for _, c := range changes {
		c.CIID, c.At, c.Action, c.ChangeRef = id, now, ActionUpdate, pt.ChangeRef
		if err := RecordChange(ctx, tx, actor, c); err != nil {
			return CI{}, err
		}
		audited[c.Field] = [2]*string{c.Old, c.New}
	}
	data := map[string]any{"changes": audited}
	if pt.ChangeRef != "" {
		data["change_ref"] = pt.ChangeRef
	}
	if err := audit.Record(ctx, tx, actor, "update", "ci", id, data); err != nil {
		return CI{}, err
	}
	return getCI(ctx, tx, id)
}

// applyCIPatch computes the patched CI and validates what the patch
// touches. touched lists the attributes the patch names.
func applyCIPatch(ctx context.Context, q store.Querier, t *CIType, cur CI, pt CIPatch) (CI, []string, error) {
	next := cur
	v := domainerr.NewInvalid()
	if pt.Name != nil {
		next.Name = *pt.Name
	}
	if pt.Status != nil {
		next.Status = *pt.Status
	}
	if pt.Location != nil {
		next.Location = *pt.Location
	}
	for _, f := range []struct {
		p   patch.Field[int64]
		dst **int64
	}{{pt.OwnerID, &next.OwnerID}, {pt.GroupID, &next.GroupID}, {pt.CustomerID, &next.CustomerID}, {pt.ServiceID, &next.ServiceID}} {
		if f.p.Set {
			*f.dst = f.p.Ptr()
		}
	}
	if pt.Redundancy.Set {
		next.Redundancy = pt.Redundancy.Ptr()
	}
	checkFields(v, &next, pt.ChangeRef)
	if err := checkOwnership(ctx, q, v, next, false, &pt, cur.OwnerID); err != nil {
		return next, nil, err
	}
	merged := maps.Clone(cur.Attributes)
	touched := sortedKeys(pt.Attributes)
	for _, k := range touched {
		merged[k] = pt.Attributes[k]
	}
	next.Attributes = CheckAttributes(t, merged, v, "")
	var set []string
	for _, k := range touched {
		if _, ok := next.Attributes[k]; ok {
			set = append(set, k)
		}
	}
	if err := checkReferences(ctx, q, v, t, next.Attributes, set); err != nil {
		return next, nil, err
	}
	if err := checkIdentifiers(ctx, q, v, t, cur.ID, next.Attributes, set); err != nil {
		return next, nil, err
	}
	return next, touched, v.Err()
}

// diffCI lists the changed fields with their old and new values as text;
// a nil Old or New is a value that is not set.
func diffCI(a, b CI) []Change {
	var out []Change
	add := func(field string, old, new *string) {
		if (old == nil) != (new == nil) || (old != nil && *old != *new) {
			out = append(out, Change{Field: field, Old: old, New: new})
		}
	}
	text := func(s string) *string { return &s }
	id := func(p *int64) *string {
		if p == nil {
			return nil
		}
		return text(strconv.FormatInt(*p, 10))
	}
	red := func(r *Redundancy) *string {
		if r == nil {
			return nil
		}
		return text(redundancyText(r))
	}
	add("name", text(a.Name), text(b.Name))
	add("status", text(string(a.Status)), text(string(b.Status)))
	add("owner_id", id(a.OwnerID), id(b.OwnerID))
	add("group_id", id(a.GroupID), id(b.GroupID))
	add("customer_id", id(a.CustomerID), id(b.CustomerID))
	add("service_id", id(a.ServiceID), id(b.ServiceID))
	add("location", text(a.Location), text(b.Location))
	add("redundancy", red(a.Redundancy), red(b.Redundancy))
	names := map[string]any{}
	maps.Copy(names, a.Attributes)
	maps.Copy(names, b.Attributes)
	for _, k := range sortedKeys(names) {
		var old, new *string
		if v, ok := a.Attributes[k]; ok {
			old = text(attrText(v))
		}
		if v, ok := b.Attributes[k]; ok {
			new = text(attrText(v))
		}
		add("attributes."+k, old, new)
	}
	return out
}

// DeleteCI removes a CI that no incident is linked to and no other CI
// refers to by attribute. Its relationships go with it; its history stays.
func (s *Service) DeleteCI(ctx context.Context, actor audit.Actor, id int64, ifVersion int, changeRef string) error {
	if len(changeRef) > domainerr.MaxShort {
		return domainerr.Field("change_ref", "must be at most %d characters", domainerr.MaxShort)
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := getCI(ctx, tx, id)
		if err != nil {
			return err
		}
		if ifVersion != 0 && cur.Version != ifVersion {
			return domainerr.ErrStale
		}
		var n int64
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM record_cis WHERE ci_id = ?", id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return domainerr.Conflictf("CI %q cannot be deleted: %d incidents are linked to it. Unlink them, or set its status to retired instead", cur.Name, n)
		}
		users, err := referrers(ctx, tx, cur)
		if err != nil {
			return err
		}
		if len(users) > 0 {
			return domainerr.Conflictf("CI %q cannot be deleted: other CIs refer to it by attribute (%s). Change those first, or set its status to retired instead",
				cur.Name, strings.Join(users, ", "))
		}
		if _, err := tx.Exec(ctx, "DELETE FROM cis WHERE id = ?", id); err != nil {
			if errors.Is(err, store.ErrReferenced) {
				return domainerr.Conflictf("CI %q cannot be deleted: other records refer to it. Set its status to retired instead", cur.Name)
			}
			return err
		}
		snap := jsonText(cur)
		if err := RecordChange(ctx, tx, actor, Change{CIID: id, At: s.now(), Action: ActionDelete, Old: &snap, ChangeRef: changeRef}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "delete", "ci", id, map[string]any{"name": cur.Name, "type": cur.Type, "change_ref": changeRef})
	})
}
