package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"steward/internal/cmdb"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/patch"
	"steward/internal/store"
)

// ciFormView is the CI form: its fields follow the CI's type.
type ciFormView struct {
	C         cmdb.CI // ID 0 for a new CI
	T         cmdb.CIType
	F         *fieldErrors // form "ci"
	Error     string
	Other     []string // messages no field of the form shows
	Attrs     []attrField
	Statuses  []cmdb.Status
	Owners    []option
	Groups    []option
	Customers []option
	Services  []option
	RedMode   string // "", "count" or "percent"
	RedValue  string
	Types     []cmdb.CIType // the type picker, before a type is chosen
}

// attrField is one typed attribute input.
type attrField struct {
	cmdb.Attribute
	Input   string // the form field: attr.<name>
	Value   string
	Checked bool
	Err     string
	Choices []option // CIs a reference may name, when they are few
	RefName string   // the name of the CI a reference names now
}

// InputType is the HTML input type of the attribute.
func (a attrField) InputType() string {
	switch a.Type {
	case cmdb.AttrNumber, cmdb.AttrReference:
		return "number"
	case cmdb.AttrDate:
		return "date"
	}
	return "text"
}

// RedundancyOpen says whether the redundancy rule is shown unfolded.
func (v ciFormView) RedundancyOpen() bool {
	return v.RedMode != "" || v.F.Err("ci", "redundancy") != "" || v.T.Name == "Cluster" || v.T.Name == "Fleet"
}

// maxRefChoices bounds the select a reference attribute offers; beyond it
// the form asks for the CI's id.
const maxRefChoices = 200

func (wb *Web) newCIForm(w http.ResponseWriter, r *http.Request) {
	ref := r.URL.Query().Get("type")
	if ref == "" {
		types, err := wb.CMDB.ListTypes(r.Context())
		if err != nil {
			wb.fail(w, r, err)
			return
		}
		wb.render(w, r, http.StatusOK, "ci_form", page{Title: "New configuration item", Active: "cis", Data: ciFormView{Types: types}})
		return
	}
	t, err := wb.CMDB.GetType(r.Context(), ref)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	wb.showCIForm(w, r, http.StatusOK, ciFormView{C: cmdb.CI{Status: cmdb.InUse, TypeID: t.ID, Type: t.Name}, T: t})
}

func (wb *Web) editCIForm(w http.ResponseWriter, r *http.Request) {
	c, ok := wb.loadCI(w, r)
	if !ok {
		return
	}
	t, err := wb.CMDB.GetType(r.Context(), strconv.FormatInt(c.TypeID, 10))
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	wb.showCIForm(w, r, http.StatusOK, ciFormView{C: c, T: t})
}

// showCIForm fills in the choices and the typed attribute fields, as
// stored or, after a failed submission, as sent.
func (wb *Web) showCIForm(w http.ResponseWriter, r *http.Request, status int, v ciFormView) {
	ctx := r.Context()
	opts, err := wb.formOptions(r, false)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	services, err := wb.catalog().Names(ctx)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	v.Owners, v.Groups, v.Customers, v.Services = opts.Agents, opts.Groups, opts.Customers, namedOptions(services)
	v.Statuses = cmdb.Statuses
	if red := v.C.Redundancy; red != nil {
		if red.FailedWhenDown > 0 {
			v.RedMode, v.RedValue = "count", strconv.Itoa(red.FailedWhenDown)
		} else if red.FailedWhenDownPercent > 0 {
			v.RedMode, v.RedValue = "percent", strconv.FormatFloat(red.FailedWhenDownPercent, 'f', -1, 64)
		}
	}
	if v.F.Failed("ci") {
		v.RedMode, v.RedValue = v.F.Val("ci", "redundancy_mode", ""), v.F.Val("ci", "redundancy_value", "")
	}
	var refs []int64
	for _, a := range v.T.Attributes {
		f := attrField{Attribute: a, Input: "attr." + a.Name, Value: attrValueText(a, v.C.Attributes[a.Name])}
		if b, ok := v.C.Attributes[a.Name].(bool); ok {
			f.Checked = b
		}
		if v.F.Failed("ci") {
			f.Value = v.F.Val("ci", f.Input, "")
			f.Checked = f.Value == "on"
			f.Err = v.F.Errs[f.Input]
		}
		if a.Type == cmdb.AttrReference {
			if id, err := strconv.ParseInt(f.Value, 10, 64); err == nil {
				refs = append(refs, id)
			}
			if a.RefType != "" {
				pg, err := wb.CMDB.ListCIs(ctx, cmdb.CIFilter{Types: []string{a.RefType}, Limit: maxRefChoices})
				if err != nil {
					wb.fail(w, r, err)
					return
				}
				if pg.NextCursor == "" {
					for _, c := range pg.Items {
						if c.ID != v.C.ID {
							f.Choices = append(f.Choices, option{ID: c.ID, Name: c.Name})
						}
					}
				}
			}
		}
		v.Attrs = append(v.Attrs, f)
	}
	if len(refs) > 0 {
		names, err := ciRefs(ctx, wb.DB, refs)
		if err != nil {
			wb.fail(w, r, err)
			return
		}
		for i, f := range v.Attrs {
			if id, err := strconv.ParseInt(f.Value, 10, 64); err == nil && f.Type == cmdb.AttrReference {
				v.Attrs[i].RefName = names[id].Name
			}
		}
	}
	v.Other = unplacedErrors(wb.clockOf(r).text(), v)
	tx := wb.clockOf(r).text()
	title := tx.T("web.cmdb_form.title_new", "Type", v.T.Name)
	if v.C.ID != 0 {
		title = tx.T("web.cmdb_form.title_edit", "Name", v.C.Name)
	}
	wb.render(w, r, status, "ci_form", page{Title: title, Active: "cis", Data: v})
}

// ciFormFields are the fields the form shows besides the attributes.
var ciFormFields = []string{"name", "status", "location", "owner_id", "group_id", "customer_id", "service_id", "change_ref",
	"redundancy", "redundancy_mode", "redundancy_value"}

// unplacedErrors are the messages for fields the form does not show, so
// that none is lost.
func unplacedErrors(tx i18n.Text, v ciFormView) []string {
	if !v.F.Failed("ci") {
		return nil
	}
	var out []string
	for k, m := range v.F.Errs {
		if slices.Contains(ciFormFields, k) || strings.HasPrefix(k, "attr.") && v.T.Name != "" && hasAttr(v.T, strings.TrimPrefix(k, "attr.")) {
			continue
		}
		out = append(out, tx.T("web.cmdb_form.field_error", "Field", fieldLabelIn(tx, strings.TrimPrefix(k, "attr.")), "Message", m))
	}
	slices.Sort(out)
	return out
}

func hasAttr(t cmdb.CIType, name string) bool {
	_, ok := t.Attr(name)
	return ok
}

// ciForm is what the CI form sent, read once.
type ciForm struct {
	name, location, changeRef   string
	status                      cmdb.Status
	owner, group, customer, svc *int64
	attrs                       map[string]string // as typed; "" is empty
	redundancy                  *cmdb.Redundancy
	redMode                     string
}

func readCIForm(wb *Web, r *http.Request, t cmdb.CIType, bad *domainerr.Invalid) ciForm {
	f := ciForm{name: r.PostFormValue("name"), location: r.PostFormValue("location"),
		changeRef: strings.TrimSpace(r.PostFormValue("change_ref")), status: cmdb.Status(r.PostFormValue("status")),
		attrs: map[string]string{}, redMode: r.PostFormValue("redundancy_mode")}
	for _, ref := range []struct {
		name string
		dst  **int64
	}{{"group_id", &f.group}, {"customer_id", &f.customer}, {"service_id", &f.svc}} {
		var ok bool
		if *ref.dst, ok = formID(r, ref.name); !ok {
			bad.Add(ref.name, "is not a valid choice")
		}
	}
	f.owner = wb.personID(r, bad, "owner_id", agentPerson)
	for _, a := range t.Attributes {
		val := strings.TrimSpace(r.PostFormValue("attr." + a.Name))
		if a.Type == cmdb.AttrBool {
			val = strconv.FormatBool(val == "on")
		}
		f.attrs[a.Name] = val
	}
	val := strings.TrimSpace(r.PostFormValue("redundancy_value"))
	switch f.redMode {
	case "":
	case "count":
		if n, err := strconv.Atoi(val); err != nil || n < 1 {
			bad.Add("redundancy_value", "must be a whole number of members, at least 1")
		} else {
			f.redundancy = &cmdb.Redundancy{FailedWhenDown: n}
		}
	case "percent":
		if p, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(val, "%")), 64); err != nil || p <= 0 || p > 100 {
			bad.Add("redundancy_value", "must be a percentage above 0, at most 100")
		} else {
			f.redundancy = &cmdb.Redundancy{FailedWhenDownPercent: p}
		}
	default:
		bad.Add("redundancy_mode", "is not a valid choice")
	}
	return f
}

// ciFormType reads the type a new CI is of from the form.
func (wb *Web) ciFormType(r *http.Request) (cmdb.CIType, error) {
	ref := strings.TrimSpace(r.PostFormValue("type_id"))
	if _, err := strconv.ParseInt(ref, 10, 64); err != nil {
		return cmdb.CIType{}, domainerr.Field("type", "choose a CI type")
	}
	return wb.CMDB.GetType(r.Context(), ref)
}

func (wb *Web) createCI(w http.ResponseWriter, r *http.Request) {
	t, err := wb.ciFormType(r)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	bad := domainerr.NewInvalid()
	f := readCIForm(wb, r, t, bad)
	in := cmdb.NewCI{Type: cmdb.TypeRef(strconv.FormatInt(t.ID, 10)), Name: f.name, Status: f.status, OwnerID: f.owner,
		GroupID: f.group, CustomerID: f.customer, ServiceID: f.svc, Location: f.location, Redundancy: f.redundancy,
		ChangeRef: f.changeRef, Attributes: map[string]any{}}
	for _, a := range t.Attributes {
		// An unticked box on a new CI says nothing: false is only stored
		// when someone unticks a box that was ticked.
		if val := f.attrs[a.Name]; val != "" && (a.Type != cmdb.AttrBool || val == "true" || a.Required) {
			in.Attributes[a.Name] = val
		}
	}
	actor := httpx.Principal(r).Actor()
	if bad.Err() != nil {
		err = wb.checkOnly(r, bad, func(tx *store.Tx) error {
			_, err := wb.CMDB.CreateCITx(r.Context(), tx, actor, in)
			return err
		})
	} else {
		var c cmdb.CI
		if c, err = wb.CMDB.CreateCI(r.Context(), actor, in, nil); err == nil {
			wb.redirect(w, r, ciPath(c.ID), "saved")
			return
		}
	}
	wb.ciFailed(w, r, cmdb.CI{Status: f.status, TypeID: t.ID, Type: t.Name}, t, err)
}

// updateCI sends only what differs from the stored CI, so that the
// history shows what the user really changed.
func (wb *Web) updateCI(w http.ResponseWriter, r *http.Request) {
	cur, ok := wb.loadCI(w, r)
	if !ok {
		return
	}
	version, ok := formVersion(r)
	if !ok {
		wb.errorPage(w, r, http.StatusBadRequest, wb.clockOf(r).text().T("web.cmdb_form.form_version_ci"))
		return
	}
	t, err := wb.CMDB.GetType(r.Context(), strconv.FormatInt(cur.TypeID, 10))
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	bad := domainerr.NewInvalid()
	f := readCIForm(wb, r, t, bad)
	pt := cmdb.CIPatch{ChangeRef: f.changeRef, Attributes: map[string]any{}}
	if f.name != cur.Name {
		pt.Name = &f.name
	}
	if f.status != cur.Status {
		pt.Status = &f.status
	}
	if f.location != cur.Location {
		pt.Location = &f.location
	}
	ref := func(v, old *int64, dst *patch.Field[int64]) {
		switch {
		case v == nil && old != nil:
			*dst = patch.Field[int64]{Set: true, Null: true}
		case v != nil && (old == nil || *old != *v):
			*dst = patch.Of(*v)
		}
	}
	ref(f.owner, cur.OwnerID, &pt.OwnerID)
	ref(f.group, cur.GroupID, &pt.GroupID)
	ref(f.customer, cur.CustomerID, &pt.CustomerID)
	ref(f.svc, cur.ServiceID, &pt.ServiceID)
	for _, a := range t.Attributes {
		val, old := f.attrs[a.Name], cur.Attributes[a.Name]
		had := old != nil
		switch {
		case a.Type == cmdb.AttrBool && val == "false" && !had:
			// An unticked box for an unset value changes nothing.
		case val == "" && had:
			pt.Attributes[a.Name] = nil
		case val != "" && val != attrValueText(a, old):
			pt.Attributes[a.Name] = val
		}
	}
	if !sameRedundancy(f.redundancy, cur.Redundancy) {
		if f.redundancy == nil {
			pt.Redundancy = patch.Field[cmdb.Redundancy]{Set: true, Null: true}
		} else {
			pt.Redundancy = patch.Of(*f.redundancy)
		}
	}
	actor := httpx.Principal(r).Actor()
	if bad.Err() != nil {
		err = wb.checkOnly(r, bad, func(tx *store.Tx) error {
			_, err := wb.CMDB.UpdateCITx(r.Context(), tx, actor, cur.ID, pt, version)
			return err
		})
	} else if _, err = wb.CMDB.UpdateCI(r.Context(), actor, cur.ID, pt, version); err == nil {
		wb.redirect(w, r, ciPath(cur.ID), "saved")
		return
	}
	wb.ciFailed(w, r, cur, t, err)
}

// errCheckOnly rolls back a write that was only run for its validation.
var errCheckOnly = errors.New("validation only")

// checkOnly runs a domain write in a transaction that is always rolled
// back, so that a form the page itself refused still gets every message
// the domain has for it, added to bad, in one round.
func (wb *Web) checkOnly(r *http.Request, bad *domainerr.Invalid, write func(tx *store.Tx) error) error {
	err := wb.DB.InTx(r.Context(), func(tx *store.Tx) error {
		if err := write(tx); err != nil {
			return err
		}
		return errCheckOnly
	})
	var inv *domainerr.Invalid
	switch {
	case errors.As(err, &inv):
		for k, m := range inv.Fields {
			bad.Add(k, "%s", m)
		}
	case err != nil && !errors.Is(err, errCheckOnly):
		return err
	}
	return bad
}

func sameRedundancy(a, b *cmdb.Redundancy) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// ciFailed shows the form again with the messages next to their fields
// and what was typed.
func (wb *Web) ciFailed(w http.ResponseWriter, r *http.Request, c cmdb.CI, t cmdb.CIType, err error) {
	var inv *domainerr.Invalid
	switch {
	case errors.As(err, &inv):
		errs := map[string]string{}
		for k, m := range inv.Fields {
			switch {
			case strings.HasPrefix(k, "attributes."):
				k = "attr." + strings.TrimPrefix(k, "attributes.")
			case strings.HasPrefix(k, "redundancy"):
				k = "redundancy"
			}
			if _, dup := errs[k]; !dup {
				errs[k] = m
			}
		}
		if m, ok := errs["redundancy_value"]; ok {
			errs["redundancy"] = m
		}
		wb.showCIForm(w, r, http.StatusUnprocessableEntity, ciFormView{C: c, T: t,
			F: &fieldErrors{Form: "ci", Errs: errs, Values: r.PostForm}})
	case errors.Is(err, domainerr.ErrStale):
		fresh, gerr := wb.CMDB.GetCI(r.Context(), c.ID)
		if gerr != nil {
			wb.fail(w, r, gerr)
			return
		}
		wb.showCIForm(w, r, http.StatusConflict, ciFormView{C: fresh, T: t, Error: wb.stale(r)})
	default:
		wb.fail(w, r, err)
	}
}

func (wb *Web) deleteCI(w http.ResponseWriter, r *http.Request) {
	c, ok := wb.loadCI(w, r)
	if !ok {
		return
	}
	version, _ := formVersion(r)
	err := wb.CMDB.DeleteCI(r.Context(), httpx.Principal(r).Actor(), c.ID, version, strings.TrimSpace(r.PostFormValue("change_ref")))
	var conflict *domainerr.Conflict
	switch {
	case err == nil:
		wb.redirect(w, r, "/cis", "deleted")
	case errors.As(err, &conflict):
		wb.showCI(w, r, http.StatusConflict, c.ID, conflict.Message, nil)
	default:
		wb.fail(w, r, err)
	}
}
