package web

import (
	"errors"
	"net/http"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
)

// commonZones are offered wherever a time zone is asked for (profiles,
// calendars); any IANA zone name is accepted.
var commonZones = []string{
	"UTC", "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin", "Europe/Amsterdam",
	"Europe/Brussels", "Europe/Madrid", "Europe/Rome", "Europe/Zurich", "Europe/Vienna", "Europe/Stockholm",
	"Europe/Oslo", "Europe/Copenhagen", "Europe/Helsinki", "Europe/Warsaw", "Europe/Prague", "Europe/Athens",
	"Europe/Istanbul", "Europe/Kyiv", "Africa/Lagos", "Africa/Johannesburg", "Africa/Nairobi", "Africa/Cairo",
	"Asia/Dubai", "Asia/Kolkata", "Asia/Singapore", "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Tokyo", "Asia/Seoul",
	"Australia/Perth", "Australia/Sydney", "Pacific/Auckland", "America/Sao_Paulo", "America/Argentina/Buenos_Aires",
	"America/Mexico_City", "America/Bogota", "America/New_York", "America/Toronto", "America/Chicago",
	"America/Denver", "America/Phoenix", "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu",
}

type profileView struct {
	F       *fieldErrors
	Prefs   auth.Preferences
	Zones   []string
	Locales []localeChoice
	Now     string // the present instant as the saved preferences write it
	// Languages are the languages offered, each named in itself.
	Languages []struct{ Code, Name string }
}

type localeChoice struct {
	Code, Example string
	Chosen        bool
}

func (wb *Web) registerProfile(rt *httpx.Router) {
	rt.Handle("GET /profile", auth.Authenticated, wb.profile)
	wb.post(rt, "POST /profile", auth.Authenticated, wb.saveProfile)
}

func (wb *Web) profile(w http.ResponseWriter, r *http.Request) {
	prefs, err := auth.PreferencesOf(r.Context(), wb.DB, httpx.Principal(r).UserID)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	wb.showProfile(w, r, http.StatusOK, prefs, nil)
}

func (wb *Web) showProfile(w http.ResponseWriter, r *http.Request, status int, prefs auth.Preferences, f *fieldErrors) {
	v := profileView{F: f, Prefs: prefs, Zones: commonZones, Now: clockFor(prefs).zoned(time.Now()), Languages: i18n.Languages}
	chosen := prefs.Locale
	if !auth.ValidLocale(chosen) {
		chosen = auth.DefaultLocale
	}
	for _, l := range auth.Locales {
		v.Locales = append(v.Locales, localeChoice{Code: l.Code, Example: l.Example, Chosen: l.Code == chosen})
	}
	wb.render(w, r, status, "profile", page{Title: "Your profile", Active: "profile", Data: v})
}

func (wb *Web) saveProfile(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	in := auth.Preferences{TimeZone: r.PostFormValue("time_zone"), Locale: r.PostFormValue("locale"),
		Language: r.PostFormValue("language")}
	_, err := auth.SetPreferences(r.Context(), wb.DB, p.Actor(), p.UserID, in)
	var inv *domainerr.Invalid
	switch {
	case err == nil:
		wb.redirect(w, r, "/profile", "saved")
	case errors.As(err, &inv):
		wb.showProfile(w, r, http.StatusUnprocessableEntity, in, &fieldErrors{Form: "profile", Errs: inv.Fields, Values: r.PostForm})
	default:
		wb.fail(w, r, err)
	}
}
