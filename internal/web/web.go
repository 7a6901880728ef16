// Package web serves Steward's HTML pages: server-rendered templates and
// embedded static assets, with cookie sessions and CSRF tokens. Pages work
// without JavaScript; app.js only adds keyboard shortcuts and small comforts.
package web

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"steward/internal/auth"
	"steward/internal/cmdb"
	"steward/internal/httpx"
	"steward/internal/identity"
	"steward/internal/incident"
	"steward/internal/record"
	"steward/internal/request"
	"steward/internal/sla"
	"steward/internal/store"
)

// Web holds what the pages need.
type Web struct {
	DB           *store.DB
	Incidents    *incident.Service
	SLA          *sla.Service     // shared with the timer engine
	Requests     *request.Service // shared, with the SLA engine as its observer
	CMDB         *cmdb.Service    // shared; holds the impact graph
	Records      *record.Kernel   // what every ticket-like kind shares
	Log          *slog.Logger
	CookieSecure string           // auto, always or never
	SignIn       *auth.SignIn     // checks passwords under the sign-in throttle
	Tokens       *auth.TokenCache // the node's resolved API tokens; a revocation here drops one
	// Loc is the organisation's time zone, in which the lists read the
	// days of their date filters (as KPI periods are cut); UTC when nil.
	Loc *time.Location
	// Nav is the top bar's links, declared by the areas in their order;
	// the platform's own (audit trail, failed jobs) follow them.
	Nav []NavEntry

	clocks      viewsByClock // for each viewer's zone and format
	origin      *http.CrossOriginProtection
	recordShows map[string]recordShow // each kind's page, for the shared panels' failed forms
	nav         []NavEntry            // the areas' links, then the platform's
	// knownErrors, when problem management is present, is the incident
	// page's panel of known errors that may explain the incident.
	knownErrors func(r *http.Request, inc incident.Incident) (*knownErrorPanel, error)
	// incidentAlerts, when event management is present, is the incident
	// page's panel of the incident's alerts.
	incidentAlerts func(r *http.Request, inc incident.Incident) (*incidentAlertsPanel, error)
	// identity, when single sign-on's pages are present, puts its button
	// on the sign-in page.
	identity *identity.Service
	// knowledge, when the knowledge base is present, is the incident
	// page's panel of articles (and known errors) that may answer it.
	knowledge func(r *http.Request, inc incident.Incident) (*kbPanel, error)
	// security, when information security is present, is the incident
	// page's panel for the security group: the security incidents raised
	// from it and the button that escalates it to one.
	security func(r *http.Request, inc incident.Incident) (*securityPanel, error)
	// assurance, filled by the assurance areas present, are the cards of
	// a service's page: its availability, continuity, capacity and costs.
	assurance []serviceCard
}

// Pages adds one area's pages. Each area's handler file declares its own
// (IncidentPages, CMDBPages, ...) and the area list in app passes them to
// Register with the area's entries in the top bar (Web.Nav), so adding
// an area edits nothing here nor in the layout.
type Pages func(wb *Web, rt *httpx.Router)

// Register adds the platform's pages and those of areas to mux and
// records them in routes.
func (wb *Web) Register(mux *http.ServeMux, routes *[]httpx.Route, areas ...Pages) {
	wb.origin = http.NewCrossOriginProtection()
	wb.recordShows = map[string]recordShow{}
	wb.nav = append(append([]NavEntry{}, wb.Nav...), platformNav...)
	rt := httpx.NewRouter(mux, wb.authenticate, wb.deny, routes)

	rt.Handle("GET /static/{file}", auth.Public, serveStatic)
	rt.Handle("GET /login", auth.Public, wb.loginForm)
	rt.Handle("POST /login", auth.Public, wb.login)
	wb.post(rt, "POST /logout", auth.Authenticated, wb.logout)

	for _, register := range areas {
		register(wb, rt)
	}
	wb.registerRecords(rt)
	wb.registerJobs(rt)
	wb.registerQueueTools(rt)
	wb.registerProfile(rt)
	wb.registerSettings(rt)
	wb.registerPickers(rt)
	rt.Handle("GET /tokens", auth.TokenOwn, wb.tokens)
	wb.post(rt, "POST /tokens", auth.TokenOwn, wb.createToken)
	wb.post(rt, "POST /tokens/{id}/revoke", auth.TokenOwn, wb.revokeToken)
	rt.Handle("GET /audit", auth.AuditRead, wb.auditTrail)
	rt.Handle("GET /audit/verify", auth.AuditRead, wb.auditVerify)

	// Whatever no route claims is a page that does not exist; /api/ keeps
	// its own JSON answer because that pattern is more specific.
	mux.HandleFunc("/", wb.notFoundPage)
}

// sessionCookie names the browser session; the API never reads it.
const sessionCookie = "steward_session"

// authenticate reads only the session cookie: bearer tokens are for the API.
func (wb *Web) authenticate(r *http.Request) (*auth.Principal, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	p, err := auth.SessionPrincipal(r.Context(), wb.DB, c.Value)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return p, err
}

// deny answers a request the router refused: strangers are sent to sign
// in and come back afterwards, signed-in users see why they may not.
func (wb *Web) deny(w http.ResponseWriter, r *http.Request, status int, err error) {
	switch status {
	case http.StatusUnauthorized:
		next := "/"
		if r.Method == http.MethodGet {
			next = r.URL.RequestURI()
		}
		target := "/login"
		if next != "/" {
			target += "?next=" + url.QueryEscape(next)
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
	case http.StatusForbidden:
		p, _ := wb.authenticate(r)
		wb.errorPage(w, r.WithContext(httpx.WithPrincipal(r.Context(), p)), http.StatusForbidden, "")
	default:
		wb.fail(w, r, err)
	}
}

func (wb *Web) notFoundPage(w http.ResponseWriter, r *http.Request) {
	p, err := wb.authenticate(r)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	wb.errorPage(w, r.WithContext(httpx.WithPrincipal(r.Context(), p)), http.StatusNotFound, "")
}
