// Package api serves Steward's REST API under /api/v1: JSON in and out,
// bearer-token authentication, one permission per route, a single mapping
// from domain errors to status codes, ETags with If-Match, Idempotency-Key
// on creation, keyset pagination, and the OpenAPI document that describes it.
package api

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"steward/internal/auth"
	"steward/internal/cmdb"
	"steward/internal/httpx"
	"steward/internal/incident"
	"steward/internal/record"
	"steward/internal/request"
	"steward/internal/sla"
	"steward/internal/store"
)

// API holds what the handlers need.
type API struct {
	DB        *store.DB
	Incidents *incident.Service
	Log       *slog.Logger
	// The services below are the node's own, shared with its observers
	// and workers: the SLA service with the timer engine's calendar cache,
	// the request service with the SLA engine as its observer, the CMDB
	// with the impact graph. Register never builds a second one.
	SLA      *sla.Service
	Requests *request.Service
	CMDB     *cmdb.Service
	// Records is the machinery every ticket-like kind shares (attachments,
	// links, bulk edits, saved filters, search), over the declared kinds.
	Records *record.Kernel
	// Tokens caches resolved API tokens for a second; one is made when nil.
	Tokens     *auth.TokenCache
	tokensOnce sync.Once
}

// Routes adds one area's API routes. Each area's handler file declares
// its own (IncidentRoutes, CMDBRoutes, ...) and the area list in app
// passes them to Register, so adding an area edits nothing here.
type Routes func(a *API, rt *httpx.Router)

// Register adds the platform's API routes and those of areas to mux and
// records them in routes.
func (a *API) Register(mux *http.ServeMux, routes *[]httpx.Route, areas ...Routes) {
	rt := httpx.NewRouter(mux, a.authenticate, a.deny, routes)

	rt.Handle("GET /api/v1/openapi.json", auth.Public, a.openAPI)
	rt.Handle("GET /api/v1/me", auth.Authenticated, a.me)

	for _, register := range areas {
		register(a, rt)
	}
	if a.Records != nil {
		a.registerRecords(rt)
	}
	a.registerJobs(rt)

	rt.Handle("GET /api/v1/tokens", auth.TokenOwn, a.listTokens)
	rt.Handle("POST /api/v1/tokens", auth.TokenOwn, a.createToken)
	rt.Handle("DELETE /api/v1/tokens/{id}", auth.TokenOwn, a.revokeToken)

	rt.Handle("GET /api/v1/audit", auth.AuditRead, a.listAudit)
	rt.Handle("GET /api/v1/audit/verify", auth.AuditRead, a.verifyAudit)

	rt.Handle("GET /api/v1/settings/priority-matrix", auth.SettingsRead, a.getMatrix)
	rt.Handle("PUT /api/v1/settings/priority-matrix", auth.SettingsWrite, a.putMatrix)

	// Anything else under /api/ is a JSON 404, not the web UI's page.
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such API endpoint", nil)
	})
}

// authenticate accepts only "Authorization: Bearer <token>"; the API never
// reads cookies, so browser sessions cannot be ridden by cross-site requests.
func (a *API) authenticate(r *http.Request) (*auth.Principal, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, nil
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return nil, nil
	}
	p, err := a.tokenCache().Principal(r.Context(), a.DB, strings.TrimSpace(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return p, err
}

func (a *API) deny(w http.ResponseWriter, r *http.Request, status int, err error) {
	switch status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="steward"`)
		writeError(w, status, "unauthorized", "a valid API token is required (Authorization: Bearer <token>)", nil)
	case http.StatusForbidden:
		writeError(w, status, "forbidden", "your role does not allow this", nil)
	default:
		a.fail(w, r, err)
	}
}

func (a *API) me(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	u, err := auth.GetUser(r.Context(), a.DB, p.UserID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

// Authenticator exposes bearer-token authentication, for every route.
func (a *API) Authenticator() httpx.Authenticator { return a.authenticate }

// tokenCache is the node's cache of resolved tokens (see auth.TokenCache).
func (a *API) tokenCache() *auth.TokenCache {
	a.tokensOnce.Do(func() {
		if a.Tokens == nil {
			a.Tokens = auth.NewTokenCache()
		}
	})
	return a.Tokens
}

// Denier exposes the API's JSON 401/403 answers.
func (a *API) Denier() httpx.Denier { return a.deny }
