package web

import (
	"context"
	"errors"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"steward/internal/domainerr"
	"steward/internal/event"
	"steward/internal/httpx"
	"steward/internal/i18n"
)

// eventSettingsPages are the processing settings: how events become alerts
// and incidents. Staff who watch alerts read them; administrators change
// them. Durations read and are entered in minutes.
func eventSettingsPages(wb *Web, rt *httpx.Router, svc *event.Service) {
	h := eventSettingsPage{wb: wb, svc: svc}
	rt.Handle("GET /integrations/settings", event.PermRead, h.show)
	wb.post(rt, "POST /integrations/settings", event.PermAdmin, h.save)
}

type eventSettingsPage struct {
	wb  *Web
	svc *event.Service
}

// Bounds on the form's repeated rows, a little above the settings' own.
const (
	esMaxOfflineRows = 520
	esMaxRuleRows    = 110
	esBlankOffline   = 2
	esBlankRules     = 1
)

// esSeverities are the severities that may open incidents, worst first.
var esSeverities = []event.Severity{event.Critical, event.Major, event.Minor, event.Warning, event.Info}

// esForm is the form as shown: the values as text, as the person entered
// them or as stored, with a message per field at fault.
type esForm struct {
	Tag           string
	CanWrite      bool
	Banner        string
	Severities    []esOption
	FlapChanges   string
	FlapWindow    string
	HoldDown      string
	ReopenWindow  string
	GroupWindow   string
	UnknownAfter  string
	RetentionDays string
	// GroupByService is the checkbox grouping alerts on CIs that affect
	// the same service.
	GroupByService bool
	Offline        []esOfflineRow
	Rules          []esRuleRow
	Errs           map[string]string
}

type esOption struct {
	Value, Label string
	On           bool
}

type esOfflineRow struct {
	Type    string
	Minutes string
	Types   []esOption
	Err     string
}

type esRuleRow struct {
	Name     string
	Sevs     []esOption
	Types    []esOption
	Crit     string
	Crits    []esOption
	Err      string
	Existing bool
	Drop     bool
}

func (h eventSettingsPage) show(w http.ResponseWriter, r *http.Request) {
	st, tag, err := h.svc.TaggedSettings(r.Context())
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	f, err := h.formOf(r, st, tag)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, f)
}

func (h eventSettingsPage) render(w http.ResponseWriter, r *http.Request, status int, f *esForm) {
	h.wb.render(w, r, status, "event_settings", page{Title: "Processing settings", Active: "event-settings", Data: f})
}

// typeNames are the CMDB's CI type names, by name.
func (h eventSettingsPage) typeNames(ctx context.Context) ([]string, error) {
	types, err := h.wb.CMDB.ListTypes(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(types))
	for _, t := range types {
		out = append(out, t.Name)
	}
	return out, nil
}

// formOf is the form for stored settings.
func (h eventSettingsPage) formOf(r *http.Request, st event.Settings, tag string) (*esForm, error) {
	tx := h.wb.clockOf(r).text()
	names, err := h.typeNames(r.Context())
	if err != nil {
		return nil, err
	}
	f := &esForm{Tag: tag, CanWrite: httpx.Principal(r).Can(event.PermAdmin), Errs: map[string]string{},
		FlapChanges: strconv.Itoa(st.FlapChanges), FlapWindow: minutes(st.FlapWindow.D()), HoldDown: minutes(st.HoldDown.D()),
		ReopenWindow: minutes(st.ReopenWindow.D()), GroupWindow: minutes(st.GroupWindow.D()),
		UnknownAfter: minutes(st.UnknownAfter.D()), RetentionDays: strconv.Itoa(st.RetentionDays), GroupByService: st.GroupByService}
	f.Severities = sevOptions(tx, st.IncidentSeverities)
	types := make([]string, 0, len(st.OfflineAfter))
	for name := range st.OfflineAfter {
		types = append(types, name)
	}
	sort.Slice(types, func(i, j int) bool { return strings.ToLower(types[i]) < strings.ToLower(types[j]) })
	for _, name := range types {
		f.Offline = append(f.Offline, esOfflineRow{Type: name, Minutes: minutes(time.Duration(st.OfflineAfter[name]) * time.Second)})
	}
	for _, rule := range st.Rules {
		f.Rules = append(f.Rules, esRuleRow{Name: rule.Name, Sevs: sevOptions(tx, rule.Severities),
			Types: typeOptions(names, rule.CITypes), Crit: rule.MinCriticality, Existing: true})
	}
	if f.CanWrite {
		for range esBlankOffline {
			f.Offline = append(f.Offline, esOfflineRow{})
		}
		for range esBlankRules {
			f.Rules = append(f.Rules, esRuleRow{Sevs: sevOptions(tx, nil), Types: typeOptions(names, nil)})
		}
	}
	h.finish(tx, f, names)
	return f, nil
}

// finish fills each row's choices.
func (h eventSettingsPage) finish(tx i18n.Text, f *esForm, names []string) {
	for i := range f.Offline {
		f.Offline[i].Types = typeOptions(names, []string{f.Offline[i].Type})
	}
	for i := range f.Rules {
		row := &f.Rules[i]
		row.Crits = []esOption{{Value: "", Label: tx.T("eventsettings.crit.any"), On: row.Crit == ""}}
		for _, c := range event.Criticalities {
			row.Crits = append(row.Crits, esOption{Value: c, Label: tx.T("eventsettings.crit." + c), On: row.Crit == c})
		}
	}
}

func sevOptions(tx i18n.Text, on []event.Severity) []esOption {
	out := make([]esOption, 0, len(esSeverities))
	for _, s := range esSeverities {
		out = append(out, esOption{Value: string(s), Label: tx.T("eventsettings.sev." + string(s)), On: slices.Contains(on, s)})
	}
	return out
}

// typeOptions lists the CMDB's types with those in on chosen; a chosen
// name the CMDB no longer has is kept as a choice, so saving does not
// silently drop it.
func typeOptions(names, on []string) []esOption {
	out := make([]esOption, 0, len(names))
	for _, n := range names {
		out = append(out, esOption{Value: n, Label: n, On: slices.ContainsFunc(on, func(s string) bool { return strings.EqualFold(s, n) })})
	}
	for _, s := range on {
		if s != "" && !slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(s, n) }) {
			out = append(out, esOption{Value: s, Label: s, On: true})
		}
	}
	return out
}

// minutes writes d in minutes: whole when it is, else to two places.
func minutes(d time.Duration) string {
	if d%time.Minute == 0 {
		return strconv.FormatInt(int64(d/time.Minute), 10)
	}
	return strconv.FormatFloat(d.Minutes(), 'f', -1, 64)
}

// parseMinutes reads a number of minutes ("10", "1.5", "1,5").
func parseMinutes(s string) (time.Duration, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", ".")
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > 1e7 {
		return 0, false
	}
	return time.Duration(math.Round(v*60)) * time.Second, true
}

func (h eventSettingsPage) save(w http.ResponseWriter, r *http.Request) {
	tx := h.wb.clockOf(r).text()
	names, err := h.typeNames(r.Context())
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	f, st, ok := readEventSettingsForm(r, tx, names)
	h.finish(tx, f, names)
	// Range checks run on what could be read, so every fault shows at once.
	err = event.CheckSettings(&st)
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		for field, msg := range inv.Fields {
			if _, taken := f.Errs[field]; !taken {
				f.Errs[field] = tx.Or("eventsettings.err."+field, errText(tx, msg))
			}
		}
	} else if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	if ok && err == nil {
		_, _, err = h.svc.SaveSettingsIf(r.Context(), httpx.Principal(r).Actor(), st, f.Tag)
		switch {
		case err == nil:
			h.wb.redirect(w, r, "/integrations/settings", "eventsettings_saved")
			return
		case errors.Is(err, domainerr.ErrStale):
			f.Banner = tx.T("eventsettings.stale")
			if _, tag, err := h.svc.TaggedSettings(r.Context()); err == nil {
				f.Tag = tag
			}
			h.render(w, r, http.StatusConflict, f)
			return
		default:
			h.wb.fail(w, r, err)
			return
		}
	}
	f.Banner = tx.T("eventsettings.not_saved")
	h.render(w, r, http.StatusUnprocessableEntity, f)
}

// readEventSettingsForm reads the posted form into the form as entered and
// the settings it asks for; ok is false when a field could not be read
// (its message is in the form).
func readEventSettingsForm(r *http.Request, tx i18n.Text, names []string) (*esForm, event.Settings, bool) {
	pf := r.PostForm
	f := &esForm{Tag: pf.Get("tag"), CanWrite: true, Errs: map[string]string{},
		FlapChanges: pf.Get("flap_changes"), FlapWindow: pf.Get("flap_window"), HoldDown: pf.Get("hold_down"),
		ReopenWindow: pf.Get("reopen_window"), GroupWindow: pf.Get("group_window"), UnknownAfter: pf.Get("unknown_after"),
		RetentionDays: pf.Get("retention_days"), GroupByService: pf.Get("group_by_service") == "1"}
	st := event.DefaultSettings()
	st.GroupByService = f.GroupByService
	st.IncidentSeverities = []event.Severity{}
	for _, v := range pf["sev"] {
		if s := event.Severity(v); slices.Contains(esSeverities, s) && !slices.Contains(st.IncidentSeverities, s) {
			st.IncidentSeverities = append(st.IncidentSeverities, s)
		}
	}
	f.Severities = sevOptions(tx, st.IncidentSeverities)
	whole := func(field, text string, dst *int) {
		n, err := strconv.Atoi(strings.TrimSpace(text))
		if err != nil {
			f.Errs[field] = tx.T("eventsettings.err.whole_number")
			return
		}
		*dst = n
	}
	whole("flap_changes", f.FlapChanges, &st.FlapChanges)
	whole("retention_days", f.RetentionDays, &st.RetentionDays)
	for _, d := range []struct {
		field, text string
		dst         *event.Duration
	}{
		{"flap_window", f.FlapWindow, &st.FlapWindow}, {"hold_down", f.HoldDown, &st.HoldDown},
		{"reopen_window", f.ReopenWindow, &st.ReopenWindow}, {"group_window", f.GroupWindow, &st.GroupWindow},
		{"unknown_after", f.UnknownAfter, &st.UnknownAfter},
	} {
		v, ok := parseMinutes(d.text)
		if !ok {
			f.Errs[d.field] = tx.T("eventsettings.err.minutes")
			continue
		}
		*d.dst = event.Duration(v)
	}
	rowErr := readOfflineRows(r, tx, f, &st)
	rowErr = readRuleRows(r, tx, f, &st, names) || rowErr
	return f, st, len(f.Errs) == 0 && !rowErr
}

// rowCount is the number of rows a repeated part of the form says it sends.
func rowCount(r *http.Request, name string, max int) int {
	n, err := strconv.Atoi(r.PostForm.Get(name))
	if err != nil || n < 0 {
		return 0
	}
	return min(n, max)
}

// readOfflineRows reads the CI type intervals; a row without minutes is
// left out, which is how an interval is removed.
func readOfflineRows(r *http.Request, tx i18n.Text, f *esForm, st *event.Settings) bool {
	failed := false
	seen := map[string]bool{}
	for i := range rowCount(r, "off_rows", esMaxOfflineRows) {
		n := strconv.Itoa(i)
		row := esOfflineRow{Type: strings.TrimSpace(r.PostForm.Get("off_type_" + n)), Minutes: r.PostForm.Get("off_min_" + n)}
		if strings.TrimSpace(row.Minutes) != "" {
			d, ok := parseMinutes(row.Minutes)
			switch {
			case row.Type == "":
				row.Err = tx.T("eventsettings.err.choose_type")
			case seen[strings.ToLower(row.Type)]:
				row.Err = tx.T("eventsettings.err.type_twice")
			case !ok:
				row.Err = tx.T("eventsettings.err.minutes")
			case d < 10*time.Second || d > 7*24*time.Hour:
				row.Err = tx.T("eventsettings.err.interval")
			default:
				st.OfflineAfter[row.Type] = int(d / time.Second)
			}
			seen[strings.ToLower(row.Type)] = true
		}
		failed = failed || row.Err != ""
		f.Offline = append(f.Offline, row)
	}
	return failed
}

// readRuleRows reads the incident rules; an empty row, or one marked for
// removal, is left out.
func readRuleRows(r *http.Request, tx i18n.Text, f *esForm, st *event.Settings, names []string) bool {
	failed := false
	for i := range rowCount(r, "rule_rows", esMaxRuleRows) {
		n := strconv.Itoa(i)
		var sevs []event.Severity
		for _, v := range r.PostForm["rule_sev_"+n] {
			if s := event.Severity(v); slices.Contains(esSeverities, s) && !slices.Contains(sevs, s) {
				sevs = append(sevs, s)
			}
		}
		var types []string
		for _, v := range r.PostForm["rule_type_"+n] {
			if v = strings.TrimSpace(v); v != "" && !slices.Contains(types, v) {
				types = append(types, v)
			}
		}
		rule := event.Rule{Name: strings.TrimSpace(r.PostForm.Get("rule_name_" + n)), Severities: sevs, CITypes: types,
			MinCriticality: r.PostForm.Get("rule_crit_" + n)}
		row := esRuleRow{Name: rule.Name, Sevs: sevOptions(tx, sevs), Types: typeOptions(names, types), Crit: rule.MinCriticality,
			Existing: r.PostForm.Get("rule_old_"+n) != "", Drop: r.PostForm.Get("rule_drop_"+n) != ""}
		empty := rule.Name == "" && len(sevs) == 0 && len(types) == 0 && rule.MinCriticality == ""
		switch {
		case row.Drop || empty:
		case len(sevs) == 0 && len(types) == 0 && rule.MinCriticality == "":
			row.Err = tx.T("eventsettings.err.rule_condition")
		case rule.MinCriticality != "" && !slices.Contains(event.Criticalities, rule.MinCriticality):
			row.Err = tx.T("eventsettings.err.rule_criticality")
		case len([]rune(rule.Name)) > 100:
			row.Err = tx.T("eventsettings.err.rule_name")
		default:
			if rule.CITypes == nil {
				rule.CITypes = []string{}
			}
			if rule.Severities == nil {
				rule.Severities = []event.Severity{}
			}
			st.Rules = append(st.Rules, rule)
		}
		failed = failed || row.Err != ""
		f.Rules = append(f.Rules, row)
	}
	return failed
}
