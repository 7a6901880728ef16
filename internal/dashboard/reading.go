package dashboard

import (
	"encoding/json"
	"fmt"
	"math"

	"steward/internal/kpi"
)

// Reading is a KPI's figure for one period as a person reads it: the
// figure ("9 incidents", "66.7 %") and what it rests on ("2 of 3 closed
// changes", "from 4 resolved incidents"). A period with no records has
// no figure: "—" and "No records yet this period", never 0 % and never
// off target.
type Reading struct {
	Figure, Basis string
	NoData        bool
}

// Read says how the definition's snapshot reads; nil is a KPI not
// computed yet.
func Read(d Definition, sn *Snapshot) Reading {
	if sn == nil {
		return Reading{Figure: "—", Basis: "Not computed yet", NoData: true}
	}
	if sn.NoData() {
		if sn.Closed {
			return Reading{Figure: "—", Basis: "No records in this period", NoData: true}
		}
		return Reading{Figure: "—", Basis: "No records yet this period", NoData: true}
	}
	m, _ := kpi.Get(d.Metric)
	n := sn.N
	switch d.Unit {
	case "count":
		count := int(math.Round(sn.Value))
		if m.Counts == "" {
			return Reading{Figure: Figure(sn.Value, n, d.Unit), Basis: kpi.Noun(m.Of, n)}
		}
		r := Reading{Figure: kpi.Noun(m.Counts, count)}
		if count != n && m.Of != "" {
			r.Basis = "of " + kpi.Noun(m.Of, n)
		}
		return r
	case "%":
		hits := int(math.Round(sn.Value * float64(n) / 100))
		return Reading{Figure: Figure(sn.Value, n, d.Unit), Basis: fmt.Sprintf("%d of %s", hits, kpi.Noun(m.Of, n))}
	}
	return Reading{Figure: Figure(sn.Value, n, d.Unit), Basis: "from " + kpi.Noun(m.Of, n)}
}

// MarshalJSON gives a snapshot with no records a null value: there is no
// figure, and 0 would read as one.
func (s Snapshot) MarshalJSON() ([]byte, error) {
	type plain Snapshot
	out := struct {
		plain
		Value *float64 `json:"value"`
	}{plain: plain(s)}
	if !s.NoData() {
		out.Value = &s.Value
	}
	return json.Marshal(out)
}
