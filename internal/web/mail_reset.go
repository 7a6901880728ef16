package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/mail"
)

// resetCookie holds the forgot-password form's double-submit token: there
// is no session to tie a CSRF token to, so the form and a cookie must
// agree, as on the sign-in form.
const resetCookie = "steward_reset_csrf"

func (h mailPages) registerReset(rt *httpx.Router) {
	rt.Handle("GET /password/forgot", auth.Public, h.forgotForm)
	rt.Handle("POST /password/forgot", auth.Public, h.forgot)
	rt.Handle("GET /password/reset/{token}", auth.Public, h.resetForm)
	rt.Handle("POST /password/reset/{token}", auth.Public, h.reset)
}

type mailForgotView struct {
	Token      string
	Email      string
	Configured bool
	Sent       bool
	Error      string
	Field      string // the email field's fault
	Minutes    int
}

func (h mailPages) forgotForm(w http.ResponseWriter, r *http.Request) {
	h.showForgot(w, r, http.StatusOK, mailForgotView{})
}

func (h mailPages) showForgot(w http.ResponseWriter, r *http.Request, status int, v mailForgotView) {
	if c, err := r.Cookie(resetCookie); err == nil && len(c.Value) >= 32 && len(c.Value) <= 64 {
		v.Token = c.Value
	} else {
		v.Token = newLoginToken()
	}
	h.wb.setCookie(w, r, resetCookie, v.Token, "/password", 3600)
	v.Configured, v.Minutes = h.svc.Configured(), int(mail.ResetTTL.Minutes())
	// Every answer to the form is the same page, so none tells whether
	// an account exists.
	w.Header().Set("Cache-Control", "no-store")
	h.wb.render(w, r, status, "mail_forgot", page{Title: "Forgot your password?", Data: v})
}

func (h mailPages) forgot(w http.ResponseWriter, r *http.Request) {
	if !h.wb.readForm(w, r) {
		return
	}
	tx := h.wb.clockOf(r).text()
	v := mailForgotView{Email: strings.TrimSpace(r.PostFormValue("email"))}
	if v.Email == "" {
		v.Field = h.wb.clockOf(r).text().T("web.mail_reset.enter_email")
		h.showForgot(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	c, err := r.Cookie(resetCookie)
	if err != nil || !sameToken(r.PostFormValue("csrf_token"), c.Value) {
		h.wb.errorPage(w, r, http.StatusForbidden, h.wb.clockOf(r).text().T("web.mail_reset.expired"))
		return
	}
	err = h.svc.RequestReset(r.Context(), v.Email, httpx.ClientIP(r))
	var inv *domainerr.Invalid
	var throttled *mail.ErrResetThrottled
	switch {
	case err == nil:
		v.Sent, v.Email = true, ""
		h.showForgot(w, r, http.StatusOK, v)
	case errors.As(err, &inv):
		v.Field = inv.Fields["email"]
		h.showForgot(w, r, http.StatusUnprocessableEntity, v)
	case errors.As(err, &throttled):
		minutes := int(throttled.RetryAfter.Minutes()) + 1
		v.Error = tx.T("mail.forgot.throttled", "Minutes", minutes)
		w.Header().Set("Retry-After", strconv.Itoa(int(throttled.RetryAfter.Seconds())+1))
		h.showForgot(w, r, http.StatusTooManyRequests, v)
	case errors.Is(err, mail.ErrMailNotConfigured):
		h.showForgot(w, r, http.StatusServiceUnavailable, v)
	default:
		h.wb.fail(w, r, err)
	}
}

type mailResetView struct {
	Token   string
	Email   string
	Invalid bool
	Min     int
	F       *fieldErrors
}

func (h mailPages) resetForm(w http.ResponseWriter, r *http.Request) {
	h.showReset(w, r, http.StatusOK, nil)
}

// showReset is the form for a working link, else the page saying it does
// not work, answered 410 Gone.
func (h mailPages) showReset(w http.ResponseWriter, r *http.Request, status int, f *fieldErrors) {
	token := r.PathValue("token")
	v := mailResetView{Token: token, Min: auth.MinPasswordLength, F: f}
	email, err := h.svc.ResetAccount(r.Context(), token)
	switch {
	case errors.Is(err, mail.ErrResetLink):
		v.Invalid, status = true, http.StatusGone
	case err != nil:
		h.wb.fail(w, r, err)
		return
	}
	v.Email = email
	w.Header().Set("Cache-Control", "no-store")
	h.wb.render(w, r, status, "mail_reset", page{Title: "Choose a new password", Data: v})
}

func (h mailPages) reset(w http.ResponseWriter, r *http.Request) {
	if !h.wb.readForm(w, r) {
		return
	}
	err := h.svc.ResetPassword(r.Context(), r.PathValue("token"), r.PostFormValue("password"), r.PostFormValue("confirm"),
		httpx.ClientIP(r))
	var inv *domainerr.Invalid
	switch {
	case err == nil:
		h.wb.redirect(w, r, "/login", "mail_password_reset")
	case errors.As(err, &inv):
		h.showReset(w, r, http.StatusUnprocessableEntity, &fieldErrors{Form: "reset", Errs: inv.Fields})
	case errors.Is(err, mail.ErrResetLink):
		h.showReset(w, r, http.StatusGone, nil)
	default:
		h.wb.fail(w, r, err)
	}
}
