package infosec

import (
	"context"
	"strings"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/record"
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
type Page = record.Page[Incident]

// List returns the security incidents that match f, newest first; for
// anyone outside the security groups the list is empty.
func (s *Service) List(ctx context.Context, p *auth.Principal, f Filter) (Page, error) {
	if !p.Can(PermRead) {
		return Page{}, domainerr.ErrForbidden
	}
	v := domainerr.NewInvalid()
	page := record.PageByID(v, f.Limit, MaxLimit, f.Cursor)
	var where []string
	var args []any
	for _, st := range f.States {
		if !st.valid() {
			v.Add("state", "must be open or one of reported, triaged, contained, eradicated, recovered, closed")
		}
		args = append(args, string(st))
	}
	if len(f.States) > 0 {
		where = append(where, record.In("s.state", len(f.States)))
	}
	if err := v.Err(); err != nil {
		return Page{}, err
	}
	if ok, err := Cleared(ctx, s.DB, p); err != nil || !ok {
		return Page{Items: []Incident{}}, err
	}
	if f.IncidentID != 0 {
		where, args = append(where, "s.incident_id = ?"), append(args, f.IncidentID)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		q = strings.NewReplacer("%", "", "_", "").Replace(q)
		where, args = append(where, "LOWER(s.title) LIKE ?"), append(args, "%"+strings.ToLower(q)+"%")
	}
	now := time.Now()
	return record.ReadByID(ctx, s.DB, page, selectCols, "s.id", where, args, func(rows interface{ Scan(...any) error }) (Incident, error) {
		return scan(rows, now)
	}, func(in Incident) int64 { return in.ID })
}
