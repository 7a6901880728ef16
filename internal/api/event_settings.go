package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"steward/internal/domainerr"
	"steward/internal/event"
	"steward/internal/httpx"
)

// eventSettingsRoutes are the processing settings: how events become alerts
// and incidents. Everyone who watches alerts reads them; administrators
// replace them, conditionally on the ETag they read.
func eventSettingsRoutes(a *API, rt *httpx.Router, svc *event.Service) {
	h := eventSettingsHandler{a: a, svc: svc}
	rt.Handle("GET /api/v1/event-settings", event.PermRead, h.get)
	rt.Handle("PUT /api/v1/event-settings", event.PermAdmin, h.put)
}

type eventSettingsHandler struct {
	a   *API
	svc *event.Service
}

// eventSettingsInput is what PUT reads: the settings' own fields, with the
// durations kept raw so a bad one is reported by its field name. A field
// left out takes its default.
type eventSettingsInput struct {
	IncidentSeverities *[]event.Severity          `json:"incident_severities"`
	FlapChanges        *int                       `json:"flap_changes"`
	FlapWindow         json.RawMessage            `json:"flap_window"`
	HoldDown           json.RawMessage            `json:"hold_down"`
	ReopenWindow       json.RawMessage            `json:"reopen_window"`
	GroupWindow        json.RawMessage            `json:"group_window"`
	RetentionDays      *int                       `json:"retention_days"`
	OfflineAfter       map[string]json.RawMessage `json:"offline_after"`
	UnknownAfter       json.RawMessage            `json:"unknown_after"`
	Rules              []event.Rule               `json:"rules"`
	GroupByService     *bool                      `json:"group_by_service"`
}

// settings turns the input into settings over the defaults, or a
// *domainerr.Invalid naming each duration that is not one.
func (in eventSettingsInput) settings() (event.Settings, error) {
	st := event.DefaultSettings()
	v := domainerr.NewInvalid()
	if in.IncidentSeverities != nil {
		st.IncidentSeverities = *in.IncidentSeverities
	}
	if in.FlapChanges != nil {
		st.FlapChanges = *in.FlapChanges
	}
	if in.RetentionDays != nil {
		st.RetentionDays = *in.RetentionDays
	}
	if in.OfflineAfter != nil {
		st.OfflineAfter = make(map[string]int, len(in.OfflineAfter))
		for name, raw := range in.OfflineAfter {
			var d event.Duration
			if err := json.Unmarshal(raw, &d); err != nil || d.D()%time.Second != 0 {
				v.Add("offline_after", `each interval must be a duration such as "5m" or "1h30m", or a whole number of seconds`)
				continue
			}
			st.OfflineAfter[name] = int(d.D() / time.Second)
		}
	}
	if in.Rules != nil {
		st.Rules = in.Rules
	}
	if in.GroupByService != nil {
		st.GroupByService = *in.GroupByService
	}
	for _, d := range []struct {
		field string
		raw   json.RawMessage
		dst   *event.Duration
	}{
		{"flap_window", in.FlapWindow, &st.FlapWindow},
		{"hold_down", in.HoldDown, &st.HoldDown},
		{"reopen_window", in.ReopenWindow, &st.ReopenWindow},
		{"group_window", in.GroupWindow, &st.GroupWindow},
		{"unknown_after", in.UnknownAfter, &st.UnknownAfter},
	} {
		if len(d.raw) == 0 || bytes.Equal(d.raw, []byte("null")) {
			continue
		}
		if err := json.Unmarshal(d.raw, d.dst); err != nil {
			v.Add(d.field, `must be a duration such as "10m" or "1h30m", or a number of seconds`)
		}
	}
	return st, v.Err()
}

func (h eventSettingsHandler) get(w http.ResponseWriter, r *http.Request) {
	st, tag, err := h.svc.TaggedSettings(r.Context())
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	et := `"` + tag + `"`
	w.Header().Set("ETag", et)
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, et) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	writeJSON(w, http.StatusOK, settingsAnswer(st))
}

// settingsShown is the settings as the API writes them: every interval,
// offline_after's too, a duration string such as "5m0s".
type settingsShown struct {
	event.Settings
	OfflineAfter map[string]event.Duration `json:"offline_after"`
}

func settingsAnswer(st event.Settings) settingsShown {
	out := settingsShown{Settings: st, OfflineAfter: make(map[string]event.Duration, len(st.OfflineAfter))}
	for name, secs := range st.OfflineAfter {
		out.OfflineAfter[name] = event.Duration(time.Duration(secs) * time.Second)
	}
	return out
}

func (h eventSettingsHandler) put(w http.ResponseWriter, r *http.Request) {
	var in eventSettingsInput
	if err := decode(w, r, &in); err != nil {
		h.a.fail(w, r, err)
		return
	}
	st, err := in.settings()
	if err == nil {
		err = event.CheckSettings(&st)
	} else if more := event.CheckSettings(&st); more != nil {
		err = mergeInvalid(err, more)
	}
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	saved, tag, err := h.svc.SaveSettingsIf(r.Context(), httpx.Principal(r).Actor(), st, settingsIfMatch(r))
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", `"`+tag+`"`)
	writeJSON(w, http.StatusOK, settingsAnswer(saved))
}

// settingsIfMatch is the tag If-Match names: "" for none or "*", and one no
// settings ever carry when the header is not a tag of ours (so the save
// fails 412 rather than overwriting).
func settingsIfMatch(r *http.Request) string {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return ""
	}
	h = strings.Trim(strings.TrimPrefix(h, "W/"), `"`)
	if h == "" || strings.ContainsAny(h, `", `) {
		return "-"
	}
	return h
}

// mergeInvalid joins two field reports, the first one's message winning
// for a field both name (the durations that could not be read).
func mergeInvalid(first, second error) error {
	a, ok1 := first.(*domainerr.Invalid)
	b, ok2 := second.(*domainerr.Invalid)
	if !ok1 || !ok2 {
		return first
	}
	for f, msg := range b.Fields {
		if _, ok := a.Fields[f]; !ok {
			a.Fields[f] = msg
		}
	}
	return a
}
