// Package kpi holds the measures Steward computes from its own records
// (incidents resolved within SLA, change success rate, days to close a
// nonconformity, ...). Objectives, improvements, management reviews and the
// compliance evidence read them by key, so a figure means the same
// wherever it appears and is never typed in.
package kpi

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"steward/internal/domainerr"
	"steward/internal/store"
)

// Metric is one measure over a period [from, to).
type Metric struct {
	// Key names the metric in objectives and the API: "incident.within_sla".
	Key   string `json:"key"`
	Title string `json:"title"`
	// Unit is "%", "hours", "days" or "count".
	Unit string `json:"unit"`
	// Process is the key of the process the metric measures.
	Process string `json:"process"`
	// HigherIsBetter says which way is good.
	HigherIsBetter bool                                                                          `json:"higher_is_better"`
	Compute        func(ctx context.Context, q store.Querier, from, to time.Time) (Value, error) `json:"-"`
	// Filters lists the fields (Fields) the metric may be narrowed by;
	// Narrowed computes it over the records matching a filter. A metric
	// registered with Narrowed alone gets Compute as Narrowed with no
	// filter.
	Filters  []string                                                                                `json:"filters,omitempty"`
	Narrowed func(ctx context.Context, q store.Querier, from, to time.Time, f Filter) (Value, error) `json:"-"`
	// Of names the records a figure rests on (its N), singular and
	// plural: "closed change|closed changes", so that a figure reads
	// "2 of 3 closed changes". Counts names what a count counts: "major
	// incident|major incidents". "record|records" when empty.
	Of     string `json:"-"`
	Counts string `json:"-"`
	// ListedBy says which dates of the records the list behind the
	// figure (Link) narrows to the figure's period: "created" for the
	// lists' from and to, "resolved" or "fulfilled" for their
	// resolved_from/resolved_to or fulfilled_from/fulfilled_to. Empty:
	// the list is not narrowed to the period.
	ListedBy string `json:"-"`
}

// Noun is spec ("incident|incidents") as n of it reads: "1 incident",
// "9 incidents".
func Noun(spec string, n int) string {
	if spec == "" {
		spec = "record|records"
	}
	one, many, ok := strings.Cut(spec, "|")
	if !ok {
		many = one
	}
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// Fields are the ways a metric may be narrowed, each by an id: the
// customer (organisation), the service, the priority (1 to 5) and the
// support group.
var Fields = []string{"customer", "service", "priority", "group"}

// Filter narrows a metric to the records whose field has the value given
// (customer, service and group by id, priority by number). Empty is all
// records.
type Filter map[string]int64

// Supports reports whether the metric may be narrowed by field.
func (m Metric) Supports(field string) bool {
	for _, f := range m.Filters {
		if f == field {
			return true
		}
	}
	return false
}

// Measure is the metric over [from, to), narrowed by f. A field the
// metric does not declare is an error naming filter.<field>.
func (m Metric) Measure(ctx context.Context, q store.Querier, from, to time.Time, f Filter) (Value, error) {
	if len(f) == 0 {
		return m.Compute(ctx, q, from, to)
	}
	for field := range f {
		if !m.Supports(field) || m.Narrowed == nil {
			return Value{}, domainerr.Field("filter."+field, "%s cannot be narrowed by %s", m.Title, field)
		}
	}
	return m.Narrowed(ctx, q, from, to, f)
}

// Value is a metric's figure over a period. N is how many records it was
// computed from; with N == 0 there is no data and Value means nothing.
type Value struct {
	Value float64 `json:"value"`
	N     int     `json:"n"`
	// Link lists the records behind the figure in the product.
	Link string `json:"link,omitempty"`
}

// NoData reports whether the figure rests on no records.
func (v Value) NoData() bool { return v.N == 0 }

var (
	mu      sync.RWMutex
	metrics = map[string]Metric{}
)

// Register makes a metric known; a key registered twice stops the program
// at start.
func Register(m Metric) Metric {
	mu.Lock()
	defer mu.Unlock()
	if m.Compute == nil && m.Narrowed != nil {
		narrowed := m.Narrowed
		m.Compute = func(ctx context.Context, q store.Querier, from, to time.Time) (Value, error) {
			return narrowed(ctx, q, from, to, nil)
		}
	}
	if _, dup := metrics[m.Key]; dup || m.Key == "" || m.Compute == nil {
		panic("kpi: cannot register metric " + m.Key)
	}
	metrics[m.Key] = m
	return m
}

// Get finds a metric by key.
func Get(key string) (Metric, bool) {
	mu.RLock()
	defer mu.RUnlock()
	m, ok := metrics[key]
	return m, ok
}

// All lists the metrics by key.
func All() []Metric {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]Metric, 0, len(metrics))
	for _, m := range metrics {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
