package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"steward/internal/auth"
	"steward/internal/httpx"
	"steward/internal/schedule"
	"steward/internal/store"
)

// ChangeCalendarPages are the change calendar's pages: the month, week
// and list views, freeze periods, the maintenance windows of services and
// CIs, and the iCalendar feed.
func ChangeCalendarPages(svc *schedule.Service) Pages {
	return func(wb *Web, rt *httpx.Router) {
		h := schedulePages{wb: wb, svc: svc}
		rt.Handle("GET /change-calendar", schedule.PermRead, h.calendar)
		wb.post(rt, "POST /change-calendar/feed-token", schedule.PermRead, h.createFeed)
		wb.post(rt, "POST /change-calendar/feed-token/revoke", schedule.PermRead, h.revokeFeed)
		rt.Handle("GET /calendar/changes.ics", auth.Public, h.feed)
		rt.Handle("GET /freeze-periods", schedule.PermRead, h.freezes)
		rt.Handle("GET /freeze-periods/new", schedule.PermWrite, h.newFreeze)
		wb.post(rt, "POST /freeze-periods", schedule.PermWrite, h.createFreeze)
		rt.Handle("GET /freeze-periods/{id}/edit", schedule.PermWrite, h.editFreeze)
		wb.post(rt, "POST /freeze-periods/{id}", schedule.PermWrite, h.updateFreeze)
		wb.post(rt, "POST /freeze-periods/{id}/delete", schedule.PermWrite, h.deleteFreeze)
		rt.Handle("GET /services/{id}/maintenance", schedule.PermRead, h.maintenance("services"))
		wb.post(rt, "POST /services/{id}/maintenance", schedule.PermWrite, h.setMaintenance("services"))
		rt.Handle("GET /cis/{id}/maintenance", schedule.PermRead, h.maintenance("cis"))
		wb.post(rt, "POST /cis/{id}/maintenance", schedule.PermWrite, h.setMaintenance("cis"))
	}
}

type schedulePages struct {
	wb  *Web
	svc *schedule.Service
}

// calItem is one entry of a day or of the list.
type calItem struct {
	Kind   string // change, freeze, maintenance
	Label  string
	Title  string
	Href   string
	State  string
	Time   string // the time of day it starts (or "all day"), in the viewer's zone
	Start  string
	End    string
	Clash  []string
	Number string
}

type calDay struct {
	Label   string // day of the month
	Date    string // YYYY-MM-DD
	Full    string
	InRange bool
	Today   bool
	Items   []calItem
	More    int // items not shown in the month view
}

type calView struct {
	Mode                     string
	Heading                  string
	Anchor                   string
	PrevURL, NextURL, NowURL string
	MonthURL, WeekURL        string
	ListURL                  string
	Weeks                    [][]calDay
	Rows                     []calItem
	Services                 []option
	ServiceID, CIID          string
	CIs                      []option
	F                        *fieldErrors
	Truncated                bool
	Clashes                  int
	Zone                     string
	Feed                     *schedule.FeedToken
	FeedURL                  string
	CanWrite                 bool
}

const monthDayItems = 4

func (h schedulePages) calendar(w http.ResponseWriter, r *http.Request) {
	h.showCalendar(w, r, http.StatusOK, "")
}

func (h schedulePages) showCalendar(w http.ResponseWriter, r *http.Request, status int, feedURL string) {
	ck := h.wb.clockOf(r)
	loc := ck.loc
	q := r.URL.Query()
	v := calView{Mode: q.Get("view"), FeedURL: feedURL, Zone: loc.String(),
		CanWrite: httpx.Principal(r).Can(schedule.PermWrite)}
	if v.Mode != "week" && v.Mode != "list" {
		v.Mode = "month"
	}
	today := dayStart(time.Now().In(loc))
	anchor := today
	if d := q.Get("date"); d != "" {
		t, err := time.ParseInLocation("2006-01-02", d, loc)
		if err != nil || t.Year() < 1971 || t.Year() > 2199 {
			h.wb.errorPage(w, r, http.StatusBadRequest, h.wb.clockOf(r).text().T("web.schedule_calendar.date_written_as"))
			return
		}
		anchor = t
	}
	cq := schedule.CalendarQuery{}
	var err error
	if cq.ServiceID, err = optionalID(q.Get("service")); err == nil {
		cq.CIID, err = optionalID(q.Get("ci"))
	}
	if err != nil {
		h.wb.errorPage(w, r, http.StatusBadRequest, h.wb.clockOf(r).text().T("web.schedule_calendar.service_ci_filters"))
		return
	}
	filter := url.Values{}
	if cq.ServiceID != 0 {
		v.ServiceID = strconv.FormatInt(cq.ServiceID, 10)
		filter.Set("service", v.ServiceID)
	}
	if cq.CIID != 0 {
		v.CIID = strconv.FormatInt(cq.CIID, 10)
		filter.Set("ci", v.CIID)
	}
	var first, from, to, prev, next time.Time
	switch v.Mode {
	case "week":
		from = weekStart(anchor)
		to = from.AddDate(0, 0, 7)
		prev, next = from.AddDate(0, 0, -7), to
		v.Heading = ck.text().T("web.schedule_calendar.week_of", "Day", ck.day(from))
	default:
		first = time.Date(anchor.Year(), anchor.Month(), 1, 0, 0, 0, 0, loc)
		prev, next = first.AddDate(0, -1, 0), first.AddDate(0, 1, 0)
		from, to = first, next
		if v.Mode == "month" {
			from = weekStart(first)
			to = weekStart(next.AddDate(0, 0, 6))
		}
		v.Heading = ck.text().T("web.schedule_calendar.month_heading", "Month", ck.text().T(fmt.Sprintf("web.schedule_calendar.month_%d", first.Month())), "Year", first.Year())
	}
	link := func(mode string, d time.Time) string {
		u := url.Values{}
		for k, vs := range filter {
			u[k] = vs
		}
		u.Set("view", mode)
		u.Set("date", d.Format("2006-01-02"))
		return "/change-calendar?" + u.Encode()
	}
	v.Anchor = anchor.Format("2006-01-02")
	v.PrevURL, v.NextURL, v.NowURL = link(v.Mode, prev), link(v.Mode, next), link(v.Mode, today)
	v.MonthURL, v.WeekURL, v.ListURL = link("month", anchor), link("week", anchor), link("list", anchor)
	cq.From, cq.To = from, to
	ctx := r.Context()
	cal, err := h.svc.Calendar(ctx, h.wb.DB, cq, schedule.MaxRange)
	if err == nil {
		err = h.svc.MarkClashes(ctx, h.wb.DB, &cal)
	}
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v.Truncated = cal.Truncated
	items := calendarItems(cal, ck, v.Mode == "list" || v.Mode == "week" || cq.ServiceID != 0 || cq.CIID != 0)
	for _, it := range items {
		if len(it.item.Clash) > 0 {
			v.Clashes++
		}
	}
	if v.Mode == "list" {
		for _, it := range items {
			v.Rows = append(v.Rows, it.item)
		}
	} else {
		v.Weeks = calendarWeeks(items, from, to, first, today, v.Mode == "month", ck)
	}
	if err := h.filterOptions(ctx, &v, cq.CIID); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	if t, err := schedule.ActiveFeedToken(ctx, h.wb.DB, httpx.Principal(r).UserID); err == nil {
		v.Feed = &t
	} else if !errors.Is(err, store.ErrNotFound) {
		h.wb.fail(w, r, err)
		return
	}
	h.wb.render(w, r, status, "change_calendar", page{Title: ck.text().T("web.schedule_calendar.title"), Active: "change-calendar", Data: v})
}

func optionalID(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, errors.New("not an id")
	}
	return n, nil
}

func dayStart(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}

// weekStart is the Monday on or before d.
func weekStart(d time.Time) time.Time {
	back := (int(d.Weekday()) + 6) % 7
	return dayStart(d).AddDate(0, 0, -back)
}

type spanItem struct {
	start, end time.Time
	item       calItem
}

// calendarItems turns the calendar into entries, freezes first, then
// changes and maintenance windows by start.
func calendarItems(cal schedule.ChangeCalendar, ck clock, withMaintenance bool) []spanItem {
	var out []spanItem
	tx := ck.text()
	span := func(a, b time.Time) (string, string) { return ck.full(a), ck.full(b) }
	for _, f := range cal.FreezePeriods {
		s, e := span(f.Start, f.End)
		title := tx.T("web.schedule_calendar.freeze_covers_all", "Name", f.Name)
		if !f.Everything() {
			title = tx.T("web.schedule_calendar.freeze_covers", "Name", f.Name, "Services", len(f.ServiceIDs), "CIs", len(f.CIIDs))
		}
		out = append(out, spanItem{f.Start, f.End, calItem{Kind: "freeze", Label: tx.T("web.schedule_calendar.freeze", "Name", f.Name), Title: title,
			Href: "/freeze-periods#freeze-" + strconv.FormatInt(f.ID, 10), Start: s, End: e}})
	}
	for _, c := range cal.Changes {
		s, e := span(c.Start, c.End)
		out = append(out, spanItem{c.Start, c.End, calItem{Kind: "change", Number: c.Number, Label: c.Title, Title: c.Number + " " + c.Title,
			Href: "/changes/" + c.Number, State: c.State, Start: s, End: e, Clash: c.Clashes}})
	}
	if withMaintenance {
		for _, m := range cal.MaintenanceWindows {
			s, e := span(m.Start, m.End)
			href, label := "/services/"+strconv.FormatInt(m.ServiceID, 10)+"/maintenance", tx.T("web.schedule_calendar.maintenance", "Name", m.Name)
			if m.CIID != 0 {
				href, label = "/cis/"+strconv.FormatInt(m.CIID, 10)+"/maintenance", tx.T("web.schedule_calendar.maintenance_ci", "Name", m.Name)
			}
			out = append(out, spanItem{m.Start, m.End, calItem{Kind: "maintenance", Label: label,
				Title: m.Name + " — " + m.CalendarName, Href: href, Start: s, End: e}})
		}
	}
	// Stable by start: freezes stay ahead of what starts with them.
	sortSpans(out)
	return out
}

func sortSpans(s []spanItem) {
	rank := map[string]int{"freeze": 0, "change": 1, "maintenance": 2}
	sort.SliceStable(s, func(i, j int) bool {
		if !s[i].start.Equal(s[j].start) {
			return s[i].start.Before(s[j].start)
		}
		return rank[s[i].item.Kind] < rank[s[j].item.Kind]
	})
}

// calendarWeeks lays the entries out by local day, Monday first.
func calendarWeeks(items []spanItem, from, to, month, today time.Time, compact bool, ck clock) [][]calDay {
	var weeks [][]calDay
	// Entries are sorted by start; each day scans from the first that
	// may still be running.
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		if (int(d.Weekday())+6)%7 == 0 {
			weeks = append(weeks, nil)
		}
		end := d.AddDate(0, 0, 1)
		day := calDay{Label: strconv.Itoa(d.Day()), Date: d.Format("2006-01-02"), Full: ck.day(d),
			InRange: month.IsZero() || d.Month() == month.Month(), Today: d.Equal(today)}
		for _, it := range items {
			if !it.start.Before(end) {
				break
			}
			if !it.end.After(d) {
				continue
			}
			e := it.item
			e.Time = ck.text().T("web.schedule_calendar.all_day")
			if !it.start.Before(d) || !it.end.After(end) {
				e.Time = it.start.In(ck.loc).Format(timeOnly(ck.locale))
				if it.start.Before(d) {
					e.Time = ck.text().T("web.schedule_calendar.until", "Time", it.end.In(ck.loc).Format(timeOnly(ck.locale)))
				}
			}
			if compact && len(day.Items) == monthDayItems {
				day.More++
				continue
			}
			day.Items = append(day.Items, e)
		}
		weeks[len(weeks)-1] = append(weeks[len(weeks)-1], day)
	}
	return weeks
}

func (h schedulePages) filterOptions(ctx context.Context, v *calView, ciID int64) error {
	rows, err := h.wb.DB.Query(ctx, "SELECT id, name FROM services ORDER BY name, id LIMIT 500")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var o option
		if err := rows.Scan(&o.ID, &o.Name); err != nil {
			return err
		}
		v.Services = append(v.Services, o)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if ciID != 0 {
		var o option
		err := h.wb.DB.QueryRow(ctx, "SELECT id, name FROM cis WHERE id = ?", ciID).Scan(&o.ID, &o.Name)
		if err == nil {
			v.CIs = []option{o}
		} else if !errors.Is(store.ScanErr(err), store.ErrNotFound) {
			return err
		}
	}
	return nil
}

// createFeed issues the person's feed address and shows it once, on the
// calendar page itself: the secret exists only in this response.
func (h schedulePages) createFeed(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	secret, _, err := h.svc.CreateFeedToken(r.Context(), p.Actor(), p.UserID)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	scheme := "http"
	if httpx.HTTPS(r) {
		scheme = "https"
	}
	h.showCalendar(w, r, http.StatusOK, scheme+"://"+r.Host+schedule.FeedPath(secret))
}

func (h schedulePages) revokeFeed(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	if _, err := h.svc.RevokeFeedTokens(r.Context(), p.Actor(), p.UserID); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.wb.redirect(w, r, "/change-calendar", "revoked")
}

// FeedPast and FeedAhead are what the feed covers by default around now.
const (
	FeedPast  = 31 * 24 * time.Hour
	FeedAhead = 183 * 24 * time.Hour
)

// feed serves the calendar to calendar clients, which cannot sign in: the
// token in the address stands for its person. An unknown or revoked token
// is not found.
func (h schedulePages) feed(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	uid, role, err := h.svc.FeedUser(r.Context(), q.Get("token"))
	if err == nil && !(&auth.Principal{UserID: uid, Role: auth.Role(role)}).Can(schedule.PermRead) {
		err = store.ErrNotFound
	}
	if err != nil {
		w.Header().Set("Cache-Control", "no-store")
		status := http.StatusInternalServerError
		if errors.Is(err, store.ErrNotFound) {
			status = http.StatusNotFound
		}
		http.Error(w, http.StatusText(status), status)
		return
	}
	now := time.Now()
	cq := schedule.CalendarQuery{From: now.Add(-FeedPast), To: now.Add(FeedAhead)}
	bad := false
	for _, k := range []string{"from", "to"} {
		if s := q.Get(k); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				t, err = time.Parse("2006-01-02", s)
			}
			bad = bad || err != nil
			if k == "from" {
				cq.From = t
			} else {
				cq.To = t
			}
		}
	}
	if cq.ServiceID, err = optionalID(q.Get("service_id")); err != nil {
		bad = true
	}
	if cq.CIID, err = optionalID(q.Get("ci_id")); err != nil {
		bad = true
	}
	if err := cq.Check(schedule.MaxFeedRange); bad || err != nil {
		http.Error(w, "from and to must be dates (2026-01-31) or RFC 3339 times, to after from, at most 400 days apart; service_id and ci_id ids", http.StatusBadRequest)
		return
	}
	cal, err := h.svc.Calendar(r.Context(), h.wb.DB, cq, schedule.MaxFeedRange)
	if err != nil {
		h.wb.Log.Error("web: calendar feed", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	scheme := "http"
	if httpx.HTTPS(r) {
		scheme = "https"
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Cache-Control", "private, max-age=300")
	w.Header().Set("Content-Disposition", `inline; filename="changes.ics"`)
	if err := schedule.WriteICS(w, cal, scheme+"://"+r.Host, now); err != nil {
		h.wb.Log.Warn("web: writing calendar feed", "err", err)
	}
}
