package complaint

import (
	"context"
	"strings"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/record"
)

// MaxLimit caps one page of complaints.
const MaxLimit = 200

// Filter narrows a list of complaints.
type Filter struct {
	States     []State
	CustomerID int64
	OwnerID    int64
	Overdue    bool // open and past the target date
	Query      string
	Limit      int
	Cursor     string // the id of the last row of the previous page
}

// Page is one page of complaints, newest first.
type Page = record.Page[Complaint]

// List returns the complaints p may see that match f, newest first.
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
			v.Add("state", "must be open or one of received, investigating, responded, closed")
		}
		args = append(args, string(st))
	}
	if len(f.States) > 0 {
		where = append(where, record.In("c.state", len(f.States)))
	}
	if err := v.Err(); err != nil {
		return Page{}, err
	}
	switch {
	case p.IsStaff():
	case p.CustomerID != 0:
		where, args = append(where, "c.customer_id = ?"), append(args, p.CustomerID)
	default:
		where, args = append(where, "c.requester_id = ?"), append(args, p.UserID)
	}
	if f.CustomerID != 0 {
		where, args = append(where, "c.customer_id = ?"), append(args, f.CustomerID)
	}
	if f.OwnerID != 0 {
		where, args = append(where, "c.owner_id = ?"), append(args, f.OwnerID)
	}
	now := today(time.Now())
	if f.Overdue {
		where, args = append(where, "c.state <> 'closed' AND c.target_on < ?"), append(args, now)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		where, args = append(where, "LOWER(c.title) LIKE ?"), append(args, "%"+strings.ToLower(likeEscape(q))+"%")
	}
	return record.ReadByID(ctx, s.DB, page, selectCols, "c.id", where, args, func(rows interface{ Scan(...any) error }) (Complaint, error) {
		c, err := scan(rows, now)
		return forReader(p, c), err
	}, func(c Complaint) int64 { return c.ID })
}

func (s State) valid() bool {
	for _, x := range States {
		if x == s {
			return true
		}
	}
	return false
}

// likeEscape keeps % and _ typed by a person from acting as wildcards.
func likeEscape(s string) string {
	return strings.NewReplacer("%", "", "_", "").Replace(s)
}
