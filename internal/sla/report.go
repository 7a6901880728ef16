package sla

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"steward/internal/domainerr"
	"steward/internal/store"
	"steward/internal/ticket"
)

// Period is a reporting month or quarter in a time zone.
type Period struct {
	Label    string    `json:"label"` // 2026-11 or 2026-Q4
	From     time.Time `json:"from"`  // inclusive
	To       time.Time `json:"to"`    // exclusive
	TimeZone string    `json:"time_zone"`
}

// ParsePeriod reads "2026-11" (a month) or "2026-Q4" (a quarter) in zone.
func ParsePeriod(label, zone string) (Period, error) {
	if zone == "" {
		zone = "UTC"
	}
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "Local" {
		return Period{}, domainerr.Field("tz", "%q is not a known IANA time zone", zone)
	}
	label = strings.TrimSpace(label)
	y, rest, ok := strings.Cut(label, "-")
	year, yerr := strconv.Atoi(y)
	if !ok || yerr != nil || year < 1970 || year > 2199 {
		return Period{}, domainerr.Field("period", "must be a month (2026-11) or a quarter (2026-Q4)")
	}
	var from, to time.Time
	if q, isQ := strings.CutPrefix(strings.ToUpper(rest), "Q"); isQ {
		n, err := strconv.Atoi(q)
		if err != nil || n < 1 || n > 4 {
			return Period{}, domainerr.Field("period", "a quarter is Q1 to Q4")
		}
		from = time.Date(year, time.Month(3*(n-1)+1), 1, 0, 0, 0, 0, loc)
		to = from.AddDate(0, 3, 0)
		label = fmt.Sprintf("%04d-Q%d", year, n)
	} else {
		m, err := strconv.Atoi(rest)
		if err != nil || m < 1 || m > 12 || len(rest) != 2 {
			return Period{}, domainerr.Field("period", "must be a month (2026-11) or a quarter (2026-Q4)")
		}
		from = time.Date(year, time.Month(m), 1, 0, 0, 0, 0, loc)
		to = from.AddDate(0, 1, 0)
	}
	return Period{Label: label, From: from.UTC(), To: to.UTC(), TimeZone: zone}, nil
}

// ReportFilter chooses what the report covers.
type ReportFilter struct {
	Period      Period
	AgreementID int64
	Kind        ticket.Kind // "" for both
}

// ReportRow is one agreement, ticket kind, metric and priority in a period.
// A timer counts in the period in which its outcome was decided: a met
// timer when it stopped, a breached one when it breached. Average and p90
// are over the timers that stopped (an open breached timer is still
// counting); they are whole business seconds.
type ReportRow struct {
	AgreementID   int64       `json:"agreement_id"`
	AgreementName string      `json:"agreement_name"`
	AgreementKind string      `json:"agreement_kind"`
	TicketKind    ticket.Kind `json:"ticket_kind"`
	Metric        Metric      `json:"metric"`
	Priority      string      `json:"priority"`
	Tickets       int         `json:"tickets"`
	Met           int         `json:"met"`
	Breached      int         `json:"breached"`
	PercentMet    float64     `json:"percent_met"`
	Completed     int         `json:"completed"`
	AvgSeconds    int64       `json:"avg_business_seconds"`
	P90Seconds    int64       `json:"p90_business_seconds"`
	Breaches      []Breach    `json:"breaches"`
}

// Breach is one breached timer in the report, with the ticket it is on.
type Breach struct {
	TimerID        int64       `json:"timer_id"`
	TicketKind     ticket.Kind `json:"ticket_kind"`
	TicketID       int64       `json:"ticket_id"`
	Ref            string      `json:"ref"`
	Link           string      `json:"link"`
	Cycle          int         `json:"cycle"`
	TargetSeconds  int64       `json:"target_seconds"`
	ElapsedSeconds int64       `json:"elapsed_business_seconds"`
	BreachedAt     time.Time   `json:"breached_at"`
	Open           bool        `json:"open"`
}

// Report is the SLA report for one period.
type Report struct {
	Period Period      `json:"period"`
	Rows   []ReportRow `json:"rows"`
}

// Report computes the SLA report from the stored timers.
func (s *Service) Report(ctx context.Context, f ReportFilter) (Report, error) {
	names := map[int64][2]string{}
	rows, err := s.DB.Query(ctx, `SELECT id, name, kind FROM agreements`)
	if err != nil {
		return Report{}, err
	}
	for rows.Next() {
		var id int64
		var name, kind string
		if err := rows.Scan(&id, &name, &kind); err != nil {
			rows.Close()
			return Report{}, err
		}
		names[id] = [2]string{name, kind}
	}
	rows.Close()
	q := `SELECT id, agreement_id, ticket_kind, ticket_id, metric, priority, state, cycle, target_seconds,
		elapsed_seconds, breached_at, stopped_at FROM sla_timers WHERE decided_at >= ? AND decided_at < ?`
	args := []any{store.TS(f.Period.From), store.TS(f.Period.To)}
	if f.AgreementID != 0 {
		q += ` AND agreement_id = ?`
		args = append(args, f.AgreementID)
	}
	if f.Kind != "" {
		q += ` AND ticket_kind = ?`
		args = append(args, string(f.Kind))
	}
	type key struct {
		agr    int64
		kind   ticket.Kind
		metric Metric
		prio   string
	}
	type acc struct {
		row  ReportRow
		vals []int64
		sum  int64
	}
	groups := map[key]*acc{}
	rows, err = s.DB.Query(ctx, q, args...)
	if err != nil {
		return Report{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id, agr, tid, target, elapsed int64
			kind                          ticket.Kind
			metric                        Metric
			prio, state                   string
			cycle                         int
			breached, stopped             store.Time
		)
		if err := rows.Scan(&id, &agr, &kind, &tid, &metric, &prio, &state, &cycle, &target, &elapsed,
			&breached, &stopped); err != nil {
			return Report{}, err
		}
		k := key{agr, kind, metric, prio}
		g := groups[k]
		if g == nil {
			g = &acc{row: ReportRow{AgreementID: agr, AgreementName: names[agr][0], AgreementKind: names[agr][1],
				TicketKind: kind, Metric: metric, Priority: prio, Breaches: []Breach{}}}
			groups[k] = g
		}
		g.row.Tickets++
		if TimerState(state) == Breached {
			g.row.Breached++
			ref := ticketRef(kind, tid)
			g.row.Breaches = append(g.row.Breaches, Breach{TimerID: id, TicketKind: kind, TicketID: tid, Ref: ref,
				Link: tablesOf(kind).path + ref, Cycle: cycle, TargetSeconds: target, ElapsedSeconds: elapsed,
				BreachedAt: breached.Time, Open: stopped.IsZero()})
		} else {
			g.row.Met++
		}
		if !stopped.IsZero() {
			g.row.Completed++
			g.vals = append(g.vals, elapsed)
			g.sum += elapsed
		}
	}
	if err := rows.Err(); err != nil {
		return Report{}, err
	}
	out := Report{Period: f.Period, Rows: make([]ReportRow, 0, len(groups))}
	for _, g := range groups {
		r := g.row
		if r.Tickets > 0 {
			r.PercentMet = math.Round(1000*float64(r.Met)/float64(r.Tickets)) / 10
		}
		if n := len(g.vals); n > 0 {
			r.AvgSeconds = int64(math.Round(float64(g.sum) / float64(n)))
			sort.Slice(g.vals, func(i, j int) bool { return g.vals[i] < g.vals[j] })
			r.P90Seconds = g.vals[int(math.Ceil(0.9*float64(n)))-1] // nearest rank
		}
		sort.Slice(r.Breaches, func(i, j int) bool { return r.Breaches[i].BreachedAt.Before(r.Breaches[j].BreachedAt) })
		out.Rows = append(out.Rows, r)
	}
	sort.Slice(out.Rows, func(i, j int) bool {
		a, b := out.Rows[i], out.Rows[j]
		switch {
		case a.AgreementName != b.AgreementName:
			return a.AgreementName < b.AgreementName
		case a.TicketKind != b.TicketKind:
			return a.TicketKind < b.TicketKind
		case a.Metric != b.Metric:
			return a.Metric > b.Metric // response before resolution
		}
		return a.Priority < b.Priority
	})
	return out, nil
}

// Soon is an open timer that is breached or will be within the horizon.
type Soon struct {
	Timer
	Ref            string `json:"ref"`
	Title          string `json:"title"`
	Link           string `json:"link"`
	DefinitionName string `json:"definition_name"`
}

// MaxSoon caps the breaching-soon list.
const MaxSoon = 500

// BreachingSoon lists running timers due before now+within, soonest first
// (already breached ones first of all), with their tickets.
func (s *Service) BreachingSoon(ctx context.Context, within time.Duration, kind ticket.Kind, limit int) ([]Soon, error) {
	if limit <= 0 || limit > MaxSoon {
		limit = 100
	}
	now := s.now()
	q := `SELECT ` + timerColumns + ` FROM sla_timers WHERE stopped_at IS NULL AND running AND due_at <= ?`
	args := []any{store.TS(now.Add(within))}
	if kind != "" {
		q += ` AND ticket_kind = ?`
		args = append(args, string(kind))
	}
	q += ` ORDER BY due_at LIMIT ?`
	args = append(args, limit)
	rows, err := s.DB.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	ts, err := scanTimers(rows)
	if err != nil {
		return nil, err
	}
	cals := s.calendars(ctx, s.DB)
	defs, err := s.definitions(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	out := make([]Soon, 0, len(ts))
	for _, t := range ts {
		if err := t.Evaluate(cals, now); err != nil {
			return nil, err
		}
		tt := tablesOf(t.TicketKind)
		var title string
		if err := s.DB.QueryRow(ctx, `SELECT title FROM `+tt.table+` WHERE id = ?`, t.TicketID).Scan(&title); err != nil {
			return nil, store.ScanErr(err)
		}
		ref := ticketRef(t.TicketKind, t.TicketID)
		name := metricLabel(t.Metric)
		if d := defs.byID[t.DefinitionID]; d != nil {
			name = d.Name
		}
		out = append(out, Soon{Timer: *t, Ref: ref, Title: title, Link: tt.path + ref, DefinitionName: name})
	}
	return out, nil
}
