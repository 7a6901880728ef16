package cmdb

import (
	"encoding/json"
	"io"
	"sort"
	"strconv"
	"strings"
)

// importCIs reads the CI file and writes it chunk by chunk. A resumed
// import first reads again the skip lines it had committed; skip < 0
// reads the file only for the relationships a JSON file holds.
func (im *importer) importCIs(r io.Reader, format DataFormat, skip int) error {
	im.ciJSON = format == FormatJSON
	rd, js, err := importOpen(r, format, fileCIs, func(line int, field, msg string) {
		im.fail(fileCIs, line, field, "%s", msg)
	})
	if err != nil || rd == nil {
		return err
	}
	im.bundle = js
	size := im.opts.chunkRows()
	chunk := make([]*importRow, 0, size)
	read := 0
	for {
		im.replay = skip < 0 || read < skip
		rec, ok, err := rd.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		read++
		if skip < 0 {
			continue
		}
		row := im.ciRow(rec)
		if im.replay {
			im.committedAt = read
			continue
		}
		if row != nil {
			chunk = append(chunk, row)
		}
		if read-im.committedAt >= size {
			if err := im.commit(PhaseCIs, read, func() error { return im.applyCIs(chunk) }); err != nil {
				return err
			}
			chunk = chunk[:0]
		}
	}
	im.replay = false
	if skip < 0 {
		return nil
	}
	if read > im.committedAt {
		if err := im.commit(PhaseCIs, read, func() error { return im.applyCIs(chunk) }); err != nil {
			return err
		}
	}
	c := &im.rep.CIs
	c.Lines = c.Created + c.Updated + c.Unchanged + c.Rejected
	return nil
}

// importExisting is a CI as the database holds it.
type importExisting struct {
	name       string
	status     Status
	owner      int64
	group      int64
	customer   int64
	location   string
	attrs      map[string]any
	redundancy string
}

// importWrites gathers one chunk's inserts.
type importWrites struct {
	cis, idents, history *importBulk
}

func newImportWrites() *importWrites {
	return &importWrites{
		cis: newImportBulk("cis", "id", "type_id", "name", "status", "owner_id", "group_id", "customer_id",
			"location", "attributes", "redundancy", "created_at", "updated_at", "version"),
		idents:  newImportBulk("ci_identifiers", "type_id", "attribute", "value", "ci_id"),
		history: newImportBulk("ci_history", importHistoryCols...),
	}
}

var importHistoryCols = []string{"ci_id", "at", "actor_id", "actor_name", "action", "field", "old_value",
	"new_value", "change_ref", "related_id", "rel_type"}

// applyCIs matches a chunk of rows against the database and writes them.
func (im *importer) applyCIs(rows []*importRow) error {
	if len(rows) == 0 {
		return nil
	}
	found, err := im.lookupIdentifiers(rows, func(r *importRow) bool { return !r.byName && im.populated[r.typ.ID] })
	if err != nil {
		return err
	}
	match := make([]int64, len(rows))
	var matched []int64
	unmatched := 0
	for i, r := range rows {
		if r.byName {
			names, err := im.typeNames(r.typ.ID)
			if err != nil {
				return err
			}
			match[i] = names[strings.ToLower(r.name)]
		} else {
			match[i] = found[r.keys[0]]
		}
		if match[i] > 0 {
			matched = append(matched, match[i])
		} else {
			unmatched++
		}
	}
	existing, err := im.loadExisting(matched)
	if err != nil {
		return err
	}
	refs, err := im.loadRefTypes(rows)
	if err != nil {
		return err
	}
	if err := im.drawIDs(unmatched); err != nil {
		return err
	}
	w := newImportWrites()
	im.w = w
	for i, r := range rows {
		if err := im.applyRow(r, match[i], found, existing, refs, w); err != nil {
			return err
		}
	}
	if err := im.flushWrites(); err != nil {
		return err
	}
	return im.analyze(false)
}

// flushWrites writes the chunk's gathered inserts; new CIs first, for the
// rows that refer to them.
func (im *importer) flushWrites() error {
	if im.w == nil {
		return nil
	}
	for _, b := range []*importBulk{im.w.cis, im.w.idents, im.w.history} {
		if im.plan {
			b.reset()
			continue
		}
		if err := b.flush(im.ctx, im.tx); err != nil {
			return err
		}
	}
	return nil
}

func (im *importer) applyRow(r *importRow, id int64, found map[string]int64, existing map[int64]*importExisting,
	refs map[int64]int64, w *importWrites) error {
	t := r.typ
	bad := false
	fail := func(field, format string, args ...any) {
		im.fail(fileCIs, r.line, field, format, args...)
		bad = true
	}
	if id == importAmbiguous {
		fail("name", "several CIs of type %q are named %q; give a unique attribute to say which", t.Name, r.name)
		return nil
	}
	for _, k := range r.keys {
		if other, ok := found[k]; ok && other != id && !r.byName {
			a := importKeyAttr(k)
			fail(im.attrLabel(a), "%s=%s already identifies CI #%d", a, importValueText(r.attrs[a]), other)
		}
	}
	for _, ref := range r.refs {
		a := t.attrs[ref.attr]
		target := im.types[strings.ToLower(a.RefType)]
		refID, msg, err := im.resolveKey(target, a.RefType, ref.key)
		if err != nil {
			return err
		}
		if msg != "" {
			fail(im.attrLabel(ref.attr), "reference to a missing CI: %s", msg)
			continue
		}
		r.attrs[ref.attr] = refID
		refs[refID] = target.ID
	}
	for name, v := range r.attrs {
		a := t.attrs[name]
		if a.Type != AttrReference {
			continue
		}
		refID := v.(int64)
		typeID, ok := refs[refID]
		if !ok {
			fail(im.attrLabel(name), "reference to a missing CI: there is no CI #%d", refID)
		} else if want := im.types[strings.ToLower(a.RefType)]; a.RefType != "" && (want == nil || want.ID != typeID) {
			fail(im.attrLabel(name), "CI #%d is a %s, not a %s", refID, im.typesByID[typeID].Name, a.RefType)
		}
	}
	if bad {
		return nil
	}
	if id == 0 {
		return im.createRow(r, fail, w, refs)
	}
	return im.updateRow(r, id, existing[id], fail, w)
}

func (im *importer) createRow(r *importRow, fail func(string, string, ...any), w *importWrites, refs map[int64]int64) error {
	for _, a := range r.missing {
		fail(im.attrLabel(a), "is required for type %q", r.typ.Name)
	}
	if len(r.missing) > 0 {
		return nil
	}
	id := im.takeID()
	status := r.status
	if status == "" {
		status = InUse
	}
	attrs, _ := json.Marshal(r.attrs)
	w.cis.add(id, r.typ.ID, r.name, string(status), importNullID(r.owner), importNullID(r.group), importNullID(r.customer),
		r.location, string(attrs), r.redundancy, im.now, im.now, 1)
	for _, u := range r.typ.unique {
		if v, ok := r.attrs[u]; ok {
			w.idents.add(r.typ.ID, u, IdentifierValue(v), id)
		}
	}
	snap := importSnapshot(r.typ.Name, r.name, status, r.location, attrs)
	im.history(w, id, ActionCreate, "", nil, &snap)
	for _, k := range r.keys {
		im.seen[k] = importSeen{id: id, line: int32(r.line)}
	}
	if names, ok := im.names[r.typ.ID]; ok {
		importAddName(names, r.name, id)
	} else if im.plan {
		im.planNames[r.typ.ID] = append(im.planNames[r.typ.ID], importNamed{r.name, id})
	}
	refs[id] = r.typ.ID
	im.rep.CIs.Created++
	return nil
}

func (im *importer) updateRow(r *importRow, id int64, e *importExisting, fail func(string, string, ...any), w *importWrites) error {
	if e == nil {
		fail("", "CI #%d was removed during the import", id)
		return nil
	}
	attrs := make(map[string]any, len(e.attrs)+len(r.attrs))
	for k, v := range e.attrs {
		attrs[k] = v
	}
	for k, v := range r.attrs {
		attrs[k] = v
	}
	for _, k := range r.clear {
		delete(attrs, k)
	}
	missing := false
	for _, a := range r.missing {
		if _, ok := attrs[a]; !ok {
			fail(im.attrLabel(a), "is required for type %q", r.typ.Name)
			missing = true
		}
	}
	if missing {
		return nil
	}
	next := *e
	next.name, next.attrs = r.name, attrs
	if r.set&importSetStatus != 0 {
		next.status = r.status
	}
	if r.set&importSetOwner != 0 {
		next.owner = r.owner
	}
	if r.set&importSetGroup != 0 {
		next.group = r.group
	}
	if r.set&importSetCustomer != 0 {
		next.customer = r.customer
	}
	if r.set&importSetLocation != 0 {
		next.location = r.location
	}
	if r.set&importSetRedundancy != 0 {
		next.redundancy = r.redundancy
	}
	changes := importDiff(e, &next)
	for _, k := range r.keys {
		im.seen[k] = importSeen{id: id, line: int32(r.line)}
	}
	if len(changes) == 0 {
		im.rep.CIs.Unchanged++
		return nil
	}
	if err := im.updateCI(r, id, e, &next, attrs, w); err != nil {
		return err
	}
	for _, c := range changes {
		im.history(w, id, ActionUpdate, c.Field, c.Old, c.New)
	}
	if e.name != next.name {
		if names, ok := im.names[r.typ.ID]; ok {
			if names[strings.ToLower(e.name)] == id {
				delete(names, strings.ToLower(e.name))
			}
			importAddName(names, next.name, id)
		}
	}
	if len(im.rep.Changes) < MaxImportChanges && !im.replay {
		im.rep.Changes = append(im.rep.Changes, ImportChange{Line: r.line, CIID: id, Type: r.typ.Name, Name: next.name, Fields: changes})
	}
	im.rep.CIs.Updated++
	return nil
}

// updateCI writes an updated CI and its identifiers; a plan writes nothing.
func (im *importer) updateCI(r *importRow, id int64, e, next *importExisting, attrs map[string]any, w *importWrites) error {
	if im.plan {
		return nil
	}
	raw, _ := json.Marshal(attrs)
	_, err := im.tx.Exec(im.ctx, `UPDATE cis SET name = ?, status = ?, owner_id = ?, group_id = ?, customer_id = ?,
		location = ?, attributes = ?, redundancy = ?, updated_at = ?, version = version + 1 WHERE id = ?`,
		next.name, string(next.status), importNullID(next.owner), importNullID(next.group), importNullID(next.customer),
		next.location, string(raw), next.redundancy, im.now, id)
	if err != nil {
		return err
	}
	for _, u := range r.typ.unique {
		ov, had := e.attrs[u]
		nv, has := attrs[u]
		if had == has && (!had || IdentifierValue(ov) == IdentifierValue(nv)) {
			continue
		}
		if had {
			if _, err := im.tx.Exec(im.ctx, "DELETE FROM ci_identifiers WHERE type_id = ? AND attribute = ? AND value = ?",
				r.typ.ID, u, IdentifierValue(ov)); err != nil {
				return err
			}
		}
		if has {
			w.idents.add(r.typ.ID, u, IdentifierValue(nv), id)
		}
	}
	return nil
}

// importSnapshot is what a create entry of the history keeps: the CI as
// the import wrote it.
func importSnapshot(typ, name string, status Status, location string, attrs []byte) string {
	raw, _ := json.Marshal(struct {
		Type       string          `json:"type"`
		Name       string          `json:"name"`
		Status     Status          `json:"status"`
		Location   string          `json:"location"`
		Attributes json.RawMessage `json:"attributes"`
	}{typ, name, status, location, attrs})
	return string(raw)
}

// importDiff lists what differs between a CI and what it is to become.
func importDiff(a, b *importExisting) []FieldChange {
	var out []FieldChange
	add := func(field string, old, new *string) {
		if (old == nil) != (new == nil) || (old != nil && *old != *new) {
			out = append(out, FieldChange{Field: field, Old: old, New: new})
		}
	}
	text := func(s string) *string { return &s }
	optText := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	idText := func(id int64) *string {
		if id == 0 {
			return nil
		}
		return text(strconv.FormatInt(id, 10))
	}
	add("name", text(a.name), text(b.name))
	add("status", text(string(a.status)), text(string(b.status)))
	add("owner_id", idText(a.owner), idText(b.owner))
	add("group_id", idText(a.group), idText(b.group))
	add("customer_id", idText(a.customer), idText(b.customer))
	add("location", optText(a.location), optText(b.location))
	add("redundancy", optText(a.redundancy), optText(b.redundancy))
	keys := make([]string, 0, len(a.attrs)+len(b.attrs))
	for k := range a.attrs {
		keys = append(keys, k)
	}
	for k := range b.attrs {
		if _, ok := a.attrs[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		var old, new *string
		if v, ok := a.attrs[k]; ok {
			old = text(importValueText(v))
		}
		if v, ok := b.attrs[k]; ok {
			new = text(importValueText(v))
		}
		add("attributes."+k, old, new)
	}
	return out
}

func importAddName(names map[string]int64, name string, id int64) {
	k := strings.ToLower(name)
	if prev, ok := names[k]; ok && prev != id {
		names[k] = importAmbiguous
		return
	}
	names[k] = id
}

func importNullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// history adds one history entry to the chunk's writes.
func (im *importer) history(w *importWrites, ciID int64, action, field string, old, new *string) {
	var actorID any
	if im.actor.ID != 0 {
		actorID = im.actor.ID
	}
	w.history.add(ciID, im.now, actorID, im.actor.Name, action, field, old, new, im.opts.ChangeRef, nil, "")
}
