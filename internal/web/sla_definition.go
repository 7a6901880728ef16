package web

import (
	"errors"
	"net/http"
	"strconv"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/sla"
	"steward/internal/ticket"
)

func (wb *Web) registerDefinitions(rt *httpx.Router) {
	rt.Handle("GET /sla-definitions/new", auth.SLAWrite, wb.newDefinitionForm)
	wb.post(rt, "POST /sla-definitions", auth.SLAWrite, wb.createDefinition)
	rt.Handle("GET /sla-definitions/{id}", auth.SLARead, wb.definitionPage)
	wb.post(rt, "POST /sla-definitions/{id}", auth.SLAWrite, wb.updateDefinition)
	wb.post(rt, "POST /sla-definitions/{id}/delete", auth.SLAWrite, wb.deleteDefinition)
}

type definitionView struct {
	D             sla.Definition // as stored; ID 0 for a new one
	Draft         definitionDraft
	Error         string
	AgreementName string
	Agreements    []option
	Calendars     []option
	CalendarNames map[int64]string
	Pickers       []condCell // every field's value picker, for conditions.js
	Usual         string     // the metric's own clock, in words
	CanWrite      bool
}

// showDefinition draws the form (or, for readers, the definition in
// words); a nil draft is laid out from the stored definition.
func (wb *Web) showDefinition(w http.ResponseWriter, r *http.Request, status int, v definitionView, draft *definitionDraft) {
	ctx := r.Context()
	p := httpx.Principal(r)
	kind := v.D.AppliesTo
	if draft != nil {
		kind = formKind(r)
	}
	tx := wb.clockOf(r).text()
	all, clock, err := wb.slaFields(ctx, p, tx, kind)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	agreements, err := sla.AgreementNames(ctx, wb.DB)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	if v.CalendarNames, err = sla.CalendarNames(ctx, wb.DB); err != nil {
		wb.fail(w, r, err)
		return
	}
	v.Agreements, v.Calendars = namedOptions(agreements), namedOptions(v.CalendarNames)
	v.AgreementName = agreements[v.D.AgreementID]
	v.CanWrite = p.Can(auth.SLAWrite)
	if draft != nil {
		v.Draft = *draft
	} else {
		v.Draft = draftOf(tx, v.D, all, clock)
	}
	v.Pickers = condPickers(all)
	v.Usual = usual(tx, clock, kind, v.Draft.Metric)
	title := tx.T("web.sla_definition.title_new")
	if v.D.ID != 0 {
		title = v.D.Name
	}
	wb.render(w, r, status, "sla_definition", page{Title: title, Active: "slas", Data: v})
}

func (wb *Web) newDefinitionForm(w http.ResponseWriter, r *http.Request) {
	agreement, _ := strconv.ParseInt(r.URL.Query().Get("agreement_id"), 10, 64)
	d := sla.Definition{AgreementID: agreement, AppliesTo: ticket.Incident, Metric: sla.Resolution, Active: true,
		Goals: []sla.Goal{{Target: "4h", CalendarID: sla.DefaultCalendarID}}}
	d.Normalize()
	wb.showDefinition(w, r, http.StatusOK, definitionView{D: d}, nil)
}

func (wb *Web) definitionPage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	d, err := sla.GetDefinition(r.Context(), wb.DB, id)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	wb.showDefinition(w, r, http.StatusOK, definitionView{D: d}, nil)
}

// definitionPosted reads the form and handles every button but saving: a
// row or goal added or removed comes back as the same form, unsaved. It
// returns the draft and whether saving was asked for.
func (wb *Web) definitionPosted(w http.ResponseWriter, r *http.Request, cur sla.Definition) (*definitionDraft, bool) {
	tx := wb.clockOf(r).text()
	all, clock, err := wb.slaFields(r.Context(), httpx.Principal(r), tx, formKind(r))
	if err != nil {
		wb.fail(w, r, err)
		return nil, false
	}
	d := readDraft(r, tx, all, clock)
	if action := r.PostFormValue("act"); action != "" && action != "save" {
		d.act(r, action, all, clock)
		wb.showDefinition(w, r, http.StatusOK, definitionView{D: cur}, &d)
		return nil, false
	}
	return &d, true
}

// saveDefinition turns the draft into an input, refusing with every
// message at once when a row cannot be read, and otherwise calls save.
func (wb *Web) saveDefinition(w http.ResponseWriter, r *http.Request, cur sla.Definition, d *definitionDraft,
	save func(sla.DefinitionInput) (int64, error)) {
	in, ok := d.input()
	var err error
	if !ok {
		err = sla.CheckDefinition(withoutClauses(in))
		if err == nil {
			err = domainerr.NewInvalid()
		}
	} else {
		var id int64
		if id, err = save(in); err == nil {
			wb.redirect(w, r, "/sla-definitions/"+strconv.FormatInt(id, 10), "saved")
			return
		}
	}
	var inv *domainerr.Invalid
	switch {
	case errors.As(err, &inv):
		d.place(inv.Fields, in.Warnings)
		if d.Errs == nil {
			d.Errs = map[string]string{}
		}
		wb.showDefinition(w, r, http.StatusUnprocessableEntity, definitionView{D: cur}, d)
	case errors.Is(err, domainerr.ErrStale) && cur.ID != 0:
		fresh, gerr := sla.GetDefinition(r.Context(), wb.DB, cur.ID)
		if gerr != nil {
			wb.fail(w, r, gerr)
			return
		}
		wb.showDefinition(w, r, http.StatusConflict, definitionView{D: fresh, Error: wb.stale(r)}, nil)
	default:
		wb.fail(w, r, err)
	}
}

func (wb *Web) createDefinition(w http.ResponseWriter, r *http.Request) {
	agreement, _ := strconv.ParseInt(r.PostFormValue("agreement_id"), 10, 64)
	cur := sla.Definition{AgreementID: agreement, AppliesTo: formKind(r), Metric: sla.Metric(r.PostFormValue("metric")), Active: true}
	d, save := wb.definitionPosted(w, r, cur)
	if !save {
		return
	}
	wb.saveDefinition(w, r, cur, d, func(in sla.DefinitionInput) (int64, error) {
		created, _, err := wb.slaService().CreateDefinition(r.Context(), httpx.Principal(r).Actor(), in, nil)
		return created.ID, err
	})
}

func (wb *Web) updateDefinition(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	cur, err := sla.GetDefinition(r.Context(), wb.DB, id)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	d, save := wb.definitionPosted(w, r, cur)
	if !save {
		return
	}
	version, _ := formVersion(r)
	wb.saveDefinition(w, r, cur, d, func(in sla.DefinitionInput) (int64, error) {
		_, _, err := wb.slaService().UpdateDefinition(r.Context(), httpx.Principal(r).Actor(), id, in, version)
		return id, err
	})
}

func (wb *Web) deleteDefinition(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	d, err := sla.GetDefinition(r.Context(), wb.DB, id)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	err = wb.slaService().DeleteDefinition(r.Context(), httpx.Principal(r).Actor(), id)
	var conflict *domainerr.Conflict
	switch {
	case err == nil:
		wb.redirect(w, r, "/agreements/"+strconv.FormatInt(d.AgreementID, 10), "deleted")
	case errors.As(err, &conflict):
		wb.showDefinition(w, r, http.StatusConflict, definitionView{D: d, Error: conflict.Message}, nil)
	default:
		wb.fail(w, r, err)
	}
}
