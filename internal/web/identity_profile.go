package web

import (
	"errors"
	"html/template"
	"net/http"
	"strconv"
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
	h.showProfile(w, r, http.StatusOK, map[string]string{}, false)
}

// showProfile shows the person's second-factor page. The secret being set
// up is shown only right after it was made (withSecret) and again after a
// wrong code with the right password, never on a plain visit: someone at
// a session left open sees no secret its owner may scan later.
func (h identityPage) showProfile(w http.ResponseWriter, r *http.Request, status int, errs map[string]string, withSecret bool) {
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
	if sf.Enrolling && withSecret {
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
	_, err := auth.NewEnrolment(r.Context(), h.wb.DB, p.UserID, p.Email)
	if errors.Is(err, auth.ErrSecondFactorOn) {
		http.Redirect(w, r, "/profile/2fa", http.StatusSeeOther)
		return
	} else if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showProfile(w, r, http.StatusOK, map[string]string{}, true)
}

func (h identityPage) confirm(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	password, code := r.PostFormValue("password"), strings.TrimSpace(r.PostFormValue("code"))
	// The secret is shown again only to someone whose password was right.
	if password == "" {
		h.showProfile(w, r, http.StatusUnprocessableEntity, map[string]string{"off": h.wb.clockOf(r).text().T("web.identity_profile.off_empty_password")}, false)
		return
	}
	codes, err := h.wb.SignIn.TurnOnSecondFactor(r.Context(), p.UserID, password, code, httpx.ClientIP(r))
	var throttled *auth.ErrThrottled
	switch {
	case errors.Is(err, auth.ErrBadCredentials):
		h.showProfile(w, r, http.StatusUnprocessableEntity, map[string]string{"off": h.wb.clockOf(r).text().T("web.identity_profile.off_wrong_password")}, false)
		return
	case errors.Is(err, auth.ErrBadCode):
		msg := h.wb.clockOf(r).text().T("web.identity_profile.code_wrong")
		if code == "" {
			msg = h.wb.clockOf(r).text().T("web.identity_profile.enter_code")
		}
		h.showProfile(w, r, http.StatusUnprocessableEntity, map[string]string{"code": msg}, true)
		return
	case errors.As(err, &throttled):
		w.Header().Set("Retry-After", strconv.Itoa(int(throttled.RetryAfter.Seconds())+1))
		h.showProfile(w, r, http.StatusTooManyRequests, map[string]string{"off": throttledText(h.wb.clockOf(r).text(), throttled)}, false)
		return
	case errors.Is(err, auth.ErrNoPassword):
		h.showProfile(w, r, http.StatusUnprocessableEntity, map[string]string{"off": h.wb.clockOf(r).text().T("web.identity_profile.no_password")}, false)
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
		errs["password"] = h.wb.clockOf(r).text().T("web.identity_profile.enter_password")
	}
	if code == "" {
		errs["code"] = h.wb.clockOf(r).text().T("web.identity_profile.enter_any_code")
	}
	if len(errs) > 0 {
		h.showProfile(w, r, http.StatusUnprocessableEntity, errs, false)
		return
	}
	err := h.wb.SignIn.TurnOffSecondFactor(r.Context(), p.UserID, password, code, httpx.ClientIP(r))
	var throttled *auth.ErrThrottled
	switch {
	case err == nil:
		h.wb.redirect(w, r, "/profile/2fa", "identity_2fa_off")
	case errors.Is(err, auth.ErrBadCredentials):
		h.showProfile(w, r, http.StatusUnprocessableEntity, map[string]string{"password": h.wb.clockOf(r).text().T("web.identity_profile.password_wrong")}, false)
	case errors.Is(err, auth.ErrBadCode):
		h.showProfile(w, r, http.StatusUnprocessableEntity, map[string]string{"code": h.wb.clockOf(r).text().T("web.identity_profile.code_used")}, false)
	case errors.Is(err, auth.ErrSecondFactorRequired):
		h.showProfile(w, r, http.StatusForbidden, map[string]string{"off": h.wb.clockOf(r).text().T("web.identity_profile.required")}, false)
	case errors.As(err, &throttled):
		w.Header().Set("Retry-After", "60")
		h.showProfile(w, r, http.StatusTooManyRequests, map[string]string{"off": throttledText(h.wb.clockOf(r).text(), throttled)}, false)
	default:
		h.wb.fail(w, r, err)
	}
}
