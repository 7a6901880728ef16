package web

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/patch"
	"steward/internal/sla"
)

// SLAPages are service level management's pages: agreements, calendars, breaching soon and the report.
var SLAPages Pages = (*Web).registerSLA

// registerSLA adds the service level pages: agreements with their
// definitions, and business calendars. Everyone holding sla:read sees
// them; only sla:write gets forms.
func (wb *Web) registerSLA(rt *httpx.Router) {
	rt.Handle("GET /agreements", auth.SLARead, wb.listAgreements)
	rt.Handle("GET /agreements/new", auth.SLAWrite, wb.newAgreementForm)
	wb.post(rt, "POST /agreements", auth.SLAWrite, wb.createAgreement)
	rt.Handle("GET /agreements/{id}", auth.SLARead, wb.agreementPage)
	wb.post(rt, "POST /agreements/{id}", auth.SLAWrite, wb.updateAgreement)
	wb.post(rt, "POST /agreements/{id}/delete", auth.SLAWrite, wb.deleteAgreement)

	wb.registerCalendars(rt)
	wb.registerDefinitions(rt)
	wb.registerSLAReports(rt)
}

// slaService is the service level domain, shared with the timer engine.
func (wb *Web) slaService() *sla.Service { return wb.SLA }

// slaErrors gathers messages whose field starts with one of prefixes into
// one message per line, each led by the exact path, for fields edited as
// a whole (JSON text, a table of rows).
func slaErrors(errs map[string]string, prefixes ...string) string {
	var keys []string
	for k := range errs {
		for _, p := range prefixes {
			if k == p || strings.HasPrefix(k, p+"[") || strings.HasPrefix(k, p+".") {
				keys = append(keys, k)
				break
			}
		}
	}
	sort.Strings(keys)
	var lines []string
	for _, k := range keys {
		lines = append(lines, k+": "+errs[k])
	}
	return strings.Join(lines, "\n")
}

// formRows is how many numbered rows a table form sent (name_rows),
// bounded by max.
func formRows(r *http.Request, name string, max int) int {
	n, err := strconv.Atoi(r.PostFormValue(name + "_rows"))
	if err != nil || n < 0 {
		return 0
	}
	return min(n, max)
}

func rowValue(r *http.Request, prefix string, i int, field string) string {
	return strings.TrimSpace(r.PostFormValue(fmt.Sprintf("%s_%d_%s", prefix, i, field)))
}

// --- agreements

type agreementsView struct {
	Items     []sla.Agreement
	Customers map[int64]string
	Groups    map[int64]string
	Counts    map[int64]int
	Kind      string
	CanWrite  bool
	Default   int64 // the agreement that measures tickets without a customer
}

var agreementKinds = []sla.AgreementKind{sla.SLA, sla.OLA, sla.UC}

func (wb *Web) listAgreements(w http.ResponseWriter, r *http.Request) {
	kind := sla.AgreementKind(r.URL.Query().Get("kind"))
	switch kind {
	case sla.SLA, sla.OLA, sla.UC:
	default:
		kind = ""
	}
	items, err := sla.ListAgreements(r.Context(), wb.DB, sla.AgreementFilter{Kind: kind, Limit: maxChoices})
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	v := agreementsView{Items: items, Kind: string(kind), Counts: map[int64]int{}, CanWrite: httpx.Principal(r).Can(auth.SLAWrite)}
	if v.Customers, v.Groups, err = wb.orgNames(r); err != nil {
		wb.fail(w, r, err)
		return
	}
	defs, err := sla.ListDefinitions(r.Context(), wb.DB, sla.DefinitionFilter{Limit: 5000})
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	for _, d := range defs {
		v.Counts[d.AgreementID]++
	}
	if v.Default, err = sla.DefaultAgreement(r.Context(), wb.DB); err != nil {
		wb.fail(w, r, err)
		return
	}
	wb.render(w, r, http.StatusOK, "agreements", page{Title: wb.clockOf(r).text().T("web.sla.agreements"), Active: "slas", Data: v})
}

type agreementView struct {
	A           sla.Agreement // ID 0 for a new one
	F           *fieldErrors
	Error       string
	Kinds       []sla.AgreementKind
	Customers   []option
	Groups      []option
	Docs        []sla.Document // rows of the documents table, blank ones included
	DocErrs     map[int]string
	Definitions []sla.Definition
	CanWrite    bool
}

func (v agreementView) Val(field, cur string) string { return v.F.Val("agreement", field, cur) }
func (v agreementView) Err(field string) string      { return v.F.Err("agreement", field) }

// Date shows an optional date.
func (agreementView) Date(d *string) string {
	if d == nil {
		return ""
	}
	return *d
}

func (wb *Web) showAgreement(w http.ResponseWriter, r *http.Request, status int, v agreementView) {
	customers, groups, err := wb.orgNames(r)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	v.Customers, v.Groups, v.Kinds = namedOptions(customers), namedOptions(groups), agreementKinds
	v.CanWrite = httpx.Principal(r).Can(auth.SLAWrite)
	if v.Docs == nil {
		v.Docs = append(append([]sla.Document{}, v.A.Documents...), sla.Document{}, sla.Document{})
	}
	if v.A.ID != 0 && v.Definitions == nil {
		if v.Definitions, err = sla.ListDefinitions(r.Context(), wb.DB, sla.DefinitionFilter{AgreementID: v.A.ID, Limit: 1000}); err != nil {
			wb.fail(w, r, err)
			return
		}
	}
	title := wb.clockOf(r).text().T("web.sla.title_new")
	if v.A.ID != 0 {
		title = v.A.Name
	}
	wb.render(w, r, status, "agreement", page{Title: title, Active: "slas", Data: v})
}

func (wb *Web) newAgreementForm(w http.ResponseWriter, r *http.Request) {
	wb.showAgreement(w, r, http.StatusOK, agreementView{A: sla.Agreement{Kind: sla.SLA, Active: true}})
}

func (wb *Web) agreementPage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	a, err := sla.GetAgreement(r.Context(), wb.DB, id)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	wb.showAgreement(w, r, http.StatusOK, agreementView{A: a})
}

// agreementForm reads the agreement form as a complete patch, with the
// document rows as typed.
func agreementForm(tx i18n.Text, r *http.Request, bad *domainerr.Invalid) (sla.AgreementPatch, []sla.Document, map[int]int) {
	text := func(name string) *string { v := formText(r, name); return &v }
	date := func(name string) patch.Field[string] {
		v := strings.TrimSpace(r.PostFormValue(name))
		return patch.Field[string]{Set: true, Null: v == "", V: v}
	}
	ref := func(name string) patch.Field[int64] {
		id, ok := formID(r, name)
		if !ok {
			bad.Add(name, "%s", tx.T("web.sla.invalid_choice"))
		}
		if id == nil {
			return patch.Field[int64]{Set: true, Null: true}
		}
		return patch.Of(*id)
	}
	kind := sla.AgreementKind(r.PostFormValue("kind"))
	active := r.PostFormValue("active") == "on"
	pt := sla.AgreementPatch{Kind: &kind, Name: text("name"), Description: text("description"),
		SupplierName: text("supplier_name"), SupplierContact: text("supplier_contact"),
		ContractStart: date("contract_start"), ContractEnd: date("contract_end"), ReviewDate: date("review_date"), Active: &active}
	// Only the party the kind names is kept, so switching the kind in the
	// form does not trip over the other kinds' fields.
	switch kind {
	case sla.SLA:
		pt.CustomerID, pt.GroupID = ref("customer_id"), patch.Field[int64]{Set: true, Null: true}
	case sla.OLA:
		pt.GroupID, pt.CustomerID = ref("group_id"), patch.Field[int64]{Set: true, Null: true}
	default:
		pt.CustomerID, pt.GroupID = patch.Field[int64]{Set: true, Null: true}, patch.Field[int64]{Set: true, Null: true}
	}
	if kind != sla.UC {
		empty := ""
		pt.SupplierName, pt.SupplierContact = &empty, &empty
	}
	var rows []sla.Document
	docs := []sla.Document{}
	index := map[int]int{} // position in docs -> row
	for i := range formRows(r, "doc", sla.MaxDocuments+5) {
		d := sla.Document{Name: rowValue(r, "doc", i, "name"), URL: rowValue(r, "doc", i, "url")}
		rows = append(rows, d)
		if d.Name == "" && d.URL == "" {
			continue
		}
		index[len(docs)] = i
		docs = append(docs, d)
	}
	pt.Documents = &docs
	return pt, rows, index
}

func (wb *Web) createAgreement(w http.ResponseWriter, r *http.Request) {
	bad := domainerr.NewInvalid()
	pt, rows, index := agreementForm(wb.clockOf(r).text(), r, bad)
	err := bad.Err()
	if err == nil {
		in := sla.NewAgreement{Kind: *pt.Kind, Name: *pt.Name, Description: *pt.Description, CustomerID: pt.CustomerID.Ptr(),
			GroupID: pt.GroupID.Ptr(), SupplierName: *pt.SupplierName, SupplierContact: *pt.SupplierContact,
			ContractStart: pt.ContractStart.Ptr(), ContractEnd: pt.ContractEnd.Ptr(), ReviewDate: pt.ReviewDate.Ptr(),
			Documents: *pt.Documents, Active: pt.Active}
		var a sla.Agreement
		if a, err = wb.slaService().CreateAgreement(r.Context(), httpx.Principal(r).Actor(), in); err == nil {
			wb.redirect(w, r, "/agreements/"+strconv.FormatInt(a.ID, 10), "saved")
			return
		}
	}
	wb.agreementFailed(w, r, sla.Agreement{Active: true}, rows, index, err)
}

func (wb *Web) updateAgreement(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	cur, err := sla.GetAgreement(r.Context(), wb.DB, id)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	bad := domainerr.NewInvalid()
	pt, rows, index := agreementForm(wb.clockOf(r).text(), r, bad)
	version, _ := formVersion(r)
	if err = bad.Err(); err == nil {
		if _, _, err = wb.slaService().UpdateAgreement(r.Context(), httpx.Principal(r).Actor(), id, pt, version); err == nil {
			wb.redirect(w, r, "/agreements/"+strconv.FormatInt(id, 10), "saved")
			return
		}
	}
	wb.agreementFailed(w, r, cur, rows, index, err)
}

// agreementFailed shows the form again with the messages and what was typed.
func (wb *Web) agreementFailed(w http.ResponseWriter, r *http.Request, a sla.Agreement, rows []sla.Document, index map[int]int, err error) {
	var inv *domainerr.Invalid
	var conflict *domainerr.Conflict
	switch {
	case errors.As(err, &inv):
		v := agreementView{A: a, F: &fieldErrors{Form: "agreement", Errs: inv.Fields, Values: r.PostForm}, Docs: rows, DocErrs: map[int]string{}}
		for k, msg := range inv.Fields {
			var n int
			var field string
			if _, serr := fmt.Sscanf(k, "documents[%d].%s", &n, &field); serr == nil {
				v.DocErrs[index[n]] = strings.TrimSpace(v.DocErrs[index[n]] + " " + field + " " + msg + ".")
			}
		}
		if len(v.Docs) < sla.MaxDocuments {
			v.Docs = append(v.Docs, sla.Document{})
		}
		wb.showAgreement(w, r, http.StatusUnprocessableEntity, v)
	case errors.Is(err, domainerr.ErrStale):
		fresh, gerr := sla.GetAgreement(r.Context(), wb.DB, a.ID)
		if gerr != nil {
			wb.fail(w, r, gerr)
			return
		}
		wb.showAgreement(w, r, http.StatusConflict, agreementView{A: fresh, Error: wb.stale(r)})
	case errors.As(err, &conflict):
		wb.showAgreement(w, r, http.StatusConflict, agreementView{A: a, Error: conflict.Message})
	default:
		wb.fail(w, r, err)
	}
}

func (wb *Web) deleteAgreement(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	a, err := sla.GetAgreement(r.Context(), wb.DB, id)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	err = wb.slaService().DeleteAgreement(r.Context(), httpx.Principal(r).Actor(), id)
	var conflict *domainerr.Conflict
	switch {
	case err == nil:
		wb.redirect(w, r, "/agreements", "deleted")
	case errors.As(err, &conflict):
		wb.showAgreement(w, r, http.StatusConflict, agreementView{A: a, Error: conflict.Message})
	default:
		wb.fail(w, r, err)
	}
}

// Party names who an agreement is with, for the list.
func (v agreementsView) Party(a sla.Agreement) string {
	switch {
	case a.CustomerID != nil:
		return v.Customers[*a.CustomerID]
	case a.GroupID != nil:
		return v.Groups[*a.GroupID]
	}
	return a.SupplierName
}
