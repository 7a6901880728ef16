package web

import (
	"errors"
	"html/template"
	"net/http"
	"strings"
	"time"

	"steward/internal/auth"
	"steward/internal/httpx"
)

// registerProfile adds each person's own second-factor page, reached from
// their profile.
func (h identityPage) registerProfile(rt *httpx.Router) {
	rt.Handle("GET /profile/2fa", auth.Authenticated, h.profile)
	h.wb.post(rt, "POST /profile/2fa/start", auth.Authenticated, h.start)
	h.wb.post(rt, "POST /profile/2fa/confirm", auth.Authenticated, h.confirm)
	h.wb.post(rt, "POST /profile/2fa/off", auth.Authenticated, h.off)
}

type profile2FAView struct {
	On        bool
	Since     time.Time
	CodesLeft int
	Enrolling bool
	Secret    string
	QR        template.URL
	// Required says the person's role must use a second factor.
	Required bool
	// SSO says the person has no password: they sign in through the
	// provider, which handles second factors.
	SSO  bool
	Errs map[string]string
}

func (h identityPage) profile(w http.ResponseWriter, r *http.Request) {
	h.showProfile(w, r, http.StatusOK, map[string]string{})
}

func (h identityPage) showProfile(w http.ResponseWriter, r *http.Request, status int, errs map[string]string) {
	ctx, p := r.Context(), httpx.Principal(r)
	sf, err := auth.SecondFactorOf(ctx, h.wb.DB, p.UserID)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v := profile2FAView{On: sf.On, Since: sf.Since, CodesLeft: sf.CodesLeft, Enrolling: sf.Enrolling, Errs: errs}
	if v.Required, err = h.svc.SecondFactorRequired(ctx, h.wb.DB, p.Role); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	var hash string
	if err := h.wb.DB.QueryRow(ctx, "SELECT password_hash FROM users WHERE id = ?", p.UserID).Scan(&hash); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v.SSO = hash == ""
	if sf.Enrolling {
		e, _, err := auth.PendingEnrolment(ctx, h.wb.DB, p.UserID, p.Email)
		if err != nil {
			h.wb.fail(w, r, err)
			return
		}
		v.Secret, v.QR = spaced(e.Secret), qrCode(e.URL)
	}
	h.wb.render(w, r, status, "profile_2fa", page{Title: "Second factor", Active: "profile", Data: v})
}

func (h identityPage) start(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	_, err := auth.StartEnrolment(r.Context(), h.wb.DB, p.UserID, p.Email)
	if err != nil && !errors.Is(err, auth.ErrSecondFactorOn) {
		h.wb.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/profile/2fa#setup", http.StatusSeeOther)
}

func (h identityPage) confirm(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	code := strings.TrimSpace(r.PostFormValue("code"))
	if code == "" {
		h.showProfile(w, r, http.StatusUnprocessableEntity, map[string]string{"code": "Enter the six-digit code your authenticator app shows for Steward."})
		return
	}
	codes, err := auth.ConfirmEnrolment(r.Context(), h.wb.DB, p.Actor(), p.UserID, code)
	switch {
	case errors.Is(err, auth.ErrBadCode):
		h.showProfile(w, r, http.StatusUnprocessableEntity, map[string]string{"code": "That code is wrong. Check that the app's clock is right and enter the code it shows now."})
		return
	case errors.Is(err, auth.ErrSecondFactorOn):
		http.Redirect(w, r, "/profile/2fa", http.StatusSeeOther)
		return
	case err != nil:
		h.wb.fail(w, r, err)
		return
	}
	h.wb.render(w, r, http.StatusOK, "identity_recovery", page{Title: "Your recovery codes", Active: "profile",
		Data: recoveryView{Codes: codes, Next: "/profile/2fa"}})
}

func (h identityPage) off(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	password, code := r.PostFormValue("password"), strings.TrimSpace(r.PostFormValue("code"))
	errs := map[string]string{}
	if password == "" {
		errs["password"] = "Enter your password."
	}
	if code == "" {
		errs["code"] = "Enter a code from your authenticator app, or a recovery code."
	}
	if len(errs) > 0 {
		h.showProfile(w, r, http.StatusUnprocessableEntity, errs)
		return
	}
	err := h.wb.SignIn.TurnOffSecondFactor(r.Context(), p.UserID, password, code, httpx.ClientIP(r))
	var throttled *auth.ErrThrottled
	switch {
	case err == nil:
		h.wb.redirect(w, r, "/profile/2fa", "identity_2fa_off")
	case errors.Is(err, auth.ErrBadCredentials):
		h.showProfile(w, r, http.StatusUnprocessableEntity, map[string]string{"password": "That password is wrong."})
	case errors.Is(err, auth.ErrBadCode):
		h.showProfile(w, r, http.StatusUnprocessableEntity, map[string]string{"code": "That code is wrong or was used already."})
	case errors.Is(err, auth.ErrSecondFactorRequired):
		h.showProfile(w, r, http.StatusForbidden, map[string]string{"off": "Your role must use a second factor, so it cannot be turned off. An administrator can reset it if you lost your device."})
	case errors.As(err, &throttled):
		w.Header().Set("Retry-After", "60")
		h.showProfile(w, r, http.StatusTooManyRequests, map[string]string{"off": human(throttled.Error()) + "."})
	default:
		h.wb.fail(w, r, err)
	}
}
