package capacity

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

const seriesCols = `SELECT s.id, s.ci_id, s.service_id, COALESCE(c.name, v.name, ''), s.metric, s.unit,
	s.warn_at, s.warn_action, s.act_at, s.act_action, s.source_url, s.source_query, s.source_step,
	s.polled_until, s.poll_error,
	(SELECT MAX(l.at) FROM capacity_samples l WHERE l.series_id = s.id),
	(SELECT l.value FROM capacity_samples l WHERE l.series_id = s.id ORDER BY l.at DESC LIMIT 1),
	s.created_at, s.updated_at, s.version
	FROM capacity_series s
	LEFT JOIN cis c ON c.id = s.ci_id
	LEFT JOIN services v ON v.id = s.service_id`

func scanSeries(row interface{ Scan(...any) error }) (Series, error) {
	var s Series
	var polled, lastAt sql.NullInt64
	var created, updated store.Time
	err := row.Scan(&s.ID, &s.CIID, &s.ServiceID, &s.Subject, &s.Metric, &s.Unit, &s.WarnAt, &s.WarnAction,
		&s.ActAt, &s.ActAction, &s.SourceURL, &s.SourceQuery, &s.SourceStep, &polled, &s.PollError,
		&lastAt, &s.LastValue, &created, &updated, &s.Version)
	if err != nil {
		return s, store.ScanErr(err)
	}
	s.PolledUntil, s.LastAt = unixPtr(polled), unixPtr(lastAt)
	s.CreatedAt, s.UpdatedAt = created.Time, updated.Time
	return s, nil
}

func unixPtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := time.Unix(v.Int64, 0).UTC()
	return &t
}

func getSeries(ctx context.Context, q store.Querier, id int64) (Series, error) {
	return scanSeries(q.QueryRow(ctx, seriesCols+" WHERE s.id = ?", id))
}

// Get loads one series.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id int64) (Series, error) {
	if !p.Can(PermRead) {
		return Series{}, domainerr.ErrForbidden
	}
	return getSeries(ctx, s.DB, id)
}

// Filter narrows the list of series.
type Filter struct {
	CIID      int64
	ServiceID int64
	Metric    string
	// After is the last id of the previous page.
	After int64
	Limit int
}

// MaxLimit caps one list of series.
const MaxLimit = 1000

// List returns series in id order, a page at a time.
func (s *Service) List(ctx context.Context, p *auth.Principal, f Filter) ([]Series, error) {
	if !p.Can(PermRead) {
		return nil, domainerr.ErrForbidden
	}
	return listSeries(ctx, s.DB, f)
}

func listSeries(ctx context.Context, q store.Querier, f Filter) ([]Series, error) {
	if f.Limit <= 0 {
		f.Limit = 200
	}
	if f.Limit > MaxLimit {
		return nil, domainerr.Field("limit", "must be at most %d", MaxLimit)
	}
	where, args := []string{"s.id > ?"}, []any{f.After}
	if f.CIID != 0 {
		where, args = append(where, "s.ci_id = ?"), append(args, f.CIID)
	}
	if f.ServiceID != 0 {
		where, args = append(where, "s.service_id = ?"), append(args, f.ServiceID)
	}
	if f.Metric != "" {
		where, args = append(where, "s.metric = ?"), append(args, f.Metric)
	}
	rows, err := q.Query(ctx, seriesCols+" WHERE "+strings.Join(where, " AND ")+" ORDER BY s.id LIMIT ?", append(args, f.Limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Series{}
	for rows.Next() {
		sr, err := scanSeries(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sr)
	}
	return out, rows.Err()
}

// NewSeries declares a series before its first sample, for instance to
// give it thresholds or a Prometheus source. Samples sent for a subject
// and metric without a series create it.
type NewSeries struct {
	CIID      *int64 `json:"ci_id"`
	ServiceID *int64 `json:"service_id"`
	Metric    string `json:"metric"`
	SeriesPatch
}

// SeriesPatch changes a series' unit, thresholds or source; nil leaves a
// field as it is, and a threshold set to null is sent as ClearWarn or
// ClearAct.
type SeriesPatch struct {
	Unit        *string  `json:"unit"`
	WarnAt      *float64 `json:"warn_at"`
	WarnAction  *string  `json:"warn_action"`
	ActAt       *float64 `json:"act_at"`
	ActAction   *string  `json:"act_action"`
	ClearWarn   bool     `json:"clear_warn"`
	ClearAct    bool     `json:"clear_act"`
	SourceURL   *string  `json:"source_url"`
	SourceQuery *string  `json:"source_query"`
	SourceStep  *int     `json:"source_step_seconds"`
}

// Limits of a series' fields.
const (
	MaxMetric = 100
	MaxUnit   = 20
	MaxAction = 1000
	MaxQuery  = 2000
)

var metricName = regexp.MustCompile(`^[a-z0-9][a-z0-9_.:/-]*$`)

// checkMetric says what is wrong with a metric name, or "".
func checkMetric(m string) string {
	switch {
	case m == "":
		return "is required, such as cpu, storage or devices_connected"
	case len(m) > MaxMetric:
		return "must be at most " + strconv.Itoa(MaxMetric) + " characters"
	case !metricName.MatchString(m):
		return "must be lower-case letters, digits and _ . : / -, starting with a letter or digit"
	}
	return ""
}

// Create declares a series.
func (s *Service) Create(ctx context.Context, p *auth.Principal, in NewSeries) (Series, error) {
	if !p.Can(PermWrite) {
		return Series{}, domainerr.ErrForbidden
	}
	v := domainerr.NewInvalid()
	in.Metric = strings.TrimSpace(in.Metric)
	if msg := checkMetric(in.Metric); msg != "" {
		v.Add("metric", "%s", msg)
	}
	if (in.CIID == nil) == (in.ServiceID == nil) {
		v.Add("ci_id", "give either ci_id or service_id: a series belongs to one CI or one service")
	}
	var out Series
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if in.CIID != nil && !exists(ctx, tx, "cis", *in.CIID) {
			v.Add("ci_id", "CI %d does not exist", *in.CIID)
		}
		if in.ServiceID != nil && !exists(ctx, tx, "services", *in.ServiceID) {
			v.Add("service_id", "service %d does not exist", *in.ServiceID)
		}
		cur := Series{SourceStep: 300}
		s.checkPatch(p, v, &cur, in.SeriesPatch)
		if err := v.Err(); err != nil {
			return err
		}
		now := store.TS(s.now())
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO capacity_series (ci_id, service_id, metric, unit, warn_at, warn_action, act_at,
			act_action, source_url, source_query, source_step, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			RETURNING id`, in.CIID, in.ServiceID, in.Metric, cur.Unit, cur.WarnAt, cur.WarnAction, cur.ActAt, cur.ActAction,
			cur.SourceURL, cur.SourceQuery, cur.SourceStep, now, now).Scan(&id)
		if errors.Is(store.Translate(err), store.ErrConflict) {
			return domainerr.Conflictf("this CI or service already has a series named %s", in.Metric)
		}
		if err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, p.Actor(), "create", "capacity_series", id, in); err != nil {
			return err
		}
		out, err = getSeries(ctx, tx, id)
		return err
	})
	return out, err
}

// Update changes a series' unit, thresholds or source. version, when not
// 0, must be the series' current version.
func (s *Service) Update(ctx context.Context, p *auth.Principal, id int64, pt SeriesPatch, version int) (Series, error) {
	if !p.Can(PermWrite) {
		return Series{}, domainerr.ErrForbidden
	}
	var out Series
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := getSeries(ctx, tx, id)
		if err != nil {
			return err
		}
		if version != 0 && version != cur.Version {
			return domainerr.ErrStale
		}
		v := domainerr.NewInvalid()
		sourceChanged := s.checkPatch(p, v, &cur, pt)
		if err := v.Err(); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE capacity_series SET unit = ?, warn_at = ?, warn_action = ?, act_at = ?, act_action = ?,
			source_url = ?, source_query = ?, source_step = ?, updated_at = ?, version = version + 1 WHERE id = ?`,
			cur.Unit, cur.WarnAt, cur.WarnAction, cur.ActAt, cur.ActAction, cur.SourceURL, cur.SourceQuery, cur.SourceStep,
			store.TS(s.now()), id)
		if err != nil {
			return err
		}
		if sourceChanged { // a new source is read from the start
			if _, err := tx.Exec(ctx, `UPDATE capacity_series SET polled_until = NULL, poll_error = '' WHERE id = ?`, id); err != nil {
				return err
			}
		}
		if err := audit.Record(ctx, tx, p.Actor(), "update", "capacity_series", id, pt); err != nil {
			return err
		}
		out, err = getSeries(ctx, tx, id)
		return err
	})
	return out, err
}

// checkPatch applies pt to cur, recording what is wrong in v, and reports
// whether the source changed.
func (s *Service) checkPatch(p *auth.Principal, v *domainerr.Invalid, cur *Series, pt SeriesPatch) bool {
	if pt.Unit != nil {
		cur.Unit = strings.TrimSpace(*pt.Unit)
		domainerr.Text(v, "unit", cur.Unit, false, MaxUnit)
	}
	threshold := func(field string, val *float64, clear bool, dst **float64) {
		switch {
		case clear:
			*dst = nil
		case val != nil:
			if !finite(*val) {
				v.Add(field, "must be a number")
			}
			x := *val
			*dst = &x
		}
	}
	threshold("warn_at", pt.WarnAt, pt.ClearWarn, &cur.WarnAt)
	threshold("act_at", pt.ActAt, pt.ClearAct, &cur.ActAt)
	if pt.WarnAction != nil {
		cur.WarnAction = strings.TrimSpace(*pt.WarnAction)
		domainerr.Text(v, "warn_action", cur.WarnAction, false, MaxAction)
	}
	if pt.ActAction != nil {
		cur.ActAction = strings.TrimSpace(*pt.ActAction)
		domainerr.Text(v, "act_action", cur.ActAction, false, MaxAction)
	}
	if cur.WarnAt != nil && cur.ActAt != nil && *cur.ActAt < *cur.WarnAt {
		v.Add("act_at", "must be at or above the warning threshold (%g)", *cur.WarnAt)
	}
	if cur.ActAt != nil && cur.ActAction == "" {
		v.Add("act_action", "say what is to be done when the series reaches %g", *cur.ActAt)
	}
	if pt.SourceURL == nil && pt.SourceQuery == nil && pt.SourceStep == nil {
		return false
	}
	if !p.Can(PermSource) {
		v.Add("source_url", "only an administrator may point a series at a Prometheus server")
		return false
	}
	if pt.SourceURL != nil {
		cur.SourceURL = strings.TrimRight(strings.TrimSpace(*pt.SourceURL), "/")
	}
	if pt.SourceQuery != nil {
		cur.SourceQuery = strings.TrimSpace(*pt.SourceQuery)
	}
	if pt.SourceStep != nil {
		cur.SourceStep = *pt.SourceStep
	}
	if cur.SourceURL != "" {
		u, err := url.Parse(cur.SourceURL)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			v.Add("source_url", "must be the Prometheus server's address, such as http://prometheus:9090")
		case u.User != nil:
			v.Add("source_url", "must not hold a user name or password")
		case u.RawQuery != "" || u.Fragment != "":
			v.Add("source_url", "must be the server's address without a query")
		}
		if cur.SourceQuery == "" {
			v.Add("source_query", "is required with a source: the PromQL expression giving this series, such as sum(rate(cpu_seconds_total[5m]))")
		}
	} else if cur.SourceQuery != "" {
		v.Add("source_url", "is required with a query: the Prometheus server to ask")
	}
	domainerr.Text(v, "source_query", cur.SourceQuery, false, MaxQuery)
	if cur.SourceStep < 15 || cur.SourceStep > 86400 {
		v.Add("source_step_seconds", "must be from 15 to 86400 seconds")
	}
	return true
}

func exists(ctx context.Context, q store.Querier, table string, id int64) bool {
	var n int
	err := q.QueryRow(ctx, "SELECT 1 FROM "+table+" WHERE id = ?", id).Scan(&n)
	return err == nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// MaxSamples caps one read of samples.
const MaxSamples = 10000

// Samples reads a series' samples from from (inclusive) to to
// (exclusive), oldest first, at most limit of them: the next page starts
// after the last one's instant.
func (s *Service) Samples(ctx context.Context, p *auth.Principal, id int64, from, to time.Time, limit int) ([]Point, error) {
	if !p.Can(PermRead) {
		return nil, domainerr.ErrForbidden
	}
	if limit <= 0 {
		limit = 1000
	}
	if limit > MaxSamples {
		return nil, domainerr.Field("limit", "must be at most %d", MaxSamples)
	}
	if !to.After(from) {
		return nil, domainerr.Field("to", "must be after from")
	}
	if _, err := getSeries(ctx, s.DB, id); err != nil {
		return nil, err
	}
	rows, err := s.DB.Query(ctx, `SELECT at, value FROM capacity_samples WHERE series_id = ? AND at >= ? AND at < ? ORDER BY at LIMIT ?`,
		id, from.Unix(), to.Unix(), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Point{}
	for rows.Next() {
		var at int64
		var v float64
		if err := rows.Scan(&at, &v); err != nil {
			return nil, err
		}
		out = append(out, Point{At: time.Unix(at, 0).UTC(), Value: v})
	}
	return out, rows.Err()
}
