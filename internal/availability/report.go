package availability

import (
	"context"
	"strings"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Statuses of a service against its target.
const (
	Met         = "met"
	Below       = "below"
	NoTarget    = "no_target"
	NotMeasured = "not_measured" // a target, but no agreed time in the period
)

// Figures are a service's availability over a period.
type Figures struct {
	ServiceID          int64    `json:"service_id"`
	ServiceName        string   `json:"service_name"`
	OwnerID            *int64   `json:"owner_id"`
	Target             *float64 `json:"target"`
	Hours              string   `json:"hours"`
	AgreedMinutes      float64  `json:"agreed_minutes"`
	MaintenanceMinutes float64  `json:"maintenance_minutes"`
	DowntimeMinutes    float64  `json:"downtime_minutes"`
	Availability       *float64 `json:"availability"`
	Outages            int      `json:"outages"`
	MTBFHours          *float64 `json:"mtbf_hours"`
	MTRSMinutes        *float64 `json:"mtrs_minutes"`
	Status             string   `json:"status"`
	Series             []Point  `json:"series"`
}

// Point is the availability over one bucket of the period, nil when the
// bucket holds no agreed time.
type Point struct {
	Start        time.Time `json:"start"`
	Availability *float64  `json:"availability"`
}

// Report is the availability of services over a period.
type Report struct {
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Bucket   string    `json:"bucket"`
	Services []Figures `json:"services"`
}

// ReportQuery asks for the availability of one service (ServiceID) or of
// every service in the catalogue not retired, over [From, To).
type ReportQuery struct {
	ServiceID int64
	From, To  time.Time
}

// Bounds of a report.
const (
	MaxReportDays     = 1100
	MaxReportServices = 1000
)

// Report measures availability per service over the period.
func (s *Service) Report(ctx context.Context, p *auth.Principal, rq ReportQuery) (Report, error) {
	if !p.Can(PermRead) {
		return Report{}, domainerr.ErrForbidden
	}
	return s.measureAll(ctx, s.DB, rq)
}

// checkPeriod validates a report's period.
func checkPeriod(v *domainerr.Invalid, from, to time.Time) {
	if from.IsZero() {
		v.Add("from", "is required: the start of the period, such as 2026-01-01")
	}
	if to.IsZero() {
		v.Add("to", "is required: the end of the period (not included), such as 2026-02-01")
	}
	if !from.IsZero() && !to.IsZero() {
		switch {
		case !to.After(from):
			v.Add("to", "must be after from")
		case to.Sub(from) > MaxReportDays*24*time.Hour:
			v.Add("to", "the period may be at most %d days long", MaxReportDays)
		}
	}
}

type serviceRow struct {
	id    int64
	name  string
	owner *int64
}

func (s *Service) measureAll(ctx context.Context, q store.Querier, rq ReportQuery) (Report, error) {
	v := domainerr.NewInvalid()
	checkPeriod(v, rq.From, rq.To)
	if rq.ServiceID < 0 {
		v.Add("service_id", "must be a service's id")
	}
	if err := v.Err(); err != nil {
		return Report{}, err
	}
	from, to := rq.From.UTC(), rq.To.UTC()
	rep := Report{From: from, To: to, Services: []Figures{}}
	svcs, err := listServices(ctx, q, rq.ServiceID)
	if err != nil {
		return rep, err
	}
	if rq.ServiceID != 0 && len(svcs) == 0 {
		return rep, domainerr.Field("service_id", "no service with id %d", rq.ServiceID)
	}
	tgs, err := targets(ctx, q)
	if err != nil {
		return rep, err
	}
	var only []int64
	if rq.ServiceID != 0 {
		only = []int64{rq.ServiceID}
	}
	spans, err := outageSpans(ctx, q, rq.ServiceID, from, to, s.now())
	if err != nil {
		return rep, err
	}
	maint, err := s.maintenance(ctx, q, only, from, to)
	if err != nil {
		return rep, err
	}
	var bounds []time.Time
	rep.Bucket, bounds = buckets(from, to)
	for _, sv := range svcs {
		fg := Figures{ServiceID: sv.id, ServiceName: sv.name, OwnerID: sv.owner, Hours: RoundTheClock, Status: NoTarget}
		m := &measurer{from: from, to: to, maint: maint[sv.id]}
		if t, ok := tgs[sv.id]; ok {
			pct := t.Percent
			fg.Target, fg.Hours = &pct, t.CalendarName
			if t.CalendarID != nil && s.Calendars != nil {
				if m.cal, err = s.Calendars.Calendar(ctx, q, *t.CalendarID); err != nil {
					return rep, err
				}
			}
		}
		f := m.measure(spans[sv.id], bounds)
		fill(&fg, f, rep.Bucket, bounds)
		rep.Services = append(rep.Services, fg)
	}
	return rep, nil
}

// fill turns the raw figures into the report's.
func fill(fg *Figures, f figures, bucket string, bounds []time.Time) {
	fg.AgreedMinutes = round(f.agreed.Minutes(), 1)
	fg.MaintenanceMinutes = round(f.maintenance.Minutes(), 1)
	fg.DowntimeMinutes = round(f.downtime.Minutes(), 1)
	fg.Availability = percent(f.agreed, f.downtime)
	fg.Outages = f.episodes
	if f.episodes > 0 {
		mtrs := round(f.episodeTime.Minutes()/float64(f.episodes), 1)
		mtbf := round((f.agreed-f.episodeTime).Hours()/float64(f.episodes), 1)
		fg.MTRSMinutes, fg.MTBFHours = &mtrs, &mtbf
	}
	switch {
	case fg.Target == nil:
		fg.Status = NoTarget
	case fg.Availability == nil:
		fg.Status = NotMeasured
	case *fg.Availability >= *fg.Target:
		fg.Status = Met
	default:
		fg.Status = Below
	}
	fg.Series = []Point{}
	for i := range f.bAgreed {
		fg.Series = append(fg.Series, Point{Start: bounds[i], Availability: percent(f.bAgreed[i], f.bDown[i])})
	}
}

// buckets splits the period for the chart: days up to two months, weeks
// up to a little over a year, 30 days beyond.
func buckets(from, to time.Time) (string, []time.Time) {
	name, step := "day", 24*time.Hour
	switch span := to.Sub(from); {
	case span > 400*24*time.Hour:
		name, step = "30 days", 30*24*time.Hour
	case span > 62*24*time.Hour:
		name, step = "week", 7*24*time.Hour
	}
	out := []time.Time{from}
	for t := from.Add(step); t.Before(to); t = t.Add(step) {
		out = append(out, t)
	}
	return name, append(out, to)
}

func listServices(ctx context.Context, q store.Querier, only int64) ([]serviceRow, error) {
	sql, args := `SELECT id, name, owner_id FROM services WHERE status <> 'retired'
		OR id IN (SELECT service_id FROM availability_targets) ORDER BY lower(name), id LIMIT ?`, []any{MaxReportServices}
	if only != 0 {
		sql, args = "SELECT id, name, owner_id FROM services WHERE id = ?", []any{only}
	}
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []serviceRow
	for rows.Next() {
		var r serviceRow
		if err := rows.Scan(&r.id, &r.name, &r.owner); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// outageSpans reads the outages overlapping [from, to), clipped to it,
// per service (one service, or all when serviceID is 0). An outage still
// open lasts until now.
func outageSpans(ctx context.Context, q store.Querier, serviceID int64, from, to, now time.Time) (map[int64][]span, error) {
	where, args := []string{"started_at < ?", "(ended_at IS NULL OR ended_at > ?)"}, []any{store.TS(to), store.TS(from)}
	if serviceID != 0 {
		where, args = append(where, "service_id = ?"), append(args, serviceID)
	}
	rows, err := q.Query(ctx, "SELECT service_id, started_at, ended_at, weight FROM outages WHERE "+strings.Join(where, " AND "), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64][]span{}
	for rows.Next() {
		var id int64
		var a, b store.Time
		var w float64
		if err := rows.Scan(&id, &a, &b, &w); err != nil {
			return nil, err
		}
		end := b.Time
		if end.IsZero() {
			end = now
		}
		sp := span{later(a.Time, from), earlier(end, to), w}
		if sp.end.After(sp.start) {
			out[id] = append(out[id], sp)
		}
	}
	return out, rows.Err()
}
