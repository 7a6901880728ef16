package cmdb

import (
	"database/sql"
	"strconv"
	"strings"

	"steward/internal/store"
)

// importRel is a validated relationship line.
type importRel struct {
	line int
	typ  RelType
	ends [2]importEnd
}

// importEnd is one end of a relationship: a CI id, or a key within a type.
type importEnd struct {
	field string // source or target, for errors
	label string
	typ   *importType
	id    int64  // given as an id
	attr  string // or as attr=value
	value string
}

// readRelationships reads relationship records and writes them chunk by
// chunk; read counts the records of the phase read before, and the first
// skip records of the phase were committed by an earlier run.
func (im *importer) readRelationships(rd importReader, read, skip int) (int, error) {
	im.w = nil
	size := im.opts.chunkRows()
	chunk := make([]*importRel, 0, size)
	for {
		im.replay = read < skip
		rec, ok, err := rd.next()
		if err != nil {
			return read, err
		}
		if !ok {
			break
		}
		read++
		if im.replay {
			im.committedAt = read
			continue
		}
		if rel := im.relRow(rec); rel != nil {
			chunk = append(chunk, rel)
		}
		if read-im.committedAt >= size {
			if err := im.commit(PhaseRelationships, read, func() error { return im.applyRels(chunk) }); err != nil {
				return read, err
			}
			chunk = chunk[:0]
		}
	}
	im.replay = false
	if len(chunk) > 0 {
		if err := im.commit(PhaseRelationships, read, func() error { return im.applyRels(chunk) }); err != nil {
			return read, err
		}
	}
	c := &im.rep.Relationships
	c.Lines = c.Created + c.Updated + c.Unchanged + c.Rejected
	return read, nil
}

// relRow validates one relationship record.
func (im *importer) relRow(rec *importRecord) *importRel {
	bad := false
	fail := func(field, format string, args ...any) {
		im.fail(fileRels, rec.line, field, format, args...)
		bad = true
	}
	rel := &importRel{line: rec.line}
	rel.ends[0].field, rel.ends[1].field = "source", "target"
	var typeNames, keys [2]importField
	hasType := false
	for _, f := range rec.fields {
		end := 0
		if strings.HasPrefix(f.name, "target_") {
			end = 1
		}
		switch f.name {
		case "type":
			hasType = true
			s, _ := importString(f.value)
			if rel.typ = RelType(s); !rel.typ.Valid() {
				fail(f.label, "must be one of depends_on, used_by, runs_on, hosts, connected_to, member_of")
			}
		case "source_type", "target_type":
			typeNames[end] = f
		case "source_key", "target_key", "source_id", "target_id":
			if keys[end].name != "" {
				fail(f.label, "give %s_key or %s_id, not both", rel.ends[end].field, rel.ends[end].field)
			}
			keys[end] = f
		default:
			fail(f.label, "is not a field of a relationship; give source_type, source_key, target_type, target_key and type")
		}
	}
	if !hasType {
		fail("type", "is required")
	}
	for i := range rel.ends {
		if msg := im.relEnd(&rel.ends[i], typeNames[i], keys[i]); msg != "" {
			fail(rel.ends[i].label, "%s", msg)
		}
	}
	if bad {
		return nil
	}
	return rel
}

// relEnd reads one end of a relationship; it returns a message when the
// end cannot be understood.
func (im *importer) relEnd(e *importEnd, typeField, keyField importField) string {
	e.label = e.field + "_key"
	if keyField.name != "" {
		e.label = keyField.label
	}
	typeName, ok := importString(typeField.value)
	if !ok {
		return "the type must be text"
	}
	if typeName != "" {
		if e.typ = im.types[strings.ToLower(typeName)]; e.typ == nil {
			e.label = typeField.label
			return "unknown CI type " + strconv.Quote(typeName)
		}
	}
	key, ok := importString(keyField.value)
	switch {
	case !ok || key == "":
		return "is required: a CI id, or attribute=value of a unique attribute such as device_id=GW-0001"
	case importDigits(key):
		id, err := strconv.ParseInt(key, 10, 64)
		if err != nil || id <= 0 {
			return "is not a CI id"
		}
		e.id = id
		return ""
	}
	attr, value, found := strings.Cut(key, "=")
	if !found || strings.HasSuffix(keyField.name, "_id") {
		return "must be a CI id, or attribute=value of a unique attribute such as device_id=GW-0001"
	}
	if e.typ == nil {
		return "needs " + e.field + "_type to find the CI by " + strings.TrimSpace(attr)
	}
	e.attr, e.value = strings.TrimSpace(attr), strings.TrimSpace(value)
	return ""
}

func importDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// applyRels resolves a chunk's ends and writes the new relationships.
func (im *importer) applyRels(rels []*importRel) error {
	if len(rels) == 0 {
		return nil
	}
	var ids []int64
	for _, r := range rels {
		for _, e := range r.ends {
			if e.id > 0 {
				ids = append(ids, e.id)
			}
		}
	}
	byID, err := im.ciTypes(ids)
	if err != nil {
		return err
	}
	if err := im.prefetchKeys(rels); err != nil {
		return err
	}
	ins := newImportBulk("ci_relationships", "source_id", "target_id", "type", "created_at")
	ins.tail = " ON CONFLICT (source_id, target_id, type) DO NOTHING RETURNING source_id, target_id, type"
	valid := 0
	for _, r := range rels {
		var got [2]int64
		ok := true
		for i, e := range r.ends {
			id, msg, err := im.resolveEnd(e, byID)
			if err != nil {
				return err
			}
			if msg != "" {
				im.fail(fileRels, r.line, e.label, "reference to a missing CI: %s", msg)
				ok = false
			}
			got[i] = id
		}
		if ok && got[0] == got[1] {
			im.fail(fileRels, r.line, "target_key", "a CI cannot be related to itself (CI #%d)", got[0])
			ok = false
		}
		if !ok {
			continue
		}
		valid++
		ins.add(got[0], got[1], string(r.typ), im.now)
	}
	if im.plan {
		return im.planRelationships(ins)
	}
	hist := newImportBulk("ci_history", importHistoryCols...)
	var actorID any
	if im.actor.ID != 0 {
		actorID = im.actor.ID
	}
	created := 0
	err = ins.flushReturning(im.ctx, im.tx, func(rows *store.Rows) error {
		var src, tgt int64
		var typ string
		if err := rows.Scan(&src, &tgt, &typ); err != nil {
			return err
		}
		created++
		hist.add(src, im.now, actorID, im.actor.Name, ActionRelate, "", nil, nil, im.opts.ChangeRef, tgt, typ)
		return nil
	})
	if err != nil {
		return err
	}
	im.rep.Relationships.Created += created
	im.rep.Relationships.Unchanged += valid - created
	return hist.flush(im.ctx, im.tx)
}

// resolveEnd finds the CI an end names.
func (im *importer) resolveEnd(e importEnd, byID map[int64]int64) (int64, string, error) {
	if e.id > 0 {
		typeID, ok := byID[e.id]
		switch {
		case !ok:
			return 0, "there is no CI #" + strconv.FormatInt(e.id, 10), nil
		case e.typ != nil && e.typ.ID != typeID:
			return 0, "CI #" + strconv.FormatInt(e.id, 10) + " is a " + im.typesByID[typeID].Name + ", not a " + e.typ.Name, nil
		}
		return e.id, "", nil
	}
	return im.resolveKey(e.typ, e.typ.Name, e.attr+"="+e.value)
}

// resolveKey finds the CI of type t that key (attribute=value of a unique
// attribute, or name=...) names. A message says why it was not found.
func (im *importer) resolveKey(t *importType, typeName, key string) (int64, string, error) {
	if t == nil {
		return 0, "unknown CI type " + strconv.Quote(typeName), nil
	}
	attr, value, _ := strings.Cut(key, "=")
	attr, value = strings.TrimSpace(attr), strings.TrimSpace(value)
	a, ok := t.attrs[attr]
	if ok && a.Unique {
		v, err := CoerceValue(a, value)
		if err != nil {
			return 0, attr + " " + err.Error(), nil
		}
		k := identifierKey(t.ID, attr, IdentifierValue(v))
		if s, ok := im.seen[k]; ok && s.id > 0 {
			return s.id, "", nil
		}
		var id int64
		err = im.q.QueryRow(im.ctx, "SELECT ci_id FROM ci_identifiers WHERE type_id = ? AND attribute = ? AND value = ?",
			t.ID, attr, IdentifierValue(v)).Scan(&id)
		if err == nil {
			return id, "", nil
		}
		if err != sql.ErrNoRows {
			return 0, "", err
		}
		return 0, "no " + t.Name + " with " + attr + "=" + value, nil
	}
	if attr != "name" {
		msg := attr + " is not a unique attribute of " + t.Name + "; give "
		if len(t.unique) > 0 {
			msg += strings.Join(t.unique, "=..., ") + "=..., "
		}
		return 0, msg + "name=... or the CI id", nil
	}
	if s, ok := im.seen[nameKey(t.ID, value)]; ok && s.id > 0 {
		return s.id, "", nil
	}
	names, err := im.typeNames(t.ID)
	if err != nil {
		return 0, "", err
	}
	switch id := names[strings.ToLower(value)]; {
	case id == importAmbiguous:
		return 0, "several CIs of type " + t.Name + " are named " + strconv.Quote(value) + "; give a unique attribute or the CI id", nil
	case id > 0:
		return id, "", nil
	}
	return 0, "no " + t.Name + " named " + strconv.Quote(value), nil
}

// prefetchKeys looks up, in bulk, the identifier keys of a chunk that the
// CI file did not resolve, and keeps them in seen.
func (im *importer) prefetchKeys(rels []*importRel) error {
	var rows []*importRow
	asked := map[string]bool{}
	for _, r := range rels {
		for _, e := range r.ends {
			if e.attr == "" || e.typ == nil {
				continue
			}
			a, ok := e.typ.attrs[e.attr]
			if !ok || !a.Unique {
				continue
			}
			v, err := CoerceValue(a, e.value)
			if err != nil {
				continue
			}
			k := identifierKey(e.typ.ID, e.attr, IdentifierValue(v))
			if s, ok := im.seen[k]; (ok && s.id > 0) || asked[k] {
				continue
			}
			asked[k] = true
			rows = append(rows, &importRow{typ: e.typ, keys: []string{k}})
		}
	}
	if len(rows) == 0 {
		return nil
	}
	// Every type is looked up: the CI file may have created some.
	found, err := im.lookupIdentifiers(rows, func(*importRow) bool { return true })
	if err != nil {
		return err
	}
	for k, id := range found {
		im.seen[k] = importSeen{id: id}
	}
	return nil
}

// planRelationships counts which of a chunk's relationships an import would create:
// those neither in the snapshot nor earlier in the file.
func (im *importer) planRelationships(ins *importBulk) error {
	var sources []int64
	for i := 0; i < ins.rows; i++ {
		if src := ins.args[i*ins.cols].(int64); src <= im.maxID {
			sources = append(sources, src)
		}
	}
	have := map[importEdge]struct{}{}
	for len(sources) > 0 {
		n := min(len(sources), 500)
		args := make([]any, n)
		for i, id := range sources[:n] {
			args[i] = id
		}
		sources = sources[n:]
		rows, err := im.q.Query(im.ctx, "SELECT source_id, target_id, type FROM ci_relationships WHERE source_id IN ("+importMarks(n)+")", args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var e importEdge
			if err := rows.Scan(&e.source, &e.target, &e.typ); err != nil {
				rows.Close()
				return err
			}
			have[e] = struct{}{}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	for i := 0; i < ins.rows; i++ {
		a := ins.args[i*ins.cols:]
		e := importEdge{a[0].(int64), a[1].(int64), RelType(a[2].(string))}
		_, had := have[e]
		if _, planned := im.planRels[e]; had || planned {
			im.rep.Relationships.Unchanged++
			continue
		}
		im.planRels[e] = struct{}{}
		im.rep.Relationships.Created++
	}
	ins.reset()
	return nil
}
