package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/availability"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
)

func (h availabilityPages) registerOutages(rt *httpx.Router) {
	rt.Handle("GET /outages", availability.PermRead, h.outageList)
	rt.Handle("GET /outages/new", availability.PermWrite, h.newOutage)
	h.wb.post(rt, "POST /outages", availability.PermWrite, h.createOutage)
	rt.Handle("GET /outages/{id}", availability.PermRead, h.outagePage)
	h.wb.post(rt, "POST /outages/{id}", availability.PermWrite, h.updateOutage)
	h.wb.post(rt, "POST /outages/{id}/delete", availability.PermWrite, h.deleteOutage)
}

// outageRow is an outage as lists and its page show it.
type outageRow struct {
	availability.Outage
	tx i18n.Text
}

// SourceText says where the outage came from.
func (o outageRow) SourceText() string {
	switch o.Source {
	case availability.Major:
		return o.tx.T("web.availability_outages.source_major")
	case availability.Alerting:
		return o.tx.T("web.availability_outages.source_alerts")
	}
	return o.tx.T("web.availability_outages.source_hand")
}

// WeightText says how much of the service was lost.
func (o outageRow) WeightText() string {
	if o.Weight >= 1 {
		return o.tx.T("web.availability_outages.full")
	}
	return o.tx.T("web.availability_outages.partial", "Share", strconv.FormatFloat(o.Weight*100, 'f', -1, 64))
}

// Duration is how long it lasted, "ongoing" while it lasts.
func (o outageRow) Duration() string {
	if o.EndedAt == nil {
		return "ongoing"
	}
	return minutesText(o.EndedAt.Sub(o.StartedAt).Minutes())
}

type outagesView struct {
	Items     []outageRow
	Next      string
	ServiceID int64
	Source    string
	Services  []option
	CanWrite  bool
	Query     string
}

func (h availabilityPages) outageList(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	q := r.URL.Query()
	v := outagesView{Source: q.Get("source"), CanWrite: p.Can(availability.PermWrite)}
	if id, err := strconv.ParseInt(q.Get("service_id"), 10, 64); err == nil && id > 0 {
		v.ServiceID = id
	}
	if v.Source != availability.Manual && v.Source != availability.Major && v.Source != availability.Alerting {
		v.Source = ""
	}
	items, next, err := h.svc.ListOutages(r.Context(), p, availability.OutageFilter{ServiceID: v.ServiceID, Source: v.Source,
		Cursor: q.Get("cursor"), Limit: 100})
	var bad *domainerr.Invalid
	if errors.As(err, &bad) {
		items, next, err = h.svc.ListOutages(r.Context(), p, availability.OutageFilter{ServiceID: v.ServiceID, Source: v.Source, Limit: 100})
	}
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	tx := h.wb.clockOf(r).text()
	for _, o := range items {
		v.Items = append(v.Items, outageRow{Outage: o, tx: tx})
	}
	if next != "" {
		v.Next = periodlessQuery(v.ServiceID, v.Source, next)
	}
	if v.Services, err = h.serviceOptions(r, nil); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.wb.render(w, r, http.StatusOK, "outages", page{Title: "Outages", Active: "outages", Data: v})
}

func periodlessQuery(service int64, source, cursor string) string {
	q := "cursor=" + cursor
	if service != 0 {
		q += "&service_id=" + strconv.FormatInt(service, 10)
	}
	if source != "" {
		q += "&source=" + source
	}
	return q
}

type outageFormView struct {
	O        outageRow
	New      bool
	Services []option
	Start    string
	End      string
	Share    string
	F        *fieldErrors
	CanEdit  bool
	History  []outageChange
	Error    string
}

// outageChange is one line of an outage's audit trail.
type outageChange struct {
	At     time.Time
	Who    string
	Action string
	Reason string
}

// mayChangeServices are the services p may record outages of: the ones
// they own, or all with availability:any.
func (h availabilityPages) mayChangeServices(r *http.Request, p *auth.Principal) ([]option, error) {
	all, err := h.serviceOptions(r, nil)
	if err != nil || p.Can(availability.PermAny) {
		return all, err
	}
	rows, err := h.wb.DB.Query(r.Context(), "SELECT id FROM services WHERE owner_id = ?", p.UserID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	mine := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		mine[id] = true
	}
	var out []option
	for _, o := range all {
		if mine[o.ID] {
			out = append(out, o)
		}
	}
	return out, rows.Err()
}

func (h availabilityPages) newOutage(w http.ResponseWriter, r *http.Request) {
	v := outageFormView{New: true, Share: "100"}
	if id, err := strconv.ParseInt(r.URL.Query().Get("service_id"), 10, 64); err == nil {
		v.O.ServiceID = id
	}
	h.showOutageForm(w, r, http.StatusOK, v)
}

func (h availabilityPages) showOutageForm(w http.ResponseWriter, r *http.Request, status int, v outageFormView) {
	var err error
	if v.Services, err = h.mayChangeServices(r, httpx.Principal(r)); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.wb.render(w, r, status, "outage_new", page{Title: "Record an outage", Active: "outages", Data: v})
}

// outageForm reads the start, end and share fields, in the viewer's zone.
func (h availabilityPages) outageForm(r *http.Request, v *domainerr.Invalid) (start time.Time, end *time.Time, weight *float64) {
	loc := h.wb.clockOf(r).loc
	if s := strings.TrimSpace(r.PostFormValue("started_at")); s != "" {
		t, err := time.ParseInLocation(dateTimeLocal, s, loc)
		if err != nil {
			v.Add("started_at", "must be a date and time")
		}
		start = t
	}
	if s := strings.TrimSpace(r.PostFormValue("ended_at")); s != "" {
		t, err := time.ParseInLocation(dateTimeLocal, s, loc)
		if err != nil {
			v.Add("ended_at", "must be a date and time")
		} else {
			end = &t
		}
	}
	if s := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(r.PostFormValue("share")), "%")); s != "" {
		n, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", "."), 64)
		if err != nil {
			v.Add("weight", "must be a percentage from 1 to 100")
		} else {
			w := n / 100
			weight = &w
		}
	}
	return start, end, weight
}

func (h availabilityPages) createOutage(w http.ResponseWriter, r *http.Request) {
	form := domainerr.NewInvalid()
	in := availability.NewOutage{Summary: r.PostFormValue("summary")}
	in.StartedAt, in.EndedAt, in.Weight = h.outageForm(r, form)
	if id, ok := formID(r, "service_id"); !ok {
		form.Add("service_id", "choose the service from the list")
	} else if id != nil {
		in.ServiceID = *id
	}
	var err error
	if len(form.Fields) == 0 {
		var o availability.Outage
		if o, err = h.svc.CreateOutage(r.Context(), httpx.Principal(r), in); err == nil {
			h.wb.redirect(w, r, "/outages/"+strconv.FormatInt(o.ID, 10), "outage-recorded")
			return
		}
	}
	bad, err := planMerged(form, err)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v := outageFormView{New: true, F: &fieldErrors{Form: "outage", Errs: bad.Fields, Values: r.PostForm},
		Start: r.PostFormValue("started_at"), End: r.PostFormValue("ended_at"), Share: r.PostFormValue("share")}
	v.O.ServiceID = in.ServiceID
	h.showOutageForm(w, r, http.StatusUnprocessableEntity, v)
}

func (h availabilityPages) outagePage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	o, err := h.svc.GetOutage(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showOutage(w, r, http.StatusOK, o, nil, "")
}

func (h availabilityPages) showOutage(w http.ResponseWriter, r *http.Request, status int, o availability.Outage, fe *fieldErrors, msg string) {
	p := httpx.Principal(r)
	c := h.wb.clockOf(r)
	tx := c.text()
	v := outageFormView{O: outageRow{Outage: o, tx: tx}, F: fe, Error: msg, Share: strconv.FormatFloat(o.Weight*100, 'f', -1, 64),
		Start: o.StartedAt.In(c.loc).Format(dateTimeLocal)}
	if o.EndedAt != nil {
		v.End = o.EndedAt.In(c.loc).Format(dateTimeLocal)
	}
	if fe != nil && fe.Form == "outage" {
		v.Start, v.End, v.Share = r.PostFormValue("started_at"), r.PostFormValue("ended_at"), r.PostFormValue("share")
	}
	if p.Can(availability.PermWrite) {
		var owner *int64
		if err := h.wb.DB.QueryRow(r.Context(), "SELECT owner_id FROM services WHERE id = ?", o.ServiceID).Scan(&owner); err != nil {
			h.wb.fail(w, r, err)
			return
		}
		v.CanEdit = p.Can(availability.PermAny) || (owner != nil && *owner == p.UserID)
	}
	hist, err := h.svc.History(r.Context(), p, o.ID)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	for _, e := range hist {
		v.History = append(v.History, changeOf(tx, e))
	}
	h.wb.render(w, r, status, "outage", page{Title: tx.T("web.availability_outages.title", "Service", o.ServiceName), Active: "outages", Data: v})
}

// changeOf reads an audit entry of an outage.
func changeOf(tx i18n.Text, e audit.Entry) outageChange {
	var data struct {
		Reason string `json:"reason"`
	}
	_ = json.Unmarshal(e.Data, &data)
	words := e.Action
	if slices.Contains([]string{"create", "update", "delete"}, e.Action) {
		words = tx.T("web.availability_outages.action_" + e.Action)
	}
	return outageChange{At: e.At, Who: e.ActorName, Action: words, Reason: data.Reason}
}

func (h availabilityPages) updateOutage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	form := domainerr.NewInvalid()
	summary := r.PostFormValue("summary")
	pt := availability.OutagePatch{Reason: r.PostFormValue("reason"), Summary: &summary}
	start, end, weight := h.outageForm(r, form)
	if !start.IsZero() {
		pt.StartedAt = &start
	} else if !form.Has("started_at") {
		form.Add("started_at", "is required: when the service was lost")
	}
	pt.EndedAt, pt.Weight, pt.Ongoing = end, weight, end == nil && !form.Has("ended_at")
	version, _ := strconv.Atoi(r.PostFormValue("version"))
	var err error
	if len(form.Fields) == 0 {
		if _, err = h.svc.UpdateOutage(r.Context(), httpx.Principal(r), id, pt, version); err == nil {
			h.wb.redirect(w, r, "/outages/"+strconv.FormatInt(id, 10), "outage-corrected")
			return
		}
	}
	bad, err := planMerged(form, err)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	o, gerr := h.svc.GetOutage(r.Context(), httpx.Principal(r), id)
	if gerr != nil {
		h.wb.fail(w, r, gerr)
		return
	}
	h.showOutage(w, r, http.StatusUnprocessableEntity, o, &fieldErrors{Form: "outage", Errs: bad.Fields, Values: r.PostForm}, "")
}

func (h availabilityPages) deleteOutage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	err := h.svc.DeleteOutage(r.Context(), httpx.Principal(r), id, r.PostFormValue("reason"))
	if err == nil {
		h.wb.redirect(w, r, "/outages", "outage-removed")
		return
	}
	var bad *domainerr.Invalid
	if !errors.As(err, &bad) {
		h.wb.fail(w, r, err)
		return
	}
	o, gerr := h.svc.GetOutage(r.Context(), httpx.Principal(r), id)
	if gerr != nil {
		h.wb.fail(w, r, gerr)
		return
	}
	h.showOutage(w, r, http.StatusUnprocessableEntity, o, &fieldErrors{Form: "remove", Errs: bad.Fields, Values: r.PostForm}, "")
}
