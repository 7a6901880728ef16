package web

import (
	"net/http"
	"strings"
	"time"

	"steward/internal/clauses"
	"steward/internal/compliance"
	"steward/internal/httpx"
)

// snapshotRow is one kept evaluation in the list.
type snapshotRow struct {
	compliance.Snapshot
	By string
}

// N is how many clauses had the status named.
func (s snapshotRow) N(status string) int { return s.Counts[compliance.Status(status)] }

// Head is the audit trail's head shortened: its sequence number and the
// start of its hash.
func (s snapshotRow) Head() string {
	seq, hash, ok := strings.Cut(s.ChainHead, ":")
	if !ok || len(hash) < 12 {
		return s.ChainHead
	}
	return "#" + seq + " " + hash[:12] + "…"
}

type snapshotsView struct {
	Std       *clauses.Standard
	Standards []stdChoice
	Q         string
	Items     []snapshotRow
	// Next is the instant to list from for the page after, zero at the end.
	Next    time.Time
	CanEval bool
}

// snapshotsPage bounds the snapshots listed at once.
const snapshotsPage = 50

func (h compliancePages) snapshots(w http.ResponseWriter, r *http.Request) {
	std := standardOf(r)
	var before time.Time
	if s := r.URL.Query().Get("before"); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			h.wb.errorPage(w, r, http.StatusBadRequest, "")
			return
		}
		before = t
	}
	list, err := compliance.Snapshots(r.Context(), h.wb.DB, std.ID, before, snapshotsPage+1)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v := snapshotsView{Std: std, Standards: standardChoices(std.ID), Q: stdQuery(std.ID)}
	v.CanEval = httpx.Principal(r).Can(compliance.PermEvaluate)
	if len(list) > snapshotsPage {
		list = list[:snapshotsPage]
		v.Next = list[len(list)-1].TakenAt
	}
	names, err := userNames(r, h.wb, list)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	for _, s := range list {
		row := snapshotRow{Snapshot: s}
		if s.TakenBy != nil {
			row.By = names[*s.TakenBy]
		}
		v.Items = append(v.Items, row)
	}
	h.wb.render(w, r, http.StatusOK, "compliance_snapshots", page{Title: "Snapshots", Active: "compliance-snapshots", Data: v})
}

func userNames(r *http.Request, wb *Web, list []compliance.Snapshot) (map[int64]string, error) {
	out := map[int64]string{}
	for _, s := range list {
		if s.TakenBy == nil {
			continue
		}
		if _, ok := out[*s.TakenBy]; ok {
			continue
		}
		var n string
		if err := wb.DB.QueryRow(r.Context(), "SELECT name FROM users WHERE id = ?", *s.TakenBy).Scan(&n); err != nil {
			return nil, err
		}
		out[*s.TakenBy] = n
	}
	return out, nil
}

type roadmapView struct {
	Std       *clauses.Standard
	Standards []stdChoice
	Q         string
	Phases    []compliance.PhaseProgress
	Primary   bool
	shown
}

func (h compliancePages) roadmap(w http.ResponseWriter, r *http.Request) {
	std := standardOf(r)
	sh, err := h.load(r, std.ID, 0)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v := roadmapView{Std: std, Standards: standardChoices(std.ID), Q: stdQuery(std.ID), shown: sh, Primary: std.ID == clauses.Primary}
	if v.Primary {
		v.Phases = compliance.Roadmap(sh.Ev)
	}
	h.wb.render(w, r, http.StatusOK, "compliance_roadmap", page{Title: "Roadmap to certification", Active: "compliance-roadmap", Data: v})
}
