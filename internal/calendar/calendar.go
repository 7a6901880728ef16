package calendar

import (
	"errors"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// ErrNoWorkingTime is returned when a calendar has no working time within
// the supported range, so a due instant cannot be found.
var ErrNoWorkingTime = errors.New("the calendar has no working time in which the duration could elapse")

// The arithmetic covers instants from 1970 up to (not including) 2200;
// time outside that range is never working time.
var (
	MinTime = time.Unix(0, 0).UTC()
	MaxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Working intervals are kept per chunk of 2^55 ns (about 417 days) of
// absolute time, built on first use: sorted, merged [start, end) intervals
// in Unix nanoseconds with prefix sums, so that the business time before an
// instant is one binary search. Business time is therefore additive by
// construction: elapsed(a,c) = elapsed(a,b) + elapsed(b,c).
const (
	chunkShift = 55
	maxChunks  = 200 // 200 * 417 days reaches past MaxTime
)

type chunk struct {
	st, en []int64 // interval starts and ends
	cum    []int64 // business time before interval i within the chunk
	total  int64
}

// Calendar is a compiled Spec, safe for concurrent use.
type Calendar struct {
	loc    *time.Location
	always bool             // every instant is working time
	week   [7][]span        // merged working spans per weekday
	dated  map[int64][]span // one-off holidays by civil day number
	yearly map[int][]span   // yearly holidays by month*100+day

	mu     sync.Mutex
	chunks [maxChunks]atomic.Pointer[chunk]
	days   sync.Map // civil day number -> [][2]int64, for business days
}

// Compile validates and prepares a spec for arithmetic.
func Compile(s Spec) (*Calendar, error) {
	s.Normalize()
	if s.Name == "" {
		s.Name = "calendar"
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	loc, _ := LoadZone(s.TimeZone)
	c := &Calendar{loc: loc, dated: map[int64][]span{}, yearly: map[int][]span{}}
	for _, w := range s.Windows {
		d, _ := weekdayNumber(w.Weekday)
		from, _ := parseClock(w.Start)
		to, _ := parseClock(w.End)
		c.week[d] = append(c.week[d], span{from, to})
	}
	full := len(s.Holidays) == 0
	for d := range c.week {
		c.week[d] = mergeSpans(c.week[d])
		if len(c.week[d]) != 1 || c.week[d][0] != (span{0, 86400}) {
			full = false
		}
	}
	c.always = full
	for _, h := range s.Holidays {
		date, _ := ParseDate(h.Date)
		sp := span{0, 86400}
		if h.Start != "" {
			sp.From, _ = parseClock(h.Start)
			sp.To, _ = parseClock(h.End)
		}
		if h.Yearly {
			k := int(date.Month())*100 + date.Day()
			c.yearly[k] = mergeSpans(append(c.yearly[k], sp))
		} else {
			k := civilDay(date)
			c.dated[k] = mergeSpans(append(c.dated[k], sp))
		}
	}
	return c, nil
}

// Location is the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// Elapsed is the business time between a and b (zero when b is not after a).
func (c *Calendar) Elapsed(a, b time.Time) time.Duration {
	x, y := clampNs(a), clampNs(b)
	if y <= x {
		return 0
	}
	if c.always {
		return time.Duration(y - x)
	}
	ka, kb := x>>chunkShift, y>>chunkShift
	ca := c.chunk(ka)
	if ka == kb {
		return time.Duration(ca.before(y) - ca.before(x))
	}
	sum := ca.total - ca.before(x)
	for k := ka + 1; k < kb; k++ {
		sum += c.chunk(k).total
	}
	return time.Duration(sum + c.chunk(kb).before(y))
}

// Due is the earliest instant at which d of business time has passed since
// from. When that happens exactly as a working window closes, Due is the
// window's end (17:00), not the next window's start.
func (c *Calendar) Due(from time.Time, d time.Duration) (time.Time, error) {
	if d <= 0 {
		return from, nil
	}
	x := clampNs(from)
	if c.always {
		if d > time.Duration(maxNs()-x) {
			return time.Time{}, ErrNoWorkingTime
		}
		return time.Unix(0, x+int64(d)).UTC(), nil
	}
	need := int64(d)
	for k := x >> chunkShift; k < maxChunks; k++ {
		ch := c.chunk(k)
		pos := int64(0)
		if k == x>>chunkShift {
			pos = ch.before(x)
		}
		if avail := ch.total - pos; need > avail {
			need -= avail
			continue
		}
		target := pos + need
		j := sort.Search(len(ch.st), func(i int) bool { return ch.cum[i]+ch.en[i]-ch.st[i] >= target })
		return time.Unix(0, ch.st[j]+target-ch.cum[j]).UTC(), nil
	}
	return time.Time{}, ErrNoWorkingTime
}

// NextWorking is the earliest instant at or after t that lies inside
// working time: t itself during working hours, else the next window's start.
func (c *Calendar) NextWorking(t time.Time) (time.Time, error) {
	x := clampNs(t)
	if c.always {
		return time.Unix(0, x).UTC(), nil
	}
	for k := x >> chunkShift; k < maxChunks; k++ {
		ch := c.chunk(k)
		j := sort.Search(len(ch.en), func(i int) bool { return ch.en[i] > x })
		if j < len(ch.en) {
			return time.Unix(0, max(x, ch.st[j])).UTC(), nil
		}
	}
	return time.Time{}, ErrNoWorkingTime
}

// Working reports whether t lies inside working time.
func (c *Calendar) Working(t time.Time) bool {
	n, err := c.NextWorking(t)
	return err == nil && n.Equal(t)
}

// before is the business time in the chunk before instant x.
func (ch *chunk) before(x int64) int64 {
	j := sort.Search(len(ch.st), func(i int) bool { return ch.st[i] > x }) - 1
	if j < 0 {
		return 0
	}
	return ch.cum[j] + min(x, ch.en[j]) - ch.st[j]
}

func maxNs() int64 { return MaxTime.UnixNano() }

func clampNs(t time.Time) int64 {
	switch {
	case t.Before(MinTime):
		return 0
	case !t.Before(MaxTime):
		return maxNs()
	}
	return t.UnixNano()
}

func (c *Calendar) chunk(k int64) *chunk {
	if k < 0 || k >= maxChunks {
		return &chunk{}
	}
	if ch := c.chunks[k].Load(); ch != nil {
		return ch
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if ch := c.chunks[k].Load(); ch != nil {
		return ch
	}
	ch := c.build(k)
	c.chunks[k].Store(ch)
	return ch
}

// build computes the working intervals of chunk k: every local date that
// touches the chunk, its windows minus its holidays, turned into instants.
func (c *Calendar) build(k int64) *chunk {
	lo, hi := k<<chunkShift, (k+1)<<chunkShift
	if hi > maxNs() {
		hi = maxNs()
	}
	ch := &chunk{}
	if lo >= hi {
		return ch
	}
	first := time.Unix(0, lo).In(c.loc)
	last := time.Unix(0, hi).In(c.loc)
	d0 := time.Date(first.Year(), first.Month(), first.Day()-1, 12, 0, 0, 0, time.UTC)
	d1 := time.Date(last.Year(), last.Month(), last.Day()+1, 12, 0, 0, 0, time.UTC)
	var ivs [][2]int64
	for d := d0; !d.After(d1); d = d.AddDate(0, 0, 1) {
		for _, iv := range c.dayIntervals(d) {
			a, b := max(iv[0], lo), min(iv[1], hi)
			if a < b {
				ivs = append(ivs, [2]int64{a, b})
			}
		}
	}
	sort.Slice(ivs, func(i, j int) bool { return ivs[i][0] < ivs[j][0] })
	for _, iv := range ivs {
		if n := len(ch.st); n > 0 && iv[0] <= ch.en[n-1] {
			ch.en[n-1] = max(ch.en[n-1], iv[1])
			continue
		}
		ch.st = append(ch.st, iv[0])
		ch.en = append(ch.en, iv[1])
	}
	ch.cum = make([]int64, len(ch.st))
	for i := range ch.st {
		ch.cum[i] = ch.total
		ch.total += ch.en[i] - ch.st[i]
	}
	return ch
}

// dayIntervals are the working intervals of one local date (given as noon
// UTC of that date) as Unix-nanosecond instants. A window covers every
// instant at which the calendar zone's wall clock reads a time inside it:
// on the day clocks spring forward, 01:00-03:00 is one hour of work; on the
// day they fall back, three.
func (c *Calendar) dayIntervals(date time.Time) [][2]int64 {
	key := civilDay(date)
	if v, ok := c.days.Load(key); ok {
		return v.([][2]int64)
	}
	ivs := c.computeDay(date)
	c.days.Store(key, ivs)
	return ivs
}

func (c *Calendar) computeDay(date time.Time) [][2]int64 {
	spans := c.week[date.Weekday()]
	if hs := c.holidays(date); len(hs) > 0 {
		spans = subtractSpans(spans, hs)
	}
	if len(spans) == 0 {
		return nil
	}
	naive := civilDay(date) * 86400 // the date's midnight, as if in UTC
	var out [][2]int64
	for _, p := range c.periods(naive-86400, naive+2*86400) {
		for _, sp := range spans {
			a := max(naive+int64(sp.From)-int64(p.off), p.start)
			b := min(naive+int64(sp.To)-int64(p.off), p.end)
			if a < b {
				out = append(out, [2]int64{a * 1e9, b * 1e9})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	merged := out[:0]
	for _, iv := range out {
		if n := len(merged); n > 0 && iv[0] <= merged[n-1][1] {
			merged[n-1][1] = max(merged[n-1][1], iv[1])
			continue
		}
		merged = append(merged, iv)
	}
	return merged
}

type period struct {
	start, end int64 // Unix seconds
	off        int   // UTC offset in seconds
}

// periods splits [lo, hi) (Unix seconds) where the zone's UTC offset
// changes, found by sampling every hour and bisecting to the second.
// (time.Time.ZoneBounds cannot be used: past the zone's last listed
// transition it can report an end that does not advance.)
func (c *Calendar) periods(lo, hi int64) []period {
	offAt := func(s int64) int { _, o := time.Unix(s, 0).In(c.loc).Zone(); return o }
	cur := period{start: lo, off: offAt(lo)}
	var out []period
	for s := lo; s < hi; {
		next := min(s+3600, hi)
		if o := offAt(next); o != cur.off {
			a, b := s, next // offset at a is cur.off, at b is o
			for b-a > 1 {
				m := a + (b-a)/2
				if offAt(m) == cur.off {
					a = m
				} else {
					b = m
				}
			}
			cur.end = b
			out = append(out, cur)
			cur = period{start: b, off: offAt(b)}
		}
		s = next
	}
	cur.end = hi
	return append(out, cur)
}

func (c *Calendar) holidays(date time.Time) []span {
	a := c.dated[civilDay(date)]
	b := c.yearly[int(date.Month())*100+date.Day()]
	switch {
	case len(b) == 0:
		return a
	case len(a) == 0:
		return b
	}
	return mergeSpans(append(append([]span{}, a...), b...))
}

// civilDay numbers a date (its year, month and day) from 1970-01-01.
func civilDay(d time.Time) int64 {
	u := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
	return u.Unix() / 86400
}

func mergeSpans(s []span) []span {
	s = append([]span(nil), s...)
	sort.Slice(s, func(i, j int) bool { return s[i].From < s[j].From })
	out := s[:0]
	for _, x := range s {
		if n := len(out); n > 0 && x.From <= out[n-1].To {
			out[n-1].To = max(out[n-1].To, x.To)
			continue
		}
		out = append(out, x)
	}
	return out
}

// subtractSpans removes hs from ws; both sorted and merged.
func subtractSpans(ws, hs []span) []span {
	var out []span
	for _, w := range ws {
		cur := w
		for _, h := range hs {
			if h.To <= cur.From || h.From >= cur.To {
				continue
			}
			if h.From > cur.From {
				out = append(out, span{cur.From, h.From})
			}
			cur.From = h.To
			if cur.From >= cur.To {
				break
			}
		}
		if cur.From < cur.To {
			out = append(out, cur)
		}
	}
	return out
}
