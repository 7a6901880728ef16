package web

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"steward/internal/auth"
	"steward/internal/calendar"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/sla"
)

func (wb *Web) registerCalendars(rt *httpx.Router) {
	rt.Handle("GET /calendars", auth.SLARead, wb.listCalendars)
	rt.Handle("GET /calendars/new", auth.SLAWrite, wb.newCalendarForm)
	wb.post(rt, "POST /calendars", auth.SLAWrite, wb.createCalendar)
	rt.Handle("GET /calendars/{id}", auth.SLARead, wb.calendarPage)
	wb.post(rt, "POST /calendars/{id}", auth.SLAWrite, wb.updateCalendar)
	wb.post(rt, "POST /calendars/{id}/delete", auth.SLAWrite, wb.deleteCalendar)
	wb.upload(rt, "POST /calendars/{id}/import", auth.SLAWrite, wb.importHolidays)
}

// upload registers a state-changing route that takes a file: like post,
// but the body may be multipart and is bounded by what the file may be.
func (wb *Web) upload(rt *httpx.Router, pattern string, perm auth.Permission, h http.HandlerFunc) {
	wb.uploadUpTo(rt, pattern, perm, calendar.MaxICSBytes, h)
}

// uploadUpTo is upload for files of at most limit bytes.
func (wb *Web) uploadUpTo(rt *httpx.Router, pattern string, perm auth.Permission, limit int64, h http.HandlerFunc) {
	rt.Handle(pattern, perm, func(w http.ResponseWriter, r *http.Request) {
		if err := wb.origin.Check(r); err != nil {
			wb.errorPage(w, r, http.StatusForbidden, wb.clockOf(r).text().T("web.forms.cross_site"))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxForm+limit)
		var err error
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
			err = r.ParseMultipartForm(4 << 20)
			if r.MultipartForm != nil {
				defer r.MultipartForm.RemoveAll()
			}
		} else {
			err = r.ParseForm()
		}
		if err != nil {
			var big *http.MaxBytesError
			if errors.As(err, &big) {
				wb.errorPage(w, r, http.StatusRequestEntityTooLarge, wb.clockOf(r).text().T("web.sla_calendar.too_large", "MiB", limit>>20))
			} else {
				wb.errorPage(w, r, http.StatusBadRequest, "")
			}
			return
		}
		p := httpx.Principal(r)
		if p == nil || !sameToken(r.PostFormValue("csrf_token"), p.CSRFToken) {
			wb.errorPage(w, r, http.StatusForbidden, wb.clockOf(r).text().T("web.forms.expired"))
			return
		}
		if !wb.validText(w, r) {
			return
		}
		h(w, r)
	})
}

type calendarsView struct {
	Items    []sla.BusinessCalendar
	CanWrite bool
}

// Weekly sums a calendar's working time in a week without holidays.
func (calendarsView) Weekly(ws []calendar.Window) string {
	var total time.Duration
	for _, w := range ws {
		total += clockDiff(w.Start, w.End)
	}
	if total%time.Hour == 0 {
		return fmt.Sprintf("%d h", int(total.Hours()))
	}
	return fmt.Sprintf("%.1f h", total.Hours())
}

func clockDiff(start, end string) time.Duration {
	parse := func(s string) time.Duration {
		h, m, _ := strings.Cut(s, ":")
		hh, _ := strconv.Atoi(h)
		mm, _ := strconv.Atoi(m)
		return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute
	}
	return parse(end) - parse(start)
}

func (wb *Web) listCalendars(w http.ResponseWriter, r *http.Request) {
	items, err := sla.ListCalendars(r.Context(), wb.DB, "", 0, maxChoices)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	v := calendarsView{Items: items, CanWrite: httpx.Principal(r).Can(auth.SLAWrite)}
	wb.render(w, r, http.StatusOK, "calendars", page{Title: wb.clockOf(r).text().T("web.sla_calendar.calendars"), Active: "calendars", Data: v})
}

type windowRow struct{ Weekday, Start, End, Err string }

type holidayRow struct {
	Date, Start, End, Name string
	Yearly                 bool
	Err                    string
}

type calendarView struct {
	C           sla.BusinessCalendar // ID 0 for a new one
	F           *fieldErrors         // form "calendar" or "import"
	Error       string
	Windows     []windowRow
	Holidays    []holidayRow
	WindowsErr  string
	HolidaysErr string
	Weekdays    []string
	Zones       []string
	CanWrite    bool // and the calendar is not the built-in one
}

// mondayFirst orders the weekday choices as a working week reads.
var mondayFirst = []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}

const blankRows = 3

func specRows(s calendar.Spec) ([]windowRow, []holidayRow) {
	var ws []windowRow
	for _, w := range s.Windows {
		ws = append(ws, windowRow{Weekday: w.Weekday, Start: w.Start, End: w.End})
	}
	var hs []holidayRow
	for _, h := range s.Holidays {
		hs = append(hs, holidayRow{Date: h.Date, Start: h.Start, End: h.End, Name: h.Name, Yearly: h.Yearly})
	}
	return ws, hs
}

func (wb *Web) showCalendar(w http.ResponseWriter, r *http.Request, status int, v calendarView) {
	v.Weekdays, v.Zones = mondayFirst, commonZones
	v.CanWrite = httpx.Principal(r).Can(auth.SLAWrite) && !v.C.Builtin
	if v.Windows == nil && v.Holidays == nil {
		v.Windows, v.Holidays = specRows(v.C.Spec)
	}
	if v.CanWrite {
		for range blankRows {
			v.Windows = append(v.Windows, windowRow{})
			v.Holidays = append(v.Holidays, holidayRow{})
		}
	}
	title := wb.clockOf(r).text().T("web.sla_calendar.title_new")
	if v.C.ID != 0 {
		title = v.C.Name
	}
	wb.render(w, r, status, "calendar", page{Title: title, Active: "calendars", Data: v})
}

func (wb *Web) newCalendarForm(w http.ResponseWriter, r *http.Request) {
	c := sla.BusinessCalendar{Spec: calendar.Spec{TimeZone: "UTC"}}
	for _, d := range mondayFirst[:5] {
		c.Windows = append(c.Windows, calendar.Window{Weekday: d, Start: "09:00", End: "17:00"})
	}
	wb.showCalendar(w, r, http.StatusOK, calendarView{C: c})
}

func (wb *Web) calendarPage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	c, err := sla.GetCalendar(r.Context(), wb.DB, id)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	wb.showCalendar(w, r, http.StatusOK, calendarView{C: c})
}

// calendarForm reads the editor: name, zone and the two tables of rows.
// Blank rows and holidays marked for removal are left out; the index maps
// say which row each kept entry came from, so messages land on it.
func calendarForm(r *http.Request) (calendar.Spec, []windowRow, []holidayRow, map[int]int, map[int]int) {
	s := calendar.Spec{Name: r.PostFormValue("name"), TimeZone: r.PostFormValue("time_zone"), Windows: []calendar.Window{}, Holidays: []calendar.Holiday{}}
	var wrows []windowRow
	windex := map[int]int{}
	for i := range formRows(r, "win", calendar.MaxWindows+blankRows) {
		row := windowRow{Weekday: rowValue(r, "win", i, "weekday"), Start: rowValue(r, "win", i, "start"), End: rowValue(r, "win", i, "end")}
		if row.Weekday == "" && row.Start == "" && row.End == "" {
			continue
		}
		wrows = append(wrows, row)
		windex[len(s.Windows)] = len(wrows) - 1
		s.Windows = append(s.Windows, calendar.Window{Weekday: row.Weekday, Start: row.Start, End: row.End})
	}
	var hrows []holidayRow
	hindex := map[int]int{}
	for i := range formRows(r, "hol", calendar.MaxHolidays+blankRows) {
		row := holidayRow{Date: rowValue(r, "hol", i, "date"), Start: rowValue(r, "hol", i, "start"), End: rowValue(r, "hol", i, "end"),
			Name: rowValue(r, "hol", i, "name"), Yearly: rowValue(r, "hol", i, "yearly") == "on"}
		if rowValue(r, "hol", i, "remove") == "on" || (row.Date == "" && row.Start == "" && row.End == "" && row.Name == "") {
			continue
		}
		hrows = append(hrows, row)
		hindex[len(s.Holidays)] = len(hrows) - 1
		s.Holidays = append(s.Holidays, calendar.Holiday{Date: row.Date, Start: row.Start, End: row.End, Name: row.Name, Yearly: row.Yearly})
	}
	return s, wrows, hrows, windex, hindex
}

// rowMessage turns "end", "must be after the start" into "End must be after the start.",
// the field named in the language of tx.
func rowMessage(tx i18n.Text, field, msg string) string {
	if field == "" {
		return errText(tx, msg)
	}
	return tx.T("web.sla_calendar.row_problem", "Field", tx.Or("web.sla_calendar.field_"+field, human(field)), "Problem", strings.TrimSuffix(msg, "."))
}

// overlap is how the calendar check names the window another overlaps.
var overlap = regexp.MustCompile(`^overlaps windows\[(\d+)\] on (\w+) \(([0-9:]+)-([0-9:]+)\)$`)

// overlapMessage says which row a window overlaps, as the editor numbers
// its rows, rather than by its place in the saved list.
func overlapMessage(tx i18n.Text, msg string, windex map[int]int) string {
	m := overlap.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	n, _ := strconv.Atoi(m[1])
	row, ok := windex[n]
	if !ok {
		return tx.T("web.sla_calendar.overlap_other", "Day", human(m[2]), "Start", m[3], "End", m[4])
	}
	return tx.T("web.sla_calendar.overlap_row", "Row", row+1, "Day", human(m[2]), "Start", m[3], "End", m[4])
}

// placeRowErrors moves messages about windows[i] and holidays[i] onto
// their rows and returns those about the tables as a whole.
func placeRowErrors(tx i18n.Text, errs map[string]string, wrows []windowRow, hrows []holidayRow, windex, hindex map[int]int) (string, string) {
	var wErr, hErr string
	for k, msg := range errs {
		for _, t := range []struct {
			prefix string
			index  map[int]int
			add    func(row int, s string)
			whole  *string
		}{
			{"windows", windex, func(row int, s string) { wrows[row].Err = strings.TrimSpace(wrows[row].Err + " " + s) }, &wErr},
			{"holidays", hindex, func(row int, s string) { hrows[row].Err = strings.TrimSpace(hrows[row].Err + " " + s) }, &hErr},
		} {
			if k == t.prefix {
				*t.whole = errText(tx, msg)
				continue
			}
			rest, ok := strings.CutPrefix(k, t.prefix+"[")
			if !ok {
				continue
			}
			num, field, _ := strings.Cut(rest, "]")
			n, err := strconv.Atoi(num)
			row, known := t.index[n]
			if err != nil || !known {
				continue
			}
			if t.prefix == "windows" {
				msg = overlapMessage(tx, msg, windex)
			}
			t.add(row, rowMessage(tx, strings.TrimPrefix(field, "."), msg))
		}
	}
	return wErr, hErr
}

func (wb *Web) createCalendar(w http.ResponseWriter, r *http.Request) {
	spec, wrows, hrows, windex, hindex := calendarForm(r)
	c, err := wb.slaService().CreateCalendar(r.Context(), httpx.Principal(r).Actor(), spec)
	if err == nil {
		wb.redirect(w, r, "/calendars/"+strconv.FormatInt(c.ID, 10), "saved")
		return
	}
	wb.calendarFailed(w, r, sla.BusinessCalendar{Spec: spec}, wrows, hrows, windex, hindex, err)
}

func (wb *Web) updateCalendar(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	cur, err := sla.GetCalendar(r.Context(), wb.DB, id)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	spec, wrows, hrows, windex, hindex := calendarForm(r)
	version, _ := formVersion(r)
	if _, _, err = wb.slaService().UpdateCalendar(r.Context(), httpx.Principal(r).Actor(), id, spec, version); err == nil {
		wb.redirect(w, r, "/calendars/"+strconv.FormatInt(id, 10), "saved")
		return
	}
	wb.calendarFailed(w, r, cur, wrows, hrows, windex, hindex, err)
}

// calendarFailed shows the editor again with the messages and what was typed.
func (wb *Web) calendarFailed(w http.ResponseWriter, r *http.Request, c sla.BusinessCalendar, wrows []windowRow, hrows []holidayRow,
	windex, hindex map[int]int, err error) {
	var inv *domainerr.Invalid
	var conflict *domainerr.Conflict
	switch {
	case errors.As(err, &inv):
		v := calendarView{C: c, F: &fieldErrors{Form: "calendar", Errs: inv.Fields, Values: r.PostForm}, Windows: wrows, Holidays: hrows}
		if v.Windows == nil {
			v.Windows = []windowRow{}
		}
		v.WindowsErr, v.HolidaysErr = placeRowErrors(wb.clockOf(r).text(), inv.Fields, wrows, hrows, windex, hindex)
		wb.showCalendar(w, r, http.StatusUnprocessableEntity, v)
	case errors.Is(err, domainerr.ErrStale) && c.ID != 0:
		wb.freshCalendar(w, r, c.ID, wb.stale(r))
	case errors.As(err, &conflict) && c.ID != 0:
		wb.freshCalendar(w, r, c.ID, conflict.Message)
	default:
		wb.fail(w, r, err)
	}
}

// freshCalendar shows the stored calendar with a message, after a refused change.
func (wb *Web) freshCalendar(w http.ResponseWriter, r *http.Request, id int64, msg string) {
	fresh, err := sla.GetCalendar(r.Context(), wb.DB, id)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	wb.showCalendar(w, r, http.StatusConflict, calendarView{C: fresh, Error: msg})
}

func (wb *Web) deleteCalendar(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	err := wb.slaService().DeleteCalendar(r.Context(), httpx.Principal(r).Actor(), id)
	var conflict *domainerr.Conflict
	switch {
	case err == nil:
		wb.redirect(w, r, "/calendars", "deleted")
	case errors.As(err, &conflict):
		wb.freshCalendar(w, r, id, conflict.Message)
	default:
		wb.fail(w, r, err)
	}
}

func (wb *Web) importHolidays(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	c, err := sla.GetCalendar(r.Context(), wb.DB, id)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	failed := func(status int, msg string) {
		wb.showCalendar(w, r, status, calendarView{C: c, F: &fieldErrors{Form: "import", Errs: map[string]string{"file": msg}}})
	}
	file, _, err := r.FormFile("file")
	if err != nil {
		failed(http.StatusUnprocessableEntity, wb.clockOf(r).text().T("web.sla_calendar.choose_ics"))
		return
	}
	defer file.Close()
	version, _ := formVersion(r)
	res, err := wb.slaService().ImportHolidays(r.Context(), httpx.Principal(r).Actor(), id, file, version)
	var inv *domainerr.Invalid
	var conflict *domainerr.Conflict
	switch {
	case err == nil:
		wb.redirect(w, r, fmt.Sprintf("/calendars/%d", id), fmt.Sprintf("imported:%d:%d", res.Added, res.Duplicates))
	case errors.As(err, &inv):
		msg := inv.Fields["file"]
		if msg == "" {
			msg = slaErrors(inv.Fields, "holidays", "time_zone")
		}
		failed(http.StatusUnprocessableEntity, wb.clockOf(r).text().T("web.sla_calendar.nothing_imported", "Problem", msg))
	case errors.Is(err, domainerr.ErrStale):
		wb.freshCalendar(w, r, id, wb.stale(r))
	case errors.As(err, &conflict):
		wb.freshCalendar(w, r, id, conflict.Message)
	default:
		wb.fail(w, r, err)
	}
}
