package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/jobs"
	"steward/internal/kpi"
	"steward/internal/store"
)

// Periods a KPI is measured over.
var Periods = []string{"day", "week", "month"}

// Definition is a KPI: a registered metric narrowed by a filter, measured
// per period against a target.
type Definition struct {
	ID     int64      `json:"id"`
	Key    string     `json:"key"`
	Title  string     `json:"title"`
	Metric string     `json:"metric"`
	Filter kpi.Filter `json:"filter"`
	Period string     `json:"period"`
	Target *float64   `json:"target"`
	// HigherIsBetter is the metric's own unless the definition overrides it.
	HigherIsBetter bool `json:"higher_is_better"`
	// PerCustomer computes the KPI for each customer too, so it may appear
	// on customers' dashboards with their own figures.
	PerCustomer bool      `json:"per_customer"`
	Unit        string    `json:"unit"`
	Process     string    `json:"process"`
	Version     int       `json:"version"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	// Latest is the newest snapshot over all customers, nil before the
	// first computation.
	Latest *Snapshot `json:"latest"`
}

// Met reports whether snapshot sn meets the definition's target; nil
// without a target or a figure.
func (d Definition) Met(sn *Snapshot) *bool {
	if d.Target == nil || sn == nil || sn.NoData() {
		return nil
	}
	ok := sn.Value >= *d.Target
	if !d.HigherIsBetter {
		ok = sn.Value <= *d.Target
	}
	return &ok
}

// Headline is the definition that stands for metric on its own: the one
// Steward ships for it when it is kept unnarrowed, else the first kept
// over all records; nil when every definition of it is narrowed.
func Headline(defs []Definition, metric string) *Definition {
	var first *Definition
	for i := range defs {
		d := &defs[i]
		if d.Metric != metric || len(d.Filter) > 0 {
			continue
		}
		for _, sh := range shippedKPIs {
			if sh.key == d.Key && sh.metric == metric {
				return d
			}
		}
		if first == nil {
			first = d
		}
	}
	return first
}

// Input creates a definition or, with nil fields left alone, changes one.
type Input struct {
	Key            *string     `json:"key"`
	Title          *string     `json:"title"`
	Metric         *string     `json:"metric"`
	Filter         *kpi.Filter `json:"filter"`
	Period         *string     `json:"period"`
	Target         *float64    `json:"target"`
	NoTarget       bool        `json:"no_target"`
	HigherIsBetter *bool       `json:"higher_is_better"`
	PerCustomer    *bool       `json:"per_customer"`
}

// MaxDefinitions bounds the definitions kept, and so each run of the job.
const MaxDefinitions = 200

const defCols = `id, key, title, metric, filter, period, target, higher_is_better, per_customer, version, created_at, updated_at FROM kpi_definitions`

func scanDef(row interface{ Scan(...any) error }) (Definition, error) {
	var d Definition
	var filter string
	var cr, up store.Time
	if err := row.Scan(&d.ID, &d.Key, &d.Title, &d.Metric, &filter, &d.Period, &d.Target, &d.HigherIsBetter, &d.PerCustomer,
		&d.Version, &cr, &up); err != nil {
		return d, store.ScanErr(err)
	}
	d.CreatedAt, d.UpdatedAt = cr.Time, up.Time
	if err := json.Unmarshal([]byte(filter), &d.Filter); err != nil || d.Filter == nil {
		d.Filter = kpi.Filter{}
	}
	if m, ok := kpi.Get(d.Metric); ok {
		d.Unit, d.Process = m.Unit, m.Process
	}
	return d, nil
}

// Definitions lists the definitions by title, each with its latest
// snapshot over all customers.
func (s *Service) Definitions(ctx context.Context, q store.Querier) ([]Definition, error) {
	rows, err := q.Query(ctx, "SELECT "+defCols+" ORDER BY title, id LIMIT ?", MaxDefinitions)
	if err != nil {
		return nil, err
	}
	out := []Definition{}
	for rows.Next() {
		d, err := scanDef(rows)
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
		if out[i].Latest, err = s.latest(ctx, q, out[i].ID, 0); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Definition loads one by key.
func (s *Service) Definition(ctx context.Context, q store.Querier, key string) (Definition, error) {
	d, err := scanDef(q.QueryRow(ctx, "SELECT "+defCols+" WHERE key = ?", key))
	if err != nil {
		return d, err
	}
	d.Latest, err = s.latest(ctx, q, d.ID, 0)
	return d, err
}

var keyPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// slug makes a key from a title: "P1 within SLA" -> "p1-within-sla".
func slug(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 60 {
			break
		}
	}
	return strings.Trim(b.String(), "-")
}

func apply(d *Definition, in Input, isNew bool) {
	if in.Key != nil {
		d.Key = strings.TrimSpace(*in.Key)
	}
	if in.Title != nil {
		d.Title = strings.TrimSpace(*in.Title)
	}
	if isNew && d.Key == "" {
		d.Key = slug(d.Title)
	}
	metricChanged := false
	if in.Metric != nil {
		metricChanged = d.Metric != strings.TrimSpace(*in.Metric)
		d.Metric = strings.TrimSpace(*in.Metric)
	}
	if in.Filter != nil {
		d.Filter = kpi.Filter{}
		for k, v := range *in.Filter {
			d.Filter[k] = v
		}
	}
	if in.Period != nil {
		d.Period = strings.TrimSpace(*in.Period)
	}
	if in.NoTarget {
		d.Target = nil
	} else if in.Target != nil {
		t := *in.Target
		d.Target = &t
	}
	m, known := kpi.Get(d.Metric)
	switch {
	case in.HigherIsBetter != nil:
		d.HigherIsBetter = *in.HigherIsBetter
	case known && (isNew || metricChanged):
		d.HigherIsBetter = m.HigherIsBetter
	}
	if in.PerCustomer != nil {
		d.PerCustomer = *in.PerCustomer
	}
}

// check validates a definition: its metric is registered, its filter
// names only fields the metric may be narrowed by and records that
// exist.
func check(ctx context.Context, q store.Querier, d Definition) error {
	v := domainerr.NewInvalid()
	domainerr.Text(v, "title", d.Title, true, domainerr.MaxName)
	if !keyPattern.MatchString(d.Key) {
		v.Add("key", "must be 1 to 63 lower-case letters, digits, dots, dashes or underscores, starting with a letter or digit")
	}
	m, ok := kpi.Get(d.Metric)
	if !ok {
		v.Add("metric", "must be one of the measures listed (GET /api/v1/kpis)")
	}
	if !slices.Contains(Periods, d.Period) {
		v.Add("period", "must be day, week or month")
	}
	if d.Target != nil && (math.IsNaN(*d.Target) || math.IsInf(*d.Target, 0)) {
		v.Add("target", "must be a number")
	}
	if ok && d.Target != nil && m.Unit == "%" && (*d.Target < 0 || *d.Target > 100) {
		v.Add("target", "is a percentage: from 0 to 100")
	}
	for field, val := range d.Filter {
		name := "filter." + field
		if !slices.Contains(kpi.Fields, field) {
			v.Add(name, "there is no field %q to filter by; use customer, service, priority or group", field)
			continue
		}
		if ok && !m.Supports(field) {
			v.Add(name, "%s cannot be narrowed by %s; it may be by %s", m.Title, field, orNone(m.Filters))
			continue
		}
		if err := checkFilterValue(ctx, q, v, name, field, val); err != nil {
			return err
		}
	}
	if d.PerCustomer && ok && !m.Supports("customer") {
		v.Add("per_customer", "%s cannot be narrowed by customer, so it cannot be shown to customers", m.Title)
	}
	if d.PerCustomer && d.Filter["customer"] != 0 {
		v.Add("per_customer", "a KPI narrowed to one customer cannot also be computed for each customer")
	}
	return v.Err()
}

func orNone(fields []string) string {
	if len(fields) == 0 {
		return "nothing"
	}
	return strings.Join(fields, ", ")
}

func checkFilterValue(ctx context.Context, q store.Querier, v *domainerr.Invalid, name, field string, val int64) error {
	table := map[string]string{"customer": "customers", "service": "services", "group": "support_groups"}[field]
	if field == "priority" {
		if val < 1 || val > 5 {
			v.Add(name, "must be a priority from 1 to 5")
		}
		return nil
	}
	var n int
	if err := q.QueryRow(ctx, "SELECT COUNT(*) FROM "+table+" WHERE id = ?", val).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		v.Add(name, "no %s with id %d", field, val)
	}
	return nil
}

func filterJSON(f kpi.Filter) string {
	if len(f) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(f)
	return string(b)
}

// CreateDefinition adds a KPI and asks for its figures to be computed
// soon.
func (s *Service) CreateDefinition(ctx context.Context, actor audit.Actor, in Input) (Definition, error) {
	d := Definition{Period: "month", Filter: kpi.Filter{}}
	apply(&d, in, true)
	now := s.now()
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := check(ctx, tx, d); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM kpi_definitions").Scan(&n); err != nil {
			return err
		}
		if n >= MaxDefinitions {
			return domainerr.Conflictf("there are %d KPI definitions already, the most kept; remove one first", n)
		}
		err := tx.QueryRow(ctx, `INSERT INTO kpi_definitions (key, title, metric, filter, period, target, higher_is_better, per_customer,
			created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, d.Key, d.Title, d.Metric, filterJSON(d.Filter),
			d.Period, d.Target, d.HigherIsBetter, d.PerCustomer, store.TS(now), store.TS(now)).Scan(&d.ID)
		if err != nil {
			err = store.Translate(store.ScanErr(err))
			if errors.Is(err, store.ErrConflict) {
				return domainerr.Field("key", "another KPI has the key %q", d.Key)
			}
			return err
		}
		d.Version = 1
		if err := s.recordVersion(ctx, tx, d, now); err != nil {
			return err
		}
		if err := jobs.EnqueueEarliest(ctx, tx, SnapshotJob, "soon", now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "create", "kpi_definition", d.ID, auditOf(d))
	})
	if err != nil {
		return Definition{}, err
	}
	return s.Definition(ctx, s.DB, d.Key)
}

// UpdateDefinition changes a KPI. A change to what it measures (metric,
// filter, period, target, direction, customers) starts a new version: the
// open period is computed again under it, closed periods keep the version
// they were computed with. ifVersion, when not 0, must be the version the
// caller saw.
func (s *Service) UpdateDefinition(ctx context.Context, actor audit.Actor, key string, in Input, ifVersion int) (Definition, error) {
	now := s.now()
	var out Definition
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		d, err := scanDef(tx.QueryRow(ctx, "SELECT "+defCols+" WHERE key = ?", key))
		if err != nil {
			return err
		}
		if ifVersion != 0 && ifVersion != d.Version {
			return domainerr.ErrStale
		}
		before := d
		apply(&d, in, false)
		if d.Key != before.Key {
			return domainerr.Field("key", "cannot be changed; it names the KPI in dashboards, reports and the API")
		}
		if err := check(ctx, tx, d); err != nil {
			return err
		}
		if sameMeaning(before, d) {
			out = before
			return nil
		}
		res, err := tx.Exec(ctx, `UPDATE kpi_definitions SET title = ?, metric = ?, filter = ?, period = ?, target = ?, higher_is_better = ?,
			per_customer = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`, d.Title, d.Metric, filterJSON(d.Filter),
			d.Period, d.Target, d.HigherIsBetter, d.PerCustomer, store.TS(now), d.ID, before.Version)
		if err != nil {
			return store.Translate(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return domainerr.ErrStale
		}
		d.Version = before.Version + 1
		if err := s.recordVersion(ctx, tx, d, now); err != nil {
			return err
		}
		// The open periods' figures were of the old version; closed ones
		// stay as they were computed.
		if _, err := tx.Exec(ctx, "DELETE FROM kpi_snapshots WHERE definition_id = ? AND closed = ?", d.ID, false); err != nil {
			return err
		}
		if err := jobs.EnqueueEarliest(ctx, tx, SnapshotJob, "soon", now); err != nil {
			return err
		}
		out = d
		return audit.Record(ctx, tx, actor, "update", "kpi_definition", d.ID, auditOf(d))
	})
	if err != nil {
		return Definition{}, err
	}
	return s.Definition(ctx, s.DB, out.Key)
}

func sameMeaning(a, b Definition) bool {
	ta, tb := a.Target != nil, b.Target != nil
	return a.Title == b.Title && a.Metric == b.Metric && filterJSON(a.Filter) == filterJSON(b.Filter) && a.Period == b.Period &&
		ta == tb && (!ta || *a.Target == *b.Target) && a.HigherIsBetter == b.HigherIsBetter && a.PerCustomer == b.PerCustomer
}

func (s *Service) recordVersion(ctx context.Context, tx *store.Tx, d Definition, at time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO kpi_definition_versions (definition_id, version, title, metric, filter, period, target,
		higher_is_better, per_customer, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.ID, d.Version, d.Title, d.Metric,
		filterJSON(d.Filter), d.Period, d.Target, d.HigherIsBetter, d.PerCustomer, store.TS(at))
	return err
}

// DeleteDefinition removes a KPI with its snapshots and tiles.
func (s *Service) DeleteDefinition(ctx context.Context, actor audit.Actor, key string) error {
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		d, err := scanDef(tx.QueryRow(ctx, "SELECT "+defCols+" WHERE key = ?", key))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM kpi_definitions WHERE id = ?", d.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "delete", "kpi_definition", d.ID, auditOf(d))
	})
}

// Version is what a definition measured from one change to the next.
type Version struct {
	Version        int        `json:"version"`
	Title          string     `json:"title"`
	Metric         string     `json:"metric"`
	Filter         kpi.Filter `json:"filter"`
	Period         string     `json:"period"`
	Target         *float64   `json:"target"`
	HigherIsBetter bool       `json:"higher_is_better"`
	PerCustomer    bool       `json:"per_customer"`
	ChangedAt      time.Time  `json:"changed_at"`
}

// Versions lists a definition's versions, newest first.
func (s *Service) Versions(ctx context.Context, q store.Querier, id int64) ([]Version, error) {
	rows, err := q.Query(ctx, `SELECT version, title, metric, filter, period, target, higher_is_better, per_customer, changed_at
		FROM kpi_definition_versions WHERE definition_id = ? ORDER BY version DESC LIMIT 100`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Version{}
	for rows.Next() {
		var v Version
		var filter string
		var at store.Time
		if err := rows.Scan(&v.Version, &v.Title, &v.Metric, &filter, &v.Period, &v.Target, &v.HigherIsBetter, &v.PerCustomer, &at); err != nil {
			return nil, err
		}
		_ = json.Unmarshal([]byte(filter), &v.Filter)
		v.ChangedAt = at.Time
		out = append(out, v)
	}
	return out, rows.Err()
}

func auditOf(d Definition) map[string]any {
	return map[string]any{"key": d.Key, "title": d.Title, "metric": d.Metric, "filter": d.Filter, "period": d.Period,
		"target": d.Target, "higher_is_better": d.HigherIsBetter, "per_customer": d.PerCustomer, "version": d.Version}
}
