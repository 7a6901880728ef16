package calendar

import (
	"sort"
	"time"
)

// Interval is a stretch of working time, [Start, End).
type Interval struct {
	Start, End time.Time
}

// Intervals lists the working time between from and to, clipped to them,
// at most limit intervals (all of them when limit is 0). Working time
// that runs across local midnight is one interval.
func (c *Calendar) Intervals(from, to time.Time, limit int) []Interval {
	x, y := clampNs(from), clampNs(to)
	var out []Interval
	if y <= x {
		return out
	}
	if c.always {
		return append(out, Interval{time.Unix(0, x).UTC(), time.Unix(0, y).UTC()})
	}
	for k := x >> chunkShift; k <= (y-1)>>chunkShift && k < maxChunks; k++ {
		ch := c.chunk(k)
		j := sort.Search(len(ch.en), func(i int) bool { return ch.en[i] > x })
		for ; j < len(ch.st) && ch.st[j] < y; j++ {
			a, b := max(ch.st[j], x), min(ch.en[j], y)
			// Chunks split intervals at their edges; join them again.
			if n := len(out); n > 0 && out[n-1].End.UnixNano() == a {
				out[n-1].End = time.Unix(0, b).UTC()
				continue
			}
			if limit > 0 && len(out) == limit {
				return out
			}
			out = append(out, Interval{time.Unix(0, a).UTC(), time.Unix(0, b).UTC()})
		}
	}
	return out
}
