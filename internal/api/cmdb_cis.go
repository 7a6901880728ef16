package api

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"steward/internal/auth"
	"steward/internal/cmdb"
	"steward/internal/domainerr"
	"steward/internal/httpx"
)

// registerCIs adds CI types, CIs, relationships, the CI history and the
// links between incidents and CIs (8.2.6).
func (a *API) registerCIs(rt *httpx.Router) {
	rt.Handle("GET /api/v1/ci-types", auth.CIRead, a.listCITypes)
	rt.Handle("POST /api/v1/ci-types", auth.CITypeWrite, a.createCIType)
	rt.Handle("GET /api/v1/ci-types/{id}", auth.CIRead, a.getCIType)
	rt.Handle("PATCH /api/v1/ci-types/{id}", auth.CITypeWrite, a.patchCIType)
	rt.Handle("DELETE /api/v1/ci-types/{id}", auth.CITypeWrite, a.deleteCIType)

	rt.Handle("GET /api/v1/cis", auth.CIRead, a.listCIs)
	rt.Handle("POST /api/v1/cis", auth.CIWrite, a.createCI)
	rt.Handle("GET /api/v1/cis/{id}", auth.CIRead, a.getCI)
	rt.Handle("PATCH /api/v1/cis/{id}", auth.CIWrite, a.patchCI)
	rt.Handle("DELETE /api/v1/cis/{id}", auth.CIWrite, a.deleteCI)
	rt.Handle("GET /api/v1/cis/{id}/relationships", auth.CIRead, a.ciRelationships)
	rt.Handle("GET /api/v1/cis/{id}/history", auth.CIRead, a.ciHistory)
	rt.Handle("GET /api/v1/cis/{id}/incidents", auth.CIRead, a.ciIncidents)

	rt.Handle("GET /api/v1/relationships", auth.CIRead, a.listRelationships)
	rt.Handle("POST /api/v1/relationships", auth.CIWrite, a.createRelationship)
	rt.Handle("GET /api/v1/relationships/{id}", auth.CIRead, a.getRelationship)
	rt.Handle("DELETE /api/v1/relationships/{id}", auth.CIWrite, a.deleteRelationship)

	rt.Handle("GET /api/v1/incidents/{ref}/cis", auth.CIRead, a.incidentCIs)
	rt.Handle("GET /api/v1/incidents/{ref}/services", auth.CIRead, a.incidentServices)
	rt.Handle("PUT /api/v1/incidents/{ref}/cis/{ci}", auth.CIWrite, a.linkIncidentCI)
	rt.Handle("DELETE /api/v1/incidents/{ref}/cis/{ci}", auth.CIWrite, a.unlinkIncidentCI)
}

// seqCursor is the opaque cursor of lists paged backwards by a number
// (history by seq, incidents by id).
type seqCursor struct {
	Before int64 `json:"b"`
}

func encodeSeqCursor(before int64) string {
	b, _ := json.Marshal(seqCursor{Before: before})
	return base64.RawURLEncoding.EncodeToString(b)
}

func (q *query) seqCursor() int64 {
	v := q.str("cursor", 100)
	if v == "" {
		return 0
	}
	var c seqCursor
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || json.Unmarshal(b, &c) != nil || c.Before <= 0 {
		q.fields["cursor"] = "is not a cursor from a previous page of this list"
		return 0
	}
	return c.Before
}

// CI types.

func (a *API) listCITypes(w http.ResponseWriter, r *http.Request) {
	if err := newQuery(r).err(); err != nil {
		a.fail(w, r, err)
		return
	}
	types, err := a.CMDB.ListTypes(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listBody(types, ""))
}

func (a *API) createCIType(w http.ResponseWriter, r *http.Request) {
	var in cmdb.NewCIType
	if err := decode(w, r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	t, err := a.CMDB.CreateType(r.Context(), httpx.Principal(r).Actor(), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/ci-types/"+strconv.FormatInt(t.ID, 10))
	w.Header().Set("ETag", etag(t.Version))
	writeJSON(w, http.StatusCreated, t)
}

func (a *API) getCIType(w http.ResponseWriter, r *http.Request) {
	t, err := a.CMDB.GetType(r.Context(), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(t.Version))
	writeJSON(w, http.StatusOK, t)
}

func (a *API) patchCIType(w http.ResponseWriter, r *http.Request) {
	var pt cmdb.CITypePatch
	if err := decode(w, r, &pt); err != nil {
		a.fail(w, r, err)
		return
	}
	t, err := a.CMDB.UpdateType(r.Context(), httpx.Principal(r).Actor(), r.PathValue("id"), pt, ifMatch(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(t.Version))
	writeJSON(w, http.StatusOK, t)
}

func (a *API) deleteCIType(w http.ResponseWriter, r *http.Request) {
	if err := a.CMDB.DeleteType(r.Context(), httpx.Principal(r).Actor(), r.PathValue("id"), ifMatch(r)); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// CIs.

var attrParam = regexp.MustCompile(`^attr\.[a-z][a-z0-9_]{0,62}$`)

func (a *API) listCIs(w http.ResponseWriter, r *http.Request) {
	known := []string{"type", "status", "customer_id", "group_id", "service_id", "q", "limit", "cursor"}
	for k := range r.URL.Query() {
		if strings.HasPrefix(k, "attr.") {
			known = append(known, k)
		}
	}
	q := newQuery(r, known...)
	f := cmdb.CIFilter{
		Types:      q.list("type"),
		CustomerID: q.int64("customer_id"),
		GroupID:    q.int64("group_id"),
		ServiceID:  q.int64("service_id"),
		Query:      q.str("q", domainerr.MaxName),
		Limit:      q.limit(),
		Cursor:     q.str("cursor", 200),
		Attrs:      map[string]string{},
	}
	for _, s := range q.list("status") {
		f.Statuses = append(f.Statuses, cmdb.Status(s))
	}
	for _, k := range known[8:] {
		if !attrParam.MatchString(k) {
			q.fields[k] = "is not an attribute name (attr. followed by lower-case letters, digits and _)"
			continue
		}
		f.Attrs[strings.TrimPrefix(k, "attr.")] = q.str(k, cmdb.MaxAttrValue)
	}
	if len(q.fields) > 0 {
		// Name every fault at once, those only the CMDB can see included.
		if err := a.CMDB.CheckCIFilter(r.Context(), cmdb.CIFilter{Types: f.Types, Statuses: f.Statuses, Attrs: f.Attrs}); err != nil {
			var inv *domainerr.Invalid
			if !errors.As(err, &inv) {
				a.fail(w, r, err)
				return
			}
			for k, m := range inv.Fields {
				if _, ok := q.fields[k]; !ok {
					q.fields[k] = m
				}
			}
		}
		a.fail(w, r, q.err())
		return
	}
	page, err := a.CMDB.ListCIs(r.Context(), f)
	if err != nil {
		a.fail(w, r, queryFault(err))
		return
	}
	writeJSON(w, http.StatusOK, listBody(page.Items, page.NextCursor))
}

// replayCreated writes a stored answer to a creation, pointing Location
// at the record it names under base.
func replayCreated(w http.ResponseWriter, id *idem, base string) bool {
	if id.key == "" || id.status == 0 {
		return false
	}
	var rec struct {
		ID      int64 `json:"id"`
		Version int   `json:"version"`
	}
	if json.Unmarshal(id.body, &rec) == nil && rec.ID > 0 {
		w.Header().Set("Location", base+strconv.FormatInt(rec.ID, 10))
		if rec.Version > 0 {
			w.Header().Set("ETag", etag(rec.Version))
		}
	}
	return id.replay(w)
}

func (a *API) createCI(w http.ResponseWriter, r *http.Request) {
	var in cmdb.NewCI
	if err := decode(w, r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	idem, err := a.idempotency(r, in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if replayCreated(w, idem, "/api/v1/cis/") {
		return
	}
	ci, err := a.CMDB.CreateCI(r.Context(), httpx.Principal(r).Actor(), in, storeHook[cmdb.CI](idem, http.StatusCreated))
	if idem.raced(err) && replayCreated(w, idem, "/api/v1/cis/") {
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/cis/"+strconv.FormatInt(ci.ID, 10))
	w.Header().Set("ETag", etag(ci.Version))
	writeJSON(w, http.StatusCreated, ci)
}

func (a *API) getCI(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	ci, err := a.CMDB.GetCI(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if notModified(w, r, ci.Version) {
		return
	}
	writeJSON(w, http.StatusOK, ci)
}

func (a *API) patchCI(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var pt cmdb.CIPatch
	if err := decode(w, r, &pt); err != nil {
		a.fail(w, r, err)
		return
	}
	ci, err := a.CMDB.UpdateCI(r.Context(), httpx.Principal(r).Actor(), id, pt, ifMatch(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(ci.Version))
	writeJSON(w, http.StatusOK, ci)
}

func (a *API) deleteCI(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	q := newQuery(r, "change_ref")
	ref := q.str("change_ref", domainerr.MaxShort)
	if err := q.err(); err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.CMDB.DeleteCI(r.Context(), httpx.Principal(r).Actor(), id, ifMatch(r), ref); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func relTypes(q *query) []cmdb.RelType {
	var out []cmdb.RelType
	for _, s := range q.list("type") {
		t := cmdb.RelType(s)
		if !t.Valid() {
			q.fields["type"] = fmt.Sprintf("%q is not a relationship type; use %s", s, cmdb.RelTypeNames())
		}
		out = append(out, t)
	}
	return out
}

func (a *API) ciRelationships(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	q := newQuery(r, "type", "direction", "limit", "cursor")
	f := cmdb.RelatedFilter{Types: relTypes(q), Direction: q.str("direction", 20), Limit: q.limit(), Cursor: q.str("cursor", 200)}
	if err := q.err(); err != nil {
		a.fail(w, r, err)
		return
	}
	page, err := a.CMDB.CIRelationships(r.Context(), id, f)
	if err != nil {
		a.fail(w, r, queryFault(err))
		return
	}
	writeJSON(w, http.StatusOK, listBody(page.Items, page.NextCursor))
}

func (a *API) ciHistory(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	q := newQuery(r, "limit", "cursor")
	limit, before := q.limit(), q.seqCursor()
	if err := q.err(); err != nil {
		a.fail(w, r, err)
		return
	}
	items, err := a.CMDB.History(r.Context(), id, before, limit+1)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	next := ""
	if len(items) > limit {
		items = items[:limit]
		next = encodeSeqCursor(items[limit-1].Seq)
	}
	writeJSON(w, http.StatusOK, listBody(items, next))
}

func (a *API) ciIncidents(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	q := newQuery(r, "limit", "cursor")
	limit, before := q.limit(), q.seqCursor()
	if err := q.err(); err != nil {
		a.fail(w, r, err)
		return
	}
	items, err := a.CMDB.CIIncidents(r.Context(), id, before, limit+1)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	next := ""
	if len(items) > limit {
		items = items[:limit]
		next = encodeSeqCursor(items[limit-1].IncidentID)
	}
	writeJSON(w, http.StatusOK, listBody(items, next))
}

// Relationships.

func (a *API) listRelationships(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "type", "source_id", "target_id", "limit", "cursor")
	f := cmdb.RelFilter{Types: relTypes(q), SourceID: q.int64("source_id"), TargetID: q.int64("target_id"),
		Limit: q.limit(), Cursor: q.str("cursor", 200)}
	if err := q.err(); err != nil {
		a.fail(w, r, err)
		return
	}
	page, err := a.CMDB.Relationships(r.Context(), f)
	if err != nil {
		a.fail(w, r, queryFault(err))
		return
	}
	writeJSON(w, http.StatusOK, listBody(page.Items, page.NextCursor))
}

func (a *API) createRelationship(w http.ResponseWriter, r *http.Request) {
	var in cmdb.NewRelationship
	if err := decode(w, r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	idem, err := a.idempotency(r, in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if replayCreated(w, idem, "/api/v1/relationships/") {
		return
	}
	rel, err := a.CMDB.Relate(r.Context(), httpx.Principal(r).Actor(), in, storeHook[cmdb.RelationshipView](idem, http.StatusCreated))
	if idem.raced(err) && replayCreated(w, idem, "/api/v1/relationships/") {
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/relationships/"+strconv.FormatInt(rel.ID, 10))
	writeJSON(w, http.StatusCreated, rel)
}

func (a *API) getRelationship(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	rel, err := a.CMDB.GetRelationship(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rel)
}

func (a *API) deleteRelationship(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	q := newQuery(r, "change_ref")
	ref := q.str("change_ref", domainerr.MaxShort)
	if err := q.err(); err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.CMDB.Unrelate(r.Context(), httpx.Principal(r).Actor(), id, ref); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// Incident links.

func (a *API) incidentCIs(w http.ResponseWriter, r *http.Request) {
	id, err := a.incidentRef(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	items, err := a.CMDB.IncidentCIs(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listBody(items, ""))
}

// incidentServices derives the catalogue services an incident affects
// from its linked CIs and what they impact downstream.
func (a *API) incidentServices(w http.ResponseWriter, r *http.Request) {
	id, err := a.incidentRef(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	items, err := a.CMDB.AffectedServices(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listBody(items, ""))
}

// incidentCI reads the incident and CI of a link route.
func (a *API) incidentCI(r *http.Request) (int64, int64, error) {
	inc, err := a.incidentRef(r)
	if err != nil {
		return 0, 0, err
	}
	ci, err := pathID(r, "ci")
	return inc, ci, err
}

func (a *API) linkIncidentCI(w http.ResponseWriter, r *http.Request) {
	inc, ci, err := a.incidentCI(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	created, err := a.CMDB.LinkIncident(r.Context(), httpx.Principal(r).Actor(), inc, ci)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	linked, err := a.CMDB.IncidentCIs(r.Context(), inc)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	for _, l := range linked {
		if l.CIID == ci {
			writeJSON(w, status, l)
			return
		}
	}
	a.fail(w, r, errors.New("link vanished after it was made"))
}

func (a *API) unlinkIncidentCI(w http.ResponseWriter, r *http.Request) {
	inc, ci, err := a.incidentCI(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.CMDB.UnlinkIncident(r.Context(), httpx.Principal(r).Actor(), inc, ci); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
