package web

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"steward/internal/auth"
	"steward/internal/httpx"
	"steward/internal/i18n"
)

// loginCookie holds the login form's double-submit token: there is no
// session yet to tie a CSRF token to, so the form and a cookie must agree.
const loginCookie = "steward_login_csrf"

type loginView struct {
	Email string
	Next  string
	Token string
	Error string
	// SSO names the single sign-on provider for the button; "" hides it.
	SSO string
}

// secure decides the Secure flag: behind a TLS-terminating proxy the
// request itself is plain HTTP, hence the forwarded header in auto mode.
// That header is taken from anyone here: a client that forges it only
// keeps its own cookie from being sent back over plain HTTP.
func (wb *Web) secure(r *http.Request) bool {
	switch wb.CookieSecure {
	case "always":
		return true
	case "never":
		return false
	}
	return httpx.HTTPS(r) || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func (wb *Web) setCookie(w http.ResponseWriter, r *http.Request, name, value, path string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: wb.secure(r),
	})
}

// safeNext keeps a post-login target only when it is a path on this site,
// so the login page cannot be used to send people elsewhere.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsAny(next, "\\\r\n\t") || len(next) > 2000 {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return next
}

func newLoginToken() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (wb *Web) loginForm(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if httpx.Principal(r) != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	wb.showLogin(w, r, http.StatusOK, loginView{Next: next})
}

// showLogin renders the form with a login token, reusing the browser's
// current one so that two open tabs both work.
func (wb *Web) showLogin(w http.ResponseWriter, r *http.Request, status int, v loginView) {
	v.Token = wb.loginToken(w, r)
	if wb.identity != nil && wb.identity.Enabled() {
		v.SSO = wb.identity.Name()
	}
	wb.render(w, r, status, "login", page{Title: "Sign in", Data: v})
}

// loginToken is the sign-in forms' double-submit token, the browser's
// current one when it has one.
func (wb *Web) loginToken(w http.ResponseWriter, r *http.Request) string {
	token := ""
	if c, err := r.Cookie(loginCookie); err == nil && len(c.Value) >= 32 && len(c.Value) <= 64 {
		token = c.Value
	} else {
		token = newLoginToken()
	}
	wb.setCookie(w, r, loginCookie, token, "/login", 3600)
	return token
}

func (wb *Web) login(w http.ResponseWriter, r *http.Request) {
	if !wb.readForm(w, r) {
		return
	}
	c, err := r.Cookie(loginCookie)
	if err != nil || !sameToken(r.PostFormValue("csrf_token"), c.Value) {
		wb.errorPage(w, r, http.StatusForbidden, wb.clockOf(r).text().T("web.session.expired"))
		return
	}
	v := loginView{Email: strings.TrimSpace(r.PostFormValue("email")), Next: safeNext(r.PostFormValue("next"))}
	password := r.PostFormValue("password")
	if v.Email == "" || password == "" {
		v.Error = wb.clockOf(r).text().T("web.session.enter_both")
		wb.showLogin(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	cookie, who, err := wb.SignIn.Login(r.Context(), v.Email, password, httpx.ClientIP(r))
	var throttled *auth.ErrThrottled
	var second *auth.SecondFactorNeeded
	switch {
	case errors.As(err, &second):
		wb.askSecondFactor(w, r, second, v.Next)
		return
	case errors.Is(err, auth.ErrPasswordSignInOff):
		v.Error = wb.clockOf(r).text().T("web.session.sso_only")
		wb.showLogin(w, r, http.StatusForbidden, v)
		return
	case errors.Is(err, auth.ErrSignInBusy):
		v.Error = wb.clockOf(r).text().T("web.session.busy")
		w.Header().Set("Retry-After", strconv.Itoa(int(auth.PasswordWait.Seconds())))
		wb.showLogin(w, r, http.StatusServiceUnavailable, v)
		return
	case errors.Is(err, auth.ErrBadCredentials):
		v.Error = wb.clockOf(r).text().T("web.session.wrong")
		wb.showLogin(w, r, http.StatusUnauthorized, v)
		return
	case errors.As(err, &throttled):
		v.Error = throttledText(wb.clockOf(r).text(), throttled)
		w.Header().Set("Retry-After", strconv.Itoa(int(throttled.RetryAfter.Seconds())+1))
		wb.showLogin(w, r, http.StatusTooManyRequests, v)
		return
	case err != nil:
		wb.fail(w, r, err)
		return
	}
	// Until a person chooses a time zone, their browser's is taken.
	if err := auth.AdoptTimeZone(r.Context(), wb.DB, who.UserID, r.PostFormValue("tz")); err != nil {
		wb.Log.Warn("web: taking the browser's time zone", "err", err)
	}
	wb.setCookie(w, r, sessionCookie, cookie, "/", int(auth.SessionTTL/time.Second))
	wb.setCookie(w, r, loginCookie, "", "/login", -1)
	http.Redirect(w, r, v.Next, http.StatusSeeOther)
}

func (wb *Web) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := auth.Logout(r.Context(), wb.DB, c.Value); err != nil {
			wb.fail(w, r, err)
			return
		}
	}
	wb.setCookie(w, r, sessionCookie, "", "/", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// throttledText says why sign-ins are held back and how long to wait, in
// the reader's words.
func throttledText(tx i18n.Text, e *auth.ErrThrottled) string {
	wait := tx.T("web.session.wait_minutes", "Count", max(1, int(math.Ceil(e.RetryAfter.Minutes()))))
	if e.RetryAfter.Minutes() > 119 {
		wait = tx.T("web.session.wait_hours", "Count", int(math.Ceil(e.RetryAfter.Hours())))
	}
	return tx.Or("web.session.throttled_"+string(e.Scope), human(e.Error())+".", "Wait", wait)
}
