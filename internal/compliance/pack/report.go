package pack

import (
	_ "embed"
	"html/template"
	"io"
	"strconv"
	"time"

	"steward/internal/clauses"
	"steward/internal/compliance"
)

// Report is the readiness report of one snapshot, as the offline page and
// the PDF show it: the computed statuses with the self-assessments beside
// them.
type Report struct {
	Standard   string
	StdShort   string
	Snapshot   compliance.Snapshot
	Eval       *compliance.Evaluation
	ChainHead  string
	ExportedAt time.Time
	ExportedBy string
	Loc        *time.Location
	Files      []FileEntry
}

// NewReport builds the report of a snapshot with the assessments kept now.
func NewReport(snap compliance.Snapshot, as map[string]compliance.Assessment, loc *time.Location) Report {
	ev := *snap.Evaluation
	ev.Clauses = append([]compliance.ClauseResult(nil), ev.Clauses...)
	ev.Attach(as)
	if loc == nil {
		loc = time.UTC
	}
	r := Report{Standard: snap.Standard, StdShort: snap.Standard, Snapshot: snap, Eval: &ev, Loc: loc}
	if std, ok := clauses.Get(snap.Standard); ok {
		r.Standard, r.StdShort = std.Title, std.Short
	}
	return r
}

// Gaps are the leaf clauses not met, furthest behind first.
func (r Report) Gaps() []compliance.ClauseResult {
	leaf := r.leaves()
	var out []compliance.ClauseResult
	for _, s := range []compliance.Status{compliance.NotMet, compliance.PartlyMet, compliance.NoData} {
		for _, c := range r.Eval.Clauses {
			if c.Status == s && leaf[c.Clause] {
				out = append(out, c)
			}
		}
	}
	return out
}

func (r Report) leaves() map[string]bool {
	out := map[string]bool{}
	if std, ok := clauses.Get(r.Eval.Standard); ok {
		for _, l := range std.Leaves() {
			out[l.Number] = true
		}
	}
	return out
}

// TodoOf is what to do first about a clause.
func (r Report) TodoOf(c compliance.ClauseResult) string {
	if std, ok := clauses.Get(r.Eval.Standard); ok {
		if cl, ok := std.Clause(c.Clause); ok {
			return compliance.TodoFor(cl, c)
		}
	}
	return c.Todo()
}

// Leaves counts the clauses evidence is gathered for.
func (r Report) Leaves() int { return len(r.leaves()) }

// StatusWord is a status as a person reads it.
func StatusWord(s compliance.Status) string {
	switch s {
	case compliance.Met:
		return "Met"
	case compliance.PartlyMet:
		return "Partly met"
	case compliance.NotMet:
		return "Not met"
	}
	return "No data"
}

// Number writes a figure with its unit.
func Number(n compliance.Number) string {
	v := strconv.FormatFloat(n.Value, 'f', -1, 64)
	switch n.Unit {
	case "%":
		return strconv.FormatFloat(n.Value, 'f', 1, 64) + " %"
	case "days", "hours":
		return v + " " + n.Unit
	}
	return v
}

//go:embed report.html
var reportHTML string

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"status": StatusWord,
	"count":  func(m map[compliance.Status]int, s string) int { return m[compliance.Status(s)] },
	"number": Number,
	"when": func(loc *time.Location, t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(loc).Format("2 Jan 2006, 15:04 MST")
	},
	"day": func(loc *time.Location, t time.Time) string { return t.In(loc).Format("2 Jan 2006") },
	"pad": func(depth int) int { return (depth - 1) * 18 },
}).Parse(reportHTML))

// WriteHTML writes the report as one self-contained page: inline styles,
// no scripts, nothing fetched from anywhere.
func (r Report) WriteHTML(w io.Writer) error { return reportTmpl.Execute(w, r) }
