package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"steward/internal/document"
	"steward/internal/domainerr"
	"steward/internal/httpx"
)

// typedInput is one typed field of a document type as the form shows it,
// built from the type's declaration (document.TypeFields).
type typedInput struct {
	document.Field
	Name  string // the form field: a.<key>
	Value string
	Err   string
	Rows  [][]typedCell
}

type typedCell struct {
	Name, Label, Value, Err string
}

// typedSet is the fields of one type, shown while that type is chosen.
type typedSet struct {
	Type   document.Type
	Inputs []typedInput
}

type docFormView struct {
	Doc       document.Document
	F         *fieldErrors
	Types     []document.Type
	Statuses  []document.Status
	Processes []document.ProcessRef
	Staff     []option
	Others    []document.Document // documents that may supersede this one
	Sets      []typedSet
}

// docBlankRows is how many empty rows a rows field offers to fill in.
const docBlankRows = 3

func (h documentPages) newDoc(w http.ResponseWriter, r *http.Request) {
	d := document.Document{Type: document.Policy, Status: document.Draft, Attributes: map[string]any{}}
	if t := document.Type(r.URL.Query().Get("type")); t.Valid() {
		d.Type = t
	}
	if k := r.URL.Query().Get("process"); k != "" {
		d.ProcessKey = k
	}
	h.showForm(w, r, http.StatusOK, d, nil)
}

func (h documentPages) edit(w http.ResponseWriter, r *http.Request) {
	id, ok := docID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	d, err := document.Get(r.Context(), h.wb.DB, id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showForm(w, r, http.StatusOK, d, nil)
}

func (h documentPages) showForm(w http.ResponseWriter, r *http.Request, status int, d document.Document, fe *fieldErrors) {
	v := docFormView{Doc: d, F: fe, Types: document.Types, Statuses: document.Statuses}
	var err error
	if v.Processes, err = document.Processes(r.Context(), h.wb.DB); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	if v.Staff, err = h.staffOptions(r); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	all, err := document.List(r.Context(), h.wb.DB, document.Filter{Limit: document.MaxList})
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	for _, o := range all.Items {
		if o.ID != d.ID {
			v.Others = append(v.Others, o)
		}
	}
	for _, t := range document.Types {
		if len(t.Fields()) == 0 {
			continue
		}
		set := typedSet{Type: t}
		for _, f := range t.Fields() {
			set.Inputs = append(set.Inputs, typedField(f, d, t, fe))
		}
		v.Sets = append(v.Sets, set)
	}
	tx := h.wb.clockOf(r).text()
	title := tx.T("web.document_form.title_new")
	if d.ID != 0 {
		title = tx.T("web.document_form.title_edit", "Title", d.Title)
	}
	h.wb.render(w, r, status, "document_form", page{Title: title, Active: "documents", Data: v})
}

// typedField fills one declared field with what the document holds, or
// with what was typed when the form came back with errors (only for the
// type that was chosen then).
func typedField(f document.Field, d document.Document, t document.Type, fe *fieldErrors) typedInput {
	in := typedInput{Field: f, Name: "a." + string(t) + "." + f.Key}
	posted := fe != nil && fe.Failed("doc") && len(fe.Values["type"]) > 0 && fe.Values["type"][0] == string(t)
	mine := d.Type == t
	if posted {
		in.Err = fe.Errs[in.Name]
	}
	if f.Kind != document.RowsField {
		switch {
		case posted:
			in.Value = fe.Val("doc", in.Name, "")
		case mine:
			if raw, ok := d.Attributes[f.Key]; ok {
				if x, isNum := raw.(float64); isNum {
					in.Value = strconv.FormatFloat(x, 'f', -1, 64)
				} else {
					in.Value = fmt.Sprint(raw)
				}
			}
		}
		return in
	}
	var rows []map[string]string
	switch {
	case posted:
		for i := 0; i < document.MaxRows; i++ {
			row, any := map[string]string{}, false
			for _, c := range f.Columns {
				k := fmt.Sprintf("%s.%d.%s", in.Name, i, c.Key)
				if vals, ok := fe.Values[k]; ok {
					any = true
					row[c.Key] = vals[0]
				}
			}
			if !any {
				break
			}
			rows = append(rows, row)
		}
	case mine:
		list, _ := d.Attributes[f.Key].([]any)
		for _, item := range list {
			m, _ := item.(map[string]any)
			row := map[string]string{}
			for k, x := range m {
				row[k], _ = x.(string)
			}
			rows = append(rows, row)
		}
	}
	for range docBlankRows {
		if len(rows) < document.MaxRows {
			rows = append(rows, map[string]string{})
		}
	}
	for i, row := range rows {
		var cells []typedCell
		for _, c := range f.Columns {
			name := fmt.Sprintf("%s.%d.%s", in.Name, i, c.Key)
			cell := typedCell{Name: name, Label: c.Label, Value: row[c.Key]}
			if posted {
				cell.Err = fe.Errs[name]
			}
			cells = append(cells, cell)
		}
		in.Rows = append(in.Rows, cells)
	}
	return in
}

// docInput reads the form into the service's input: the typed fields of
// the chosen type only, as typed (the service checks and converts them).
func (wb *Web) docInput(r *http.Request, editing bool) (document.Input, map[string]string) {
	bad := map[string]string{}
	title, typ := r.PostFormValue("title"), document.Type(r.PostFormValue("type"))
	proc, retention, review := r.PostFormValue("process_key"), r.PostFormValue("retention"), r.PostFormValue("next_review")
	ack := r.PostFormValue("requires_acknowledgement") == "1"
	in := document.Input{Title: &title, Type: &typ, ProcessKey: &proc, Retention: &retention, NextReview: &review, RequiresAck: &ack}
	for _, p := range []struct {
		name string
		dst  **int64
	}{{"owner_id", &in.OwnerID}, {"approver_id", &in.ApproverID}, {"superseded_by", &in.SupersededBy}} {
		id, ok := formID(r, p.name)
		msg := ""
		if p.name != "superseded_by" {
			id, msg = wb.person(r, p.name, agentPerson)
			ok = true
		}
		switch {
		case msg != "":
			bad[p.name] = msg
		case !ok:
			bad[p.name] = wb.clockOf(r).text().T("web.document_form.choose_from_list")
		case id == nil:
			zero := int64(0)
			*p.dst = &zero
		default:
			*p.dst = id
		}
	}
	if editing {
		st := document.Status(r.PostFormValue("status"))
		in.Status = &st
	}
	attrs := map[string]any{}
	for _, f := range typ.Fields() {
		name := "a." + string(typ) + "." + f.Key
		if f.Kind != document.RowsField {
			if s := strings.TrimSpace(r.PostFormValue(name)); s != "" {
				attrs[f.Key] = s
			}
			continue
		}
		var rows []any
		for i := 0; i < document.MaxRows; i++ {
			row, present := map[string]any{}, false
			for _, c := range f.Columns {
				k := fmt.Sprintf("%s.%d.%s", name, i, c.Key)
				if _, ok := r.PostForm[k]; ok {
					present = true
					row[c.Key] = r.PostFormValue(k)
				}
			}
			if !present {
				break
			}
			rows = append(rows, row)
		}
		if rows != nil {
			attrs[f.Key] = rows
		}
	}
	in.Attributes = &attrs
	return in, bad
}

func (h documentPages) create(w http.ResponseWriter, r *http.Request) { h.save(w, r, 0) }

func (h documentPages) update(w http.ResponseWriter, r *http.Request) {
	id, ok := docID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	h.save(w, r, id)
}

func (h documentPages) save(w http.ResponseWriter, r *http.Request, id int64) {
	in, bad := h.wb.docInput(r, id != 0)
	actor := httpx.Principal(r).Actor()
	var err error
	if len(bad) == 0 {
		var d document.Document
		if id == 0 {
			d, err = h.svc.Create(r.Context(), actor, in, nil)
		} else {
			ver, _ := formVersion(r)
			d, err = h.svc.Update(r.Context(), actor, id, in, ver)
		}
		if err == nil {
			h.wb.redirect(w, r, "/documents/"+strconv.FormatInt(d.ID, 10), "saved")
			return
		}
		var inv *domainerr.Invalid
		if !errors.As(err, &inv) {
			h.wb.fail(w, r, err)
			return
		}
		for k, m := range inv.Fields {
			bad[formName(*in.Type, k)] = m
		}
	}
	cur := document.Document{ID: id, Attributes: map[string]any{}}
	if id != 0 {
		if cur, err = document.Get(r.Context(), h.wb.DB, id); err != nil {
			h.wb.fail(w, r, err)
			return
		}
	}
	h.showForm(w, r, http.StatusUnprocessableEntity, cur, &fieldErrors{Form: "doc", Errs: bad, Values: r.PostForm})
}

// formName is the form field a service message is about: the typed
// fields of type t are a.<t>.<key> on the form.
func formName(t document.Type, field string) string {
	if k, ok := strings.CutPrefix(field, "attributes."); ok {
		return "a." + string(t) + "." + k
	}
	return field
}
