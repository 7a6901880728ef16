package web

import (
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"steward/internal/clauses"
	"steward/internal/compliance"
	"steward/internal/httpx"
	"steward/internal/i18n"
)

// readinessView is the readiness page: a snapshot's score, groups, gaps,
// disagreements and clause tree, with the trend of the snapshots before.
type readinessView struct {
	Std       *clauses.Standard
	Standards []stdChoice
	Q         string // the standard's query string for links
	shown
	Leaves   int
	Rules    int
	Gaps     []compliance.ClauseResult
	Behind   []compliance.ClauseResult // gaps not met or partly met
	NoData   []compliance.ClauseResult // gaps without evidence
	Disagree []compliance.ClauseResult
	Tree     []clauseGroup
	// Todos says what to do first about each gap, by clause.
	Todos     map[string]string
	Trend     template.HTML
	Points    int
	Previous  *compliance.Snapshot
	Delta     float64
	CanEval   bool
	CanExport bool
	// Older is set when the snapshot shown is not the newest.
	Older bool
	// Phase is the roadmap's phase to work on next, for the primary
	// standard while one is not done.
	Phase *compliance.PhaseProgress
}

// clauseGroup is a top-level clause with its score and the clauses
// under it.
type clauseGroup struct {
	tx i18n.Text
	compliance.ClauseResult
	Group compliance.GroupScore
	Sub   []compliance.ClauseResult
}

// Bar is the stacked bar of the statuses of every leaf clause.
func (v readinessView) Bar() template.HTML { return statusBar(v.Ev.Counts, "cmp-bar") }

// Bar is the stacked bar of the statuses of the group's leaf clauses.
func (g clauseGroup) Bar() template.HTML { return statusBar(g.Group.Counts, "cmp-bar cmp-bar-sm") }

// statusBar draws the share of each status as an inline SVG (the pages'
// security policy allows no inline styles), best first; a status with no
// clause draws nothing, so no green shows without evidence.
func statusBar(counts map[compliance.Status]int, class string) template.HTML {
	total := 0
	for _, n := range counts {
		total += n
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="%s" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">`, class)
	x := 0.0
	for _, s := range compliance.Statuses {
		if counts[s] == 0 || total == 0 {
			continue
		}
		w := 100 * float64(counts[s]) / float64(total)
		fmt.Fprintf(&b, `<rect class="cmp-seg cmp-bg-%s" x="%.2f" y="0" width="%.2f" height="10"/>`, s, x, w)
		x += w
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // numbers and fixed class names only
}

// Statuses lists the statuses for the legend, best first.
func (readinessView) Statuses() []compliance.Status { return compliance.Statuses }

func (h compliancePages) readiness(w http.ResponseWriter, r *http.Request) {
	h.showReadiness(w, r, 0)
}

func (h compliancePages) snapshot(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	h.showReadiness(w, r, id)
}

func (h compliancePages) showReadiness(w http.ResponseWriter, r *http.Request, id int64) {
	std := standardOf(r)
	sh, err := h.load(r, std.ID, id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	p := httpx.Principal(r)
	v := readinessView{Std: std, Standards: standardChoices(std.ID), Q: stdQuery(std.ID), shown: sh,
		Leaves: len(std.Leaves()), Rules: len(compliance.Rules(std.ID)),
		CanEval: p.Can(compliance.PermEvaluate), CanExport: p.Can(compliance.PermExport)}
	v.Todos = map[string]string{}
	leaf := map[string]bool{}
	for _, l := range std.Leaves() {
		leaf[l.Number] = true
	}
	for _, s := range []compliance.Status{compliance.NotMet, compliance.PartlyMet, compliance.NoData} {
		for _, c := range sh.Ev.Clauses {
			if leaf[c.Clause] && c.Status == s {
				cl, _ := std.Clause(c.Clause)
				v.Todos[c.Clause] = compliance.TodoFor(cl, c)
				v.Gaps = append(v.Gaps, c)
				if s == compliance.NoData {
					v.NoData = append(v.NoData, c)
				} else {
					v.Behind = append(v.Behind, c)
				}
			}
		}
	}
	groups := map[string]compliance.GroupScore{}
	for _, g := range sh.Ev.Groups {
		groups[g.Clause] = g
	}
	for _, c := range sh.Ev.Clauses {
		if c.SelfAssessment != nil && c.Disagrees() {
			v.Disagree = append(v.Disagree, c)
		}
		if c.Depth == 1 {
			v.Tree = append(v.Tree, clauseGroup{tx: h.wb.clockOf(r).text(), ClauseResult: c, Group: groups[c.Clause]})
		} else if n := len(v.Tree); n > 0 {
			v.Tree[n-1].Sub = append(v.Tree[n-1].Sub, c)
		}
	}
	// The trend runs up to the snapshot shown.
	before := sh.Ev.At.Add(time.Microsecond) // the store keeps microseconds
	if sh.Snap != nil {
		before = sh.Snap.TakenAt.Add(time.Microsecond)
	}
	hist, err := compliance.Snapshots(r.Context(), h.wb.DB, std.ID, before, trendLength)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	for i := range hist {
		if sh.Snap != nil && hist[i].ID == sh.Snap.ID {
			continue
		}
		v.Previous = &hist[i]
		v.Delta = sh.Ev.Score - hist[i].Score
		break
	}
	if std.ID == clauses.Primary {
		for _, ph := range compliance.Roadmap(sh.Ev) {
			if ph.Current {
				v.Phase = &ph
				break
			}
		}
	}
	v.Points = len(hist)
	v.Trend = trendSVG(hist, h.wb.clockOf(r))
	if id != 0 {
		latest, err := compliance.Snapshots(r.Context(), h.wb.DB, std.ID, time.Time{}, 1)
		if err != nil {
			h.wb.fail(w, r, err)
			return
		}
		v.Older = len(latest) == 1 && latest[0].ID != id
	}
	title := "Readiness"
	if id != 0 {
		title = h.wb.clockOf(r).text().T("web.compliance_readiness.snapshot_title", "ID", id)
	}
	active := "compliance"
	if id != 0 {
		active = "compliance-snapshots"
	}
	h.wb.render(w, r, http.StatusOK, "compliance", page{Title: title, Active: active, Data: v})
}

// trendLength is how many snapshots the trend draws.
const trendLength = 60

// trendSVG draws the score of the snapshots (newest first) over time as
// an inline SVG, server-side: no script, readable without JavaScript, and
// the same picture in print. Each point carries its date and score as a
// tooltip.
func trendSVG(hist []compliance.Snapshot, ck clock) template.HTML {
	if len(hist) < 2 {
		return ""
	}
	const w, hgt, left, right, top, bottom = 640.0, 150.0, 34.0, 10.0, 10.0, 22.0
	first, last := hist[len(hist)-1].TakenAt, hist[0].TakenAt
	span := last.Sub(first).Seconds()
	x := func(i int) float64 {
		if span <= 0 {
			return left + (w-left-right)*float64(len(hist)-1-i)/float64(len(hist)-1)
		}
		return left + (w-left-right)*hist[i].TakenAt.Sub(first).Seconds()/span
	}
	y := func(score float64) float64 { return top + (hgt-top-bottom)*(1-score/100) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="cmp-trend" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s">`, w, hgt,
		template.HTMLEscapeString(ck.text().T("web.compliance_readiness.trend", "Count", len(hist),
			"From", strconv.FormatFloat(hist[len(hist)-1].Score, 'f', 1, 64), "To", strconv.FormatFloat(hist[0].Score, 'f', 1, 64))))
	for _, g := range []float64{0, 25, 50, 75, 100} {
		fmt.Fprintf(&b, `<line class="cmp-grid" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/>`, left, w-right, y(g), y(g))
		fmt.Fprintf(&b, `<text class="cmp-axis" x="%.1f" y="%.1f" text-anchor="end">%.0f</text>`, left-6, y(g)+4, g)
	}
	var pts []string
	for i := len(hist) - 1; i >= 0; i-- {
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(hist[i].Score)))
	}
	fmt.Fprintf(&b, `<polyline class="cmp-line" points="%s"/>`, strings.Join(pts, " "))
	for i := len(hist) - 1; i >= 0; i-- {
		fmt.Fprintf(&b, `<circle class="cmp-dot" cx="%.1f" cy="%.1f" r="3.5"><title>%s</title></circle>`, x(i), y(hist[i].Score),
			template.HTMLEscapeString(fmt.Sprintf("%s: %.1f %%", ck.full(hist[i].TakenAt), hist[i].Score)))
	}
	fmt.Fprintf(&b, `<text class="cmp-axis" x="%.1f" y="%.1f">%s</text>`, left, hgt-4, template.HTMLEscapeString(ck.day(first)))
	fmt.Fprintf(&b, `<text class="cmp-axis" x="%.1f" y="%.1f" text-anchor="end">%s</text>`, w-right, hgt-4, template.HTMLEscapeString(ck.day(last)))
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built here from numbers and escaped dates only
}

// Summary counts the group's clauses by status in words, leaving out the
// statuses no clause has.
func (g clauseGroup) Summary() string {
	var parts []string
	for _, s := range compliance.Statuses {
		if n := g.Group.Counts[s]; n > 0 {
			parts = append(parts, g.tx.T("web.compliance_readiness.count_"+string(s), "Count", n))
		}
	}
	return strings.Join(parts, " · ")
}
