package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"steward/internal/httpx"
	"steward/internal/nonconformity"
	"steward/internal/store"
)

func (h *checkingAPI) ncRef(r *http.Request) (int64, error) {
	id, ok := nonconformity.ParseRef(r.PathValue("ref"))
	if !ok {
		return 0, store.ErrNotFound
	}
	return id, nil
}

func (h *checkingAPI) listNCs(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "state", "audit_id", "closed_after", "closed_before", "limit", "cursor")
	f := nonconformity.Filter{State: q.str("state", 20), AuditID: q.int64("audit_id"), Limit: q.limit(),
		ClosedAfter: q.time("closed_after"), ClosedBefore: q.time("closed_before")}
	if c := q.str("cursor", 20); c != "" {
		id, ok := nonconformity.ParseRef(c)
		if !ok {
			q.fields["cursor"] = "is not a cursor this server issued"
		}
		f.BeforeID = id
	}
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	list, err := h.ncs.List(r.Context(), httpx.Principal(r), f)
	if err = queryFault(err); err != nil {
		h.fail(w, r, err)
		return
	}
	next := ""
	if len(list) == f.Limit {
		next = strconv.FormatInt(list[len(list)-1].ID, 10)
	}
	writeJSON(w, http.StatusOK, listBody(list, next))
}

func (h *checkingAPI) createNC(w http.ResponseWriter, r *http.Request) {
	var in nonconformity.NewNC
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	createOnce(h.API, w, r, in, func(keep func(context.Context, *store.Tx, nonconformity.NC) error) (nonconformity.NC, error) {
		return h.ncs.Create(r.Context(), httpx.Principal(r), in, keep)
	}, func(n nonconformity.NC) {
		w.Header().Set("Location", "/api/v1/nonconformities/"+n.Number)
		versioned(w, http.StatusCreated, n.Version, n)
	})
}

func (h *checkingAPI) getNC(w http.ResponseWriter, r *http.Request) {
	id, err := h.ncRef(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	n, err := h.ncs.Get(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if notModified(w, r, n.Version) {
		return
	}
	writeJSON(w, http.StatusOK, n)
}

func (h *checkingAPI) patchNC(w http.ResponseWriter, r *http.Request) {
	id, err := h.ncRef(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var pt nonconformity.Patch
	if err := decode(w, r, &pt); err != nil {
		h.fail(w, r, err)
		return
	}
	n, err := h.ncs.Update(r.Context(), httpx.Principal(r), id, pt, ifMatch(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	versioned(w, http.StatusOK, n.Version, n)
}

func (h *checkingAPI) addNCAction(w http.ResponseWriter, r *http.Request) {
	id, err := h.ncRef(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in nonconformity.NewAction
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	a, err := h.ncs.AddAction(r.Context(), httpx.Principal(r), id, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	versioned(w, http.StatusCreated, a.Version, a)
}

func (h *checkingAPI) listActions(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "open", "overdue", "owner_id", "source_kind", "limit", "cursor")
	f := nonconformity.ActionFilter{Limit: q.limit(), SourceKind: q.str("source_kind", 30)}
	if b := q.boolean("open"); b != nil {
		f.Open = *b
	}
	if b := q.boolean("overdue"); b != nil {
		f.Overdue = *b
	}
	if v := q.str("owner_id", 20); v == "me" {
		f.OwnerID = httpx.Principal(r).UserID
	} else if v != "" {
		f.OwnerID = q.int64("owner_id")
	}
	switch f.SourceKind {
	case "", nonconformity.FromNonconformity, nonconformity.FromReview, nonconformity.FromAudit:
	default:
		q.fields["source_kind"] = "must be nonconformity, management_review or internal_audit"
	}
	if c := q.str("cursor", 40); c != "" {
		due, id, ok := strings.Cut(c, "_")
		n, err := strconv.ParseInt(id, 10, 64)
		if _, derr := time.Parse(nonconformity.DateLayout, due); !ok || err != nil || n <= 0 || derr != nil {
			q.fields["cursor"] = "is not a cursor this server issued"
		}
		f.AfterDue, f.AfterID = due, n
	}
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	list, err := nonconformity.ListActions(r.Context(), h.DB, f, time.Now())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	next := ""
	if len(list) == f.Limit {
		last := list[len(list)-1]
		next = last.DueOn + "_" + strconv.FormatInt(last.ID, 10)
	}
	writeJSON(w, http.StatusOK, listBody(list, next))
}

func (h *checkingAPI) patchAction(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var pt nonconformity.ActionPatch
	if err := decode(w, r, &pt); err != nil {
		h.fail(w, r, err)
		return
	}
	a, err := h.ncs.UpdateAction(r.Context(), httpx.Principal(r), id, pt, ifMatch(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	versioned(w, http.StatusOK, a.Version, a)
}
