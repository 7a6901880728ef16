// Package servicereport keeps the service reports the organisation has
// agreed to produce (ISO/IEC 20000-1 clause 9.4): what each holds, for
// whom, how often and who owns it, and the record of each one produced,
// which moves the next one's due date on.
package servicereport

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Service keeps the definitions and their runs.
type Service struct {
	DB  *store.DB
	Now func() time.Time // the clock; time.Now when nil
}

// NewService builds the service on db.
func NewService(db *store.DB) *Service { return &Service{DB: db} }

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

const dateOnly = "2006-01-02"

// Frequencies lists how often a report is produced.
var Frequencies = []string{"weekly", "monthly", "quarterly", "yearly"}

// After is the date one period of freq after d. Months are counted on
// the calendar: a report due on 31 January is next due on 28 (or 29)
// February, not in March.
func After(d time.Time, freq string) time.Time {
	months := 1
	switch freq {
	case "weekly":
		return d.AddDate(0, 0, 7)
	case "quarterly":
		months = 3
	case "yearly":
		months = 12
	}
	first := time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, d.Location()).AddDate(0, months, 0)
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(d.Day(), last)-1)
}

// Definition is a report the organisation has agreed to produce.
type Definition struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Content   string    `json:"content"`
	Audience  string    `json:"audience"`
	Frequency string    `json:"frequency"`
	Source    string    `json:"source"`
	OwnerID   *int64    `json:"owner_id"`
	OwnerName string    `json:"owner_name"`
	NextDue   string    `json:"next_due"`
	Overdue   bool      `json:"overdue"`
	LastRun   *Run      `json:"last_run"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Version   int       `json:"version"`
	Scheduled
}

// Run is one report produced.
type Run struct {
	ID             int64     `json:"id"`
	DefinitionID   int64     `json:"definition_id"`
	PeriodFrom     string    `json:"period_from"`
	PeriodTo       string    `json:"period_to"`
	ProducedBy     *int64    `json:"produced_by"`
	ProducedByName string    `json:"produced_by_name"`
	ProducedAt     time.Time `json:"produced_at"`
	Link           string    `json:"link"`
	Note           string    `json:"note"`
	// A report produced on schedule: for one customer (nil: for staff),
	// and its file, downloadable from the run.
	CustomerID *int64 `json:"customer_id"`
	FileName   string `json:"file_name,omitempty"`
	FileType   string `json:"file_type,omitempty"`
	FileSize   int    `json:"file_size,omitempty"`
}

// Input creates a definition or, with nil fields left alone, changes one.
type Input struct {
	Name      *string `json:"name"`
	Content   *string `json:"content"`
	Audience  *string `json:"audience"`
	Frequency *string `json:"frequency"`
	Source    *string `json:"source"`
	OwnerID   *int64  `json:"owner_id"`
	NextDue   *string `json:"next_due"`
	ScheduledInput
}

// RunInput records a report produced.
type RunInput struct {
	PeriodFrom string `json:"period_from"`
	PeriodTo   string `json:"period_to"`
	Link       string `json:"link"`
	Note       string `json:"note"`
}

const defCols = `d.id, d.name, d.content, d.audience, d.frequency, d.source, d.owner_id, COALESCE(u.name, ''), d.next_due,
	d.created_at, d.updated_at, d.version, d.kpis, d.tables, d.audience_users, d.audience_roles, d.audience_customers, d.format
	FROM report_definitions d LEFT JOIN users u ON u.id = d.owner_id`

func (s *Service) scanDef(row interface{ Scan(...any) error }) (Definition, error) {
	var d Definition
	var due *string
	var cr, up store.Time
	var sc scheduledCols
	err := row.Scan(append([]any{&d.ID, &d.Name, &d.Content, &d.Audience, &d.Frequency, &d.Source, &d.OwnerID, &d.OwnerName, &due, &cr, &up,
		&d.Version}, sc.dest()...)...)
	if err != nil {
		return d, store.ScanErr(err)
	}
	d.Scheduled = sc.decode()
	if due != nil {
		d.NextDue = *due
	}
	d.CreatedAt, d.UpdatedAt = cr.Time, up.Time
	d.Overdue = d.NextDue != "" && d.NextDue < s.now().Format(dateOnly)
	return d, nil
}

// Get loads a definition with its latest run.
func (s *Service) Get(ctx context.Context, q store.Querier, id int64) (Definition, error) {
	d, err := s.scanDef(q.QueryRow(ctx, "SELECT "+defCols+" WHERE d.id = ?", id))
	if err != nil {
		return d, err
	}
	runs, err := s.Runs(ctx, q, id, 1)
	if len(runs) > 0 {
		d.LastRun = &runs[0]
	}
	return d, err
}

// MaxList bounds lists of definitions and of runs.
const MaxList = 200

// List lists the definitions, soonest due first, each with its latest run.
func (s *Service) List(ctx context.Context) ([]Definition, error) {
	rows, err := s.DB.Query(ctx, "SELECT "+defCols+" ORDER BY d.next_due IS NULL, d.next_due, d.name, d.id LIMIT ?", MaxList)
	if err != nil {
		return nil, err
	}
	out := []Definition{}
	for rows.Next() {
		d, err := s.scanDef(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		runs, err := s.Runs(ctx, s.DB, out[i].ID, 1)
		if err != nil {
			return nil, err
		}
		if len(runs) > 0 {
			out[i].LastRun = &runs[0]
		}
	}
	return out, nil
}

// Runs lists a definition's runs, latest first, at most limit.
func (s *Service) Runs(ctx context.Context, q store.Querier, defID int64, limit int) ([]Run, error) {
	if limit <= 0 || limit > MaxList {
		limit = MaxList
	}
	rows, err := q.Query(ctx, `SELECT r.id, r.definition_id, r.period_from, r.period_to, r.produced_by, COALESCE(u.name, ''), r.produced_at,
		r.link, r.note, r.customer_id, r.file_name, r.file_type, r.file_size FROM report_runs r LEFT JOIN users u ON u.id = r.produced_by WHERE r.definition_id = ?
		ORDER BY r.produced_at DESC, r.id DESC LIMIT ?`, defID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Run{}
	for rows.Next() {
		var r Run
		var at store.Time
		if err := rows.Scan(&r.ID, &r.DefinitionID, &r.PeriodFrom, &r.PeriodTo, &r.ProducedBy, &r.ProducedByName, &at, &r.Link, &r.Note,
			&r.CustomerID, &r.FileName, &r.FileType, &r.FileSize); err != nil {
			return nil, err
		}
		r.ProducedAt = at.Time
		out = append(out, r)
	}
	return out, rows.Err()
}

// Create adds a definition.
func (s *Service) Create(ctx context.Context, actor audit.Actor, in Input) (Definition, error) {
	d := Definition{Frequency: "monthly"}
	v := domainerr.NewInvalid()
	if in.Name == nil {
		v.Add("name", "is required")
	}
	if in.OwnerID == nil {
		v.Add("owner_id", "is required")
	}
	if err := v.Err(); err != nil {
		return d, err
	}
	apply(&d, in)
	now := s.now()
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := check(ctx, tx, d); err != nil {
			return err
		}
		sc := encodeScheduled(d.Scheduled)
		err := tx.QueryRow(ctx, `INSERT INTO report_definitions (name, content, audience, frequency, source, owner_id, next_due, created_at, updated_at,
			kpis, tables, audience_users, audience_roles, audience_customers, format)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, append([]any{d.Name, d.Content, d.Audience, d.Frequency, d.Source,
			d.OwnerID, store.OptDate(d.NextDue), store.TS(now), store.TS(now)}, sc...)...).Scan(&d.ID)
		if err != nil {
			return store.Translate(store.ScanErr(err))
		}
		return audit.Record(ctx, tx, actor, "create", "report_definition", d.ID, auditOf(d))
	})
	if err != nil {
		return Definition{}, err
	}
	return s.Get(ctx, s.DB, d.ID)
}

// Update changes the fields in given; ifVersion, when not 0, must be the
// version the caller saw.
func (s *Service) Update(ctx context.Context, actor audit.Actor, id int64, in Input, ifVersion int) (Definition, error) {
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		d, err := s.scanDef(tx.QueryRow(ctx, "SELECT "+defCols+" WHERE d.id = ?", id))
		if err != nil {
			return err
		}
		if ifVersion != 0 && ifVersion != d.Version {
			return domainerr.ErrStale
		}
		apply(&d, in)
		if err := check(ctx, tx, d); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE report_definitions SET name = ?, content = ?, audience = ?, frequency = ?, source = ?, owner_id = ?,
			next_due = ?, updated_at = ?, kpis = ?, tables = ?, audience_users = ?, audience_roles = ?, audience_customers = ?, format = ?,
			version = version + 1 WHERE id = ? AND version = ?`, append(append([]any{d.Name, d.Content, d.Audience, d.Frequency,
			d.Source, d.OwnerID, store.OptDate(d.NextDue), store.TS(s.now())}, encodeScheduled(d.Scheduled)...), id, d.Version)...)
		if err != nil {
			return store.Translate(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return domainerr.ErrStale
		}
		return audit.Record(ctx, tx, actor, "update", "report_definition", id, auditOf(d))
	})
	if err != nil {
		return Definition{}, err
	}
	return s.Get(ctx, s.DB, id)
}

// Produce records a report produced for [period_from, period_to] and
// moves the next due date on by the frequency (from the due date, or from
// the period's end when none was set). ifVersion, when not 0, must be the
// definition's version the caller saw.
func (s *Service) Produce(ctx context.Context, actor audit.Actor, defID int64, in RunInput, ifVersion int) (Run, error) {
	var run Run
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		d, err := s.scanDef(tx.QueryRow(ctx, "SELECT "+defCols+" WHERE d.id = ?", defID))
		if err != nil {
			return err
		}
		if ifVersion != 0 && ifVersion != d.Version {
			return domainerr.ErrStale
		}
		in.PeriodFrom, in.PeriodTo = strings.TrimSpace(in.PeriodFrom), strings.TrimSpace(in.PeriodTo)
		in.Link, in.Note = strings.TrimSpace(in.Link), strings.TrimSpace(in.Note)
		v := domainerr.NewInvalid()
		from, ferr := time.Parse(dateOnly, in.PeriodFrom)
		if ferr != nil {
			v.Add("period_from", "must be a date such as 2026-11-01")
		}
		to, terr := time.Parse(dateOnly, in.PeriodTo)
		if terr != nil {
			v.Add("period_to", "must be a date such as 2026-11-30")
		}
		if ferr == nil && terr == nil && to.Before(from) {
			v.Add("period_to", "must not be before the period's start")
		}
		checkLink(v, in.Link)
		domainerr.Text(v, "note", in.Note, false, domainerr.MaxText)
		if err := v.Err(); err != nil {
			return err
		}
		now := s.now()
		err = tx.QueryRow(ctx, `INSERT INTO report_runs (definition_id, period_from, period_to, produced_by, produced_at, link, note)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, defID, in.PeriodFrom, in.PeriodTo, actor.UserID(), store.TS(now), in.Link, in.Note).Scan(&run.ID)
		if err != nil {
			return store.Translate(store.ScanErr(err))
		}
		base := to
		if due, err := time.Parse(dateOnly, d.NextDue); err == nil {
			base = due
		}
		next := After(base, d.Frequency).Format(dateOnly)
		res, err := tx.Exec(ctx, "UPDATE report_definitions SET next_due = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?",
			next, store.TS(now), defID, d.Version)
		if err != nil {
			return store.Translate(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return domainerr.ErrStale
		}
		return audit.Record(ctx, tx, actor, "produce", "report_definition", defID, map[string]any{"run_id": run.ID,
			"period_from": in.PeriodFrom, "period_to": in.PeriodTo, "link": in.Link, "next_due": next})
	})
	if err != nil {
		return Run{}, err
	}
	runs, err := s.Runs(ctx, s.DB, defID, 1)
	if err != nil || len(runs) == 0 {
		return run, err
	}
	return runs[0], nil
}

// checkLink accepts a web address or a path within Steward.
func checkLink(v *domainerr.Invalid, link string) {
	if link == "" {
		return
	}
	domainerr.Text(v, "link", link, false, 1000)
	if v.Has("link") {
		return
	}
	u, err := url.Parse(link)
	ok := err == nil && ((u.Scheme == "https" || u.Scheme == "http") && u.Host != "" ||
		u.Scheme == "" && u.Host == "" && strings.HasPrefix(link, "/") && !strings.HasPrefix(link, "//"))
	if !ok {
		v.Add("link", "must be a web address (https://...) or a page of Steward (/...)")
	}
}

func apply(d *Definition, in Input) {
	text := func(dst, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	text(&d.Name, in.Name)
	text(&d.Content, in.Content)
	text(&d.Audience, in.Audience)
	text(&d.Frequency, in.Frequency)
	text(&d.Source, in.Source)
	text(&d.NextDue, in.NextDue)
	if in.OwnerID != nil {
		id := *in.OwnerID
		d.OwnerID = &id
	}
	applyScheduled(&d.Scheduled, in.ScheduledInput)
}

func check(ctx context.Context, q store.Querier, d Definition) error {
	v := domainerr.NewInvalid()
	domainerr.Text(v, "name", d.Name, true, domainerr.MaxName)
	domainerr.Text(v, "content", d.Content, false, domainerr.MaxText)
	domainerr.Text(v, "audience", d.Audience, false, domainerr.MaxName)
	domainerr.Text(v, "source", d.Source, false, domainerr.MaxName)
	if !slices.Contains(Frequencies, d.Frequency) {
		v.Add("frequency", "must be weekly, monthly, quarterly or yearly")
	}
	if d.NextDue != "" {
		if _, err := time.Parse(dateOnly, d.NextDue); err != nil {
			v.Add("next_due", "must be a date such as 2026-12-31")
		}
	}
	if d.OwnerID == nil || *d.OwnerID <= 0 {
		v.Add("owner_id", "is required: every report has an owner")
	} else {
		var n int
		if err := q.QueryRow(ctx, "SELECT COUNT(*) FROM users WHERE id = ? AND active = ? AND role <> 'requester'", *d.OwnerID, true).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			v.Add("owner_id", "no active member of staff with id %d", *d.OwnerID)
		}
	}
	if err := checkScheduled(ctx, q, v, d); err != nil {
		return err
	}
	return v.Err()
}

func auditOf(d Definition) map[string]any {
	return map[string]any{"name": d.Name, "audience": d.Audience, "frequency": d.Frequency, "owner_id": d.OwnerID, "next_due": d.NextDue,
		"format": d.Format, "kpis": d.KPIs, "tables": d.Tables, "audience_users": d.AudienceUsers, "audience_roles": d.AudienceRoles,
		"audience_customers": d.AudienceCustomers}
}
