package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/risk"
	"steward/internal/sms"
	"steward/internal/store"
)

// planHeatCell is one cell of a 5x5 heat map: its count links to the risks in it.
type planHeatCell struct {
	Likelihood, Impact, Score, Count int
	Band                             string
	Href                             string
}

type planHeatRow struct {
	Level int
	Label string
	Cells []planHeatCell
}

type planHeatGrid struct {
	Name      string // inherent or residual
	Title     string
	Rows      []planHeatRow
	ImpactLbl []string
	Total     int
}

func planHeatOf(tx i18n.Text, c risk.Criteria, m risk.HeatMap, residual bool) planHeatGrid {
	g := planHeatGrid{Name: "inherent", Title: tx.T("web.planning_risks.heat_inherent"), ImpactLbl: c.ImpactLabels, Total: m.Total}
	if residual {
		g.Name, g.Title = "residual", tx.T("web.planning_risks.heat_residual")
	}
	for l := 5; l >= 1; l-- {
		row := planHeatRow{Level: l, Label: c.Likelihood(l)}
		for i := 1; i <= 5; i++ {
			q := url.Values{"likelihood": {strconv.Itoa(l)}, "impact": {strconv.Itoa(i)}}
			if residual {
				q.Set("residual", "1")
			}
			row.Cells = append(row.Cells, planHeatCell{Likelihood: l, Impact: i, Score: l * i, Count: m.Cells[l-1][i-1],
				Band: c.BandOf(l * i), Href: "/risks?" + q.Encode() + "#register"})
		}
		g.Rows = append(g.Rows, row)
	}
	return g
}

type risksView struct {
	C                  risk.Criteria
	Heat               []planHeatGrid
	Items              []risk.Risk
	Filtered           string // what the list is narrowed to, in words
	Status             string
	Overdue, Untreated int
	CanWrite           bool
}

func (h planningPages) risks(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	v := risksView{CanWrite: httpx.Principal(r).Can(sms.PermWrite), Status: q.Get("status")}
	c, err := risk.GetCriteria(ctx, h.wb.DB)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v.C = c
	inh, res, err := h.p.Risks.HeatMaps(ctx)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	tx := h.wb.clockOf(r).text()
	v.Heat = []planHeatGrid{planHeatOf(tx, c, inh, false), planHeatOf(tx, c, res, true)}
	f := risk.Filter{Status: v.Status, Kind: q.Get("kind"), Residual: q.Get("residual") == "1",
		Overdue: q.Get("overdue") == "1", Untreated: q.Get("untreated") == "1"}
	switch f.Status {
	case "":
		f.Status = "active"
	case "all":
		f.Status = ""
	}
	var words []string
	for _, x := range []struct {
		name string
		dst  *int
	}{{"likelihood", &f.Likelihood}, {"impact", &f.Impact}} {
		if s := q.Get(x.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 5 {
				h.wb.errorPage(w, r, http.StatusBadRequest, tx.T("web.planning_risks.likelihood_impact_are"))
				return
			}
			*x.dst = n
		}
	}
	if f.Likelihood != 0 && f.Impact != 0 {
		which := "web.planning_risks.filter_inherent"
		if f.Residual {
			which = "web.planning_risks.filter_residual"
		}
		words = append(words, tx.T(which, "Likelihood", c.Likelihood(f.Likelihood), "Impact", c.Impact(f.Impact)))
	}
	if f.Overdue {
		words = append(words, tx.T("web.planning_risks.filter_overdue"))
	}
	if f.Untreated {
		words = append(words, tx.T("web.planning_risks.filter_untreated"))
	}
	v.Filtered = strings.Join(words, ", ")
	if v.Items, err = h.p.Risks.List(ctx, f); err != nil {
		var inv *domainerr.Invalid
		if errors.As(err, &inv) {
			h.wb.errorPage(w, r, http.StatusBadRequest, inv.Error())
			return
		}
		h.wb.fail(w, r, err)
		return
	}
	all, err := h.p.Risks.List(ctx, risk.Filter{Status: "active"})
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	for _, x := range all {
		if x.ReviewOverdue {
			v.Overdue++
		}
		if x.Untreated {
			v.Untreated++
		}
	}
	h.wb.render(w, r, http.StatusOK, "risks", page{Title: "Risks and opportunities", Active: "risks", Data: v})
}

type riskFormView struct {
	R          risk.Risk
	New        bool
	CanWrite   bool
	F          *fieldErrors
	C          risk.Criteria
	Levels     []planLevel
	Impacts    []planLevel
	Agents     []option
	Services   []option
	CIs        []option
	Kinds      []string
	Treatments []string
	Statuses   []string
}

type planLevel struct {
	N     int
	Label string
}

// Sel reports whether a select's option is the current value: what was
// sent when the form came back, else the record's.
func (v riskFormView) Sel(field, val, cur string) bool { return v.F.Val("risk", field, cur) == val }

// HasService reports whether a service is ticked.
func (v riskFormView) HasService(id int64) bool {
	if v.F.Failed("risk") {
		for _, s := range v.F.Values["service_ids"] {
			if s == strconv.FormatInt(id, 10) {
				return true
			}
		}
		return false
	}
	return planHas(v.R.ServiceIDs, id)
}

func planHas(list []int64, id int64) bool {
	for _, x := range list {
		if x == id {
			return true
		}
	}
	return false
}

// ResidualL is the residual likelihood as the select shows it.
func (v riskFormView) ResidualL() string { return planOptInt(v.R.ResidualLikelihood) }

// ResidualI is the residual impact as the select shows it.
func (v riskFormView) ResidualI() string { return planOptInt(v.R.ResidualImpact) }

func planOptInt(p *int) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(*p)
}

func (h planningPages) showRisk(w http.ResponseWriter, r *http.Request, status int, x risk.Risk, isNew bool, fe *fieldErrors) {
	ctx := r.Context()
	c, err := risk.GetCriteria(ctx, h.wb.DB)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v := riskFormView{R: x, New: isNew, CanWrite: httpx.Principal(r).Can(sms.PermWrite), F: fe, C: c,
		Kinds: risk.Kinds, Treatments: risk.Treatments, Statuses: risk.Statuses}
	for i := 1; i <= 5; i++ {
		v.Levels = append(v.Levels, planLevel{i, c.Likelihood(i)})
		v.Impacts = append(v.Impacts, planLevel{i, c.Impact(i)})
	}
	opts, err := h.wb.formOptions(r, false)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v.Agents = opts.Agents
	svc, err := schedulePages{wb: h.wb}.names(r, "services")
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v.Services = namedOptions(svc)
	cis, err := schedulePages{wb: h.wb}.ciNames(r, x.CIIDs)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	for _, id := range x.CIIDs {
		v.CIs = append(v.CIs, option{ID: id, Name: orID(cis[id], id)})
	}
	title := "New risk or opportunity"
	if !isNew {
		title = x.Title
	}
	h.wb.render(w, r, status, "risk", page{Title: title, Active: "risks", Data: v})
}

func (h planningPages) newRisk(w http.ResponseWriter, r *http.Request) {
	h.showRisk(w, r, http.StatusOK, risk.Risk{Kind: "risk", Treatment: "undecided", Status: "open"}, true, nil)
}

func (h planningPages) risk(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	x, err := h.p.Risks.Get(r.Context(), h.wb.DB, id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showRisk(w, r, http.StatusOK, x, false, nil)
}

// riskInput reads the risk form; CIs come ticked (those already linked) or
// added by name or id through the CI picker.
func (h planningPages) riskInput(r *http.Request) (risk.Input, *domainerr.Invalid, error) {
	v := domainerr.NewInvalid()
	in := risk.Input{Title: planText(r, "title"), Description: planText(r, "description"), Kind: planText(r, "kind"), Category: planText(r, "category"),
		ProcessKey: planText(r, "process_key"), Treatment: planText(r, "treatment"), TreatmentPlan: planText(r, "treatment_plan"),
		Status: planText(r, "status"), ReviewDue: planText(r, "review_due"), ReviewedOn: planText(r, "reviewed_on"), OwnerID: h.wb.planOwner(r, v)}
	in.Likelihood, in.Impact = planFormInt(r, "likelihood", v), planFormInt(r, "impact", v)
	zero := 0
	for _, x := range []struct {
		name string
		dst  **int
	}{{"residual_likelihood", &in.ResidualLikelihood}, {"residual_impact", &in.ResidualImpact}} {
		*x.dst = planFormInt(r, x.name, v)
		if *x.dst == nil {
			*x.dst = &zero
		}
	}
	svc := []int64{}
	for _, s := range r.PostForm["service_ids"] {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			v.Add("service_ids", "choose services from the list")
			break
		}
		svc = append(svc, id)
	}
	in.ServiceIDs = &svc
	cis := []int64{}
	for _, s := range r.PostForm["ci_ids"] {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil && id > 0 {
			cis = append(cis, id)
		}
	}
	for _, s := range r.PostForm["ci"] {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		id, err := h.ciByNameOrID(r, s)
		if errors.Is(err, store.ErrNotFound) {
			v.Add("ci", "no CI named %q", s)
			continue
		} else if err != nil {
			return in, nil, err
		}
		cis = append(cis, id)
	}
	in.CIIDs = &cis
	return in, v, nil
}

func (h planningPages) ciByNameOrID(r *http.Request, s string) (int64, error) {
	var id int64
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		err := h.wb.DB.QueryRow(r.Context(), "SELECT id FROM cis WHERE id = ?", n).Scan(&id)
		if err = store.ScanErr(err); !errors.Is(err, store.ErrNotFound) {
			return id, err
		}
	}
	err := h.wb.DB.QueryRow(r.Context(), "SELECT id FROM cis WHERE lower(name) = lower(?) ORDER BY id LIMIT 1", s).Scan(&id)
	return id, store.ScanErr(err)
}

func (h planningPages) saveRisk(w http.ResponseWriter, r *http.Request, id int64) {
	in, form, err := h.riskInput(r)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	var x risk.Risk
	if len(form.Fields) == 0 {
		actor := httpx.Principal(r).Actor()
		if id == 0 {
			x, err = h.p.Risks.Create(r.Context(), actor, in)
		} else {
			ver, _ := formVersion(r)
			x, err = h.p.Risks.Update(r.Context(), actor, id, in, ver)
		}
		if err == nil {
			h.wb.redirect(w, r, "/risks/"+strconv.FormatInt(x.ID, 10), "plan-saved")
			return
		}
	}
	bad, err := planMerged(form, err)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	cur := risk.Risk{Kind: "risk", Treatment: "undecided", Status: "open"}
	if id != 0 {
		if cur, err = h.p.Risks.Get(r.Context(), h.wb.DB, id); err != nil {
			h.wb.fail(w, r, err)
			return
		}
	}
	errs := map[string]string{}
	for k, m := range bad.Fields {
		if k == "ci_ids" {
			k = "ci"
		}
		errs[k] = m
	}
	h.showRisk(w, r, http.StatusUnprocessableEntity, cur, id == 0, &fieldErrors{Form: "risk", Errs: errs, Values: r.PostForm})
}

func (h planningPages) createRisk(w http.ResponseWriter, r *http.Request) { h.saveRisk(w, r, 0) }

func (h planningPages) updateRisk(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	h.saveRisk(w, r, id)
}

type criteriaView struct {
	C        risk.Criteria
	F        *fieldErrors
	CanWrite bool
	Slots    []int // band rows offered on the form
}

// Label is the label of level i (0-based) of an axis as the form shows it.
func (v criteriaView) Label(field string, i int) string {
	cur := ""
	list := v.C.LikelihoodLabels
	if field == "impact" {
		list = v.C.ImpactLabels
	}
	if i < len(list) {
		cur = list[i]
	}
	if v.F.Failed("criteria") {
		vals := v.F.Values[field]
		if i < len(vals) {
			return vals[i]
		}
		return ""
	}
	return cur
}

// Band is band row i's name and threshold as the form shows them.
func (v criteriaView) Band(i int) (b struct{ Name, Max string }) {
	if v.F.Failed("criteria") {
		if n := v.F.Values["band_name"]; i < len(n) {
			b.Name = n[i]
		}
		if m := v.F.Values["band_max"]; i < len(m) {
			b.Max = m[i]
		}
		return b
	}
	if i < len(v.C.Bands) {
		b.Name, b.Max = v.C.Bands[i].Name, strconv.Itoa(v.C.Bands[i].Max)
	}
	return b
}

func (h planningPages) criteria(w http.ResponseWriter, r *http.Request) {
	h.showCriteria(w, r, http.StatusOK, nil)
}

func (h planningPages) showCriteria(w http.ResponseWriter, r *http.Request, status int, fe *fieldErrors) {
	c, err := risk.GetCriteria(r.Context(), h.wb.DB)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v := criteriaView{C: c, F: fe, CanWrite: httpx.Principal(r).Can(sms.PermWrite), Slots: []int{0, 1, 2, 3, 4, 5}}
	h.wb.render(w, r, status, "risk_criteria", page{Title: "Risk criteria", Active: "risks", Data: v})
}

func (h planningPages) saveCriteria(w http.ResponseWriter, r *http.Request) {
	v := domainerr.NewInvalid()
	c := risk.Criteria{LikelihoodLabels: r.PostForm["likelihood"], ImpactLabels: r.PostForm["impact"]}
	names, maxes := r.PostForm["band_name"], r.PostForm["band_max"]
	for i := range names {
		name := strings.TrimSpace(names[i])
		mx := ""
		if i < len(maxes) {
			mx = strings.TrimSpace(maxes[i])
		}
		if name == "" && mx == "" {
			continue
		}
		n, err := strconv.Atoi(mx)
		if err != nil {
			v.Add("bands", "each band needs a highest score, a whole number")
			break
		}
		c.Bands = append(c.Bands, risk.Band{Name: name, Max: n})
	}
	if p := planFormInt(r, "appetite", v); p != nil {
		c.Appetite = *p
	} else if !v.Has("appetite") {
		v.Add("appetite", "is required")
	}
	ver, _ := formVersion(r)
	var err error
	if len(v.Fields) == 0 {
		if _, err = h.p.Risks.SetCriteria(r.Context(), httpx.Principal(r).Actor(), c, ver); err == nil {
			h.wb.redirect(w, r, "/risk-criteria", "plan-criteria")
			return
		}
	}
	bad, err := planMerged(v, err)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	errs := map[string]string{}
	for k, m := range bad.Fields {
		errs[strings.TrimSuffix(k, "_labels")] = m
	}
	h.showCriteria(w, r, http.StatusUnprocessableEntity, &fieldErrors{Form: "criteria", Errs: errs, Values: r.PostForm})
}

// RLn is the residual likelihood, 0 when not assessed.
func (v riskFormView) RLn() int { return planDeref(v.R.ResidualLikelihood) }

// RIn is the residual impact, 0 when not assessed.
func (v riskFormView) RIn() int { return planDeref(v.R.ResidualImpact) }

func planDeref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// Num counts from 1 what a range counts from 0.
func (v criteriaView) Num(i int) int { return i + 1 }
