package sms

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// ScopeVersion is one saved version of the SMS's scope statement (4.3).
// Every save makes a new version; an approved version replaces the one in
// force, and drafts wait for approval.
type ScopeVersion struct {
	Number       int            `json:"number"`
	Statement    string         `json:"statement"`
	ServiceIDs   []int64        `json:"service_ids"`
	Services     []ScopeService `json:"services"`
	Units        string         `json:"units"`
	Locations    string         `json:"locations"`
	Parties      string         `json:"parties"`
	Exclusions   string         `json:"exclusions"`
	CreatedByID  int64          `json:"created_by,omitempty"`
	CreatedBy    string         `json:"created_by_name,omitempty"`
	CreatedAt    time.Time      `json:"created_at"`
	ApprovedByID int64          `json:"approved_by,omitempty"`
	ApprovedBy   string         `json:"approved_by_name,omitempty"`
	ApprovedAt   *time.Time     `json:"approved_at"`
	Changes      []string       `json:"changes"`
	id           int64
}

// ScopeService is a catalogue service a scope version covers.
type ScopeService struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Approved reports whether the version was approved.
func (v ScopeVersion) Approved() bool { return v.ApprovedAt != nil }

// ScopeInput is a new version of the scope. BasedOn, when not 0, is the
// newest version number the author saw: someone else's later save makes
// this one stale rather than silently replacing it.
type ScopeInput struct {
	Statement  string  `json:"statement"`
	ServiceIDs []int64 `json:"service_ids"`
	Units      string  `json:"units"`
	Locations  string  `json:"locations"`
	Parties    string  `json:"parties"`
	Exclusions string  `json:"exclusions"`
	BasedOn    int     `json:"based_on"`
}

// Scope is the version in force and the draft after it, if any.
type Scope struct {
	InForce *ScopeVersion `json:"in_force"`
	Draft   *ScopeVersion `json:"draft"`
}

// MaxScopeVersions bounds the history a page or answer shows.
const MaxScopeVersions = 200

const scopeCols = `s.id, s.number, s.statement, s.units, s.locations, s.parties, s.exclusions, s.created_by, COALESCE(c.name, ''), s.created_at,
	s.approved_by, COALESCE(a.name, ''), s.approved_at`

const scopeFrom = " FROM scope_statements s LEFT JOIN users c ON c.id = s.created_by LEFT JOIN users a ON a.id = s.approved_by"

func scanScope(row interface{ Scan(...any) error }) (ScopeVersion, error) {
	var v ScopeVersion
	var cr, ap store.Time
	err := row.Scan(&v.id, &v.Number, &v.Statement, &v.Units, &v.Locations, &v.Parties, &v.Exclusions, nullID{&v.CreatedByID}, &v.CreatedBy, &cr,
		nullID{&v.ApprovedByID}, &v.ApprovedBy, &ap)
	if err != nil {
		return v, store.ScanErr(err)
	}
	v.CreatedAt, v.ApprovedAt = cr.Time, ap.Ptr()
	v.ServiceIDs, v.Services, v.Changes = []int64{}, []ScopeService{}, []string{}
	return v, nil
}

// ScopeVersions lists the versions, newest first, each with what changed
// from the one before.
func (s *Service) ScopeVersions(ctx context.Context, q store.Querier) ([]ScopeVersion, error) {
	// One more than shown, so the oldest shown can be compared too.
	rows, err := q.Query(ctx, "SELECT "+scopeCols+scopeFrom+" ORDER BY s.number DESC LIMIT ?", MaxScopeVersions+1)
	if err != nil {
		return nil, err
	}
	out := []ScopeVersion{}
	for rows.Next() {
		v, err := scanScope(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := loadScopeServices(ctx, q, out); err != nil {
		return nil, err
	}
	for i := range out {
		if i+1 < len(out) {
			out[i].Changes = scopeChanges(out[i+1], out[i])
		} else if out[i].Number == 1 {
			out[i].Changes = []string{"first version"}
		}
	}
	if len(out) > MaxScopeVersions {
		out = out[:MaxScopeVersions]
	}
	return out, nil
}

// ScopeVersion loads one version by number.
func (s *Service) ScopeVersion(ctx context.Context, q store.Querier, number int) (ScopeVersion, error) {
	v, err := scanScope(q.QueryRow(ctx, "SELECT "+scopeCols+scopeFrom+" WHERE s.number = ?", number))
	if err != nil {
		return v, err
	}
	list := []ScopeVersion{v}
	if err := loadScopeServices(ctx, q, list); err != nil {
		return v, err
	}
	if prev, err := scanScope(q.QueryRow(ctx, "SELECT "+scopeCols+scopeFrom+" WHERE s.number < ? ORDER BY s.number DESC LIMIT 1", number)); err == nil {
		pl := []ScopeVersion{prev}
		if err := loadScopeServices(ctx, q, pl); err != nil {
			return v, err
		}
		list[0].Changes = scopeChanges(pl[0], list[0])
	} else if !errors.Is(err, store.ErrNotFound) {
		return v, err
	}
	return list[0], nil
}

// CurrentScope is the newest approved version and the newest version
// after it when that one is not approved yet.
func (s *Service) CurrentScope(ctx context.Context) (Scope, error) {
	var sc Scope
	list, err := s.ScopeVersions(ctx, s.DB)
	if err != nil {
		return sc, err
	}
	for i := range list {
		if list[i].Approved() {
			sc.InForce = &list[i]
			break
		}
	}
	if len(list) > 0 && !list[0].Approved() {
		sc.Draft = &list[0]
	}
	return sc, nil
}

func loadScopeServices(ctx context.Context, q store.Querier, list []ScopeVersion) error {
	if len(list) == 0 {
		return nil
	}
	at := map[int64]*ScopeVersion{}
	args := make([]any, len(list))
	for i := range list {
		at[list[i].id] = &list[i]
		args[i] = list[i].id
	}
	rows, err := q.Query(ctx, `SELECT ss.scope_id, sv.id, sv.name FROM scope_services ss JOIN services sv ON sv.id = ss.service_id
		WHERE ss.scope_id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(args)), ",")+`) ORDER BY ss.scope_id, sv.name, sv.id`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var sid int64
		var svc ScopeService
		if err := rows.Scan(&sid, &svc.ID, &svc.Name); err != nil {
			return err
		}
		v := at[sid]
		v.Services = append(v.Services, svc)
		v.ServiceIDs = append(v.ServiceIDs, svc.ID)
	}
	return rows.Err()
}

// scopeChanges says in words what differs from prev to cur.
func scopeChanges(prev, cur ScopeVersion) []string {
	out := []string{}
	for _, f := range []struct{ name, a, b string }{{"statement", prev.Statement, cur.Statement}, {"units", prev.Units, cur.Units},
		{"locations", prev.Locations, cur.Locations}, {"parties", prev.Parties, cur.Parties}, {"exclusions", prev.Exclusions, cur.Exclusions}} {
		if f.a != f.b {
			out = append(out, f.name+" changed")
		}
	}
	had := map[int64]bool{}
	for _, x := range prev.Services {
		had[x.ID] = true
	}
	has := map[int64]bool{}
	for _, x := range cur.Services {
		has[x.ID] = true
		if !had[x.ID] {
			out = append(out, "service added: "+x.Name)
		}
	}
	for _, x := range prev.Services {
		if !has[x.ID] {
			out = append(out, "service removed: "+x.Name)
		}
	}
	if len(out) == 0 {
		out = append(out, "no change")
	}
	return out
}

// MaxScopeServices bounds the services one scope version lists.
const MaxScopeServices = 1000

// SaveScope stores a new version of the scope as a draft.
func (s *Service) SaveScope(ctx context.Context, actor audit.Actor, in ScopeInput) (ScopeVersion, error) {
	for _, p := range []*string{&in.Statement, &in.Units, &in.Locations, &in.Parties, &in.Exclusions} {
		*p = strings.TrimSpace(strings.ReplaceAll(*p, "\r\n", "\n"))
	}
	ids := uniqIDs(in.ServiceIDs)
	var number int
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		v := domainerr.NewInvalid()
		domainerr.Text(v, "statement", in.Statement, true, domainerr.MaxText)
		for f, val := range map[string]string{"units": in.Units, "locations": in.Locations, "parties": in.Parties, "exclusions": in.Exclusions} {
			domainerr.Text(v, f, val, false, domainerr.MaxText)
		}
		if len(ids) > MaxScopeServices {
			v.Add("service_ids", "at most %d services", MaxScopeServices)
		}
		for _, id := range ids {
			if err := exists(ctx, tx, v, "service_ids", "services", "service", id); err != nil {
				return err
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		var latest int
		if err := tx.QueryRow(ctx, "SELECT COALESCE(MAX(number), 0) FROM scope_statements").Scan(&latest); err != nil {
			return err
		}
		if in.BasedOn != 0 && in.BasedOn != latest {
			return domainerr.ErrStale
		}
		number = latest + 1
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO scope_statements (number, statement, units, locations, parties, exclusions, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, number, in.Statement, in.Units, in.Locations, in.Parties, in.Exclusions,
			actor.UserID(), store.TS(s.now())).Scan(&id); err != nil {
			return store.ScanErr(err)
		}
		for _, sid := range ids {
			if _, err := tx.Exec(ctx, "INSERT INTO scope_services (scope_id, service_id) VALUES (?, ?)", id, sid); err != nil {
				return store.Translate(err)
			}
		}
		return audit.Record(ctx, tx, actor, "create", "scope_statement", number, map[string]any{"number": number, "statement": in.Statement,
			"service_ids": ids, "units": in.Units, "locations": in.Locations, "parties": in.Parties, "exclusions": in.Exclusions})
	})
	if err != nil {
		return ScopeVersion{}, err
	}
	return s.ScopeVersion(ctx, s.DB, number)
}

// ApproveScope approves a draft version, which then is in force. A version
// older than the one in force may not be approved: it would never be.
func (s *Service) ApproveScope(ctx context.Context, actor audit.Actor, number int) (ScopeVersion, error) {
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		v, err := s.ScopeVersion(ctx, tx, number)
		if err != nil {
			return err
		}
		if v.Approved() {
			return domainerr.Conflictf("version %d is already approved", number)
		}
		var newer int
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM scope_statements WHERE number > ? AND approved_at IS NOT NULL", number).Scan(&newer); err != nil {
			return err
		}
		if newer > 0 {
			return domainerr.Conflictf("a later version is already in force; version %d can no longer be approved", number)
		}
		res, err := tx.Exec(ctx, "UPDATE scope_statements SET approved_by = ?, approved_at = ? WHERE number = ? AND approved_at IS NULL",
			actor.UserID(), store.TS(s.now()), number)
		if err != nil {
			return store.Translate(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return domainerr.ErrStale
		}
		return audit.Record(ctx, tx, actor, "approve", "scope_statement", number, map[string]any{"number": number})
	})
	if err != nil {
		return ScopeVersion{}, err
	}
	return s.ScopeVersion(ctx, s.DB, number)
}

func uniqIDs(ids []int64) []int64 {
	out := append([]int64{}, ids...)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	n := 0
	for i, x := range out {
		if i == 0 || x != out[n-1] {
			out[n] = x
			n++
		}
	}
	return out[:n]
}
