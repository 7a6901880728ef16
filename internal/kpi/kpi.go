// Package kpi holds the measures Steward computes from its own records
// (incidents resolved within SLA, change success rate, days to close a
// nonconformity, ...). Objectives, improvements, management reviews and the
// compliance evidence read them by key, so a figure means the same
// wherever it appears and is never typed in.
package kpi

import (
	"context"
	"sort"
	"sync"
	"time"

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
