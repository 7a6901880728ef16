package compliance

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"steward/internal/store"
)

// The shares most rules judge by. A rule that checks whether records are
// complete (an owner named, a review held on time, a root cause written)
// is met when nearly all are, because an auditor samples records and one
// gap in twenty is what a sample of a few finds; below four in five the
// practice is not yet the norm.
const (
	shareMet    = 0.95
	sharePartly = 0.80
)

// The usual look-back windows: operational records are judged over the
// last quarter, management-system records over the last year (most
// management activities are yearly: reviews, audits, policy reviews).
const (
	quarter = 90
	year    = 365
)

// judge turns a share of good records into a status: met from met up,
// partly met from partly up, not met below, no data without records.
func judge(good, total int, met, partly float64) Status {
	if total == 0 {
		return NoData
	}
	s := float64(good) / float64(total)
	switch {
	case s >= met-1e-9:
		return Met
	case s >= partly-1e-9:
		return PartlyMet
	}
	return NotMet
}

// window is the period of the last days up to now.
func window(in Input, days int) (time.Time, time.Time, *Period) {
	to := in.Now.UTC()
	from := to.AddDate(0, 0, -days)
	return from, to, &Period{From: from, To: to}
}

// day is a date in the YYYY-MM-DD form date columns hold.
func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// scan runs a query whose one row holds counts (or sums, NULL over no
// rows counts as 0) into dest.
func scan(ctx context.Context, q store.Querier, dest []*int, query string, args ...any) error {
	vals := make([]int64, len(dest))
	ds := make([]any, len(dest))
	for i := range vals {
		ds[i] = &nullInt{p: &vals[i]}
	}
	if err := q.QueryRow(ctx, query, args...).Scan(ds...); err != nil {
		return err
	}
	for i, v := range vals {
		*dest[i] = int(v)
	}
	return nil
}

// nullInt scans a count or a sum that may be NULL (a SUM over no rows) as 0.
type nullInt struct{ p *int64 }

func (n *nullInt) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*n.p = 0
	case int64:
		*n.p = v
	case int32:
		*n.p = int64(v)
	case float64:
		*n.p = int64(v)
	case []byte:
		return n.parse(string(v))
	case string:
		return n.parse(v)
	default:
		return fmt.Errorf("compliance: cannot count %T", src)
	}
	return nil
}

func (n *nullInt) parse(s string) error {
	f, err := strconv.ParseFloat(s, 64)
	*n.p = int64(f)
	return err
}

// linkRows turns rows of (id, title) into links, at most MaxLinks; the
// query should ask for no more.
func linkRows(ctx context.Context, q store.Querier, link func(id int64, title string) Link, query string, args ...any) ([]Link, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Link{}
	for rows.Next() {
		var id int64
		var title string
		if err := rows.Scan(&id, &title); err != nil {
			return nil, err
		}
		if len(out) < MaxLinks {
			out = append(out, link(id, title))
		}
	}
	return out, rows.Err()
}

// to builds a link maker for records shown at prefix/{id} and numbered
// with a record prefix such as "INC-" ("" for registers without numbers).
func to(path, number string) func(int64, string) Link {
	return func(id int64, title string) Link {
		label := title
		if number != "" {
			label = fmt.Sprintf("%s%06d %s", number, id, title)
		}
		ref := strconv.FormatInt(id, 10)
		if number != "" {
			ref = fmt.Sprintf("%s%06d", number, id)
		}
		return Link{Label: strings.TrimSpace(label), URL: path + "/" + ref}
	}
}

// num formats a count for a sentence: 1204 -> "1,204".
func num(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + num(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// pct is a share as a whole percentage for a sentence; a share just under
// a threshold never rounds up to it.
func pct(good, total int) string {
	if total == 0 {
		return "0%"
	}
	return strconv.Itoa(int(math.Floor(100*float64(good)/float64(total)))) + "%"
}

// share is a share as a percentage figure with one decimal, for Numbers.
func share(good, total int) float64 {
	if total == 0 {
		return 0
	}
	return math.Floor(1000*float64(good)/float64(total)) / 10
}

// plural picks the word for n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// countNum is a Number counting records.
func countNum(label string, n int, url string) Number {
	return Number{Label: label, Value: float64(n), Unit: "count", URL: url}
}

// shareNum is a Number giving a share in percent.
func shareNum(label string, good, total int, url string) Number {
	return Number{Label: label, Value: share(good, total), Unit: "%", URL: url}
}

// noData is the result of a rule whose records are not kept yet.
func noData(summary string, nums ...Number) Result {
	return Result{Status: NoData, Summary: summary, Numbers: nums}
}

// ratio is the common shape of a rule: of total records, good are as they
// should be; the rest are linked.
type ratio struct {
	good, total   int
	met, partly   float64
	summary       string
	numbers       []Number
	period        *Period
	links         []Link
	noDataSummary string
}

func (r ratio) result() Result {
	if r.total == 0 {
		return Result{Status: NoData, Summary: r.noDataSummary, Numbers: r.numbers, Period: r.period}
	}
	met, partly := r.met, r.partly
	if met == 0 {
		met, partly = shareMet, sharePartly
	}
	return Result{Status: judge(r.good, r.total, met, partly), Summary: r.summary, Numbers: r.numbers, Period: r.period, Links: r.links}
}

// thresholds says what a share is judged against, for summaries.
func thresholds(met, partly float64) string {
	return fmt.Sprintf("met from %d%%, partly met from %d%%", int(math.Round(met*100)), int(math.Round(partly*100)))
}
