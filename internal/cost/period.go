package cost

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kinds of period.
const (
	Month   = "month"
	Quarter = "quarter"
	Year    = "year"
)

// Period is a calendar month, quarter or year: Label is how it is
// written (2026-03, 2026-Q1, 2026), Start its first day and End the day
// after its last, as dates (held at midnight UTC; Service.instant gives
// the moment each begins in the organisation's zone).
type Period struct {
	Label string    `json:"label"`
	Kind  string    `json:"kind"`
	Start time.Time `json:"-"`
	End   time.Time `json:"-"`
}

// MinYear and MaxYear bound the years a period may be in.
const (
	MinYear = 1990
	MaxYear = 2200
)

// errPeriod is what a period that cannot be read is told.
const errPeriod = "must be a month (2026-03), a quarter (2026-Q1) or a year (2026)"

// ParsePeriod reads a month, a quarter or a year.
func ParsePeriod(s string) (Period, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	yearOf := func(y string) (int, bool) {
		if len(y) != 4 {
			return 0, false
		}
		n, err := strconv.Atoi(y)
		return n, err == nil && n >= MinYear && n <= MaxYear
	}
	switch {
	case len(s) == 4:
		if y, ok := yearOf(s); ok {
			return YearOf(y), nil
		}
	case len(s) == 7 && s[4] == '-' && s[5] == 'Q':
		y, ok := yearOf(s[:4])
		q := int(s[6] - '0')
		if ok && q >= 1 && q <= 4 {
			return QuarterOf(y, q), nil
		}
	case len(s) == 7 && s[4] == '-':
		y, ok := yearOf(s[:4])
		m, err := strconv.Atoi(s[5:])
		if ok && err == nil && m >= 1 && m <= 12 && s[5] >= '0' && s[5] <= '1' {
			return MonthOf(y, time.Month(m)), nil
		}
	}
	return Period{}, fmt.Errorf("%s", errPeriod)
}

// MonthOf is one calendar month.
func MonthOf(y int, m time.Month) Period {
	start := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	return Period{Label: start.Format("2006-01"), Kind: Month, Start: start, End: start.AddDate(0, 1, 0)}
}

// QuarterOf is quarter q (1 to 4) of year y.
func QuarterOf(y, q int) Period {
	start := time.Date(y, time.Month(3*(q-1)+1), 1, 0, 0, 0, 0, time.UTC)
	return Period{Label: fmt.Sprintf("%d-Q%d", y, q), Kind: Quarter, Start: start, End: start.AddDate(0, 3, 0)}
}

// YearOf is calendar year y.
func YearOf(y int) Period {
	start := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
	return Period{Label: strconv.Itoa(y), Kind: Year, Start: start, End: start.AddDate(1, 0, 0)}
}

// PeriodAt is the period of the kind that holds t's date as written in
// t's own zone (Service.Today gives the organisation's).
func PeriodAt(kind string, t time.Time) Period {
	switch kind {
	case Year:
		return YearOf(t.Year())
	case Quarter:
		return QuarterOf(t.Year(), (int(t.Month())-1)/3+1)
	}
	return MonthOf(t.Year(), t.Month())
}

// Next is the period of the same kind after p.
func (p Period) Next() Period { return PeriodAt(p.Kind, p.End) }

// Prev is the period of the same kind before p.
func (p Period) Prev() Period { return PeriodAt(p.Kind, p.Start.AddDate(0, 0, -1)) }

// Months are the months p spans, in order.
func (p Period) Months() []Period {
	var out []Period
	for m := MonthOf(p.Start.Year(), p.Start.Month()); m.Start.Before(p.End); m = m.Next() {
		out = append(out, m)
	}
	return out
}

// Overlaps reports whether p and q share a day.
func (p Period) Overlaps(q Period) bool { return p.Start.Before(q.End) && q.Start.Before(p.End) }

// Contains reports whether q lies within p.
func (p Period) Contains(q Period) bool { return !q.Start.Before(p.Start) && !q.End.After(p.End) }

// startsOn and endsOn are the stored forms: the first day and the last.
func (p Period) startsOn() string { return p.Start.Format(time.DateOnly) }
func (p Period) endsOn() string   { return p.End.AddDate(0, 0, -1).Format(time.DateOnly) }

// MaxPeriods bounds the periods one report covers.
const MaxPeriods = 120

// Span lists the periods of from's kind from from to to, both included.
func Span(from, to Period) ([]Period, error) {
	if from.Kind != to.Kind {
		return nil, fmt.Errorf("must be a period of the same kind as from (a %s)", from.Kind)
	}
	if to.Start.Before(from.Start) {
		return nil, fmt.Errorf("must not be before from")
	}
	var out []Period
	for p := from; !p.Start.After(to.Start); p = p.Next() {
		if len(out) == MaxPeriods {
			return nil, fmt.Errorf("covers more than %d periods; ask for a shorter span or a longer kind of period", MaxPeriods)
		}
		out = append(out, p)
	}
	return out, nil
}
