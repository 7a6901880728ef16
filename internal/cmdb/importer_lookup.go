package cmdb

import (
	"sort"
	"strings"

	"steward/internal/store"
)

// lookupIdentifiers finds which of the rows' identifiers the database
// already holds, with one query per type, attribute and few hundred values.
func (im *importer) lookupIdentifiers(rows []*importRow, need func(*importRow) bool) (map[string]int64, error) {
	type group struct {
		typeID int64
		attr   string
	}
	want := map[group][]string{}
	for _, r := range rows {
		if !need(r) {
			continue
		}
		for _, k := range r.keys {
			attr := importKeyAttr(k)
			g := group{r.typ.ID, attr}
			want[g] = append(want[g], k[strings.LastIndexByte(k, '\x1f')+1:])
		}
	}
	found := map[string]int64{}
	for g, values := range want {
		for len(values) > 0 {
			n := min(len(values), 500)
			part := values[:n]
			values = values[n:]
			args := make([]any, 0, n+2)
			args = append(args, g.typeID, g.attr)
			for _, v := range part {
				args = append(args, v)
			}
			rows, err := im.q.Query(im.ctx, "SELECT value, ci_id FROM ci_identifiers WHERE type_id = ? AND attribute = ? AND value IN ("+
				importMarks(n)+")", args...)
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				var v string
				var id int64
				if err := rows.Scan(&v, &id); err != nil {
					rows.Close()
					return nil, err
				}
				found[identifierKey(g.typeID, g.attr, v)] = id
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
		}
	}
	return found, nil
}

// typeNames loads the names of a type's CIs, for types matched by name.
func (im *importer) typeNames(typeID int64) (map[string]int64, error) {
	if names, ok := im.names[typeID]; ok {
		return names, nil
	}
	names := map[string]int64{}
	if err := im.flushWrites(); err != nil {
		return nil, err
	}
	if im.populated[typeID] || im.rep.CIs.Created > 0 {
		rows, err := im.q.Query(im.ctx, "SELECT id, name FROM cis WHERE type_id = ?", typeID)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var name string
			if err := rows.Scan(&id, &name); err != nil {
				return nil, err
			}
			importAddName(names, name, id)
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	for _, n := range im.planNames[typeID] {
		importAddName(names, n.name, n.id)
	}
	delete(im.planNames, typeID)
	im.names[typeID] = names
	return names, nil
}

func (im *importer) loadExisting(ids []int64) (map[int64]*importExisting, error) {
	out := make(map[int64]*importExisting, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), 500)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		ids = ids[n:]
		rows, err := im.q.Query(im.ctx, `SELECT id, name, status, owner_id, group_id, customer_id, location, attributes, redundancy
			FROM cis WHERE id IN (`+importMarks(n)+")", args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var owner, group, customer *int64
			var attrs string
			e := &importExisting{}
			if err := rows.Scan(&id, &e.name, &e.status, &owner, &group, &customer, &e.location, &attrs, &e.redundancy); err != nil {
				rows.Close()
				return nil, err
			}
			for _, p := range []struct {
				src *int64
				dst *int64
			}{{owner, &e.owner}, {group, &e.group}, {customer, &e.customer}} {
				if p.src != nil {
					*p.dst = *p.src
				}
			}
			if err := importUnmarshal(attrs, &e.attrs); err != nil {
				rows.Close()
				return nil, err
			}
			if e.attrs == nil {
				e.attrs = map[string]any{}
			}
			if e.redundancy != "" {
				if r, err := importRedundancy(e.redundancy); err == nil {
					e.redundancy = r
				}
			}
			out[id] = e
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// loadRefTypes finds the type of every CI the rows' reference attributes
// name by id.
func (im *importer) loadRefTypes(rows []*importRow) (map[int64]int64, error) {
	var ids []int64
	for _, r := range rows {
		for name, v := range r.attrs {
			if r.typ.attrs[name].Type == AttrReference {
				ids = append(ids, v.(int64))
			}
		}
	}
	return im.ciTypes(ids)
}

// ciTypes maps CI ids to their type ids; ids of no CI are left out.
func (im *importer) ciTypes(ids []int64) (map[int64]int64, error) {
	out := map[int64]int64{}
	for len(ids) > 0 {
		n := min(len(ids), 500)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		ids = ids[n:]
		rows, err := im.q.Query(im.ctx, "SELECT id, type_id FROM cis WHERE id IN ("+importMarks(n)+")", args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id, typeID int64
			if err := rows.Scan(&id, &typeID); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = typeID
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// drawIDs makes sure n new CI ids are at hand. On SQLite the chunk holds
// the write lock and counts on from the highest id; PostgreSQL hands out
// ids from the table's sequence, shared with other writers. A plan counts
// on past the snapshot's highest id and draws nothing.
func (im *importer) drawIDs(n int) error {
	if im.plan || im.tx.Dialect() != store.Postgres || len(im.idPool) >= n {
		return nil
	}
	rows, err := im.q.Query(im.ctx, "SELECT nextval(pg_get_serial_sequence('cis', 'id')) FROM generate_series(1, ?)", n-len(im.idPool))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		im.idPool = append(im.idPool, id)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	sort.Slice(im.idPool, func(i, j int) bool { return im.idPool[i] < im.idPool[j] })
	return nil
}

func (im *importer) takeID() int64 {
	if !im.plan && im.tx.Dialect() == store.Postgres {
		id := im.idPool[0]
		im.idPool = im.idPool[1:]
		return id
	}
	im.nextID++
	return im.nextID - 1
}

func importMarks(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
