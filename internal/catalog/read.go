package catalog

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

const serviceCols = `s.id, s.name, s.description, s.owner_id, s.status, s.support_group_id, s.criticality,
	s.cost_per_month, s.hours, s.created_at, s.updated_at, s.version, COALESCE(o.name, ''), COALESCE(g.name, '')`

const serviceFrom = ` FROM services s
	LEFT JOIN users o ON o.id = s.owner_id
	LEFT JOIN support_groups g ON g.id = s.support_group_id`

// visibleToRequester is the published catalogue of one customer: live
// services that list that customer, or list none. Its one argument is the
// customer id (0 for requesters without an organisation, who see only
// services offered to everyone).
const visibleToRequester = `s.status = 'live' AND (NOT EXISTS (SELECT 1 FROM service_customers sc WHERE sc.service_id = s.id)
	OR EXISTS (SELECT 1 FROM service_customers sc WHERE sc.service_id = s.id AND sc.customer_id = ?))`

func scanService(r interface{ Scan(...any) error }, extra ...any) (Service, error) {
	var s Service
	var created, updated store.Time
	dest := []any{&s.ID, &s.Name, &s.Description, &s.OwnerID, &s.Status, &s.SupportGroupID, &s.Criticality,
		&s.CostPerMonth, &s.Hours, &created, &updated, &s.Version, &s.OwnerName, &s.SupportGroupName}
	if err := r.Scan(append(dest, extra...)...); err != nil {
		return s, store.ScanErr(err)
	}
	s.CreatedAt, s.UpdatedAt = created.Time, updated.Time
	s.CustomerIDs, s.DependsOn = []int64{}, []int64{}
	return s, nil
}

// get loads one service with its customers and dependencies, whoever asks.
func get(ctx context.Context, q store.Querier, id int64) (Service, error) {
	s, err := scanService(q.QueryRow(ctx, "SELECT "+serviceCols+serviceFrom+" WHERE s.id = ?", id))
	if err != nil {
		return s, err
	}
	list := []Service{s}
	if err := loadLists(ctx, q, list); err != nil {
		return s, err
	}
	return list[0], nil
}

// loadLists fills the customers and dependencies of a page of services.
func loadLists(ctx context.Context, q store.Querier, list []Service) error {
	if len(list) == 0 {
		return nil
	}
	at := make(map[int64]int, len(list))
	args := make([]any, len(list))
	for i, s := range list {
		at[s.ID] = i
		args[i] = s.ID
	}
	in := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(list)), ", ") + ")"
	for _, rel := range []struct {
		sql string
		dst func(s *Service) *[]int64
	}{
		{"SELECT service_id, customer_id FROM service_customers WHERE service_id IN " + in + " ORDER BY service_id, customer_id",
			func(s *Service) *[]int64 { return &s.CustomerIDs }},
		{"SELECT service_id, depends_on_id FROM service_dependencies WHERE service_id IN " + in + " ORDER BY service_id, depends_on_id",
			func(s *Service) *[]int64 { return &s.DependsOn }},
	} {
		rows, err := q.Query(ctx, rel.sql, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var sid, other int64
			if err := rows.Scan(&sid, &other); err != nil {
				rows.Close()
				return err
			}
			dst := rel.dst(&list[at[sid]])
			*dst = append(*dst, other)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// Visible reports whether p may see s: staff see every service,
// requesters the live services offered to their organisation.
func Visible(p *auth.Principal, s Service) bool {
	if p.IsStaff() {
		return true
	}
	if s.Status != Live {
		return false
	}
	if s.ServesEveryone() {
		return true
	}
	for _, c := range s.CustomerIDs {
		if p.CustomerID != 0 && c == p.CustomerID {
			return true
		}
	}
	return false
}

// published is s as requester p is shown it: only their own organisation
// among the customers, only dependencies they can see (seen), and no
// cost, which is the provider's internal figure.
func published(p *auth.Principal, s Service, seen map[int64]bool) Service {
	own := []int64{}
	for _, c := range s.CustomerIDs {
		if c == p.CustomerID {
			own = append(own, c)
		}
	}
	deps := []int64{}
	for _, d := range s.DependsOn {
		if seen[d] {
			deps = append(deps, d)
		}
	}
	s.CustomerIDs, s.DependsOn, s.CostPerMonth = own, deps, 0
	return s
}

// visibleIDs lists the services a requester may see. The catalogue is
// small: a few hundred services at most.
func visibleIDs(ctx context.Context, q store.Querier, p *auth.Principal) (map[int64]bool, error) {
	rows, err := q.Query(ctx, "SELECT s.id FROM services s WHERE "+visibleToRequester+" LIMIT 10000", p.CustomerID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

// Get loads a service that p may see; others get ErrNotFound.
func (c *Catalog) Get(ctx context.Context, p *auth.Principal, id int64) (Service, error) {
	if !p.Can(auth.ServiceRead) {
		return Service{}, domainerr.ErrForbidden
	}
	s, err := get(ctx, c.DB, id)
	if err != nil {
		return Service{}, err
	}
	if !Visible(p, s) {
		return Service{}, store.ErrNotFound
	}
	if p.IsStaff() {
		return s, nil
	}
	seen, err := visibleIDs(ctx, c.DB, p)
	if err != nil {
		return Service{}, err
	}
	return published(p, s, seen), nil
}

// Ref is a service as a reference to it is shown: id, name and status.
type Ref struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Status Status `json:"status"`
}

// Dependents lists the services that depend on service id and that p may
// see, by name: what else is hit when this one fails.
func (c *Catalog) Dependents(ctx context.Context, p *auth.Principal, id int64) ([]Ref, error) {
	if !p.Can(auth.ServiceRead) {
		return nil, domainerr.ErrForbidden
	}
	q := `SELECT s.id, s.name, s.status FROM service_dependencies d JOIN services s ON s.id = d.service_id
		WHERE d.depends_on_id = ?`
	args := []any{id}
	if !p.IsStaff() {
		q += " AND " + visibleToRequester
		args = append(args, p.CustomerID)
	}
	return c.refs(ctx, q+" ORDER BY lower(s.name), s.id LIMIT 1000", args...)
}

// Choices lists the services p may pick for a ticket, by name: for staff
// every service that is not retired, for requesters their published
// catalogue. keep, when not 0, is added even if retired, so that a form
// can show a ticket's current service.
func (c *Catalog) Choices(ctx context.Context, p *auth.Principal, keep int64) ([]Ref, error) {
	if !p.Can(auth.ServiceRead) {
		return nil, domainerr.ErrForbidden
	}
	q := "SELECT s.id, s.name, s.status FROM services s WHERE "
	var args []any
	if p.IsStaff() {
		q += "(s.status <> 'retired' OR s.id = ?)"
		args = append(args, keep)
	} else {
		q += visibleToRequester
		args = append(args, p.CustomerID)
	}
	return c.refs(ctx, q+" ORDER BY lower(s.name), s.id LIMIT 5000", args...)
}

func (c *Catalog) refs(ctx context.Context, q string, args ...any) ([]Ref, error) {
	rows, err := c.DB.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Ref{}
	for rows.Next() {
		var r Ref
		if err := rows.Scan(&r.ID, &r.Name, &r.Status); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// CheckReference says whether p may point a ticket at service id: the
// service must exist and, for requesters, be in their published
// catalogue (a service they may not see does not exist for them);
// retired services take no new tickets. It returns "" when the reference
// is fine, else the message for the service_id field.
func CheckReference(ctx context.Context, q store.Querier, p *auth.Principal, id int64) (string, error) {
	s, err := get(ctx, q, id)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && !Visible(p, s)):
		return "no such service", nil
	case err != nil:
		return "", err
	case s.Status == Retired:
		return "service " + s.Name + " is retired and takes no new tickets", nil
	}
	return "", nil
}

// Filter selects services for a list. Zero values mean "any".
type Filter struct {
	Statuses       []Status
	Criticalities  []Criticality
	OwnerID        int64
	CustomerID     int64 // offered to this customer: listed, or offered to everyone
	SupportGroupID int64
	CostMin        *Cents
	CostMax        *Cents
	Query          string // part of the name, any letter case
	Limit          int
	Cursor         string
}

// MaxLimit caps one page.
const MaxLimit = 200

// Page is one page of a list.
type Page struct {
	Items      []Service `json:"items"`
	NextCursor string    `json:"next_cursor"`
}

// cursor is the keyset position after the last row of a page: the
// lowercased name as the database lowercases it, and the id.
type cursor struct {
	Name string `json:"n"`
	ID   int64  `json:"i"`
}

// ErrBadCursor is returned for a cursor this list did not issue.
var ErrBadCursor = domainerr.Field("cursor", "is not a cursor from a previous page of this list")

// List returns the services p may see that match f, by name.
func (c *Catalog) List(ctx context.Context, p *auth.Principal, f Filter) (Page, error) {
	if !p.Can(auth.ServiceRead) {
		return Page{}, domainerr.ErrForbidden
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Limit > MaxLimit {
		return Page{}, domainerr.Field("limit", "must be between 1 and %d", MaxLimit)
	}
	if !p.IsStaff() && f.CustomerID != 0 && f.CustomerID != p.CustomerID {
		return Page{Items: []Service{}}, nil // nothing offered to another organisation is theirs to see
	}
	where, args := f.where(p)
	if f.Cursor != "" {
		var cur cursor
		b, err := base64.RawURLEncoding.DecodeString(f.Cursor)
		if err != nil || len(b) > 600 || json.Unmarshal(b, &cur) != nil || cur.ID <= 0 {
			return Page{}, ErrBadCursor
		}
		where = append(where, "(lower(s.name) > ? OR (lower(s.name) = ? AND s.id > ?))")
		args = append(args, cur.Name, cur.Name, cur.ID)
	}
	q := "SELECT " + serviceCols + ", lower(s.name)" + serviceFrom
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY lower(s.name), s.id LIMIT ?"
	args = append(args, f.Limit+1)
	rows, err := c.DB.Query(ctx, q, args...)
	if err != nil {
		return Page{}, err
	}
	page := Page{Items: []Service{}}
	var keys []string
	for rows.Next() {
		var key string
		s, err := scanService(rows, &key)
		if err != nil {
			rows.Close()
			return Page{}, err
		}
		page.Items, keys = append(page.Items, s), append(keys, key)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Page{}, err
	}
	if len(page.Items) > f.Limit {
		page.Items = page.Items[:f.Limit]
		b, _ := json.Marshal(cursor{Name: keys[f.Limit-1], ID: page.Items[f.Limit-1].ID})
		page.NextCursor = base64.RawURLEncoding.EncodeToString(b)
	}
	if err := loadLists(ctx, c.DB, page.Items); err != nil {
		return Page{}, err
	}
	if !p.IsStaff() && len(page.Items) > 0 {
		seen, err := visibleIDs(ctx, c.DB, p)
		if err != nil {
			return Page{}, err
		}
		for i := range page.Items {
			page.Items[i] = published(p, page.Items[i], seen)
		}
	}
	return page, nil
}

func (f Filter) where(p *auth.Principal) ([]string, []any) {
	var where []string
	var args []any
	add := func(clause string, vals ...any) {
		where, args = append(where, clause), append(args, vals...)
	}
	in := func(col string, n int) string {
		return col + " IN (" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
	}
	if !p.IsStaff() {
		add(visibleToRequester, p.CustomerID)
	}
	if len(f.Statuses) > 0 {
		vals := make([]any, len(f.Statuses))
		for i, s := range f.Statuses {
			vals[i] = string(s)
		}
		add(in("s.status", len(vals)), vals...)
	}
	if len(f.Criticalities) > 0 {
		vals := make([]any, len(f.Criticalities))
		for i, c := range f.Criticalities {
			vals[i] = string(c)
		}
		add(in("s.criticality", len(vals)), vals...)
	}
	if f.OwnerID != 0 {
		add("s.owner_id = ?", f.OwnerID)
	}
	if f.SupportGroupID != 0 {
		add("s.support_group_id = ?", f.SupportGroupID)
	}
	if f.CustomerID != 0 {
		add(`(NOT EXISTS (SELECT 1 FROM service_customers sc WHERE sc.service_id = s.id)
			OR EXISTS (SELECT 1 FROM service_customers sc WHERE sc.service_id = s.id AND sc.customer_id = ?))`, f.CustomerID)
	}
	if f.CostMin != nil {
		add("s.cost_per_month >= ?", int64(*f.CostMin))
	}
	if f.CostMax != nil {
		add("s.cost_per_month <= ?", int64(*f.CostMax))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		// Both sides through the database's lower(), which may fold fewer
		// letters than Go's.
		esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q)
		add(`lower(s.name) LIKE lower(?) ESCAPE '\'`, "%"+esc+"%")
	}
	return where, args
}
