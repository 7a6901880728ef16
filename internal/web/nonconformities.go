package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/nonconformity"
	"steward/internal/sms"
)

type ncRow struct {
	nonconformity.NC
	Raised  string
	Late    bool
	Owner   string
	Overdue int
}

type ncsView struct {
	Items    []ncRow
	Stats    nonconformity.Stats
	Mean     string
	State    string
	Days     url.Values // closed_from and closed_to as sent
	Error    string
	CanWrite bool
}

func (h *checkingPages) ncsPage(w http.ResponseWriter, r *http.Request) {
	p, ck := httpx.Principal(r), h.clockOf(r)
	q := r.URL.Query()
	state := q.Get("state")
	if state != "all" && !slices.Contains(nonconformity.States, nonconformity.State(state)) {
		state = "open"
	}
	v := ncsView{State: state, Days: url.Values{}, CanWrite: p.Can(sms.PermWrite)}
	f := nonconformity.Filter{State: state, Limit: nonconformity.MaxList}
	for _, k := range []string{"closed_from", "closed_to"} {
		if s := strings.TrimSpace(q.Get(k)); s != "" && len(s) < 300 {
			v.Days.Set(k, s)
		}
	}
	// The days a nonconformity was closed or cancelled on, on the
	// organisation's calendar, as a dashboard's figure links them.
	v.Error = readListDaysIn(ck.text(), v.Days, h.Loc, "", listDays{"closed_from", "closed_to", &f.ClosedAfter, &f.ClosedBefore})
	status := http.StatusOK
	var list []nonconformity.NC
	var err error
	if v.Error != "" {
		status = http.StatusUnprocessableEntity
	} else if list, err = h.ncs.List(r.Context(), p, f); err != nil {
		h.fail(w, r, err)
		return
	}
	if v.Stats, err = h.ncs.Stats(r.Context(), p); err != nil {
		h.fail(w, r, err)
		return
	}
	if v.Stats.MeanDaysToClose != nil {
		v.Mean = fmt.Sprintf("%.0f", *v.Stats.MeanDaysToClose)
	}
	today := nonconformity.Today(time.Now())
	for _, n := range list {
		v.Items = append(v.Items, ncRow{NC: n, Raised: ck.date(n.RaisedOn), Late: n.Overdue(today)})
	}
	h.render(w, r, status, "nonconformities", page{Title: "Nonconformities", Active: "nonconformities", Data: v})
}

type ncFormView struct {
	F          *fieldErrors
	Staff      []option
	Sources    []string
	Severities []string
	Source     string
	Ref        string
}

func (h *checkingPages) newNC(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	h.showNCForm(w, r, http.StatusOK, nil, q.Get("source"), q.Get("ref"))
}

func (h *checkingPages) showNCForm(w http.ResponseWriter, r *http.Request, status int, f *fieldErrors, source, ref string) {
	staff, err := h.staff(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(ref) > 30 {
		ref = ""
	}
	v := ncFormView{F: f, Staff: staff, Sources: nonconformity.Sources, Severities: nonconformity.Severities, Source: source, Ref: ref}
	h.render(w, r, status, "nonconformity_new", page{Title: "Raise a nonconformity", Active: "nonconformities", Data: v})
}

func (h *checkingPages) createNC(w http.ResponseWriter, r *http.Request) {
	bad := domainerr.NewInvalid()
	in := nonconformity.NewNC{Title: r.PostFormValue("title"), Description: formText(r, "description"), Source: r.PostFormValue("source"),
		SourceRef: r.PostFormValue("source_ref"), Clause: r.PostFormValue("clause"), Severity: r.PostFormValue("severity"),
		Reaction: formText(r, "reaction"), RaisedOn: r.PostFormValue("raised_on"), OwnerID: h.personID(r, bad, "owner_id", staffPerson)}
	if d := r.PostFormValue("due_on"); d != "" {
		in.DueOn = &d
	}
	if len(bad.Fields) == 0 {
		n, err := h.ncs.Create(r.Context(), httpx.Principal(r), in, nil)
		if err == nil {
			h.redirect(w, r, "/nonconformities/"+n.Number, "nc_raised")
			return
		}
		var ok bool
		if bad, ok = h.invalidOr(w, r, err); !ok {
			return
		}
	}
	h.showNCForm(w, r, http.StatusUnprocessableEntity, fieldsOf("nc", bad, r), "", "")
}

type actionRow struct {
	nonconformity.Action
	Due     string
	CanDone bool
}

type ncView struct {
	N        nonconformity.NC
	Raised   string
	Due      string
	EffDue   string
	Closed   string
	Actions  []actionRow
	Moves    []nonconformity.State
	Staff    []option
	CanWrite bool
	F        *fieldErrors
	Error    string
}

func (h *checkingPages) loadNC(w http.ResponseWriter, r *http.Request) (nonconformity.NC, bool) {
	id, ok := nonconformity.ParseRef(r.PathValue("ref"))
	if !ok {
		h.errorPage(w, r, http.StatusNotFound, "")
		return nonconformity.NC{}, false
	}
	n, err := h.ncs.Get(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return n, false
	}
	return n, true
}

func (h *checkingPages) ncPage(w http.ResponseWriter, r *http.Request) {
	n, ok := h.loadNC(w, r)
	if !ok {
		return
	}
	h.showNC(w, r, http.StatusOK, n, nil, "")
}

func (h *checkingPages) showNC(w http.ResponseWriter, r *http.Request, status int, n nonconformity.NC, f *fieldErrors, msg string) {
	p, ck := httpx.Principal(r), h.clockOf(r)
	v := ncView{N: n, Raised: ck.date(n.RaisedOn), Due: ck.optDate(n.DueOn), EffDue: ck.optDate(n.EffectivenessDue), F: f, Error: msg,
		CanWrite: p.Can(sms.PermWrite) && n.State.IsOpen()}
	if n.ClosedAt != nil {
		v.Closed = ck.day(*n.ClosedAt)
	}
	for _, a := range n.Actions {
		v.Actions = append(v.Actions, actionRow{Action: a, Due: ck.date(a.DueOn), CanDone: a.Status == "open" && (p.Can(sms.PermWrite) || a.OwnerID == p.UserID)})
	}
	for _, s := range nonconformity.Next(n.State) {
		if s != nonconformity.Closed { // closing is the effectiveness check's
			v.Moves = append(v.Moves, s)
		}
	}
	if v.CanWrite {
		var err error
		if v.Staff, err = h.staff(r); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	h.render(w, r, status, "nonconformity", page{Title: n.Number + " " + n.Title, Active: "nonconformities", Data: v})
}

// updateNC saves the edit form, a move or the effectiveness check: the
// form's op says which.
func (h *checkingPages) updateNC(w http.ResponseWriter, r *http.Request) {
	n, ok := h.loadNC(w, r)
	if !ok {
		return
	}
	bad := domainerr.NewInvalid()
	var pt nonconformity.Patch
	op := r.PostFormValue("op")
	switch op {
	case "move":
		st := nonconformity.State(r.PostFormValue("state"))
		pt.State = &st
	case "effectiveness":
		e := r.PostFormValue("effectiveness")
		pt.Effectiveness = &e
	default:
		op = "edit"
		title, desc, clause, sev := r.PostFormValue("title"), formText(r, "description"), r.PostFormValue("clause"), r.PostFormValue("severity")
		reaction, cause, due, effDue := formText(r, "reaction"), formText(r, "root_cause"), r.PostFormValue("due_on"), r.PostFormValue("effectiveness_due")
		pt = nonconformity.Patch{Title: &title, Description: &desc, Clause: &clause, Severity: &sev, Reaction: &reaction, RootCause: &cause,
			DueOn: &due, EffectivenessDue: &effDue}
		owner := h.personID(r, bad, "owner_id", staffPerson)
		if owner == nil {
			zero := int64(0)
			owner = &zero
		}
		pt.OwnerID = owner
	}
	if len(bad.Fields) == 0 {
		ver, _ := formVersion(r)
		_, err := h.ncs.Update(r.Context(), httpx.Principal(r), n.ID, pt, ver)
		if err == nil {
			h.redirect(w, r, "/nonconformities/"+n.Number, "saved")
			return
		}
		if bad, ok = h.invalidOr(w, r, err); !ok {
			return
		}
	}
	msg := ""
	if op != "edit" {
		msg = errText(h.clockOf(r).text(), firstField(bad))
		if bad.Message != "" {
			msg = errText(h.clockOf(r).text(), bad.Message)
		}
	}
	h.showNC(w, r, http.StatusUnprocessableEntity, n, fieldsOf(op, bad, r), msg)
}

func (h *checkingPages) addNCAction(w http.ResponseWriter, r *http.Request) {
	n, ok := h.loadNC(w, r)
	if !ok {
		return
	}
	bad := domainerr.NewInvalid()
	in := nonconformity.NewAction{Title: r.PostFormValue("title"), DueOn: r.PostFormValue("due_on"), OwnerID: h.personID(r, bad, "owner_id", staffPerson)}
	if len(bad.Fields) == 0 {
		_, err := h.ncs.AddAction(r.Context(), httpx.Principal(r), n.ID, in)
		if err == nil {
			h.redirect(w, r, "/nonconformities/"+n.Number+"#actions", "action_added")
			return
		}
		if bad, ok = h.invalidOr(w, r, err); !ok {
			return
		}
	}
	h.showNC(w, r, http.StatusUnprocessableEntity, n, fieldsOf("action", bad, r), "")
}

var backTo = regexp.MustCompile(`^/(nonconformities/NC-[0-9]{6}|management-reviews/[0-9]{1,18})$`)

type actionsView struct {
	Mine []actionRow
	All  []actionRow
}

func (h *checkingPages) actionsPage(w http.ResponseWriter, r *http.Request) {
	p, ck, now := httpx.Principal(r), h.clockOf(r), time.Now()
	rows := func(f nonconformity.ActionFilter) ([]actionRow, error) {
		list, err := nonconformity.ListActions(r.Context(), h.DB, f, now)
		var out []actionRow
		for _, a := range list {
			out = append(out, actionRow{Action: a, Due: ck.date(a.DueOn), CanDone: a.Status == "open" && (p.Can(sms.PermWrite) || a.OwnerID == p.UserID)})
		}
		return out, err
	}
	var v actionsView
	var err error
	if v.Mine, err = rows(nonconformity.ActionFilter{Open: true, OwnerID: p.UserID, Limit: nonconformity.MaxActions}); err != nil {
		h.fail(w, r, err)
		return
	}
	if v.All, err = rows(nonconformity.ActionFilter{Open: true, Limit: nonconformity.MaxActions}); err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "actions", page{Title: "Actions", Active: "actions", Data: v})
}

func (h *checkingPages) actionDone(w http.ResponseWriter, r *http.Request) {
	id, ok := idPath(r, "id")
	if !ok {
		h.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	done := "done"
	ver, _ := formVersion(r)
	_, err := h.ncs.UpdateAction(r.Context(), httpx.Principal(r), id, nonconformity.ActionPatch{Status: &done}, ver)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// Back to the record the action was marked from; only its own pages,
	// so the form cannot send anyone elsewhere.
	back := "/actions"
	if b := r.PostFormValue("back"); backTo.MatchString(b) {
		back = b
	}
	h.redirect(w, r, back, "action_done")
}
