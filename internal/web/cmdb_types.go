package web

import (
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"steward/internal/auth"
	"steward/internal/cmdb"
	"steward/internal/domainerr"
	"steward/internal/httpx"
)

type ciTypesView struct {
	Types    []cmdb.CIType
	CanWrite bool
}

func (wb *Web) listCITypes(w http.ResponseWriter, r *http.Request) {
	types, err := wb.CMDB.ListTypes(r.Context())
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	v := ciTypesView{Types: types, CanWrite: httpx.Principal(r).Can(auth.CITypeWrite)}
	wb.render(w, r, http.StatusOK, "ci_types", page{Title: "CI types", Active: "ci-types", Data: v})
}

// ciTypeView is a type's page: read-only, or its form for admins.
type ciTypeView struct {
	T         cmdb.CIType // ID 0 for a new type
	CanWrite  bool
	F         *fieldErrors // form "type"
	Error     string
	Rows      []attrRow
	AttrTypes []cmdb.AttrType
	TypeNames []string // for ref_type
}

// attrRow is one attribute of the type form.
type attrRow struct {
	Index              int
	Name, Type, Values string
	RefType            string
	Required, Unique   bool
	Existing, Remove   bool
	Errs               map[string]string
}

// Err is the message for one of the row's fields.
func (a attrRow) Err(field string) string { return a.Errs[field] }

// HasErr reports whether any field of the row failed.
func (a attrRow) HasErr() bool { return len(a.Errs) > 0 }

// blankAttrRows are the empty rows the form offers for new attributes.
const blankAttrRows = 3

func (wb *Web) newCITypeForm(w http.ResponseWriter, r *http.Request) {
	wb.showCIType(w, r, http.StatusOK, ciTypeView{CanWrite: true})
}

func (wb *Web) ciTypePage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	t, err := wb.CMDB.GetType(r.Context(), strconv.FormatInt(id, 10))
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	wb.showCIType(w, r, http.StatusOK, ciTypeView{T: t, CanWrite: httpx.Principal(r).Can(auth.CITypeWrite)})
}

func (wb *Web) showCIType(w http.ResponseWriter, r *http.Request, status int, v ciTypeView) {
	types, err := wb.CMDB.ListTypes(r.Context())
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	for _, t := range types {
		if t.ID != v.T.ID {
			v.TypeNames = append(v.TypeNames, t.Name)
		}
	}
	if v.T.ID != 0 || v.T.Name != "" {
		v.TypeNames = append(v.TypeNames, v.T.Name)
	}
	v.AttrTypes = cmdb.AttrTypes
	if v.Rows == nil {
		for i, a := range v.T.Attributes {
			v.Rows = append(v.Rows, attrRow{Index: i, Name: a.Name, Type: string(a.Type), Values: strings.Join(a.Values, ", "),
				RefType: a.RefType, Required: a.Required, Unique: a.Unique, Existing: true})
		}
		if v.CanWrite {
			for i := 0; i < blankAttrRows; i++ {
				v.Rows = append(v.Rows, attrRow{Index: len(v.Rows), Type: string(cmdb.AttrString)})
			}
		}
	}
	title := v.T.Name
	if v.T.ID == 0 {
		title = "New CI type"
	}
	wb.render(w, r, status, "ci_type", page{Title: title, Active: "ci-types", Data: v})
}

// readTypeForm reads the name, description and attribute rows; rowOf maps
// each attribute's index in the result to its row in the form.
func readTypeForm(r *http.Request) (name, desc string, attrs []cmdb.Attribute, rows []attrRow, rowOf []int) {
	name, desc = r.PostFormValue("name"), formText(r, "description")
	n, _ := strconv.Atoi(r.PostFormValue("rows"))
	n = min(max(n, 0), cmdb.MaxAttributes+blankAttrRows)
	for i := 0; i < n; i++ {
		p := "attr_" + strconv.Itoa(i) + "_"
		row := attrRow{Index: i, Name: strings.TrimSpace(r.PostFormValue(p + "name")), Type: r.PostFormValue(p + "type"),
			Values: r.PostFormValue(p + "values"), RefType: r.PostFormValue(p + "ref_type"),
			Required: r.PostFormValue(p+"required") == "on", Unique: r.PostFormValue(p+"unique") == "on",
			Existing: r.PostFormValue(p+"existing") == "1", Remove: r.PostFormValue(p+"remove") == "on"}
		rows = append(rows, row)
		blank := row.Name == "" && strings.TrimSpace(row.Values) == "" && row.RefType == "" && !row.Required && !row.Unique
		if row.Remove || blank && !row.Existing {
			continue
		}
		a := cmdb.Attribute{Name: row.Name, Type: cmdb.AttrType(row.Type), Required: row.Required, Unique: row.Unique, RefType: row.RefType}
		for _, s := range strings.Split(row.Values, ",") {
			if s = strings.TrimSpace(s); s != "" {
				a.Values = append(a.Values, s)
			}
		}
		attrs = append(attrs, a)
		rowOf = append(rowOf, i)
	}
	return name, desc, attrs, rows, rowOf
}

var attrErrPath = regexp.MustCompile(`^attributes\[(\d+)\]\.([a-z_]+)`)

// typeFailed shows the type form again with each message next to its
// field: attributes[2].values[1] goes to the values of the form row the
// third attribute came from.
func (wb *Web) typeFailed(w http.ResponseWriter, r *http.Request, t cmdb.CIType, rows []attrRow, rowOf []int, err error) {
	tx := wb.clockOf(r).text()
	var inv *domainerr.Invalid
	var conflict *domainerr.Conflict
	switch {
	case errors.As(err, &inv):
		errs := map[string]string{}
		var general []string
		for k, m := range inv.Fields {
			if g := attrErrPath.FindStringSubmatch(k); g != nil {
				i, _ := strconv.Atoi(g[1])
				if i < len(rowOf) {
					row := &rows[rowOf[i]]
					if row.Errs == nil {
						row.Errs = map[string]string{}
					}
					if _, dup := row.Errs[g[2]]; !dup {
						row.Errs[g[2]] = m
					}
					continue
				}
			}
			if k == "name" || k == "description" {
				errs[k] = m
				continue
			}
			general = append(general, tx.T("web.cmdb_form.field_error", "Field", fieldLabelIn(tx, k), "Message", m))
		}
		v := ciTypeView{T: t, CanWrite: true, Rows: rows, F: &fieldErrors{Form: "type", Errs: errs, Values: r.PostForm}}
		if len(general) > 0 {
			v.Error = strings.Join(general, " ")
		}
		wb.showCIType(w, r, http.StatusUnprocessableEntity, v)
	case errors.As(err, &conflict):
		wb.showCIType(w, r, http.StatusConflict, ciTypeView{T: t, CanWrite: true, Rows: rows, Error: conflict.Message,
			F: &fieldErrors{Form: "type", Errs: map[string]string{}, Values: r.PostForm}})
	case errors.Is(err, domainerr.ErrStale):
		fresh, gerr := wb.CMDB.GetType(r.Context(), strconv.FormatInt(t.ID, 10))
		if gerr != nil {
			wb.fail(w, r, gerr)
			return
		}
		wb.showCIType(w, r, http.StatusConflict, ciTypeView{T: fresh, CanWrite: true, Error: wb.stale(r)})
	default:
		wb.fail(w, r, err)
	}
}

func (wb *Web) createCIType(w http.ResponseWriter, r *http.Request) {
	name, desc, attrs, rows, rowOf := readTypeForm(r)
	t, err := wb.CMDB.CreateType(r.Context(), httpx.Principal(r).Actor(), cmdb.NewCIType{Name: name, Description: desc, Attributes: attrs})
	if err == nil {
		wb.redirect(w, r, "/ci-types/"+strconv.FormatInt(t.ID, 10), "saved")
		return
	}
	wb.typeFailed(w, r, cmdb.CIType{}, rows, rowOf, err)
}

func (wb *Web) updateCIType(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	cur, err := wb.CMDB.GetType(r.Context(), strconv.FormatInt(id, 10))
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	version, ok := formVersion(r)
	if !ok {
		wb.errorPage(w, r, http.StatusBadRequest, wb.clockOf(r).text().T("web.cmdb_types.form_version_type"))
		return
	}
	name, desc, attrs, rows, rowOf := readTypeForm(r)
	if attrs == nil {
		attrs = []cmdb.Attribute{}
	}
	pt := cmdb.CITypePatch{Name: &name, Description: &desc, Attributes: &attrs}
	if _, err = wb.CMDB.UpdateType(r.Context(), httpx.Principal(r).Actor(), strconv.FormatInt(id, 10), pt, version); err == nil {
		wb.redirect(w, r, "/ci-types/"+strconv.FormatInt(id, 10), "saved")
		return
	}
	wb.typeFailed(w, r, cur, rows, rowOf, err)
}

func (wb *Web) deleteCIType(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	version, _ := formVersion(r)
	ref := strconv.FormatInt(id, 10)
	err := wb.CMDB.DeleteType(r.Context(), httpx.Principal(r).Actor(), ref, version)
	var conflict *domainerr.Conflict
	switch {
	case err == nil:
		wb.redirect(w, r, "/ci-types", "deleted")
	case errors.As(err, &conflict):
		t, gerr := wb.CMDB.GetType(r.Context(), ref)
		if gerr != nil {
			wb.fail(w, r, gerr)
			return
		}
		wb.showCIType(w, r, http.StatusConflict, ciTypeView{T: t, CanWrite: true, Error: conflict.Message})
	default:
		wb.fail(w, r, err)
	}
}
