package availability

import (
	"math"
	"slices"
	"sort"
	"time"

	"steward/internal/calendar"
)

// How a service's availability is measured over a period [from, to):
//
//   - agreed time is the working time of the service's agreed hours (its
//     target's calendar, round the clock without one) in the period, less
//     agreed maintenance (see maintenance.go);
//   - downtime is the outages' time within agreed time, overlapping ones
//     merged so that no minute counts twice, each minute at the largest
//     weight covering it (1 full, less for a partial outage);
//   - availability is (agreed − downtime) / agreed, in percent;
//   - an outage, for counting, is a stretch of merged overlapping outages
//     that takes some agreed time; MTRS is their agreed time over their
//     number, MTBF the agreed time outside them over their number.

// figures are one service's measurements over a period.
type figures struct {
	agreed, maintenance, downtime, episodeTime time.Duration
	episodes                                   int
	// per bucket: agreed time and downtime
	bAgreed, bDown []time.Duration
}

// measurer holds what the measurement of one service needs.
type measurer struct {
	cal      *calendar.Calendar // nil: round the clock
	maint    []interval         // merged, sorted, within the period
	from, to time.Time
}

// elapsed is the agreed hours' time in [a, b), maintenance included.
func (m *measurer) elapsed(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	if m.cal == nil {
		return b.Sub(a)
	}
	return m.cal.Elapsed(a, b)
}

// effective is the agreed time in [a, b): agreed hours less maintenance.
func (m *measurer) effective(a, b time.Time) time.Duration {
	d := m.elapsed(a, b)
	i := sort.Search(len(m.maint), func(i int) bool { return m.maint[i].end.After(a) })
	for ; i < len(m.maint) && m.maint[i].start.Before(b); i++ {
		d -= m.elapsed(later(a, m.maint[i].start), earlier(b, m.maint[i].end))
	}
	return d
}

// measure computes the figures from the outages' spans (clipped to the
// period) and bucket boundaries (from first, to last; nil for none).
func (m *measurer) measure(spans []span, bounds []time.Time) figures {
	var f figures
	f.agreed = m.effective(m.from, m.to)
	for _, iv := range m.maint {
		f.maintenance += m.elapsed(iv.start, iv.end)
	}
	pieces, episodes := flatten(spans)
	for _, p := range pieces {
		f.downtime += time.Duration(p.weight * float64(m.effective(p.start, p.end)))
	}
	for _, e := range episodes {
		if d := m.effective(e.start, e.end); d > 0 {
			f.episodes++
			f.episodeTime += d
		}
	}
	if len(bounds) > 1 {
		n := len(bounds) - 1
		f.bAgreed, f.bDown = make([]time.Duration, n), make([]time.Duration, n)
		for i := range n {
			f.bAgreed[i] = m.effective(bounds[i], bounds[i+1])
		}
		for _, p := range pieces {
			i := sort.Search(n, func(i int) bool { return bounds[i+1].After(p.start) })
			for ; i < n && bounds[i].Before(p.end); i++ {
				f.bDown[i] += time.Duration(p.weight * float64(m.effective(later(p.start, bounds[i]), earlier(p.end, bounds[i+1]))))
			}
		}
	}
	return f
}

// flatten turns overlapping weighted spans into pieces of constant
// weight (the largest covering each instant) and the merged stretches
// they form.
func flatten(spans []span) (pieces []span, episodes []interval) {
	type edge struct {
		at    time.Time
		w     float64
		start bool
	}
	edges := make([]edge, 0, 2*len(spans))
	for _, s := range spans {
		edges = append(edges, edge{s.start, s.weight, true}, edge{s.end, s.weight, false})
	}
	slices.SortFunc(edges, func(a, b edge) int { return a.at.Compare(b.at) })
	open := map[float64]int{}
	var last time.Time
	for _, e := range edges {
		if len(open) > 0 && e.at.After(last) {
			top := 0.0
			for w := range open {
				top = max(top, w)
			}
			if n := len(pieces); n > 0 && pieces[n-1].end.Equal(last) && pieces[n-1].weight == top {
				pieces[n-1].end = e.at
			} else {
				pieces = append(pieces, span{last, e.at, top})
			}
			if n := len(episodes); n > 0 && episodes[n-1].end.Equal(last) {
				episodes[n-1].end = e.at
			} else {
				episodes = append(episodes, interval{last, e.at})
			}
		}
		last = e.at
		if e.start {
			open[e.w]++
		} else if open[e.w]--; open[e.w] == 0 {
			delete(open, e.w)
		}
	}
	return pieces, episodes
}

// percent is 100·(agreed − down)/agreed, nil without agreed time.
func percent(agreed, down time.Duration) *float64 {
	if agreed <= 0 {
		return nil
	}
	p := round(100*float64(agreed-down)/float64(agreed), 3)
	return &p
}

func round(x float64, places int) float64 {
	f := math.Pow(10, float64(places))
	return math.Round(x*f) / f
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
