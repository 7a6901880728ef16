package cmdb

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// attrPlan is what an attribute change means for the CIs of a type.
type attrPlan struct {
	name     string
	old, new *Attribute // nil when absent
	check    bool       // existing values must be checked
	retype   bool       // the type changed: values are read as text
	reref    bool       // references must now point to CIs of new.RefType
	unique   bool       // values must not repeat
	rebuild  bool       // the identifier index is written again
	drop     bool       // the identifier index is dropped
	reason   string     // what is wrong with the CIs listed
	offended []string
	count    int
}

func (p *attrPlan) offend(reason string, id int64, name string) {
	if p.reason == "" {
		p.reason = reason
	}
	p.count++
	if len(p.offended) < 5 {
		p.offended = append(p.offended, fmt.Sprintf("%s (#%d)", name, id))
	}
}

func planAttributes(old, next CIType) []*attrPlan {
	var plans []*attrPlan
	seen := map[string]bool{}
	for _, a := range append(append([]Attribute(nil), old.Attributes...), next.Attributes...) {
		if seen[a.Name] {
			continue
		}
		seen[a.Name] = true
		p := &attrPlan{name: a.Name}
		if o, ok := old.Attr(a.Name); ok {
			p.old = &o
		}
		if n, ok := next.Attr(a.Name); ok {
			p.new = &n
		}
		switch {
		case p.new == nil:
			p.check, p.drop = true, p.old.Unique
		case p.old == nil:
			p.check = p.new.Required
		default:
			o, n := p.old, p.new
			p.retype = o.Type != n.Type
			p.reref = n.Type == AttrReference && n.RefType != "" && (p.retype || !strings.EqualFold(o.RefType, n.RefType))
			p.unique = n.Unique && (!o.Unique || p.retype)
			p.check = p.retype || p.reref || p.unique || (n.Required && !o.Required) ||
				strings.Join(o.Values, "\x00") != strings.Join(n.Values, "\x00")
			p.rebuild, p.drop = p.unique, o.Unique && !n.Unique
		}
		if p.check || p.drop {
			plans = append(plans, p)
		}
	}
	return plans
}

// ciRewrite is a CI whose stored values change form with a type change.
type ciRewrite struct {
	id      int64
	attrs   map[string]any
	changes []Change
}

// reconcileAttributes checks the CIs of a type against its new attribute
// list before the change is kept: an attribute still holding values cannot
// go, a required one must have a value everywhere, a unique one must not
// repeat, a changed type or enum must accept every stored value, and a
// reference restricted to a type must point to CIs of that type. It then
// rewrites values whose form changed and the identifier index. It returns
// how many CIs were rewritten.
func (s *Service) reconcileAttributes(ctx context.Context, tx *store.Tx, actor audit.Actor, old, next CIType, now time.Time) (int, error) {
	plans := planAttributes(old, next)
	if len(plans) == 0 {
		return 0, nil
	}
	rows, err := tx.Query(ctx, "SELECT id, name, attributes FROM cis WHERE type_id = ? ORDER BY id", old.ID)
	if err != nil {
		return 0, err
	}
	type ident struct {
		ci    int64
		value string
	}
	idents := map[string][]ident{}
	uniq := map[string]map[string]string{}
	refs := map[int64][]string{} // referenced CI -> "attr\x00label" of referring CIs
	var rewrites []ciRewrite
	for rows.Next() {
		var id int64
		var name, raw string
		if err := rows.Scan(&id, &name, &raw); err != nil {
			rows.Close()
			return 0, err
		}
		attrs := map[string]any{}
		if err := json.Unmarshal([]byte(raw), &attrs); err != nil {
			rows.Close()
			return 0, fmt.Errorf("ci %d attributes: %w", id, err)
		}
		var rw *ciRewrite
		for _, p := range plans {
			val, has := attrs[p.name]
			switch {
			case p.new == nil:
				if has {
					p.offend("CIs still hold a value for it; clear it on them first", id, name)
				}
				continue
			case !has:
				if p.new.Required && (p.old == nil || !p.old.Required) {
					p.offend("CIs have no value for it; give them one first, or keep it optional", id, name)
				}
				continue
			case p.old == nil:
				continue
			}
			in := val
			if p.retype {
				in = attrText(val)
			}
			nv, err := CoerceValue(*p.new, in)
			if err != nil {
				p.offend("CIs hold values it would not accept ("+err.Error()+")", id, name)
				continue
			}
			if p.reref {
				ref := nv.(int64)
				refs[ref] = append(refs[ref], p.name+"\x00"+fmt.Sprintf("%s (#%d)", name, id))
			}
			key := IdentifierValue(nv)
			if p.unique {
				if uniq[p.name] == nil {
					uniq[p.name] = map[string]string{}
				}
				if first, dup := uniq[p.name][key]; dup {
					p.offend(fmt.Sprintf("values repeat (%q is also held by %s)", key, first), id, name)
				}
				uniq[p.name][key] = fmt.Sprintf("%s (#%d)", name, id)
			}
			if p.rebuild {
				idents[p.name] = append(idents[p.name], ident{id, key})
			}
			if jsonText(nv) != jsonText(val) {
				if rw == nil {
					rw = &ciRewrite{id: id, attrs: attrs}
				}
				o, n := attrText(val), attrText(nv)
				rw.attrs[p.name] = nv
				rw.changes = append(rw.changes, Change{CIID: id, Action: ActionUpdate, Field: "attributes." + p.name, Old: &o, New: &n})
			}
		}
		if rw != nil {
			rewrites = append(rewrites, *rw)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if err := checkRefTypes(ctx, tx, plans, refs); err != nil {
		return 0, err
	}
	var msgs []string
	for _, p := range plans {
		if p.count == 0 {
			continue
		}
		more := ""
		if p.count > len(p.offended) {
			more = fmt.Sprintf(" and %d more", p.count-len(p.offended))
		}
		msgs = append(msgs, fmt.Sprintf("attribute %q: %d %s: %s%s", p.name, p.count, p.reason, strings.Join(p.offended, ", "), more))
	}
	if len(msgs) > 0 {
		return 0, domainerr.Conflictf("the attributes of CI type %q cannot change this way while its CIs disagree. %s",
			old.Name, strings.Join(msgs, ". "))
	}
	for _, rw := range rewrites {
		raw, _ := json.Marshal(rw.attrs)
		if _, err := tx.Exec(ctx, "UPDATE cis SET attributes = ?, updated_at = ?, version = version + 1 WHERE id = ?",
			string(raw), store.TS(now), rw.id); err != nil {
			return 0, err
		}
		for _, c := range rw.changes {
			c.At = now
			if err := RecordChange(ctx, tx, actor, c); err != nil {
				return 0, err
			}
		}
	}
	for _, p := range plans {
		if !p.drop && !p.rebuild {
			continue
		}
		if _, err := tx.Exec(ctx, "DELETE FROM ci_identifiers WHERE type_id = ? AND attribute = ?", old.ID, p.name); err != nil {
			return 0, err
		}
		for _, x := range idents[p.name] {
			if _, err := tx.Exec(ctx, "INSERT INTO ci_identifiers (type_id, attribute, value, ci_id) VALUES (?, ?, ?, ?)",
				old.ID, p.name, x.value, x.ci); err != nil {
				return 0, err
			}
		}
	}
	return len(rewrites), nil
}

// checkRefTypes marks the CIs whose references point to CIs of another
// type than their attribute now asks for.
func checkRefTypes(ctx context.Context, q store.Querier, plans []*attrPlan, refs map[int64][]string) error {
	if len(refs) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(refs))
	for id := range refs {
		ids = append(ids, id)
	}
	types, err := ciTypeNames(ctx, q, ids)
	if err != nil {
		return err
	}
	byName := map[string]*attrPlan{}
	for _, p := range plans {
		byName[p.name] = p
	}
	for ref, users := range refs {
		for _, u := range users {
			attr, label, _ := strings.Cut(u, "\x00")
			p := byName[attr]
			if got, ok := types[ref]; !ok || !strings.EqualFold(got, p.new.RefType) {
				p.count++
				if p.reason == "" {
					p.reason = "CIs refer to CIs that are not of type " + strconv.Quote(p.new.RefType)
				}
				if len(p.offended) < 5 {
					p.offended = append(p.offended, label)
				}
			}
		}
	}
	return nil
}
