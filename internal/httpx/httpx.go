// Package httpx is the HTTP plumbing the API and the web pages share: a
// router in which every route names the permission it needs, the
// principal in the request context, client addresses and security headers.
package httpx

import (
	"context"
	"net/http"
	"sort"
	"strings"

	"steward/internal/auth"
)

type ctxKey struct{}

// WithPrincipal stores p in ctx.
func WithPrincipal(ctx context.Context, p *auth.Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// Principal returns the caller, or nil when anonymous.
func Principal(r *http.Request) *auth.Principal { return PrincipalOf(r.Context()) }

// PrincipalOf returns the caller a request's context carries, or nil, for
// work below the handlers that must tell who acts (nobody is told of their
// own change).
func PrincipalOf(ctx context.Context) *auth.Principal {
	p, _ := ctx.Value(ctxKey{}).(*auth.Principal)
	return p
}

// Authenticator finds the principal of a request; (nil, nil) is anonymous.
type Authenticator func(r *http.Request) (*auth.Principal, error)

// Denier answers a request that may not proceed: status is 401 or 403, or
// 500 when authentication itself failed.
type Denier func(w http.ResponseWriter, r *http.Request, status int, err error)

// Route is one registered endpoint.
type Route struct {
	Method     string
	Pattern    string
	Permission auth.Permission
}

// Router registers handlers on a ServeMux behind a permission check.
type Router struct {
	Mux          *http.ServeMux
	Authenticate Authenticator
	Deny         Denier
	routes       *[]Route
}

// NewRouter makes a Router on mux that records its routes in routes.
func NewRouter(mux *http.ServeMux, authn Authenticator, deny Denier, routes *[]Route) *Router {
	return &Router{Mux: mux, Authenticate: authn, Deny: deny, routes: routes}
}

// Handle registers "METHOD /path" for principals holding perm.
func (rt *Router) Handle(pattern string, perm auth.Permission, h http.HandlerFunc) {
	method, path, _ := strings.Cut(pattern, " ")
	*rt.routes = append(*rt.routes, Route{Method: method, Pattern: path, Permission: perm})
	rt.Mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		p, err := rt.Authenticate(r)
		if err != nil {
			rt.Deny(w, r, http.StatusInternalServerError, err)
			return
		}
		if !p.Can(perm) {
			status := http.StatusForbidden
			if p == nil {
				status = http.StatusUnauthorized
			}
			rt.Deny(w, r, status, nil)
			return
		}
		h(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

// PermissionFor is the permission of the route registered for method on
// exactly path ("/" also finds "/{$}"); ok is false when there is none.
// A page uses it to leave out links its reader may not follow.
func (rt *Router) PermissionFor(method, path string) (perm auth.Permission, ok bool) {
	for _, r := range *rt.routes {
		if r.Method == method && (r.Pattern == path || path == "/" && r.Pattern == "/{$}") {
			return r.Permission, true
		}
	}
	return perm, false
}

// SortRoutes orders routes by path then method, for listings and tests.
func SortRoutes(rs []Route) {
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].Pattern != rs[j].Pattern {
			return rs[i].Pattern < rs[j].Pattern
		}
		return rs[i].Method < rs[j].Method
	})
}

// SecurityHeaders sets headers every response carries, and HSTS on those
// served over TLS.
func SecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		if HTTPS(r) {
			// Browsers that once reached us over TLS never fall back to plain HTTP.
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}
