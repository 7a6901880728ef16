package complaint

import (
	"context"
	"strconv"
	"strings"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
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
type Page struct {
	Items      []Complaint `json:"items"`
	NextCursor string      `json:"next_cursor"`
}

// List returns the complaints p may see that match f, newest first.
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
			v.Add("state", "must be open or one of received, investigating, responded, closed")
		}
	}
	if len(f.States) > 0 {
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(f.States)), ", ")
		where = append(where, "c.state IN ("+marks+")")
		for _, st := range f.States {
			args = append(args, string(st))
		}
	}
	if f.Cursor != "" {
		after, err := strconv.ParseInt(f.Cursor, 10, 64)
		if err != nil || after <= 0 {
			v.Add("cursor", "is not a page link this list gave")
		}
		where, args = append(where, "c.id < ?"), append(args, after)
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
	sql := selectCols
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.DB.Query(ctx, sql+" ORDER BY c.id DESC LIMIT ?", append(args, f.Limit+1)...)
	if err != nil {
		return Page{}, err
	}
	defer rows.Close()
	out := Page{Items: []Complaint{}}
	for rows.Next() {
		c, err := scan(rows, now)
		if err != nil {
			return Page{}, err
		}
		out.Items = append(out.Items, forReader(p, c))
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
