package problem

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Dimensions incidents recur along.
const (
	ByCI       = "ci"
	ByService  = "service"
	ByCategory = "category"
)

// Trend is a group of incidents that recur on one CI, one service or in
// one category over the weeks asked for.
type Trend struct {
	Dimension string `json:"dimension"` // ci, service or category
	Key       string `json:"key"`       // the CI or service id, or the category
	Label     string `json:"label"`
	Total     int    `json:"total"`
	// Weeks counts the group's incidents per week, oldest week first.
	Weeks []int `json:"weeks"`
	// Incidents are the group's incident ids, newest first (at most maxTrendIncidents).
	Incidents []int64 `json:"incidents"`
	// Unlinked counts those not yet explained by any problem.
	Unlinked int `json:"unlinked"`
}

// TrendReport is the recurring incidents of the last weeks.
type TrendReport struct {
	From   time.Time   `json:"from"`   // the Monday the first week starts on, UTC
	Starts []time.Time `json:"starts"` // each week's start
	Groups []Trend     `json:"groups"`
}

// Bounds on the trends view.
const (
	MaxWeeks          = 52
	maxTrendGroups    = 10
	maxTrendIncidents = 200
)

// weekStart is the Monday 00:00 UTC of t's week.
func weekStart(t time.Time) time.Time {
	t = t.UTC()
	d := (int(t.Weekday()) + 6) % 7
	return time.Date(t.Year(), t.Month(), t.Day()-d, 0, 0, 0, 0, time.UTC)
}

// Trends finds the CIs, services and categories with at least min
// incidents raised in the last weeks (this week included), most first.
func (s *Service) Trends(ctx context.Context, p *auth.Principal, weeks, min int, now time.Time) (TrendReport, error) {
	if !p.Can(PermRead) {
		return TrendReport{}, domainerr.ErrForbidden
	}
	v := domainerr.NewInvalid()
	if weeks < 1 || weeks > MaxWeeks {
		v.Add("weeks", "must be from 1 to %d", MaxWeeks)
	}
	if min < 2 || min > 1000 {
		v.Add("min", "must be from 2 to 1000")
	}
	if err := v.Err(); err != nil {
		return TrendReport{}, err
	}
	from := weekStart(now).AddDate(0, 0, -7*(weeks-1))
	rep := TrendReport{From: from, Groups: []Trend{}}
	for w := 0; w < weeks; w++ {
		rep.Starts = append(rep.Starts, from.AddDate(0, 0, 7*w))
	}
	queries := []struct{ dim, groups, members string }{
		{ByCI, `SELECT CAST(rc.ci_id AS TEXT), MAX(c.name), COUNT(*) FROM record_cis rc
			JOIN incidents i ON i.id = rc.record_id JOIN cis c ON c.id = rc.ci_id
			WHERE rc.kind = 'incident' AND i.created_at >= ? GROUP BY rc.ci_id HAVING COUNT(*) >= ?`,
			`SELECT i.id, i.created_at FROM record_cis rc JOIN incidents i ON i.id = rc.record_id
			WHERE rc.kind = 'incident' AND rc.ci_id = ? AND i.created_at >= ?`},
		{ByService, `SELECT CAST(i.service_id AS TEXT), MAX(sv.name), COUNT(*) FROM incidents i
			JOIN services sv ON sv.id = i.service_id
			WHERE i.service_id IS NOT NULL AND i.created_at >= ? GROUP BY i.service_id HAVING COUNT(*) >= ?`,
			`SELECT i.id, i.created_at FROM incidents i WHERE i.service_id = ? AND i.created_at >= ?`},
		{ByCategory, `SELECT i.category, i.category, COUNT(*) FROM incidents i
			WHERE i.category <> '' AND i.created_at >= ? GROUP BY i.category HAVING COUNT(*) >= ?`,
			`SELECT i.id, i.created_at FROM incidents i WHERE i.category = ? AND i.created_at >= ?`},
	}
	for _, q := range queries {
		groups, err := s.trendGroups(ctx, q.dim, q.groups, q.members, from, min, weeks)
		if err != nil {
			return TrendReport{}, err
		}
		rep.Groups = append(rep.Groups, groups...)
	}
	return rep, nil
}

func (s *Service) trendGroups(ctx context.Context, dim, groupQ, memberQ string, from time.Time, min, weeks int) ([]Trend, error) {
	rows, err := s.DB.Query(ctx, groupQ+fmt.Sprintf(" ORDER BY COUNT(*) DESC LIMIT %d", maxTrendGroups), store.TS(from), min)
	if err != nil {
		return nil, err
	}
	var out []Trend
	for rows.Next() {
		t := Trend{Dimension: dim, Weeks: make([]int, weeks)}
		if err := rows.Scan(&t.Key, &t.Label, &t.Total); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		var key any = out[i].Key
		if dim != ByCategory {
			n, _ := strconv.ParseInt(out[i].Key, 10, 64)
			key = n
		}
		if err := s.trendMembers(ctx, &out[i], memberQ, key, from); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Service) trendMembers(ctx context.Context, t *Trend, memberQ string, key any, from time.Time) error {
	rows, err := s.DB.Query(ctx, memberQ+fmt.Sprintf(" ORDER BY i.id DESC LIMIT %d", maxTrendIncidents), key, store.TS(from))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var at store.Time
		if err := rows.Scan(&id, &at); err != nil {
			return err
		}
		t.Incidents = append(t.Incidents, id)
		if w := int(at.Time.Sub(from).Hours() / (24 * 7)); w >= 0 && w < len(t.Weeks) {
			t.Weeks[w]++
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(t.Incidents) == 0 {
		return nil
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(t.Incidents)), ", ")
	args := make([]any, len(t.Incidents))
	for i, id := range t.Incidents {
		args[i] = id
	}
	var linkedN int
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(DISTINCT from_id) FROM record_links WHERE from_kind = 'incident'
		AND type = 'caused_by' AND to_kind = 'problem' AND from_id IN (`+marks+`)`, args...).Scan(&linkedN); err != nil {
		return err
	}
	t.Unlinked = len(t.Incidents) - linkedN
	return nil
}

// Recurrence compares the incidents on a fixed problem's CIs, services
// and category in equal periods before and after its resolution.
type Recurrence struct {
	ResolvedAt time.Time `json:"resolved_at"`
	Days       int       `json:"days"` // the length of each period
	Before     int       `json:"before"`
	After      int       `json:"after"`
}

// maxRecurrenceDays bounds the periods compared.
const maxRecurrenceDays = 90

// RecurrenceOf compares incidents before and after pr's resolution; ok is
// false when it has not been resolved or names no CI, service or category.
func (s *Service) RecurrenceOf(ctx context.Context, p *auth.Principal, pr Problem, now time.Time) (Recurrence, bool, error) {
	if !p.Can(PermRead) {
		return Recurrence{}, false, domainerr.ErrForbidden
	}
	if pr.ResolvedAt == nil || (len(pr.CIIDs) == 0 && len(pr.ServiceIDs) == 0 && pr.Category == "") {
		return Recurrence{}, false, nil
	}
	at := *pr.ResolvedAt
	days := int(now.Sub(at).Hours()/24) + 1
	days = min(max(days, 1), maxRecurrenceDays)
	period := time.Duration(days) * 24 * time.Hour
	var conds []string
	var args []any
	if len(pr.CIIDs) > 0 {
		conds = append(conds, "EXISTS (SELECT 1 FROM record_cis rc WHERE rc.kind = 'incident' AND rc.record_id = i.id AND rc.ci_id IN ("+
			strings.TrimSuffix(strings.Repeat("?, ", len(pr.CIIDs)), ", ")+"))")
		for _, id := range pr.CIIDs {
			args = append(args, id)
		}
	}
	if len(pr.ServiceIDs) > 0 {
		conds = append(conds, "i.service_id IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(pr.ServiceIDs)), ", ")+")")
		for _, id := range pr.ServiceIDs {
			args = append(args, id)
		}
	}
	if pr.Category != "" {
		conds, args = append(conds, "i.category = ?"), append(args, pr.Category)
	}
	q := "SELECT COUNT(*) FROM incidents i WHERE i.created_at >= ? AND i.created_at < ? AND (" + strings.Join(conds, " OR ") + ")"
	r := Recurrence{ResolvedAt: at, Days: days}
	if err := s.DB.QueryRow(ctx, q, append([]any{store.TS(at.Add(-period)), store.TS(at)}, args...)...).Scan(&r.Before); err != nil {
		return r, false, err
	}
	if err := s.DB.QueryRow(ctx, q, append([]any{store.TS(at), store.TS(at.Add(period))}, args...)...).Scan(&r.After); err != nil {
		return r, false, err
	}
	return r, true, nil
}
