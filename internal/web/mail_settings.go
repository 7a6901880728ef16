package web

import (
	"errors"
	"net/http"
	"strings"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/mail"
)

func (h mailPages) registerSettings(rt *httpx.Router) {
	rt.Handle("GET /profile/mail", auth.Authenticated, h.settings)
	h.wb.post(rt, "POST /profile/mail", auth.Authenticated, h.saveSettings)
}

type mailCategoryChoice struct {
	Code  string
	On    bool
	Kinds string // the notices it covers, as the outbox names them
}

type mailSettingsView struct {
	Email      string
	CanMail    bool
	Configured bool
	Digest     bool
	Categories []mailCategoryChoice
	Err        string
}

func (h mailPages) settings(w http.ResponseWriter, r *http.Request) {
	st, err := mail.SettingsOf(r.Context(), h.wb.DB, httpx.Principal(r).UserID)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showSettings(w, r, http.StatusOK, st, "")
}

func (h mailPages) showSettings(w http.ResponseWriter, r *http.Request, status int, st mail.Settings, msg string) {
	p := httpx.Principal(r)
	v := mailSettingsView{Email: p.Email, CanMail: p.Email != "", Configured: h.svc.Configured(), Digest: st.Digest, Err: msg}
	for _, c := range mail.CategoriesFor(p.Role) {
		v.Categories = append(v.Categories, mailCategoryChoice{Code: c.Code, On: st.On(c.Code), Kinds: strings.Join(mail.KindsOf(c.Code), " · ")})
	}
	h.wb.render(w, r, status, "mail_settings", page{Title: "Mail settings", Active: "profile", Data: v})
}

// saveSettings reads the form: a box per category shown, ticked when on;
// a category the page did not show keeps its setting.
func (h mailPages) saveSettings(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	cur, err := mail.SettingsOf(r.Context(), h.wb.DB, p.UserID)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	st := mail.Settings{Digest: r.PostFormValue("delivery") == "digest"}
	on := map[string]bool{}
	for _, c := range r.PostForm["on"] {
		on[c] = true
	}
	shown := map[string]bool{}
	for _, c := range mail.CategoriesFor(p.Role) {
		shown[c.Code] = true
		if !on[c.Code] {
			st.Off = append(st.Off, c.Code)
		}
	}
	for _, c := range cur.Off {
		if !shown[c] {
			st.Off = append(st.Off, c)
		}
	}
	_, err = mail.SaveSettings(r.Context(), h.wb.DB, p.Actor(), p.UserID, st)
	var inv *domainerr.Invalid
	switch {
	case err == nil:
		h.wb.redirect(w, r, "/profile/mail", "mail_settings_saved")
	case errors.As(err, &inv):
		h.showSettings(w, r, http.StatusUnprocessableEntity, st, inv.Error())
	default:
		h.wb.fail(w, r, err)
	}
}
