package capacity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// SampleIn is one sample as a client sends it: the subject (a CI or a
// service, by id or by name), the metric, the instant and the value.
type SampleIn struct {
	CIID      *int64 `json:"ci_id,omitempty"`
	ServiceID *int64 `json:"service_id,omitempty"`
	CI        string `json:"ci,omitempty"`
	Service   string `json:"service,omitempty"`
	Metric    string `json:"metric"`
	// Unit names the unit of a series the sample creates; ignored after.
	Unit string `json:"unit,omitempty"`
	// At is an RFC 3339 time.
	At string `json:"at"`
	// Value is a JSON number; anything else is refused.
	Value json.RawMessage `json:"value"`
}

// Ingested is what a batch of samples did.
type Ingested struct {
	// Accepted samples were new; Duplicates were already recorded for
	// their series and instant and were left as they were.
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
	// SeriesCreated counts the series the batch's samples started.
	SeriesCreated int `json:"series_created"`
}

// MaxBatch caps the samples of one batch.
const MaxBatch = 5000

// maxErrors caps the per-sample messages of one refused batch.
const maxErrors = 50

// Skew is how far ahead of the server's clock a sample may be stamped.
const Skew = time.Minute

// earliest is the first instant a sample may have.
var earliest = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// sample is a checked sample bound to its series.
type sample struct {
	series int64
	at     int64
	value  float64
}

// subjectKey names a series before it is looked up.
type subjectKey struct {
	ci, service int64
	metric      string
}

// Ingest records a batch of samples. A batch with any bad sample is
// refused whole with a message per sample ("samples[3].value"), and
// nothing is stored.
func (s *Service) Ingest(ctx context.Context, p *auth.Principal, in []SampleIn) (Ingested, error) {
	if !p.Can(PermWrite) {
		return Ingested{}, domainerr.ErrForbidden
	}
	if len(in) == 0 {
		return Ingested{}, domainerr.Field("samples", "is empty: send at least one sample")
	}
	if len(in) > MaxBatch {
		return Ingested{}, domainerr.Field("samples", "holds %d samples; send at most %d in one batch", len(in), MaxBatch)
	}
	return s.ingest(ctx, in, func(i int, field string) string { return fmt.Sprintf("samples[%d].%s", i, field) })
}

// ingest checks and records samples in one transaction; name gives the
// field of sample i's message.
func (s *Service) ingest(ctx context.Context, in []SampleIn, name func(i int, field string) string) (Ingested, error) {
	var out Ingested
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		res := newResolver(tx)
		v := domainerr.NewInvalid()
		bad := 0
		now := s.now()
		checked := make([]sample, 0, len(in))
		for i := range in {
			sm, field, msg, err := res.check(ctx, &in[i], now)
			if err != nil {
				return err
			}
			if msg != "" {
				bad++
				if bad <= maxErrors {
					v.Add(name(i, field), "%s", msg)
				}
				continue
			}
			checked = append(checked, sm)
		}
		if bad > 0 {
			v.Message = fmt.Sprintf("%d of the %d samples are refused; nothing was stored", bad, len(in))
			return v
		}
		if err := res.create(ctx, s.now(), checked); err != nil {
			return err
		}
		n, err := writeSamples(ctx, tx, checked)
		if err != nil {
			return err
		}
		out = Ingested{Accepted: n, Duplicates: len(checked) - n, SeriesCreated: res.created}
		return nil
	})
	return out, err
}

// resolver finds (or prepares to create) the series of each sample, once
// per subject and metric in a batch.
type resolver struct {
	tx       *store.Tx
	ciNames  map[string]int64
	svcNames map[string]int64
	known    map[subjectKey]int64
	// pending are series to create, numbered -1, -2, ... until created.
	pending []pendingSeries
	created int
	ok      map[string]bool // "cis:12" exists
}

type pendingSeries struct {
	key  subjectKey
	unit string
}

func newResolver(tx *store.Tx) *resolver {
	return &resolver{tx: tx, ciNames: map[string]int64{}, svcNames: map[string]int64{}, known: map[subjectKey]int64{}, ok: map[string]bool{}}
}

// check validates one sample and binds it to its series; a bad sample
// gives its field and message.
func (r *resolver) check(ctx context.Context, in *SampleIn, now time.Time) (sample, string, string, error) {
	var sm sample
	metric := strings.TrimSpace(in.Metric)
	if msg := checkMetric(metric); msg != "" {
		return sm, "metric", msg, nil
	}
	at, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(in.At))
	switch {
	case err != nil:
		return sm, "at", "must be an RFC 3339 time such as 2026-12-05T10:00:00Z", nil
	case at.After(now.Add(Skew)):
		return sm, "at", "is in the future (" + at.UTC().Format(time.RFC3339) + "); a sample records what was measured", nil
	case at.Before(earliest):
		return sm, "at", "is before 2000-01-01", nil
	}
	val, msg := number(in.Value)
	if msg != "" {
		return sm, "value", msg, nil
	}
	key, field, msg, err := r.subject(ctx, in)
	if err != nil || msg != "" {
		return sm, field, msg, err
	}
	key.metric = metric
	id, ok := r.known[key]
	if !ok {
		q := `SELECT id FROM capacity_series WHERE ci_id = ? AND metric = ?`
		subject := key.ci
		if key.service != 0 {
			q, subject = `SELECT id FROM capacity_series WHERE service_id = ? AND metric = ?`, key.service
		}
		err := r.tx.QueryRow(ctx, q, subject, metric).Scan(&id)
		switch {
		case errors.Is(store.Translate(err), store.ErrNotFound):
			r.pending = append(r.pending, pendingSeries{key: key, unit: strings.TrimSpace(in.Unit)})
			id = -int64(len(r.pending))
			if len([]rune(in.Unit)) > MaxUnit {
				return sm, "unit", fmt.Sprintf("must be at most %d characters", MaxUnit), nil
			}
		case err != nil:
			return sm, "", "", err
		}
		r.known[key] = id
	}
	return sample{series: id, at: at.Unix(), value: val}, "", "", nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// subject resolves the sample's CI or service.
func (r *resolver) subject(ctx context.Context, in *SampleIn) (subjectKey, string, string, error) {
	var k subjectKey
	n := 0
	for _, set := range []bool{in.CIID != nil, in.ServiceID != nil, in.CI != "", in.Service != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		return k, "ci_id", "give exactly one of ci_id, service_id, ci (a CI's name) or service (a service's name)", nil
	}
	switch {
	case in.CIID != nil:
		if !r.exists(ctx, "cis", *in.CIID) {
			return k, "ci_id", fmt.Sprintf("CI %d does not exist", *in.CIID), nil
		}
		k.ci = *in.CIID
	case in.ServiceID != nil:
		if !r.exists(ctx, "services", *in.ServiceID) {
			return k, "service_id", fmt.Sprintf("service %d does not exist", *in.ServiceID), nil
		}
		k.service = *in.ServiceID
	case in.CI != "":
		id, msg, err := r.byName(ctx, r.ciNames, "SELECT id FROM cis WHERE name = ? LIMIT 2", in.CI, "CI")
		if err != nil || msg != "" {
			return k, "ci", msg, err
		}
		k.ci = id
	default:
		id, msg, err := r.byName(ctx, r.svcNames, "SELECT id FROM services WHERE lower(name) = lower(?) LIMIT 2", in.Service, "service")
		if err != nil || msg != "" {
			return k, "service", msg, err
		}
		k.service = id
	}
	return k, "", "", nil
}

func (r *resolver) exists(ctx context.Context, table string, id int64) bool {
	k := table + ":" + itoa(id)
	ok, seen := r.ok[k]
	if !seen {
		ok = exists(ctx, r.tx, table, id)
		r.ok[k] = ok
	}
	return ok
}

func (r *resolver) byName(ctx context.Context, cache map[string]int64, q, name, what string) (int64, string, error) {
	name = strings.TrimSpace(name)
	if id, ok := cache[name]; ok {
		if id == 0 {
			return 0, "no single " + what + " is named " + name, nil
		}
		return id, "", nil
	}
	ids, err := store.IDs(ctx, r.tx, q, name)
	if err != nil {
		return 0, "", err
	}
	if len(ids) != 1 {
		cache[name] = 0
		if len(ids) == 0 {
			return 0, "no " + what + " is named " + name, nil
		}
		return 0, "several " + what + "s are named " + name + "; give the id instead", nil
	}
	cache[name] = ids[0]
	return ids[0], "", nil
}

// create inserts the series the batch starts and binds their samples.
func (r *resolver) create(ctx context.Context, now time.Time, samples []sample) error {
	if len(r.pending) == 0 {
		return nil
	}
	ids := make([]int64, len(r.pending))
	ts := store.TS(now)
	for i, ps := range r.pending {
		err := r.tx.QueryRow(ctx, `INSERT INTO capacity_series (ci_id, service_id, metric, unit, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, nullID(ps.key.ci), nullID(ps.key.service), ps.key.metric, ps.unit, ts, ts).Scan(&ids[i])
		if err != nil {
			return err
		}
	}
	r.created = len(ids)
	for i := range samples {
		if samples[i].series < 0 {
			samples[i].series = ids[-samples[i].series-1]
		}
	}
	return nil
}

// number reads a JSON number; null, text, booleans and the like are
// refused with the reason.
func number(raw json.RawMessage) (float64, string) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return 0, "is required: a number"
	}
	var f float64
	if err := json.Unmarshal([]byte(s), &f); err != nil {
		if s[0] == '"' {
			return 0, "must be a number, not text (" + truncate(s, 40) + ")"
		}
		return 0, "must be a number"
	}
	if !finite(f) {
		return 0, "must be a finite number"
	}
	return f, ""
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
