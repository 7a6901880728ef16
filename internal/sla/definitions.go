package sla

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/store"
	"steward/internal/ticket"
)

// DefinitionInput is what creating or replacing a definition takes. Left
// out, conditions take the metric's defaults, warnings are 50/75/90 and
// the definition is active; a goal without calendar_id (or 0) uses the
// built-in 24x7 calendar. FilterAny, a goal's MatchAny and the conditions'
// *_any lists are further groups of clauses, any of which will do.
type DefinitionInput struct {
	AgreementID int64       `json:"agreement_id"`
	Name        string      `json:"name"`
	AppliesTo   ticket.Kind `json:"applies_to"`
	Metric      Metric      `json:"metric"`
	Filter      []Clause    `json:"filter"`
	FilterAny   [][]Clause  `json:"filter_any"`
	Conditions  Conditions  `json:"conditions"`
	Goals       []Goal      `json:"goals"`
	Warnings    []int       `json:"warnings"`
	Active      *bool       `json:"active"`
}

// definition turns the input into a normalized definition.
func (in DefinitionInput) definition() Definition {
	d := Definition{AgreementID: in.AgreementID, Name: in.Name, AppliesTo: ticket.Kind(strings.TrimSpace(string(in.AppliesTo))),
		Metric: Metric(strings.TrimSpace(string(in.Metric))), Filter: in.Filter, FilterAny: in.FilterAny, Conditions: in.Conditions,
		Goals: append([]Goal(nil), in.Goals...), Warnings: in.Warnings, Active: in.Active == nil || *in.Active}
	if d.Goals == nil {
		d.Goals = []Goal{}
	}
	d.Normalize()
	return d
}

// CheckDefinition tells what is wrong with an input on its own, as
// creating it would, without saving anything or looking up the ids it
// names. Forms use it to report every field at once.
func CheckDefinition(in DefinitionInput) error {
	d := in.definition()
	return d.Validate()
}

const definitionCols = "id, agreement_id, name, applies_to, metric, filter, conditions, goals, warnings, active, created_at, updated_at, version"

func scanDefinition(row interface{ Scan(...any) error }) (Definition, error) {
	var d Definition
	var filter, conds, goals, warnings string
	var created, updated store.Time
	err := row.Scan(&d.ID, &d.AgreementID, &d.Name, &d.AppliesTo, &d.Metric, &filter, &conds, &goals, &warnings, &d.Active,
		&created, &updated, &d.Version)
	if err != nil {
		return d, store.ScanErr(err)
	}
	d.CreatedAt, d.UpdatedAt = created.Time, updated.Time
	for _, part := range []struct {
		name string
		raw  string
		dst  any
	}{{"filter", filter, (*storedFilter)(&d)}, {"conditions", conds, &d.Conditions}, {"goals", goals, &d.Goals}, {"warnings", warnings, &d.Warnings}} {
		if err := json.Unmarshal([]byte(part.raw), part.dst); err != nil {
			return d, fmt.Errorf("definition %d: %s: %w", d.ID, part.name, err)
		}
	}
	d.Normalize()
	return d, nil
}

// storedFilter is how the filter column holds a definition's filter: its
// list of clauses as it always was, or, once it has further groups, an
// object {"filter": [...], "filter_any": [[...], ...]}.
type storedFilter Definition

func (f *storedFilter) UnmarshalJSON(b []byte) error {
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
		var v struct {
			Filter    []Clause   `json:"filter"`
			FilterAny [][]Clause `json:"filter_any"`
		}
		if err := json.Unmarshal(t, &v); err != nil {
			return err
		}
		f.Filter, f.FilterAny = v.Filter, v.FilterAny
		return nil
	}
	return json.Unmarshal(b, &f.Filter)
}

func (f *storedFilter) MarshalJSON() ([]byte, error) {
	if len(f.FilterAny) == 0 {
		return json.Marshal(f.Filter)
	}
	return json.Marshal(struct {
		Filter    []Clause   `json:"filter"`
		FilterAny [][]Clause `json:"filter_any"`
	}{f.Filter, f.FilterAny})
}

// GetDefinition loads one definition.
func GetDefinition(ctx context.Context, q store.Querier, id int64) (Definition, error) {
	return scanDefinition(q.QueryRow(ctx, "SELECT "+definitionCols+" FROM sla_definitions WHERE id = ?", id))
}

// DefinitionFilter narrows a list of definitions.
type DefinitionFilter struct {
	AgreementID int64       // 0 for all
	AppliesTo   ticket.Kind // "" for both kinds
	AfterID     int64       // keyset: the last id of the previous page
	Limit       int
}

// ListDefinitions returns definitions in the order they were created.
func ListDefinitions(ctx context.Context, q store.Querier, f DefinitionFilter) ([]Definition, error) {
	where, args := []string{"id > ?"}, []any{f.AfterID}
	if f.AgreementID != 0 {
		where, args = append(where, "agreement_id = ?"), append(args, f.AgreementID)
	}
	if f.AppliesTo != "" {
		where, args = append(where, "applies_to = ?"), append(args, string(f.AppliesTo))
	}
	if f.Limit <= 0 {
		f.Limit = 1000
	}
	rows, err := q.Query(ctx, "SELECT "+definitionCols+" FROM sla_definitions WHERE "+strings.Join(where, " AND ")+" ORDER BY id LIMIT ?",
		append(args, f.Limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Definition{}
	for rows.Next() {
		d, err := scanDefinition(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// ActiveDefinitions are the definitions timers are started from for tickets
// of kind: active ones of active agreements, oldest first. An SLA's
// definitions apply only to its customer's tickets and an OLA's only to
// tickets of its support group, so that scope comes first in Filter;
// underpinning contracts have no implied scope.
func ActiveDefinitions(ctx context.Context, q store.Querier, kind ticket.Kind) ([]Definition, error) {
	cols := strings.ReplaceAll("d."+definitionCols, ", ", ", d.")
	rows, err := q.Query(ctx, "SELECT "+cols+", a.kind, a.customer_id, a.group_id FROM sla_definitions d JOIN agreements a ON a.id = d.agreement_id"+
		" WHERE d.applies_to = ? AND d.active = ? AND a.active = ? ORDER BY d.id", string(kind), true, true)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Definition{}
	for rows.Next() {
		var akind AgreementKind
		var cust, group *int64
		d, err := scanDefinition(scanWith{rows, []any{&akind, &cust, &group}})
		if err != nil {
			return nil, err
		}
		d.narrow(AgreementScope(akind, cust, group))
		out = append(out, d)
	}
	return out, rows.Err()
}

// AgreementScope is the clause an agreement adds in front of each of its
// definitions' filters: an SLA measures only its customer's tickets, an OLA
// only those of its support group; an underpinning contract adds none.
func AgreementScope(kind AgreementKind, customerID, groupID *int64) []Clause {
	clause := func(field string, id *int64) []Clause {
		if id == nil {
			return []Clause{}
		}
		return []Clause{{Field: field, Op: "in", Values: []string{strconv.FormatInt(*id, 10)}}}
	}
	switch kind {
	case SLA:
		return clause("customer_id", customerID)
	case OLA:
		return clause("group_id", groupID)
	}
	return []Clause{}
}

// narrow puts scope in front of every group of the definition's filter:
// whichever group a ticket meets, it must be within the scope too.
func (d *Definition) narrow(scope []Clause) {
	if len(scope) == 0 {
		return
	}
	groups := ticket.Groups(d.Filter, d.FilterAny)
	for i, g := range groups {
		groups[i] = append(slices.Clone(scope), g...)
	}
	d.Filter, d.FilterAny = groups[0], nil
	if len(groups) > 1 {
		d.FilterAny = groups[1:]
	}
}

// scanWith scans a row into the columns a scan function asks for plus extra ones.
type scanWith struct {
	row   interface{ Scan(...any) error }
	extra []any
}

func (s scanWith) Scan(dst ...any) error { return s.row.Scan(append(dst, s.extra...)...) }

// resolveCalendars makes the built-in calendar explicit in goals that name none.
func resolveCalendars(d *Definition) {
	for i := range d.Goals {
		if d.Goals[i].CalendarID == 0 {
			d.Goals[i].CalendarID = DefaultCalendarID
		}
	}
}

// idTables says which table holds the ids a clause field refers to.
var idTables = map[string]struct{ table, label string }{
	"customer_id": {"customers", "customer"},
	"service_id":  {"services", "service"},
	"group_id":    {"support_groups", "group"},
	"item_id":     {"catalog_items", "catalogue item"},
}

type idRef struct {
	path  string
	table string
	label string
	id    int64
}

// checkReferences reports every id the definition names that does not
// exist: its agreement, its goals' calendars and the ids in its filter
// and goal matches, each at its exact path.
func checkReferences(ctx context.Context, q store.Querier, d *Definition) error {
	v := domainerr.NewInvalid()
	if d.AgreementID <= 0 {
		v.Add("agreement_id", "is required: the agreement this definition belongs to")
	} else {
		refExists(ctx, q, v, "agreement_id", "agreements", "agreement", d.AgreementID)
	}
	var refs []idRef
	for i, g := range d.Goals {
		if g.CalendarID > 0 {
			refs = append(refs, idRef{fmt.Sprintf("goals[%d].calendar_id", i), "calendars", "calendar", g.CalendarID})
		}
	}
	collect := func(path string, cs []Clause) {
		for i, c := range cs {
			t, ok := idTables[c.Field]
			if !ok {
				continue
			}
			for j, val := range c.Values {
				if n, err := strconv.ParseInt(val, 10, 64); err == nil && n > 0 {
					refs = append(refs, idRef{fmt.Sprintf("%s[%d].values[%d]", path, i, j), t.table, t.label, n})
				}
			}
		}
	}
	collectAll := func(path string, all []Clause, more [][]Clause) {
		collect(path, all)
		for j, g := range more {
			collect(fmt.Sprintf("%s_any[%d]", path, j), g)
		}
	}
	collectAll("filter", d.Filter, d.FilterAny)
	for i, g := range d.Goals {
		collectAll(fmt.Sprintf("goals[%d].match", i), g.Match, g.MatchAny)
	}
	byTable := map[string][]int64{}
	for _, r := range refs {
		byTable[r.table] = append(byTable[r.table], r.id)
	}
	found := map[string]map[int64]bool{}
	for table, ids := range byTable {
		have, err := existingIDs(ctx, q, table, ids)
		if err != nil {
			return err
		}
		found[table] = have
	}
	for _, r := range refs {
		if have := found[r.table]; have != nil && !have[r.id] {
			v.Add(r.path, "%s %d does not exist", r.label, r.id)
		}
	}
	return v.Err()
}

// existingIDs returns which of ids are rows of table, or nil when the
// table is not part of this database.
func existingIDs(ctx context.Context, q store.Querier, table string, ids []int64) (map[int64]bool, error) {
	ok, err := tableExists(ctx, q, table)
	if err != nil || !ok {
		return nil, err
	}
	uniq := map[int64]bool{}
	for _, id := range ids {
		uniq[id] = true
	}
	list := make([]int64, 0, len(uniq))
	for id := range uniq {
		list = append(list, id)
	}
	sort.Slice(list, func(a, b int) bool { return list[a] < list[b] })
	have := map[int64]bool{}
	const chunk = 500
	for start := 0; start < len(list); start += chunk {
		part := list[start:min(start+chunk, len(list))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		rows, err := q.Query(ctx, "SELECT id FROM "+table+" WHERE id IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(part)), ", ")+")", args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			have[id] = true
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return have, nil
}

func tableExists(ctx context.Context, q store.Querier, table string) (bool, error) {
	query := "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
	if q.Dialect() == store.Postgres {
		query = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?"
	}
	var n int
	err := q.QueryRow(ctx, query, table).Scan(&n)
	return n > 0, err
}

func definitionArgs(d *Definition) []any {
	filter, _ := json.Marshal((*storedFilter)(d))
	conds, _ := json.Marshal(d.Conditions)
	goals, _ := json.Marshal(d.Goals)
	warnings, _ := json.Marshal(d.Warnings)
	return []any{d.AgreementID, d.Name, string(d.AppliesTo), string(d.Metric), string(filter), string(conds), string(goals),
		string(warnings), d.Active}
}

// prepareDefinition validates input on its own and against the database.
func prepareDefinition(ctx context.Context, q store.Querier, in DefinitionInput) (Definition, error) {
	d := in.definition()
	own := d.Validate()
	var inv *domainerr.Invalid
	if own != nil && !errors.As(own, &inv) {
		return d, own
	}
	resolveCalendars(&d)
	refs := checkReferences(ctx, q, &d)
	var refInv *domainerr.Invalid
	switch {
	case refs != nil && !errors.As(refs, &refInv):
		return d, refs
	case inv == nil:
		return d, refs
	case refInv != nil:
		// Report both kinds of fault at once; the definition's own come first.
		for f, msg := range refInv.Fields {
			inv.Add(f, "%s", msg)
		}
	}
	return d, inv
}

// CreateDefinition stores a new definition and starts timers for the
// open tickets it applies to (through RecomputeDefinition); it returns
// how many timers were recomputed. hook, when not nil, runs in the same
// transaction with the stored definition.
func (s *Service) CreateDefinition(ctx context.Context, actor audit.Actor, in DefinitionInput,
	hook func(ctx context.Context, tx *store.Tx, d Definition) error) (Definition, int, error) {
	var d Definition
	var recomputed int
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if d, err = prepareDefinition(ctx, tx, in); err != nil {
			return err
		}
		now := store.TS(s.now())
		err = store.ScanErr(tx.QueryRow(ctx, `INSERT INTO sla_definitions (agreement_id, name, applies_to, metric, filter, conditions,
			goals, warnings, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			append(definitionArgs(&d), now, now)...).Scan(&d.ID))
		if err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, actor, "create", "sla_definition", d.ID, d); err != nil {
			return err
		}
		if recomputed, err = s.RecomputeDefinition(ctx, tx, d.ID); err != nil {
			return err
		}
		if hook != nil {
			stored, err := GetDefinition(ctx, tx, d.ID)
			if err != nil {
				return err
			}
			return hook(ctx, tx, stored)
		}
		return nil
	})
	if err != nil {
		return Definition{}, 0, err
	}
	d, err = GetDefinition(ctx, s.DB, d.ID)
	return d, recomputed, err
}

// UpdateDefinition replaces a definition and recomputes its open timers;
// ifVersion 0 skips the concurrency check.
func (s *Service) UpdateDefinition(ctx context.Context, actor audit.Actor, id int64, in DefinitionInput, ifVersion int) (Definition, int, error) {
	var recomputed int
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := GetDefinition(ctx, tx, id)
		if err != nil {
			return err
		}
		if ifVersion != 0 && cur.Version != ifVersion {
			return domainerr.ErrStale
		}
		next, err := prepareDefinition(ctx, tx, in)
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE sla_definitions SET agreement_id = ?, name = ?, applies_to = ?, metric = ?, filter = ?,
			conditions = ?, goals = ?, warnings = ?, active = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
			append(definitionArgs(&next), store.TS(s.now()), id, cur.Version)...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return domainerr.ErrStale
		}
		next.ID, next.CreatedAt, next.UpdatedAt, next.Version = cur.ID, cur.CreatedAt, cur.UpdatedAt, cur.Version
		if err := audit.Record(ctx, tx, actor, "update", "sla_definition", id, definitionChanges(cur, next)); err != nil {
			return err
		}
		recomputed, err = s.RecomputeDefinition(ctx, tx, id)
		return err
	})
	if err != nil {
		return Definition{}, 0, err
	}
	d, err := GetDefinition(ctx, s.DB, id)
	return d, recomputed, err
}

// definitionChanges lists changed fields as [old, new] for the audit trail.
func definitionChanges(old, next Definition) map[string]any {
	ch := map[string]any{}
	ob, _ := json.Marshal(old)
	nb, _ := json.Marshal(next)
	var om, nm map[string]json.RawMessage
	json.Unmarshal(ob, &om)
	json.Unmarshal(nb, &nm)
	for k, nv := range nm {
		switch k {
		case "id", "created_at", "updated_at", "version":
			continue
		}
		if string(om[k]) != string(nv) {
			ch[k] = [2]json.RawMessage{om[k], nv}
		}
	}
	return ch
}

// DeleteDefinition removes a definition. Once timers have run on it, it is
// part of the record and can only be made inactive.
func (s *Service) DeleteDefinition(ctx context.Context, actor audit.Actor, id int64) error {
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := GetDefinition(ctx, tx, id)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "DELETE FROM sla_definitions WHERE id = ?", id)
		if errors.Is(err, store.ErrReferenced) {
			return domainerr.Conflictf("definition %q has timers on tickets and stays part of their record; set it inactive instead", cur.Name)
		} else if err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "delete", "sla_definition", id, map[string]any{"name": cur.Name, "agreement_id": cur.AgreementID})
	})
}
