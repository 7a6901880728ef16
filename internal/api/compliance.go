package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"steward/internal/audit"
	"steward/internal/clauses"
	"steward/internal/compliance"
	"steward/internal/httpx"
	"steward/internal/store"
)

// ComplianceRoutes are readiness against the management-system standards:
// each clause's status with the evidence behind it, evaluations kept as
// snapshots, the catalogue of standards and the mapping between them.
func ComplianceRoutes(a *API, rt *httpx.Router) {
	h := complianceAPI{a: a}
	rt.Handle("GET /api/v1/compliance/clauses", compliance.PermRead, h.clauses)
	rt.Handle("POST /api/v1/compliance/evaluate", compliance.PermEvaluate, h.evaluate)
	rt.Handle("GET /api/v1/compliance/snapshots", compliance.PermRead, h.snapshots)
	rt.Handle("GET /api/v1/compliance/snapshots/{id}", compliance.PermRead, h.snapshot)
	rt.Handle("GET /api/v1/compliance/standards", compliance.PermRead, h.standards)
	rt.Handle("GET /api/v1/compliance/mapping", compliance.PermRead, h.mapping)
}

type complianceAPI struct{ a *API }

// readiness is the clause list as the API answers it.
type readiness struct {
	Standard    string                    `json:"standard"`
	SnapshotID  int64                     `json:"snapshot_id"`
	EvaluatedAt time.Time                 `json:"evaluated_at"`
	Score       float64                   `json:"score"`
	Counts      map[compliance.Status]int `json:"counts"`
	Items       []compliance.ClauseResult `json:"items"`
}

// standardParam reads the standard a request is about; the primary one
// when none is named.
func standardParam(q *query) string {
	id := q.str("standard", 40)
	if id == "" {
		return clauses.Primary
	}
	if _, ok := clauses.Get(id); !ok {
		q.fields["standard"] = "is not a standard in the catalogue (see /api/v1/compliance/standards)"
	}
	return id
}

// clauses answers from the latest snapshot, which is fast however large
// the database; the first time, it evaluates and keeps a snapshot first.
func (h complianceAPI) clauses(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "standard")
	std := standardParam(q)
	if err := q.err(); err != nil {
		h.a.fail(w, r, err)
		return
	}
	ctx := r.Context()
	snap, err := compliance.Latest(ctx, h.a.DB, std)
	if errors.Is(err, store.ErrNotFound) {
		// Taken on nobody's behalf: reading readiness is not a decision to
		// record one.
		snap, err = compliance.Take(ctx, h.a.DB, std, audit.System, compliance.OriginSchedule)
	}
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	as, err := compliance.Assessments(ctx, h.a.DB, std)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	ev := snap.Evaluation
	ev.Attach(as)
	writeJSON(w, http.StatusOK, readiness{Standard: std, SnapshotID: snap.ID, EvaluatedAt: snap.TakenAt, Score: snap.Score, Counts: ev.Counts, Items: ev.Clauses})
}

func (h complianceAPI) evaluate(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "standard")
	std := standardParam(q)
	if err := q.err(); err != nil {
		h.a.fail(w, r, err)
		return
	}
	snap, err := compliance.Take(r.Context(), h.a.DB, std, httpx.Principal(r).Actor(), compliance.OriginManual)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/compliance/snapshots/"+strconv.FormatInt(snap.ID, 10))
	writeJSON(w, http.StatusCreated, snap)
}

func (h complianceAPI) snapshots(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "standard", "before", "limit")
	std, before, limit := standardParam(q), q.time("before"), q.limit()
	if err := q.err(); err != nil {
		h.a.fail(w, r, err)
		return
	}
	list, err := compliance.Snapshots(r.Context(), h.a.DB, std, before, limit)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	out := map[string]any{"items": list}
	if len(list) == limit {
		out["next_before"] = list[len(list)-1].TakenAt.UTC().Format(time.RFC3339Nano)
	}
	writeJSON(w, http.StatusOK, out)
}

func (h complianceAPI) snapshot(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	snap, err := compliance.GetSnapshot(r.Context(), h.a.DB, id)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, snap)
}

// standardInfo is one standard of the catalogue.
type standardInfo struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Short   string `json:"short"`
	Primary bool   `json:"primary"`
	// Mapped says the standard is judged through the mapping from the
	// primary one.
	Mapped  bool `json:"mapped"`
	Clauses int  `json:"clauses"`
	Leaves  int  `json:"leaves"`
}

func (h complianceAPI) standards(w http.ResponseWriter, r *http.Request) {
	if err := newQuery(r).err(); err != nil {
		h.a.fail(w, r, err)
		return
	}
	items := []standardInfo{}
	for _, s := range clauses.All() {
		_, mapped := clauses.MappedFrom(s.ID)
		items = append(items, standardInfo{ID: s.ID, Title: s.Title, Short: s.Short, Primary: s.ID == clauses.Primary, Mapped: mapped,
			Clauses: len(s.Clauses), Leaves: len(s.Leaves())})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (h complianceAPI) mapping(w http.ResponseWriter, r *http.Request) {
	if err := newQuery(r).err(); err != nil {
		h.a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, clauses.Mappings())
}
