package capacity

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Demand is a service's demand week by week: the incidents and requests
// raised on it in each complete week (Monday to Sunday, UTC), the trend
// fitted through them and the weeks ahead it forecasts.
type Demand struct {
	ServiceID   int64        `json:"service_id"`
	ServiceName string       `json:"service_name"`
	Weeks       []DemandWeek `json:"weeks"`
	// Status is "ok", or "not_enough_data" with fewer than MinDemandWeeks
	// weeks holding any ticket.
	Status string `json:"status"`
	// PerWeek is the trend's slope in tickets per week; Change the trend's
	// change over the weeks shown as a share of their mean (0.25 = +25 %).
	PerWeek float64      `json:"trend_per_week"`
	Change  float64      `json:"trend_change"`
	Ahead   []DemandWeek `json:"ahead"`
	Total   int          `json:"total"`
}

// DemandWeek is one week's count.
type DemandWeek struct {
	Start     string `json:"week_start"`
	Incidents int    `json:"incidents"`
	Requests  int    `json:"requests"`
	// Forecast is the trend's value, on weeks ahead.
	Forecast float64 `json:"forecast,omitempty"`
}

// Total is the week's tickets.
func (w DemandWeek) Total() int { return w.Incidents + w.Requests }

// Demand windows.
const (
	MinDemandWeeks = 4
	MaxDemandWeeks = 104
	demandAhead    = 4
)

// weekStart is the Monday 00:00 UTC of t's week.
func weekStart(t time.Time) time.Time {
	t = t.UTC().Truncate(24 * time.Hour)
	return t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7))
}

// DemandTrends counts the last weeks complete weeks of incidents and
// requests per live service (one service when serviceID is not 0).
func (s *Service) DemandTrends(ctx context.Context, p *auth.Principal, serviceID int64, weeks int) ([]Demand, error) {
	if !p.Can(PermRead) {
		return nil, domainerr.ErrForbidden
	}
	if weeks == 0 {
		weeks = 26
	}
	if weeks < MinDemandWeeks || weeks > MaxDemandWeeks {
		return nil, domainerr.Field("weeks", "must be from %d to %d", MinDemandWeeks, MaxDemandWeeks)
	}
	return demandTrends(ctx, s.DB, serviceID, weeks, s.now())
}

func demandTrends(ctx context.Context, q store.Querier, serviceID int64, weeks int, now time.Time) ([]Demand, error) {
	end := weekStart(now)
	starts := make([]time.Time, weeks+1)
	for i := range starts {
		starts[i] = end.AddDate(0, 0, -7*(weeks-i))
	}
	where, args := "status <> 'retired'", []any{}
	if serviceID != 0 {
		where, args = "id = ?", append(args, serviceID)
	}
	rows, err := q.Query(ctx, `SELECT id, name FROM services WHERE `+where+` ORDER BY name, id LIMIT 500`, args...)
	if err != nil {
		return nil, err
	}
	out := []Demand{}
	at := map[int64]int{}
	for rows.Next() {
		var d Demand
		if err := rows.Scan(&d.ServiceID, &d.ServiceName); err != nil {
			rows.Close()
			return nil, err
		}
		d.Weeks = make([]DemandWeek, weeks)
		for i := range d.Weeks {
			d.Weeks[i].Start = starts[i].Format(time.DateOnly)
		}
		at[d.ServiceID] = len(out)
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if serviceID != 0 && len(out) == 0 {
		return nil, store.ErrNotFound
	}
	for _, table := range []string{"incidents", "requests"} {
		if err := countWeeks(ctx, q, table, starts, out, at); err != nil {
			return nil, err
		}
	}
	for i := range out {
		out[i].trend()
	}
	return out, nil
}

// countWeeks counts a table's tickets per service and week in one query:
// one CASE column per week.
func countWeeks(ctx context.Context, q store.Querier, table string, starts []time.Time, out []Demand, at map[int64]int) error {
	var cols []string
	var args []any
	for i := 0; i+1 < len(starts); i++ {
		cols = append(cols, "COALESCE(SUM(CASE WHEN created_at >= ? AND created_at < ? THEN 1 ELSE 0 END), 0)")
		args = append(args, store.TS(starts[i]), store.TS(starts[i+1]))
	}
	args = append(args, store.TS(starts[0]), store.TS(starts[len(starts)-1]))
	rows, err := q.Query(ctx, `SELECT service_id, `+strings.Join(cols, ", ")+` FROM `+table+`
		WHERE service_id IS NOT NULL AND created_at >= ? AND created_at < ? GROUP BY service_id`, args...)
	if err != nil {
		return fmt.Errorf("demand from %s: %w", table, err)
	}
	defer rows.Close()
	n := len(starts) - 1
	for rows.Next() {
		var id int64
		counts := make([]int, n)
		dst := []any{&id}
		for i := range counts {
			dst = append(dst, &counts[i])
		}
		if err := rows.Scan(dst...); err != nil {
			return err
		}
		i, ok := at[id]
		if !ok {
			continue
		}
		for w, c := range counts {
			if table == "incidents" {
				out[i].Weeks[w].Incidents = c
			} else {
				out[i].Weeks[w].Requests = c
			}
		}
	}
	return rows.Err()
}

// trend fits a straight line through the weekly totals by least squares
// and carries it demandAhead weeks forward, never below zero.
func (d *Demand) trend() {
	d.Status, d.Ahead = Forecasted, []DemandWeek{}
	busy := 0
	for _, w := range d.Weeks {
		d.Total += w.Total()
		if w.Total() > 0 {
			busy++
		}
	}
	if busy < MinDemandWeeks {
		d.Status = NotEnoughData
		return
	}
	slope, icept := lineFit(d.Weeks)
	d.PerWeek = math.Round(slope*100) / 100
	n := float64(len(d.Weeks))
	if mean := float64(d.Total) / n; mean > 0 {
		d.Change = math.Round(slope*(n-1)/mean*1000) / 1000
	}
	last, _ := time.Parse(time.DateOnly, d.Weeks[len(d.Weeks)-1].Start)
	for h := 1; h <= demandAhead; h++ {
		v := math.Max(0, icept+slope*(n-1+float64(h)))
		d.Ahead = append(d.Ahead, DemandWeek{Start: last.AddDate(0, 0, 7*h).Format(time.DateOnly), Forecast: math.Round(v*10) / 10})
	}
}

// lineFit is the least-squares line through the weeks' totals, x being
// the week's index.
func lineFit(ws []DemandWeek) (slope, icept float64) {
	n := float64(len(ws))
	var sx, sy, sxx, sxy float64
	for i, w := range ws {
		x, y := float64(i), float64(w.Total())
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	den := n*sxx - sx*sx
	if den == 0 {
		return 0, sy / n
	}
	slope = (n*sxy - sx*sy) / den
	return slope, (sy - slope*sx) / n
}
