package api

import (
	"net/http"
	"strconv"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/httpx"
	"steward/internal/infosec"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func (a *API) listTokens(w http.ResponseWriter, r *http.Request) {
	ts, err := auth.ListTokens(r.Context(), a.DB, httpx.Principal(r).UserID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listBody(ts, ""))
}

type tokenCreated struct {
	auth.Token
	Secret string `json:"token"`
}

func (a *API) createToken(w http.ResponseWriter, r *http.Request) {
	var in nameInput
	if err := decode(w, r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	p := httpx.Principal(r)
	secret, t, err := auth.CreateToken(r.Context(), a.DB, p.Actor(), p.UserID, in.Name)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, tokenCreated{Token: t, Secret: secret})
}

func (a *API) revokeToken(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	p := httpx.Principal(r)
	if err := auth.RevokeToken(r.Context(), a.DB, p.Actor(), p.UserID, id); err != nil {
		a.fail(w, r, err)
		return
	}
	a.tokenCache().Forget(id)
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) listAudit(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "entity", "entity_id", "limit", "cursor")
	f := audit.Filter{Entity: q.str("entity", 50), EntityID: q.str("entity_id", 50), Before: q.int64("cursor"), Limit: q.limit()}
	if err := q.err(); err != nil {
		a.fail(w, r, err)
		return
	}
	if ok, err := infosec.Cleared(r.Context(), a.DB, httpx.Principal(r)); err != nil {
		a.fail(w, r, err)
		return
	} else if !ok {
		f.Hide, f.HideMentions = infosec.RestrictedEntities, infosec.RestrictedMentions
	}
	limit := f.Limit
	f.Limit++
	entries, err := audit.List(r.Context(), a.DB, f)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	next := ""
	if len(entries) > limit {
		entries = entries[:limit]
		next = itoa(entries[limit-1].Seq)
	}
	writeJSON(w, http.StatusOK, listBody(entries, next))
}

func (a *API) verifyAudit(w http.ResponseWriter, r *http.Request) {
	n, err := audit.Verify(r.Context(), a.DB)
	var br *audit.Break
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "checked": n})
	case asBreak(err, &br):
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "checked": n, "broken_at": br.Seq, "reason": br.Reason})
	default:
		a.fail(w, r, err)
	}
}
