package satisfaction

import (
	"context"
	"math"
	"sort"
	"strings"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
	"steward/internal/ticket"
)

// ReportFilter chooses the surveys a report covers: those sent in
// [From, To), narrowed by the ticket's service, group, agent or customer.
type ReportFilter struct {
	From, To   time.Time
	ServiceID  int64
	GroupID    int64
	AgentID    int64
	CustomerID int64
	// Loc is the zone in which the periods of the trend begin; UTC when nil.
	Loc *time.Location
}

// Figures are the counts behind one line of the report. Average is over
// the answered surveys; ResponseRate is the answered share of those sent,
// in percent.
type Figures struct {
	Sent         int     `json:"sent"`
	Answered     int     `json:"answered"`
	Average      float64 `json:"average"`
	ResponseRate float64 `json:"response_rate"`
	sum          int
}

func (f *Figures) add(rating *int) {
	f.Sent++
	if rating != nil {
		f.Answered++
		f.sum += *rating
	}
}

func (f *Figures) finish() {
	if f.Answered > 0 {
		f.Average = math.Round(100*float64(f.sum)/float64(f.Answered)) / 100
	}
	if f.Sent > 0 {
		f.ResponseRate = math.Round(1000*float64(f.Answered)/float64(f.Sent)) / 10
	}
}

// Group is the figures of one service, group, agent or customer.
type Group struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Figures
}

// Period is the figures of one month (or week, for short ranges).
type Period struct {
	Start time.Time `json:"start"`
	Label string    `json:"label"`
	Figures
}

// Answer is one answered survey, for the list of low ratings.
type Answer struct {
	Number     string    `json:"number"`
	Link       string    `json:"link"`
	Rating     int       `json:"rating"`
	Comment    string    `json:"comment"`
	AnsweredAt time.Time `json:"answered_at"`
	Complaint  string    `json:"complaint,omitempty"`
}

// Report is satisfaction over a range: the totals, the ratings' spread
// (Ratings[0] counts the 1s), the figures per service, group, agent and
// customer, the trend per period and the latest low ratings.
type Report struct {
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Bucket string    `json:"bucket"` // month or week
	Figures
	Ratings    [5]int   `json:"ratings"`
	Services   []Group  `json:"services"`
	Groups     []Group  `json:"groups"`
	Agents     []Group  `json:"agents"`
	Customers  []Group  `json:"customers"`
	Periods    []Period `json:"periods"`
	LowRatings []Answer `json:"low_ratings"`
}

// Limits on a report.
const (
	MaxReportDays = 3 * 366
	maxRows       = 200000
	maxLow        = 20
)

// Report computes satisfaction from the surveys.
func (s *Service) Report(ctx context.Context, p *auth.Principal, f ReportFilter) (Report, error) {
	if !p.Can(PermRead) {
		return Report{}, domainerr.ErrForbidden
	}
	if !f.To.After(f.From) {
		return Report{}, domainerr.Field("to", "must be after from")
	}
	if f.To.Sub(f.From) > MaxReportDays*24*time.Hour {
		return Report{}, domainerr.Field("from", "a report covers at most %d days", MaxReportDays)
	}
	if f.Loc == nil {
		f.Loc = time.UTC
	}
	rules, err := LoadRules(ctx, s.DB)
	if err != nil {
		return Report{}, err
	}
	q := `SELECT s.ticket_kind, s.ticket_id, s.sent_at, s.rating, s.comment, s.answered_at, s.complaint_id,
		COALESCE(s.service_id, 0), COALESCE(sv.name, ''), COALESCE(s.group_id, 0), COALESCE(g.name, ''),
		COALESCE(s.agent_id, 0), COALESCE(a.name, ''), COALESCE(s.customer_id, 0), COALESCE(c.name, '')
		FROM satisfaction_surveys s
		LEFT JOIN services sv ON sv.id = s.service_id
		LEFT JOIN support_groups g ON g.id = s.group_id
		LEFT JOIN users a ON a.id = s.agent_id
		LEFT JOIN customers c ON c.id = s.customer_id
		WHERE s.sent_at >= ? AND s.sent_at < ?`
	args := []any{store.TS(f.From), store.TS(f.To)}
	for _, c := range []struct {
		col string
		id  int64
	}{{"s.service_id", f.ServiceID}, {"s.group_id", f.GroupID}, {"s.agent_id", f.AgentID}, {"s.customer_id", f.CustomerID}} {
		if c.id != 0 {
			q += " AND " + c.col + " = ?"
			args = append(args, c.id)
		}
	}
	rows, err := s.DB.Query(ctx, q+" ORDER BY s.sent_at, s.id LIMIT ?", append(args, maxRows)...)
	if err != nil {
		return Report{}, err
	}
	defer rows.Close()
	out := Report{From: f.From, To: f.To, Bucket: "month"}
	if f.To.Sub(f.From) <= 62*24*time.Hour {
		out.Bucket = "week"
	}
	periods := out.periods(f.Loc)
	groups := [4]map[int64]*Group{{}, {}, {}, {}}
	for rows.Next() {
		var (
			kind           ticket.Kind
			tid            int64
			sent, answered store.Time
			rating         *int
			comment        string
			cmp            *int64
			ids            [4]int64
			names          [4]string
		)
		if err := rows.Scan(&kind, &tid, &sent, &rating, &comment, &answered, &cmp, &ids[0], &names[0], &ids[1], &names[1],
			&ids[2], &names[2], &ids[3], &names[3]); err != nil {
			return Report{}, err
		}
		out.add(rating)
		if rating != nil {
			out.Ratings[*rating-1]++
		}
		for i := range groups {
			if ids[i] == 0 {
				continue
			}
			g := groups[i][ids[i]]
			if g == nil {
				g = &Group{ID: ids[i], Name: names[i]}
				groups[i][ids[i]] = g
			}
			g.add(rating)
		}
		if i := sort.Search(len(periods), func(i int) bool { return periods[i].Start.After(sent.Time) }) - 1; i >= 0 {
			periods[i].add(rating)
		}
		if rating != nil && *rating <= max(rules.LowRating, 2) {
			a := Answer{Number: TicketNumber(kind, tid), Rating: *rating, Comment: comment, AnsweredAt: answered.Time}
			a.Link = Survey{TicketKind: kind, Number: a.Number}.Link()
			if cmp != nil {
				a.Complaint = complaintNumber(*cmp)
			}
			out.LowRatings = append(out.LowRatings, a)
		}
	}
	if err := rows.Err(); err != nil {
		return Report{}, err
	}
	out.finish()
	out.Services, out.Groups, out.Agents, out.Customers = sorted(groups[0]), sorted(groups[1]), sorted(groups[2]), sorted(groups[3])
	for i := range periods {
		periods[i].finish()
	}
	out.Periods = periods
	sort.Slice(out.LowRatings, func(i, j int) bool { return out.LowRatings[i].AnsweredAt.After(out.LowRatings[j].AnsweredAt) })
	if len(out.LowRatings) > maxLow {
		out.LowRatings = out.LowRatings[:maxLow]
	}
	if out.LowRatings == nil {
		out.LowRatings = []Answer{}
	}
	return out, nil
}

// periods lays out the months (or weeks, from Monday) the range touches,
// beginning in loc.
func (r Report) periods(loc *time.Location) []Period {
	from := r.From.In(loc)
	var start time.Time
	if r.Bucket == "week" {
		d := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, loc)
		start = d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
	} else {
		start = time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, loc)
	}
	var out []Period
	for t := start; t.Before(r.To) && len(out) < 200; {
		p := Period{Start: t}
		if r.Bucket == "week" {
			p.Label = t.Format("2 Jan")
			t = t.AddDate(0, 0, 7)
		} else {
			p.Label = t.Format("Jan")
			t = t.AddDate(0, 1, 0)
		}
		out = append(out, p)
	}
	return out
}

func sorted(m map[int64]*Group) []Group {
	out := make([]Group, 0, len(m))
	for _, g := range m {
		g.finish()
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Sent != out[j].Sent {
			return out[i].Sent > out[j].Sent
		}
		return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name)
	})
	return out
}

// Average is the mean rating and the count of answers over [from, to) for
// a customer (every customer when 0): what a service review's pack shows.
func Average(ctx context.Context, q store.Querier, customerID int64, from, to time.Time) (avg float64, answered, sent int, err error) {
	sql := `SELECT COUNT(*), COUNT(rating), COALESCE(SUM(rating), 0) FROM satisfaction_surveys WHERE sent_at >= ? AND sent_at < ?`
	args := []any{store.TS(from), store.TS(to)}
	if customerID != 0 {
		sql += " AND customer_id = ?"
		args = append(args, customerID)
	}
	var sum int64
	var n, a int64
	if err = q.QueryRow(ctx, sql, args...).Scan(&n, &a, &sum); err != nil {
		return 0, 0, 0, err
	}
	if a > 0 {
		avg = math.Round(100*float64(sum)/float64(a)) / 100
	}
	return avg, int(a), int(n), nil
}

// Meter is the average on a scale of 50, for a small bar.
func (f Figures) Meter() float64 { return f.Average * 10 }
