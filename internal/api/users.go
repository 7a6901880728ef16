package api

import (
	"net/http"

	"steward/internal/auth"
	"steward/internal/httpx"
)

func (a *API) registerUsers(rt *httpx.Router) {
	rt.Handle("POST /api/v1/users", auth.UserWrite, a.createUser)
	rt.Handle("GET /api/v1/users", auth.UserRead, a.listUsers)
	rt.Handle("GET /api/v1/users/{id}", auth.UserRead, a.getUser)
	rt.Handle("PATCH /api/v1/users/{id}", auth.UserWrite, a.patchUser)
	rt.Handle("POST /api/v1/users/{id}/unlock", auth.UserWrite, a.unlockUser)
}

// unlockResult is the answer to an unlock.
type unlockResult struct {
	LockoutsLifted int `json:"lockouts_lifted"`
}

func (a *API) unlockUser(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	n, err := auth.Unlock(r.Context(), a.DB, httpx.Principal(r).Actor(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, unlockResult{LockoutsLifted: n})
}

func (a *API) createUser(w http.ResponseWriter, r *http.Request) {
	var in auth.NewUser
	if err := decode(w, r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	u, err := auth.CreateUser(r.Context(), a.DB, httpx.Principal(r).Actor(), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(u.Version))
	writeJSON(w, http.StatusCreated, u)
}

func (a *API) listUsers(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "role", "customer_id", "group_id", "limit", "cursor")
	f := auth.UserFilter{
		Role:       auth.Role(q.str("role", 20)),
		CustomerID: q.int64("customer_id"),
		GroupID:    q.int64("group_id"),
		After:      q.int64("cursor"),
		Limit:      q.limit(),
	}
	if f.Role != "" && !f.Role.Valid() {
		q.fields["role"] = "must be admin, agent, requester or auditor"
	}
	if err := q.err(); err != nil {
		a.fail(w, r, err)
		return
	}
	limit := f.Limit
	f.Limit++
	users, err := auth.ListUsers(r.Context(), a.DB, f)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	next := ""
	if len(users) > limit {
		users = users[:limit]
		next = itoa(users[limit-1].ID)
	}
	writeJSON(w, http.StatusOK, listBody(users, next))
}

func (a *API) getUser(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	u, err := auth.GetUser(r.Context(), a.DB, id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(u.Version))
	writeJSON(w, http.StatusOK, u)
}

func (a *API) patchUser(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var in auth.UserPatch
	if err := decode(w, r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	u, err := auth.UpdateUser(r.Context(), a.DB, httpx.Principal(r).Actor(), id, in, ifMatch(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.tokenCache().ForgetUser(id) // a role, group or state change binds their tokens here at once
	w.Header().Set("ETag", etag(u.Version))
	writeJSON(w, http.StatusOK, u)
}
