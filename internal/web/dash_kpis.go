package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"steward/internal/dashboard"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/kpi"
)

// dashDefsView is the list of KPI definitions.
type dashDefsView struct {
	Items    []dashDefRow
	CanWrite bool
}

type dashDefRow struct {
	dashboard.Definition
	Figure, Filter, Period string
}

func (h dashPages) definitions(w http.ResponseWriter, r *http.Request) {
	defs, err := h.s.Definitions(r.Context(), h.wb.DB)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	names, err := h.filterNames(r)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v, tx := dashDefsView{CanWrite: httpx.Principal(r).Can(dashboard.PermKPIWrite)}, h.wb.clockOf(r).text()
	for _, d := range defs {
		row := dashDefRow{Definition: d, Figure: tx.T("web.dash_kpis.not_computed"), Filter: describeFilter(tx, d.Filter, names), Period: tx.T("web.dash_kpis.per", "Period", d.Period)}
		if l := d.Latest; l != nil {
			row.Figure = dashboard.Read(d, l).Figure
		}
		v.Items = append(v.Items, row)
	}
	h.wb.render(w, r, http.StatusOK, "dash_kpis", page{Title: tx.T("web.dash_kpis.title"), Active: "kpi-definitions", Data: v})
}

// filterNames names the records a filter may point at, by field and id.
func (h dashPages) filterNames(r *http.Request) (map[string]map[int64]string, error) {
	opts, err := h.wb.formOptions(r, false)
	if err != nil {
		return nil, err
	}
	out := map[string]map[int64]string{"customer": {}, "group": {}, "service": {}}
	for _, o := range opts.Customers {
		out["customer"][o.ID] = o.Name
	}
	for _, o := range opts.Groups {
		out["group"][o.ID] = o.Name
	}
	rows, err := h.wb.DB.Query(r.Context(), "SELECT id, name FROM services ORDER BY name LIMIT ?", maxChoices)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out["service"][id] = name
	}
	return out, rows.Err()
}

// describeFilter says what a filter narrows to: "Customer Acme, P1".
func describeFilter(tx i18n.Text, f kpi.Filter, names map[string]map[int64]string) string {
	var parts []string
	for _, field := range kpi.Fields {
		id, ok := f[field]
		if !ok {
			continue
		}
		if field == "priority" {
			parts = append(parts, "P"+strconv.FormatInt(id, 10))
			continue
		}
		name := names[field][id]
		if name == "" {
			name = "#" + strconv.FormatInt(id, 10)
		}
		parts = append(parts, strings.ToUpper(field[:1])+field[1:]+" "+name)
	}
	if len(parts) == 0 {
		return tx.T("web.dash_kpis.all_records")
	}
	return strings.Join(parts, ", ")
}

type dashMetric struct{ Key, Label string }

type dashSnap struct {
	dashboard.Snapshot
	Figure, Basis, Period string
}

// dashDefView is one KPI definition with its form.
type dashDefView struct {
	Def      dashboard.Definition
	New      bool
	CanWrite bool
	F        *fieldErrors
	Metrics  []dashMetric
	Periods  []string
	Versions []dashboard.Version
	Series   []dashSnap
	// NextVersion is the version a saved change starts.
	NextVersion int
	Filter      string
	Opts        formOptions
	Services    []option
	// Cur are the form's current values as text, after a failed post
	// the ones typed.
	Cur map[string]string
}

func (h dashPages) showDefinition(w http.ResponseWriter, r *http.Request, status int, d dashboard.Definition, isNew bool, fe *fieldErrors) {
	ctx := r.Context()
	v := dashDefView{Def: d, New: isNew, CanWrite: httpx.Principal(r).Can(dashboard.PermKPIWrite), F: fe,
		Periods: dashboard.Periods, NextVersion: d.Version + 1}
	for _, m := range kpi.All() {
		label := m.Title + " (" + human(m.Process)
		if len(m.Filters) > 0 {
			label += "; by " + strings.Join(m.Filters, ", ")
		}
		v.Metrics = append(v.Metrics, dashMetric{Key: m.Key, Label: label + ")"})
	}
	names, err := h.filterNames(r)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v.Filter = describeFilter(h.wb.clockOf(r).text(), d.Filter, names)
	if v.Opts, err = h.wb.formOptions(r, false); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v.Services = namedOptions(names["service"])
	if !isNew {
		if v.Versions, err = h.s.Versions(ctx, h.wb.DB, d.ID); err != nil {
			h.wb.fail(w, r, err)
			return
		}
		now := time.Now().UTC()
		series, err := h.s.Series(ctx, h.wb.DB, d.ID, 0, now.AddDate(-2, 0, 0), now.AddDate(0, 0, 1))
		if err != nil {
			h.wb.fail(w, r, err)
			return
		}
		// Newest first on the page.
		for i := len(series) - 1; i >= 0; i-- {
			sn := series[i]
			rd := dashboard.Read(d, &sn)
			v.Series = append(v.Series, dashSnap{Snapshot: sn, Figure: rd.Figure, Basis: rd.Basis,
				Period: h.s.PeriodLabel(d.Period, sn.PeriodStart)})
		}
	}
	dir := "metric"
	if m, ok := kpi.Get(d.Metric); ok && !isNew && m.HigherIsBetter != d.HigherIsBetter {
		dir = "lower"
		if d.HigherIsBetter {
			dir = "higher"
		}
	}
	target := ""
	if d.Target != nil {
		target = strconv.FormatFloat(*d.Target, 'f', -1, 64)
	}
	id := func(field string) string {
		if n, ok := d.Filter[field]; ok {
			return strconv.FormatInt(n, 10)
		}
		return ""
	}
	v.Cur = map[string]string{"title": d.Title, "key": d.Key, "metric": d.Metric, "period": d.Period, "target": target, "direction": dir,
		"filter_customer": id("customer"), "filter_service": id("service"), "filter_priority": id("priority"), "filter_group": id("group")}
	if fe != nil {
		for k := range v.Cur {
			v.Cur[k] = fe.Val("kpi", k, v.Cur[k])
		}
	}
	title := h.wb.clockOf(r).text().T("web.dash_kpis.title_new")
	if !isNew {
		title = d.Title
	}
	h.wb.render(w, r, status, "dash_kpi", page{Title: title, Active: "kpi-definitions", Data: v})
}

func (h dashPages) newDefinition(w http.ResponseWriter, r *http.Request) {
	h.showDefinition(w, r, http.StatusOK, dashboard.Definition{Period: "month", Filter: kpi.Filter{}}, true, nil)
}

func (h dashPages) definition(w http.ResponseWriter, r *http.Request) {
	d, err := h.s.Definition(r.Context(), h.wb.DB, r.PathValue("key"))
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showDefinition(w, r, http.StatusOK, d, false, nil)
}

// definitionInput reads the KPI form.
func definitionInput(tx i18n.Text, r *http.Request, v *domainerr.Invalid, isNew bool) dashboard.Input {
	text := func(name string) *string { s := strings.TrimSpace(r.PostFormValue(name)); return &s }
	in := dashboard.Input{Title: text("title"), Metric: text("metric"), Period: text("period")}
	if isNew {
		in.Key = text("key")
	}
	if t := planFormFloat(r, "target", v); t != nil {
		in.Target = t
	} else if !v.Has("target") {
		in.NoTarget = true
	}
	switch r.PostFormValue("direction") {
	case "higher":
		yes := true
		in.HigherIsBetter = &yes
	case "lower":
		no := false
		in.HigherIsBetter = &no
	}
	per := r.PostFormValue("per_customer") == "yes"
	in.PerCustomer = &per
	f := kpi.Filter{}
	for _, field := range kpi.Fields {
		s := strings.TrimSpace(r.PostFormValue("filter_" + field))
		if s == "" {
			continue
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			v.Add("filter."+field, "%s", tx.T("web.dash_kpis.choose_from_list"))
			continue
		}
		f[field] = n
	}
	in.Filter = &f
	return in
}

func (h dashPages) saveDefinition(w http.ResponseWriter, r *http.Request, key string) {
	v := domainerr.NewInvalid()
	in := definitionInput(h.wb.clockOf(r).text(), r, v, key == "")
	var err error
	var d dashboard.Definition
	if len(v.Fields) == 0 {
		actor := httpx.Principal(r).Actor()
		if key == "" {
			d, err = h.s.CreateDefinition(r.Context(), actor, in)
		} else {
			ver, _ := formVersion(r)
			d, err = h.s.UpdateDefinition(r.Context(), actor, key, in, ver)
		}
		if err == nil {
			h.wb.redirect(w, r, "/kpi-definitions/"+url.PathEscape(d.Key), "dash-kpi-saved")
			return
		}
	}
	var inv *domainerr.Invalid
	if err != nil && !errors.As(err, &inv) {
		h.wb.fail(w, r, err)
		return
	}
	if inv != nil {
		for k, m := range inv.Fields {
			v.Add(k, "%s", m)
		}
	}
	cur := dashboard.Definition{Period: "month", Filter: kpi.Filter{}}
	if key != "" {
		if cur, err = h.s.Definition(r.Context(), h.wb.DB, key); err != nil {
			h.wb.fail(w, r, err)
			return
		}
	}
	h.showDefinition(w, r, http.StatusUnprocessableEntity, cur, key == "", &fieldErrors{Form: "kpi", Errs: v.Fields, Values: r.PostForm})
}

func (h dashPages) createDefinition(w http.ResponseWriter, r *http.Request) {
	h.saveDefinition(w, r, "")
}

func (h dashPages) updateDefinition(w http.ResponseWriter, r *http.Request) {
	h.saveDefinition(w, r, r.PathValue("key"))
}

func (h dashPages) deleteDefinition(w http.ResponseWriter, r *http.Request) {
	if err := h.s.DeleteDefinition(r.Context(), httpx.Principal(r).Actor(), r.PathValue("key")); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.wb.redirect(w, r, "/kpi-definitions", "dash-kpi-deleted")
}
