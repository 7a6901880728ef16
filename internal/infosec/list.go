package infosec

import (
	"context"
	"strconv"
	"strings"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
)

// MaxLimit caps one page of security incidents.
const MaxLimit = 200

// Filter narrows a list of security incidents.
type Filter struct {
	States     []State
	IncidentID int64 // those escalated from this desk incident
	Query      string
	Limit      int
	Cursor     string // the id of the last row of the previous page
}

// Page is one page of security incidents, newest first.
type Page struct {
	Items      []Incident `json:"items"`
	NextCursor string     `json:"next_cursor"`
}

// List returns the security incidents that match f, newest first; for
// anyone outside the security groups the list is empty.
func (s *Service) List(ctx context.Context, p *auth.Principal, f Filter) (Page, error) {
	if !p.Can(PermRead) {
		return Page{}, domainerr.ErrForbidden
	}
	v := domainerr.NewInvalid()
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Limit > MaxLimit {
		v.Add("limit", "must be at most %d", MaxLimit)
	}
	var where []string
	var args []any
	for _, st := range f.States {
		if !st.valid() {
			v.Add("state", "must be open or one of reported, triaged, contained, eradicated, recovered, closed")
		}
	}
	if len(f.States) > 0 {
		where = append(where, "s.state IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(f.States)), ", ")+")")
		for _, st := range f.States {
			args = append(args, string(st))
		}
	}
	if f.Cursor != "" {
		after, err := strconv.ParseInt(f.Cursor, 10, 64)
		if err != nil || after <= 0 {
			v.Add("cursor", "is not a page link this list gave")
		}
		where, args = append(where, "s.id < ?"), append(args, after)
	}
	if err := v.Err(); err != nil {
		return Page{}, err
	}
	out := Page{Items: []Incident{}}
	if ok, err := Cleared(ctx, s.DB, p); err != nil || !ok {
		return out, err
	}
	if f.IncidentID != 0 {
		where, args = append(where, "s.incident_id = ?"), append(args, f.IncidentID)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		q = strings.NewReplacer("%", "", "_", "").Replace(q)
		where, args = append(where, "LOWER(s.title) LIKE ?"), append(args, "%"+strings.ToLower(q)+"%")
	}
	sql := selectCols
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.DB.Query(ctx, sql+" ORDER BY s.id DESC LIMIT ?", append(args, f.Limit+1)...)
	if err != nil {
		return Page{}, err
	}
	defer rows.Close()
	now := time.Now()
	for rows.Next() {
		in, err := scan(rows, now)
		if err != nil {
			return Page{}, err
		}
		out.Items = append(out.Items, in)
	}
	if err := rows.Err(); err != nil {
		return Page{}, err
	}
	if len(out.Items) > f.Limit {
		out.Items = out.Items[:f.Limit]
		out.NextCursor = strconv.FormatInt(out.Items[f.Limit-1].ID, 10)
	}
	return out, nil
}
