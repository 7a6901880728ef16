package kpi

import (
	"context"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"steward/internal/store"
)

// measure computes a metric over [from, to) narrowed by a filter.
type measure = func(ctx context.Context, q store.Querier, from, to time.Time, f Filter) (Value, error)

// narrowing maps each field a kind of record may be narrowed by to a
// condition on the query's outer table, each ? taking the filter's value.
// The conditions name the outer table's columns without an alias, so they
// hold whether the query gives the table one or not.
type narrowing map[string]string

var (
	incidentBy = narrowing{"customer": "customer_id = ?", "service": "service_id = ?", "priority": "priority = ?", "group": "group_id = ?"}
	requestBy  = incidentBy
	changeBy   = narrowing{"group": "group_id = ?",
		"service": "id IN (SELECT cs.change_id FROM change_services cs WHERE cs.service_id = ?)"}
	// A clock belongs to an incident or a request: it is narrowed through
	// its ticket.
	timerBy = narrowing{
		"customer": `(ticket_kind = 'incident' AND EXISTS (SELECT 1 FROM incidents x WHERE x.id = ticket_id AND x.customer_id = ?)
			OR ticket_kind = 'request' AND EXISTS (SELECT 1 FROM requests y WHERE y.id = ticket_id AND y.customer_id = ?))`,
		"service": `(ticket_kind = 'incident' AND EXISTS (SELECT 1 FROM incidents x WHERE x.id = ticket_id AND x.service_id = ?)
			OR ticket_kind = 'request' AND EXISTS (SELECT 1 FROM requests y WHERE y.id = ticket_id AND y.service_id = ?))`,
		"group": `(ticket_kind = 'incident' AND EXISTS (SELECT 1 FROM incidents x WHERE x.id = ticket_id AND x.group_id = ?)
			OR ticket_kind = 'request' AND EXISTS (SELECT 1 FROM requests y WHERE y.id = ticket_id AND y.group_id = ?))`,
	}

	incidentFields = incidentBy.fields()
	requestFields  = requestBy.fields()
	changeFields   = changeBy.fields()
	timerFields    = timerBy.fields()
)

// fields lists the fields in the order of Fields.
func (by narrowing) fields() []string {
	var out []string
	for _, f := range Fields {
		if _, ok := by[f]; ok {
			out = append(out, f)
		}
	}
	return out
}

// where is the filter as conditions to append to a query's WHERE clause,
// in a fixed order so the statement is the same each time.
func (by narrowing) where(f Filter) (string, []any) {
	if len(f) == 0 {
		return "", nil
	}
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	var args []any
	for _, k := range keys {
		cond, ok := by[k]
		if !ok {
			// Measure refuses such a filter before it gets here; a
			// condition that matches nothing is the safe answer.
			cond = "1 = 0"
		}
		b.WriteString(" AND ")
		b.WriteString(cond)
		for range strings.Count(cond, "?") {
			args = append(args, f[k])
		}
	}
	return b.String(), args
}

// linkWith narrows a link to the incident or request lists as the figure
// is narrowed; those lists take the filter's fields as they are.
func linkWith(link string, f Filter) string {
	if len(f) == 0 || !(strings.HasPrefix(link, "/?") || strings.HasPrefix(link, "/requests?")) {
		return link
	}
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	v := url.Values{}
	for _, k := range keys {
		val := strconv.FormatInt(f[k], 10)
		if k == "priority" {
			val = "P" + val
		}
		v.Set(k, val)
	}
	return link + "&" + v.Encode()
}

// PeriodLink narrows link, a list of incidents, requests, problems,
// changes or nonconformities, to the records of the period [from, to) by
// the dates m.ListedBy names, as days of loc (the organisation's time
// zone, in which the lists read them):
// "/?view=all&from=2026-06-01&to=2026-06-30". A link to another page, a
// metric whose records no list date selects, or a period that does not
// start and end at midnight in loc, is left as it is.
func (m Metric) PeriodLink(link string, from, to time.Time, loc *time.Location) string {
	prefix, ok := map[string]string{"created": "", "resolved": "resolved_", "fulfilled": "fulfilled_", "closed": "closed_"}[m.ListedBy]
	if !ok || !periodLists(link) {
		return link
	}
	if loc == nil {
		loc = time.UTC
	}
	f, t := from.In(loc), to.In(loc)
	if !atMidnight(f) || !atMidnight(t) || !t.After(f) {
		return link
	}
	v := url.Values{}
	v.Set(prefix+"from", f.Format(time.DateOnly))
	v.Set(prefix+"to", t.AddDate(0, 0, -1).Format(time.DateOnly)) // the lists' "to" holds that whole day
	return link + "&" + v.Encode()
}

// periodLists reports whether link opens a list that reads day filters.
func periodLists(link string) bool {
	for _, l := range []string{"/?", "/requests?", "/problems?", "/changes?", "/nonconformities?"} {
		if strings.HasPrefix(link, l) {
			return true
		}
	}
	return false
}

func atMidnight(t time.Time) bool {
	return t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0
}

// The desk's common measures (backlog, volume, lead times) beside those
// in metrics.go, so a dashboard can show what a desk lead watches.
func init() {
	for _, m := range []Metric{
		{Key: "incident.opened", Counts: "incident|incidents", ListedBy: "created", Title: "Incidents opened", Unit: "count", Process: "incident", Filters: incidentFields,
			Narrowed: volume(`SELECT COUNT(*) FROM incidents WHERE created_at >= ? AND created_at < ?`, "/?view=all", incidentBy)},
		{Key: "incident.backlog", Counts: "open incident|open incidents", Title: "Incidents open at the period's end", Unit: "count", Process: "incident", Filters: incidentFields,
			Narrowed: backlog("incidents", "resolved_at", "/?view=open", incidentBy)},
		{Key: "request.opened", Counts: "request|requests", ListedBy: "created", Title: "Requests raised", Unit: "count", Process: "request", Filters: requestFields,
			Narrowed: volume(`SELECT COUNT(*) FROM requests WHERE created_at >= ? AND created_at < ?`, "/requests?view=all", requestBy)},
		{Key: "request.backlog", Counts: "open request|open requests", Title: "Requests open at the period's end", Unit: "count", Process: "request", Filters: requestFields,
			Narrowed: backlog("requests", "fulfilled_at", "/requests?view=open", requestBy)},
		{Key: "problem.opened", Counts: "problem|problems", ListedBy: "created", Title: "Problems opened", Unit: "count", Process: "problem",
			Narrowed: volume(`SELECT COUNT(*) FROM problems WHERE created_at >= ? AND created_at < ?`, "/problems?state=all", nil)},
		// A cancelled problem is not closed, though it has a closed_at.
		{Key: "problem.closed", Counts: "problem|problems", ListedBy: "closed", Title: "Problems closed", Unit: "count", Process: "problem", HigherIsBetter: true,
			Narrowed: volume(`SELECT COUNT(*) FROM problems WHERE state = 'closed' AND closed_at >= ? AND closed_at < ?`, "/problems?state=closed", nil)},
		{Key: "change.backed_out_pct", Of: "closed change|closed changes", ListedBy: "closed", Title: "Changes backed out", Unit: "%", Process: "change", Filters: changeFields,
			Narrowed: share(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN outcome = 'backed_out' THEN 1 ELSE 0 END), 0)
				FROM changes WHERE state = 'closed' AND outcome <> '' AND closed_at >= ? AND closed_at < ?`, "/changes?state=closed", changeBy)},
		{Key: "change.lead_time_days", Of: "closed change|closed changes", ListedBy: "closed", Title: "Mean days from raising a change to closing it", Unit: "days", Process: "change", Filters: changeFields,
			Narrowed: meanDays(`SELECT created_at, closed_at FROM changes WHERE state = 'closed' AND outcome <> '' AND closed_at >= ? AND closed_at < ?`,
				"/changes?state=closed", changeBy)},
		{Key: "sla.breaches", Of: "SLA target decided|SLA targets decided", Counts: "breach|breaches", Title: "SLA targets breached", Unit: "count", Process: "service_level", Filters: timerFields,
			Narrowed: countOf(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN state = 'breached' THEN 1 ELSE 0 END), 0)
				FROM sla_timers WHERE state IN ('met', 'breached') AND decided_at >= ? AND decided_at < ?`, "/reports/sla", timerBy)},
	} {
		Register(m)
	}
}

// volume counts the records the query finds in the period; as with every
// measure, a period with none rests on no records and shows no data.
func volume(query, link string, by narrowing) measure {
	return func(ctx context.Context, q store.Querier, from, to time.Time, f Filter) (Value, error) {
		var n int64
		cond, args := by.where(f)
		err := q.QueryRow(ctx, query+cond, append([]any{store.TS(from), store.TS(to)}, args...)...).Scan(&n)
		return Value{Value: float64(n), N: int(n), Link: linkWith(link, f)}, err
	}
}

// backlog counts the records of table open at the period's end: raised
// before it and neither done (the done column) nor closed by then. It
// counts those never done and those done since apart, so each count
// walks an index of few rows (the open ones; those done after the end)
// rather than every record raised before the end.
func backlog(table, done, link string, by narrowing) measure {
	open := `SELECT COUNT(*) FROM ` + table + ` WHERE ` + done + ` IS NULL AND created_at < ? AND (closed_at IS NULL OR closed_at >= ?)`
	later := `SELECT COUNT(*) FROM ` + table + ` WHERE ` + done + ` >= ? AND created_at < ? AND (closed_at IS NULL OR closed_at >= ?)`
	// SQLite keeps no histogram and would walk the created_at index
	// through every record raised before the end; the unary plus steers
	// it to the index on the done column instead.
	laterSQLite := strings.Replace(later, "AND created_at <", "AND +created_at <", 1)
	return func(ctx context.Context, q store.Querier, from, to time.Time, f Filter) (Value, error) {
		cond, args := by.where(f)
		later := later
		if q.Dialect() == store.SQLite {
			later = laterSQLite
		}
		end := store.TS(to)
		var a, b int64
		if err := q.QueryRow(ctx, open+cond, append([]any{end, end}, args...)...).Scan(&a); err != nil {
			return Value{}, err
		}
		if err := q.QueryRow(ctx, later+cond, append([]any{end, end, end}, args...)...).Scan(&b); err != nil {
			return Value{}, err
		}
		n := a + b
		return Value{Value: float64(n), N: int(n), Link: linkWith(link, f)}, nil
	}
}

// meanDays is meanHours in days.
func meanDays(query, link string, by narrowing) measure {
	hours := meanHours(query, link, by)
	return func(ctx context.Context, q store.Querier, from, to time.Time, f Filter) (Value, error) {
		v, err := hours(ctx, q, from, to, f)
		v.Value /= 24
		return v, err
	}
}
