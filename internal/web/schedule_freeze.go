package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/schedule"
	"steward/internal/sla"
	"steward/internal/store"
)

type freezeRow struct {
	schedule.FreezePeriod
	Scope string
	Past  bool
}

type freezesView struct {
	Items    []freezeRow
	CanWrite bool
	ShowPast bool
}

type freezeFormView struct {
	FP       schedule.FreezePeriod
	Start    string
	End      string
	CIs      string
	Services []option
	F        *fieldErrors
	Zone     string
}

// Chosen reports whether the freeze lists the service.
func (v freezeFormView) Chosen(id int64) bool {
	if v.F.Failed("freeze") {
		for _, s := range v.F.Values["service_ids"] {
			if s == strconv.FormatInt(id, 10) {
				return true
			}
		}
		return false
	}
	for _, x := range v.FP.ServiceIDs {
		if x == id {
			return true
		}
	}
	return false
}

func (h schedulePages) freezes(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := freezesView{CanWrite: httpx.Principal(r).Can(schedule.PermWrite), ShowPast: r.URL.Query().Get("past") == "1"}
	from := time.Now()
	if v.ShowPast {
		from = time.Time{}
	}
	list, err := schedule.ListFreezes(ctx, h.wb.DB, from, time.Time{}, 500)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	svc, err := h.names(r, "services")
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	var ciIDs []int64
	for _, f := range list {
		ciIDs = append(ciIDs, f.CIIDs...)
	}
	cis, err := h.ciNames(r, ciIDs)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	now := time.Now()
	for _, f := range list {
		var parts []string
		for _, id := range f.ServiceIDs {
			parts = append(parts, orID(svc[id], id))
		}
		for _, id := range f.CIIDs {
			parts = append(parts, orID(cis[id], id))
		}
		scope := h.wb.clockOf(r).text().T("web.schedule_freeze.every_scope")
		if len(parts) > 0 {
			scope = strings.Join(parts, ", ")
		}
		v.Items = append(v.Items, freezeRow{FreezePeriod: f, Scope: scope, Past: !f.End.After(now)})
	}
	h.wb.render(w, r, http.StatusOK, "freeze_periods", page{Title: h.wb.clockOf(r).text().T("web.schedule_freeze.freeze_periods"), Active: "freeze-periods", Data: v})
}

func (h schedulePages) names(r *http.Request, table string) (map[int64]string, error) {
	rows, err := h.wb.DB.Query(r.Context(), "SELECT id, name FROM "+table+" ORDER BY name, id LIMIT 2000")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var n string
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

func (h schedulePages) ciNames(r *http.Request, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	for len(ids) > 0 {
		batch := ids[:min(len(ids), 500)]
		ids = ids[len(batch):]
		args := make([]any, len(batch))
		for i, id := range batch {
			args[i] = id
		}
		rows, err := h.wb.DB.Query(r.Context(), "SELECT id, name FROM cis WHERE id IN ("+strings.TrimSuffix(strings.Repeat("?,", len(batch)), ",")+")", args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var n string
			if err := rows.Scan(&id, &n); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (h schedulePages) newFreeze(w http.ResponseWriter, r *http.Request) {
	h.showFreezeForm(w, r, http.StatusOK, schedule.FreezePeriod{}, nil)
}

func (h schedulePages) editFreeze(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	f, err := schedule.GetFreeze(r.Context(), h.wb.DB, id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showFreezeForm(w, r, http.StatusOK, f, nil)
}

func (h schedulePages) showFreezeForm(w http.ResponseWriter, r *http.Request, status int, f schedule.FreezePeriod, fe *fieldErrors) {
	ck := h.wb.clockOf(r)
	v := freezeFormView{FP: f, F: fe, Zone: time.Now().In(ck.loc).Format("MST") + " (" + ck.loc.String() + ")"}
	if !f.Start.IsZero() {
		v.Start, v.End = f.Start.In(ck.loc).Format(dateTimeLocal), f.End.In(ck.loc).Format(dateTimeLocal)
	}
	cis, err := h.ciNames(r, f.CIIDs)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	var lines []string
	for _, id := range f.CIIDs {
		lines = append(lines, orID(cis[id], id))
	}
	v.CIs = strings.Join(lines, "\n")
	svc, err := h.names(r, "services")
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v.Services = namedOptions(svc)
	title := h.wb.clockOf(r).text().T("web.schedule_freeze.title_new")
	if f.ID != 0 {
		title = h.wb.clockOf(r).text().T("web.schedule_freeze.title_edit")
	}
	h.wb.render(w, r, status, "freeze_form", page{Title: title, Active: "freeze-periods", Data: v})
}

// freezeInput reads the form: times in the viewer's zone, services ticked,
// CIs one per line by name or id.
func (h schedulePages) freezeInput(r *http.Request) (schedule.FreezeInput, *domainerr.Invalid, error) {
	loc := h.wb.clockOf(r).loc
	v := domainerr.NewInvalid()
	name := r.PostFormValue("name")
	in := schedule.FreezeInput{Name: &name}
	for _, k := range []string{"start", "end"} {
		s := strings.TrimSpace(r.PostFormValue(k))
		if s == "" {
			v.Add(k, "is required")
			continue
		}
		t, err := time.ParseInLocation(dateTimeLocal, s, loc)
		if err != nil {
			v.Add(k, "must be a date and time such as 2026-12-20T18:00")
			continue
		}
		if k == "start" {
			in.Start = &t
		} else {
			in.End = &t
		}
	}
	svc := []int64{}
	for _, s := range r.PostForm["service_ids"] {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			v.Add("service_ids", "choose services from the list")
			break
		}
		svc = append(svc, id)
	}
	in.ServiceIDs = &svc
	cis := []int64{}
	for _, line := range strings.Split(formText(r, "ci_names"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if len(cis) >= schedule.MaxScope {
			v.Add("ci_names", "at most %d CIs", schedule.MaxScope)
			break
		}
		var id int64
		err := h.wb.DB.QueryRow(r.Context(), "SELECT id FROM cis WHERE name = ? ORDER BY id LIMIT 1", line).Scan(&id)
		if err = store.ScanErr(err); errors.Is(err, store.ErrNotFound) {
			if n, perr := strconv.ParseInt(line, 10, 64); perr == nil && n > 0 {
				id, err = n, nil
			} else {
				v.Add("ci_names", "no CI named %q", line)
				continue
			}
		} else if err != nil {
			return in, nil, err
		}
		cis = append(cis, id)
	}
	in.CIIDs = &cis
	if len(v.Fields) > 0 {
		return in, v, nil
	}
	return in, nil, nil
}

func (h schedulePages) saveFreeze(w http.ResponseWriter, r *http.Request, id int64) {
	in, bad, err := h.freezeInput(r)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	var f schedule.FreezePeriod
	if bad == nil {
		actor := httpx.Principal(r).Actor()
		if id == 0 {
			f, err = h.svc.CreateFreeze(r.Context(), actor, in)
		} else {
			ver, _ := formVersion(r)
			f, err = h.svc.UpdateFreeze(r.Context(), actor, id, in, ver)
		}
		if err == nil {
			h.wb.redirect(w, r, "/freeze-periods#freeze-"+strconv.FormatInt(f.ID, 10), "saved")
			return
		}
		if !errors.As(err, &bad) {
			h.wb.fail(w, r, err)
			return
		}
	}
	cur := schedule.FreezePeriod{ID: id}
	if id != 0 {
		if cur, err = schedule.GetFreeze(r.Context(), h.wb.DB, id); err != nil {
			h.wb.fail(w, r, err)
			return
		}
	}
	fields := map[string]string{}
	for k, m := range bad.Fields {
		if k == "ci_ids" {
			k = "ci_names"
		}
		fields[k] = m
	}
	h.showFreezeForm(w, r, http.StatusUnprocessableEntity, cur, &fieldErrors{Form: "freeze", Errs: fields, Values: r.PostForm})
}

func (h schedulePages) createFreeze(w http.ResponseWriter, r *http.Request) { h.saveFreeze(w, r, 0) }

func (h schedulePages) updateFreeze(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	h.saveFreeze(w, r, id)
}

func (h schedulePages) deleteFreeze(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	if err := h.svc.DeleteFreeze(r.Context(), httpx.Principal(r).Actor(), id); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.wb.redirect(w, r, "/freeze-periods", "deleted")
}

type maintenanceView struct {
	Kind, Name, Back string
	ID               int64
	CalendarID       int64
	CalendarName     string
	Calendars        []option
	CanWrite         bool
	Action           string
}

func (h schedulePages) maintenance(table string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(r)
		if !ok {
			h.wb.errorPage(w, r, http.StatusNotFound, "")
			return
		}
		ctx := r.Context()
		v := maintenanceView{ID: id, CanWrite: httpx.Principal(r).Can(schedule.PermWrite), Kind: "service",
			Back: "/services/" + strconv.FormatInt(id, 10)}
		if table == "cis" {
			v.Kind, v.Back = "CI", "/cis/"+strconv.FormatInt(id, 10)
		}
		v.Action = v.Back + "/maintenance"
		if err := h.wb.DB.QueryRow(ctx, "SELECT name FROM "+table+" WHERE id = ?", id).Scan(&v.Name); err != nil {
			h.wb.fail(w, r, store.ScanErr(err))
			return
		}
		var err error
		if v.CalendarID, v.CalendarName, err = schedule.MaintenanceCalendar(ctx, h.wb.DB, table, id); err != nil {
			h.wb.fail(w, r, err)
			return
		}
		cals, err := sla.CalendarNames(ctx, h.wb.DB)
		if err != nil {
			h.wb.fail(w, r, err)
			return
		}
		v.Calendars = namedOptions(cals)
		h.wb.render(w, r, http.StatusOK, "maintenance_window", page{Title: h.wb.clockOf(r).text().T("web.schedule_freeze.maintenance_title", "Name", v.Name), Active: "change-calendar", Data: v})
	}
}

func (h schedulePages) setMaintenance(table string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(r)
		if !ok {
			h.wb.errorPage(w, r, http.StatusNotFound, "")
			return
		}
		cal, err := optionalID(r.PostFormValue("calendar_id"))
		if err != nil {
			h.wb.errorPage(w, r, http.StatusBadRequest, h.wb.clockOf(r).text().T("web.schedule_freeze.choose_calendar_list"))
			return
		}
		actor := httpx.Principal(r).Actor()
		if table == "cis" {
			_, err = h.svc.SetCIMaintenance(r.Context(), actor, id, cal)
		} else {
			_, err = h.svc.SetServiceMaintenance(r.Context(), actor, id, cal)
		}
		if err != nil {
			h.wb.fail(w, r, err)
			return
		}
		back := "/services/"
		if table == "cis" {
			back = "/cis/"
		}
		h.wb.redirect(w, r, back+strconv.FormatInt(id, 10)+"/maintenance", "saved")
	}
}
