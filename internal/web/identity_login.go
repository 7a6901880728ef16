package web

import (
	"bytes"
	"encoding/base64"
	"errors"
	"html/template"
	"image/png"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"

	"steward/internal/auth"
	"steward/internal/httpx"
	"steward/internal/identity"
)

// IdentityPages are single sign-on (the provider's button and callback),
// the second step of a password sign-in (a code, or setting a second
// factor up when the role must use one), each person's second-factor
// page and the administrator's settings.
func IdentityPages(svc *identity.Service) Pages {
	return func(wb *Web, rt *httpx.Router) {
		wb.identity = svc
		h := identityPage{wb: wb, svc: svc}
		rt.Handle("GET /login/oidc", auth.Public, h.startSSO)
		rt.Handle("GET /login/oidc/callback", auth.Public, h.ssoCallback)
		rt.Handle("GET /login/2fa", auth.Public, h.codeForm)
		rt.Handle("POST /login/2fa", auth.Public, h.code)
		rt.Handle("GET /login/2fa/enrol", auth.Public, h.enrolForm)
		rt.Handle("POST /login/2fa/enrol", auth.Public, h.enrol)
		h.registerProfile(rt)
		h.registerAdmin(rt)
	}
}

type identityPage struct {
	wb  *Web
	svc *identity.Service
}

// Cookies of a sign-in under way: the one at the provider (its state,
// nonce and PKCE verifier, sealed by the server), and the pending sign-in
// waiting for its second factor (neither is a session).
const (
	ssoStateCookie = "steward_sso_state"
	pendingCookie  = "steward_2fa"
)

func (h identityPage) startSSO(w http.ResponseWriter, r *http.Request) {
	if !h.svc.Enabled() {
		h.wb.errorPage(w, r, http.StatusNotFound, h.wb.clockOf(r).text().T("web.identity_login.single_sign_on"))
		return
	}
	next := safeNext(r.URL.Query().Get("next"))
	target, cookie, err := h.svc.Begin(r.Context(), next)
	var refused *identity.Refusal
	if errors.As(err, &refused) {
		h.wb.showLogin(w, r, http.StatusServiceUnavailable, loginView{Next: next, Error: refused.Message})
		return
	} else if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.wb.setCookie(w, r, ssoStateCookie, cookie, "/login/oidc", int((10 * time.Minute).Seconds()))
	http.Redirect(w, r, target, http.StatusFound)
}

func (h identityPage) ssoCallback(w http.ResponseWriter, r *http.Request) {
	if !h.svc.Enabled() {
		h.wb.errorPage(w, r, http.StatusNotFound, h.wb.clockOf(r).text().T("web.identity_login.single_sign_on"))
		return
	}
	q := r.URL.Query()
	cb := identity.Callback{State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error"), ErrorText: q.Get("error_description"),
		IP: httpx.ClientIP(r)}
	if c, err := r.Cookie(ssoStateCookie); err == nil {
		cb.FlowCookie = c.Value
	}
	h.wb.setCookie(w, r, ssoStateCookie, "", "/login/oidc", -1)
	session, next, err := h.svc.Finish(r.Context(), cb)
	var refused *identity.Refusal
	if errors.As(err, &refused) {
		h.wb.showLogin(w, r, http.StatusForbidden, loginView{Next: "/", Error: refused.Message})
		return
	} else if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.wb.setCookie(w, r, sessionCookie, session, "/", int(auth.SessionTTL/time.Second))
	h.wb.setCookie(w, r, loginCookie, "", "/login", -1)
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
}

// askSecondFactor answers a right password whose second factor must
// follow: the pending sign-in goes into a cookie and the browser to the
// page asking for a code, or for setting a second factor up.
func (wb *Web) askSecondFactor(w http.ResponseWriter, r *http.Request, need *auth.SecondFactorNeeded, next string) {
	wb.setCookie(w, r, pendingCookie, need.Token, "/login", int(auth.ChallengeTTL/time.Second))
	target := "/login/2fa"
	if need.Enrol {
		target += "/enrol"
	}
	if next != "/" {
		target += "?next=" + url.QueryEscape(next)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// secondStepView is the page asking for a code, or for setting a second
// factor up, during a sign-in.
type secondStepView struct {
	Email  string
	Next   string
	Token  string
	Error  string
	Secret string       // while setting up
	QR     template.URL // the secret's QR code as a data: URL
	// Codes are the recovery codes, shown once after setting up.
	Codes []string
}

// pending reads the pending sign-in of this browser, or sends it back to
// the sign-in page saying why.
func (h identityPage) pending(w http.ResponseWriter, r *http.Request) (auth.Pending, string, bool) {
	c, err := r.Cookie(pendingCookie)
	if err != nil {
		// No password was given in this browser: the second step starts
		// on the sign-in page.
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return auth.Pending{}, "", false
	}
	p, err := h.wb.SignIn.PendingSignIn(r.Context(), c.Value)
	if errors.Is(err, auth.ErrChallengeGone) {
		h.wb.setCookie(w, r, pendingCookie, "", "/login", -1)
		h.wb.showLogin(w, r, http.StatusUnauthorized, loginView{Next: "/", Error: h.wb.clockOf(r).text().T("web.identity_login.expired")})
		return auth.Pending{}, "", false
	} else if err != nil {
		h.wb.fail(w, r, err)
		return auth.Pending{}, "", false
	}
	return p, c.Value, true
}

func (h identityPage) codeForm(w http.ResponseWriter, r *http.Request) {
	p, _, ok := h.pending(w, r)
	if !ok {
		return
	}
	next := safeNext(r.URL.Query().Get("next"))
	if p.Enrol {
		http.Redirect(w, r, "/login/2fa/enrol?next="+url.QueryEscape(next), http.StatusSeeOther)
		return
	}
	h.showStep(w, r, http.StatusOK, "login_2fa", secondStepView{Email: p.Email, Next: next})
}

func (h identityPage) showStep(w http.ResponseWriter, r *http.Request, status int, name string, v secondStepView) {
	v.Token = h.wb.loginToken(w, r)
	title := "Second factor"
	if name == "login_2fa_enrol" {
		title = "Set up a second factor"
	}
	h.wb.render(w, r, status, name, page{Title: title, Data: v})
}

// stepForm reads a second step's form and its pending sign-in; the
// login token must match.
func (h identityPage) stepForm(w http.ResponseWriter, r *http.Request) (auth.Pending, string, bool) {
	if !h.wb.readForm(w, r) {
		return auth.Pending{}, "", false
	}
	p, token, ok := h.pending(w, r)
	if !ok {
		return p, token, false
	}
	c, err := r.Cookie(loginCookie)
	if err != nil || !sameToken(r.PostFormValue("csrf_token"), c.Value) {
		h.wb.errorPage(w, r, http.StatusForbidden, h.wb.clockOf(r).text().T("web.session.expired"))
		return p, token, false
	}
	return p, token, true
}

func (h identityPage) code(w http.ResponseWriter, r *http.Request) {
	p, token, ok := h.stepForm(w, r)
	if !ok {
		return
	}
	v := secondStepView{Email: p.Email, Next: safeNext(r.PostFormValue("next"))}
	code := strings.TrimSpace(r.PostFormValue("code"))
	if code == "" {
		v.Error = h.wb.clockOf(r).text().T("web.identity_login.enter_code")
		h.showStep(w, r, http.StatusUnprocessableEntity, "login_2fa", v)
		return
	}
	session, who, err := h.wb.SignIn.SecondFactor(r.Context(), token, code, httpx.ClientIP(r))
	if h.stepFailed(w, r, err, "login_2fa", v) {
		return
	}
	h.signedIn(w, r, session, who)
	http.Redirect(w, r, v.Next, http.StatusSeeOther)
}

// stepFailed shows what went wrong with a second step, if anything did.
func (h identityPage) stepFailed(w http.ResponseWriter, r *http.Request, err error, name string, v secondStepView) bool {
	var throttled *auth.ErrThrottled
	switch {
	case err == nil:
		return false
	case errors.Is(err, auth.ErrBadCode):
		v.Error = h.wb.clockOf(r).text().T("web.identity_login.code_used")
		h.showStep(w, r, http.StatusUnauthorized, name, v)
	case errors.As(err, &throttled):
		v.Error = throttledText(h.wb.clockOf(r).text(), throttled)
		w.Header().Set("Retry-After", strconv.Itoa(int(throttled.RetryAfter.Seconds())+1))
		h.showStep(w, r, http.StatusTooManyRequests, name, v)
	case errors.Is(err, auth.ErrChallengeGone):
		h.wb.setCookie(w, r, pendingCookie, "", "/login", -1)
		h.wb.showLogin(w, r, http.StatusUnauthorized, loginView{Next: v.Next, Error: h.wb.clockOf(r).text().T("web.identity_login.expired")})
	default:
		h.wb.fail(w, r, err)
	}
	return true
}

// signedIn sets the session cookie of a finished second step.
func (h identityPage) signedIn(w http.ResponseWriter, r *http.Request, session string, who *auth.Principal) {
	if err := auth.AdoptTimeZone(r.Context(), h.wb.DB, who.UserID, r.PostFormValue("tz")); err != nil {
		h.wb.Log.Warn("web: taking the browser's time zone", "err", err)
	}
	h.wb.setCookie(w, r, sessionCookie, session, "/", int(auth.SessionTTL/time.Second))
	h.wb.setCookie(w, r, pendingCookie, "", "/login", -1)
	h.wb.setCookie(w, r, loginCookie, "", "/login", -1)
}

func (h identityPage) enrolForm(w http.ResponseWriter, r *http.Request) {
	p, token, ok := h.pending(w, r)
	if !ok {
		return
	}
	next := safeNext(r.URL.Query().Get("next"))
	if !p.Enrol {
		http.Redirect(w, r, "/login/2fa?next="+url.QueryEscape(next), http.StatusSeeOther)
		return
	}
	h.showEnrol(w, r, http.StatusOK, token, secondStepView{Email: p.Email, Next: next})
}

func (h identityPage) showEnrol(w http.ResponseWriter, r *http.Request, status int, token string, v secondStepView) {
	e, err := h.wb.SignIn.ChallengeEnrolment(r.Context(), token)
	if err != nil {
		h.stepFailed(w, r, err, "login_2fa_enrol", v)
		return
	}
	v.Secret, v.QR = spaced(e.Secret), qrCode(e.URL)
	h.showStep(w, r, status, "login_2fa_enrol", v)
}

func (h identityPage) enrol(w http.ResponseWriter, r *http.Request) {
	p, token, ok := h.stepForm(w, r)
	if !ok {
		return
	}
	v := secondStepView{Email: p.Email, Next: safeNext(r.PostFormValue("next"))}
	code := strings.TrimSpace(r.PostFormValue("code"))
	if code == "" {
		v.Error = h.wb.clockOf(r).text().T("web.identity_login.enter_six")
		h.showEnrol(w, r, http.StatusUnprocessableEntity, token, v)
		return
	}
	session, who, codes, err := h.wb.SignIn.ConfirmAtSignIn(r.Context(), token, code, httpx.ClientIP(r))
	if errors.Is(err, auth.ErrBadCode) {
		v.Error = h.wb.clockOf(r).text().T("web.identity_login.code_wrong")
		h.showEnrol(w, r, http.StatusUnauthorized, token, v)
		return
	}
	if h.stepFailed(w, r, err, "login_2fa_enrol", v) {
		return
	}
	h.signedIn(w, r, session, who)
	// The session is open: the codes are shown once, in the layout of a
	// signed-in page.
	r = r.WithContext(httpx.WithPrincipal(r.Context(), who))
	h.wb.render(w, r, http.StatusOK, "identity_recovery", page{Title: "Your recovery codes", Active: "profile",
		Data: recoveryView{Codes: codes, Next: v.Next}})
}

type recoveryView struct {
	Codes []string
	Next  string
}

// spaced writes a secret in groups of four, as people type it.
func spaced(secret string) string {
	var b strings.Builder
	for i, c := range secret {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// qrCode draws a key URI as a PNG QR code in a data: URL (the pages'
// Content-Security-Policy allows data: images), or "" if it cannot.
func qrCode(keyURL string) template.URL {
	key, err := otp.NewKeyFromURL(keyURL)
	if err != nil {
		return ""
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return ""
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return ""
	}
	// Safe as a URL: it is built here from a PNG, never from input.
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()))
}
