package servicereview

import (
	"context"
	"fmt"
	"math"
	"time"

	"steward/internal/satisfaction"
	"steward/internal/sla"
	"steward/internal/store"
)

// Pack is what a review looks at, compiled from the records of the
// review's period when asked and kept as it was once the review is held.
type Pack struct {
	CompiledAt   time.Time        `json:"compiled_at"`
	PeriodStart  string           `json:"period_start"`
	PeriodEnd    string           `json:"period_end"`
	SLA          []SLALine        `json:"sla"`
	SLATotal     SLALine          `json:"sla_total"`
	Satisfaction PackSatisfaction `json:"satisfaction"`
	Complaints   PackComplaints   `json:"complaints"`
	Major        []RecordRef      `json:"major_incidents"`
	Changes      []RecordRef      `json:"changes_coming"`
	ChangesUntil string           `json:"changes_until"`
	Availability string           `json:"availability"`
}

// SLALine is the attainment of one ticket kind, metric and priority.
type SLALine struct {
	TicketKind string  `json:"ticket_kind"`
	Metric     string  `json:"metric"`
	Priority   string  `json:"priority"`
	Tickets    int     `json:"tickets"`
	Met        int     `json:"met"`
	Breached   int     `json:"breached"`
	PercentMet float64 `json:"percent_met"`
}

// PackSatisfaction is the customer's ratings over the period.
type PackSatisfaction struct {
	Average  float64 `json:"average"`
	Answered int     `json:"answered"`
	Sent     int     `json:"sent"`
}

// PackComplaints is the customer's complaints raised in the period and
// those closed in it, with how many of these on time.
type PackComplaints struct {
	Raised int         `json:"raised"`
	Closed int         `json:"closed"`
	OnTime int         `json:"on_time"`
	Open   int         `json:"open"`
	Items  []RecordRef `json:"items"`
}

// RecordRef names a record in a pack.
type RecordRef struct {
	Number string `json:"number"`
	Title  string `json:"title"`
	State  string `json:"state"`
	Link   string `json:"link"`
	When   string `json:"when,omitempty"`
}

// NotMeasured is what a pack says of availability until it is measured.
const NotMeasured = "not measured"

const maxRefs = 50

// compile gathers the pack of review r from the records now.
func (s *Service) compile(ctx context.Context, q store.Querier, r Review, now time.Time) (Pack, error) {
	from, _ := time.Parse(time.DateOnly, r.PeriodStart)
	to, _ := time.Parse(time.DateOnly, r.PeriodEnd)
	p := Pack{CompiledAt: now.UTC().Truncate(time.Second), PeriodStart: r.PeriodStart, PeriodEnd: r.PeriodEnd,
		Availability: NotMeasured, SLA: []SLALine{}, Major: []RecordRef{}, Changes: []RecordRef{}}
	if s.SLA != nil {
		rep, err := s.SLA.Report(ctx, sla.ReportFilter{Period: sla.Period{Label: r.PeriodStart + " to " + r.PeriodEnd,
			From: from, To: to, TimeZone: "UTC"}, AgreementID: r.AgreementID})
		if err != nil {
			return p, err
		}
		for _, row := range rep.Rows {
			p.SLA = append(p.SLA, SLALine{TicketKind: string(row.TicketKind), Metric: string(row.Metric), Priority: row.Priority,
				Tickets: row.Tickets, Met: row.Met, Breached: row.Breached, PercentMet: row.PercentMet})
			p.SLATotal.Tickets += row.Tickets
			p.SLATotal.Met += row.Met
			p.SLATotal.Breached += row.Breached
		}
		if p.SLATotal.Tickets > 0 {
			p.SLATotal.PercentMet = math.Round(1000*float64(p.SLATotal.Met)/float64(p.SLATotal.Tickets)) / 10
		}
	}
	if s.Availability != nil {
		a, err := s.Availability(ctx, q, r.CustomerID, from, to)
		if err != nil {
			return p, err
		}
		p.Availability = a
	}
	var cust int64
	if r.CustomerID != nil {
		cust = *r.CustomerID
	}
	var err error
	if p.Satisfaction.Average, p.Satisfaction.Answered, p.Satisfaction.Sent, err = satisfaction.Average(ctx, q, cust, from, to); err != nil {
		return p, err
	}
	if p.Complaints, err = packComplaints(ctx, q, cust, from, to); err != nil {
		return p, err
	}
	byCustomer, args := "", []any{store.TS(from), store.TS(to)}
	if cust != 0 {
		byCustomer, args = " AND customer_id = ?", append(args, cust)
	}
	if p.Major, err = refs(ctx, q, "INC-", "/incidents/", `SELECT id, title, state, created_at FROM incidents
		WHERE major AND created_at >= ? AND created_at < ?`+byCustomer+` ORDER BY created_at, id LIMIT ?`, append(args, maxRefs)...); err != nil {
		return p, err
	}
	planned, _ := time.Parse(time.DateOnly, r.PlannedOn)
	until := planned.AddDate(0, r.EveryMonths, 0)
	p.ChangesUntil = until.Format(time.DateOnly)
	changeArgs := []any{store.TS(planned), store.TS(until)}
	touches := ""
	if cust != 0 {
		touches = ` AND EXISTS (SELECT 1 FROM change_services cs JOIN service_customers sc ON sc.service_id = cs.service_id
			WHERE cs.change_id = c.id AND sc.customer_id = ?)`
		changeArgs = append(changeArgs, cust)
	}
	p.Changes, err = refs(ctx, q, "CHG-", "/changes/", `SELECT c.id, c.title, c.state, c.planned_start FROM changes c
		WHERE c.planned_start >= ? AND c.planned_start < ? AND c.state NOT IN ('closed', 'cancelled', 'rejected', 'draft')`+touches+`
		ORDER BY c.planned_start, c.id LIMIT ?`, append(changeArgs, maxRefs)...)
	return p, err
}

func packComplaints(ctx context.Context, q store.Querier, cust int64, from, to time.Time) (PackComplaints, error) {
	out := PackComplaints{Items: []RecordRef{}}
	where, args := "((created_at >= ? AND created_at < ?) OR (closed_at >= ? AND closed_at < ?) OR (closed_at IS NULL AND created_at < ?))",
		[]any{store.TS(from), store.TS(to), store.TS(from), store.TS(to), store.TS(to)}
	if cust != 0 {
		where, args = where+" AND customer_id = ?", append(args, cust)
	}
	rows, err := q.Query(ctx, `SELECT id, title, state, created_at, closed_at, target_on FROM complaints WHERE `+where+
		` ORDER BY id LIMIT ?`, append(args, 1000)...)
	if err != nil {
		return out, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var title, state, target string
		var created, closed store.Time
		if err := rows.Scan(&id, &title, &state, &created, &closed, &target); err != nil {
			return out, err
		}
		if !created.Before(from) && created.Before(to) {
			out.Raised++
		}
		switch {
		case closed.IsZero():
			out.Open++
		case !closed.Before(from) && closed.Before(to):
			out.Closed++
			if closed.UTC().Format(time.DateOnly) <= target {
				out.OnTime++
			}
		}
		if len(out.Items) < maxRefs {
			n := fmt.Sprintf("CMP-%06d", id)
			out.Items = append(out.Items, RecordRef{Number: n, Title: title, State: state, Link: "/complaints/" + n,
				When: created.UTC().Format(time.DateOnly)})
		}
	}
	return out, rows.Err()
}

// refs lists records as (id, title, state, instant) rows.
func refs(ctx context.Context, q store.Querier, prefix, path, sql string, args ...any) ([]RecordRef, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []RecordRef{}
	for rows.Next() {
		var id int64
		var title, state string
		var at store.Time
		if err := rows.Scan(&id, &title, &state, &at); err != nil {
			return nil, err
		}
		n := fmt.Sprintf("%s%06d", prefix, id)
		out = append(out, RecordRef{Number: n, Title: title, State: state, Link: path + n, When: at.UTC().Format(time.DateOnly)})
	}
	return out, rows.Err()
}
