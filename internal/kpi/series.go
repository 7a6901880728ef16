package kpi

import (
	"context"
	"time"

	"steward/internal/domainerr"
	"steward/internal/store"
)

// Point is a metric's figure over one bucket [From, To) of a series.
type Point struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	Value
}

// MaxBuckets bounds a series: two years of weeks, ten of months.
const MaxBuckets = 120

// Series computes m over consecutive weeks (from Monday) or calendar
// months (UTC) covering [from, to); the first and last buckets are cut to
// the range.
func Series(ctx context.Context, q store.Querier, m Metric, from, to time.Time, bucket string) ([]Point, error) {
	return SeriesIn(ctx, q, m, from, to, bucket, time.UTC)
}

// SeriesIn is Series on the calendar of loc (the organisation's time
// zone): in Berlin, June's bucket starts at 22:00 UTC on 31 May. The
// buckets' bounds are given in UTC.
func SeriesIn(ctx context.Context, q store.Querier, m Metric, from, to time.Time, bucket string, loc *time.Location) ([]Point, error) {
	if !to.After(from) {
		return nil, domainerr.Field("to", "must be after from")
	}
	if loc == nil {
		loc = time.UTC
	}
	var start time.Time
	var next func(time.Time) time.Time
	from, to = from.UTC(), to.UTC()
	local := from.In(loc)
	switch bucket {
	case "week":
		d := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
		start = d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
		next = func(t time.Time) time.Time { return t.AddDate(0, 0, 7) }
	case "month", "":
		start = time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, loc)
		next = func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }
	default:
		return nil, domainerr.Field("bucket", "must be week or month")
	}
	var out []Point
	// b walks the calendar of loc, so that a week across a change of
	// summer time still starts at midnight.
	for b := start; b.Before(to); b = next(b) {
		if len(out) == MaxBuckets {
			return nil, domainerr.Field("from", "the range holds more than %d buckets; choose a shorter range or months", MaxBuckets)
		}
		p := Point{From: maxTime(b, from).UTC(), To: minTime(next(b), to).UTC()}
		v, err := m.Compute(ctx, q, p.From, p.To)
		if err != nil {
			return nil, err
		}
		p.Value = v
		out = append(out, p)
	}
	return out, nil
}

// Current is m over the days before now.
func Current(ctx context.Context, q store.Querier, m Metric, days int, now time.Time) (Value, error) {
	return m.Compute(ctx, q, now.AddDate(0, 0, -days), now)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Better reports whether b is a better figure than a for m.
func (m Metric) Better(a, b float64) bool {
	if m.HigherIsBetter {
		return b > a
	}
	return b < a
}
