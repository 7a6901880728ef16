package web

import (
	"net/http"
	"strconv"
	"strings"

	"steward/internal/cost"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/sla"
)

func (h costPages) registerService(rt *httpx.Router) {
	rt.Handle("GET /costs/services/{id}", cost.PermRead, h.servicePage)
	h.wb.post(rt, "POST /costs/services/{id}/budgets", cost.PermWrite, h.addBudget)
	h.wb.post(rt, "POST /costs/services/{id}/costs", cost.PermWrite, h.addEntry)
	h.wb.post(rt, "POST /costs/services/{id}/contracts", cost.PermWrite, h.setContract)
	h.wb.post(rt, "POST /costs/services/{id}/settings", cost.PermWrite, h.saveSettings)
	h.wb.post(rt, "POST /costs/budgets/{id}/delete", cost.PermWrite, h.deleteBudget)
	h.wb.post(rt, "POST /costs/entries/{id}/delete", cost.PermWrite, h.deleteEntry)
	h.wb.post(rt, "POST /costs/contracts/{id}/delete", cost.PermWrite, h.deleteContract)
}

type entryLine struct {
	ID                             int64
	Period, Category, Amount, Note string
}

type contractLine struct {
	ID                           int64
	Name, Supplier, Amount, Term string
	Active                       bool
}

type assetLine struct {
	Name, Href, Cost, Method, Shared string
	Undated                          bool
}

type allocLine struct {
	Name, Weight, Amount string
}

type costServiceView struct {
	S          cost.ServiceCosts
	Currency   string
	From, To   string
	Query      string
	Rows       []costLine
	Total      costLine
	Chart      costChart
	Error      string
	Budgets    []budgetLine
	Entries    []entryLine
	Contracts  []contractLine
	Assets     []assetLine
	Settings   cost.Settings
	Rate       string
	RateCur    string
	AllocFor   string
	AllocKey   string
	Alloc      []allocLine
	AllocNote  string
	Unalloc    string
	CanWrite   bool
	F          *fieldErrors
	Agreements []option
	Customers  []option
	Categories []catOption
	Keys       []catOption
	ShareOf    map[int64]string
}

type catOption struct{ Code, Label string }

func (h costPages) servicePage(w http.ResponseWriter, r *http.Request) {
	h.showService(w, r, http.StatusOK, nil)
}

func (h costPages) showService(w http.ResponseWriter, r *http.Request, status int, fe *fieldErrors) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	p := httpx.Principal(r)
	from, to, msg := h.span(r)
	ctx, tx := r.Context(), h.wb.clockOf(r).text()
	st, err := h.svc.GetSettings(ctx, p, id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	cur, err := cost.AccountingCurrency(ctx, h.wb.DB)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v := costServiceView{Settings: st, Currency: cur, From: from.Label, To: to.Label, Error: msg, F: fe,
		Query: "from=" + from.Label + "&to=" + to.Label, RateCur: cur, AllocKey: st.Allocation, ShareOf: map[int64]string{}}
	v.S.ServiceID, v.S.Name = id, st.ServiceName
	rep, err := h.svc.Report(ctx, p, cost.ReportQuery{ServiceID: id, From: from, To: to})
	switch {
	case cost.IsRateMissing(err):
		v.Error = rateMessage(err)
	case err != nil:
		h.wb.fail(w, r, err)
		return
	default:
		v.S = rep.Services[0]
		for _, row := range v.S.Rows {
			v.Rows = append(v.Rows, costRow(tx, row, cur))
		}
		v.Total = costRow(tx, v.S.Total, cur)
		v.Total.Label = tx.T("web.cost_service.all_periods")
		v.Chart = chartOf(tx, v.S.Rows, cur, v.S.DowntimePerHour != nil)
		for _, a := range v.S.Assets {
			v.Assets = append(v.Assets, assetOf(tx, a, cur))
		}
		if err := h.allocation(r, &v, to); err != nil {
			h.wb.fail(w, r, err)
			return
		}
	}
	if st.DowntimePerHour != nil {
		v.Rate, v.RateCur = cost.MajorString(*st.DowntimePerHour, st.DowntimeCur), st.DowntimeCur
	}
	for _, sh := range st.Shares {
		v.ShareOf[sh.CustomerID] = strings.TrimSuffix(strings.TrimRight(strconv.FormatFloat(float64(sh.BasisPoints)/100, 'f', 2, 64), "0"), ".")
	}
	if err := h.records(r, &v, id, cur); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	owner := v.S.OwnerID
	if owner == nil {
		_ = h.wb.DB.QueryRow(ctx, `SELECT owner_id FROM services WHERE id = ?`, id).Scan(&owner)
	}
	v.CanWrite = p.Can(cost.PermAdmin) || (p.Can(cost.PermWrite) && owner != nil && *owner == p.UserID)
	if v.CanWrite {
		if err := h.choices(r, &v); err != nil {
			h.wb.fail(w, r, err)
			return
		}
	}
	h.wb.render(w, r, status, "cost_service", page{Title: h.wb.clockOf(r).text().T("web.cost_service.title", "Service", v.S.Name), Active: "costs", Data: v})
}

func assetOf(tx i18n.Text, a cost.AssetLine, cur string) assetLine {
	l := assetLine{Name: a.Name, Href: "/cis/" + strconv.FormatInt(a.CIID, 10), Cost: cost.Format(a.Cost, cur), Undated: a.Undated}
	switch {
	case a.Undated:
		l.Method = tx.T("web.cost_service.undated")
	case a.Licence:
		l.Method = tx.T("web.cost_service.licence", "Start", a.Start, "Months", a.LifeMonths)
	default:
		l.Method = tx.T("web.cost_service.bought", "Start", a.Start, "Months", a.LifeMonths)
	}
	if a.SharedBy > 1 {
		l.Shared = tx.T("web.cost_service.shared", "Services", a.SharedBy)
	}
	return l
}

// allocation fills in the allocation of the span's last period.
func (h costPages) allocation(r *http.Request, v *costServiceView, per cost.Period) error {
	tx := h.wb.clockOf(r).text()
	a, err := h.svc.Allocate(r.Context(), httpx.Principal(r), v.S.ServiceID, per)
	if err != nil {
		return err
	}
	v.AllocFor, v.AllocNote = periodLabel(per.Label), a.Reason
	if a.Unallocated > 0 {
		v.Unalloc = cost.Format(a.Unallocated, a.Currency)
	}
	for _, l := range a.Lines {
		var weight string
		switch a.Key {
		case cost.Equal:
			weight = tx.T("web.cost_service.weight_equal")
		case cost.Tickets:
			weight = tx.T("web.cost_service.weight_tickets", "Count", l.Weight)
		case cost.Fixed:
			weight = strconv.FormatFloat(float64(l.Weight)/100, 'f', 2, 64) + " %"
		}
		v.Alloc = append(v.Alloc, allocLine{Name: l.CustomerName, Weight: weight, Amount: cost.Format(l.Amount, a.Currency)})
	}
	return nil
}

// records lists the service's budgets, costs entered and contracts.
func (h costPages) records(r *http.Request, v *costServiceView, id int64, cur string) error {
	p, ctx, tx := httpx.Principal(r), r.Context(), h.wb.clockOf(r).text()
	budgets, err := h.svc.ListBudgets(ctx, p, cost.BudgetFilter{ServiceID: id, Limit: 100})
	if err != nil {
		return err
	}
	for _, b := range budgets {
		v.Budgets = append(v.Budgets, budgetOf(b, cur))
	}
	entries, err := h.svc.ListEntries(ctx, p, id, nil, nil, 100)
	if err != nil {
		return err
	}
	for _, e := range entries {
		v.Entries = append(v.Entries, entryLine{ID: e.ID, Period: periodLabel(e.Period), Category: tx.T("web.cost_service.category_" + e.Category),
			Amount: cost.Format(e.Amount, e.Currency), Note: e.Note})
	}
	contracts, err := h.svc.ListContractCosts(ctx, p, id)
	if err != nil {
		return err
	}
	for _, c := range contracts {
		term := tx.T("web.cost_service.term_open")
		switch {
		case c.ContractStart != nil && c.ContractEnd != nil:
			term = tx.T("web.cost_service.term_span", "Start", *c.ContractStart, "End", *c.ContractEnd)
		case c.ContractStart != nil:
			term = tx.T("web.cost_service.term_from", "Start", *c.ContractStart)
		case c.ContractEnd != nil:
			term = tx.T("web.cost_service.term_until", "End", *c.ContractEnd)
		}
		v.Contracts = append(v.Contracts, contractLine{ID: c.ID, Name: c.AgreementName, Supplier: c.Supplier,
			Amount: tx.T("web.cost_service.per_month", "Amount", cost.Format(c.AmountPerMonth, c.Currency)), Term: term, Active: c.Active})
	}
	return nil
}

// choices fills the forms' lists.
func (h costPages) choices(r *http.Request, v *costServiceView) error {
	ucs, err := sla.ListAgreements(r.Context(), h.wb.DB, sla.AgreementFilter{Kind: sla.UC, Limit: maxChoices})
	if err != nil {
		return err
	}
	for _, a := range ucs {
		v.Agreements = append(v.Agreements, option{ID: a.ID, Name: a.Name})
	}
	rows, err := h.wb.DB.Query(r.Context(), `SELECT id, name FROM customers ORDER BY name LIMIT ?`, maxChoices)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var o option
		if err := rows.Scan(&o.ID, &o.Name); err != nil {
			return err
		}
		v.Customers = append(v.Customers, o)
	}
	tx := h.wb.clockOf(r).text()
	for _, c := range cost.Categories {
		v.Categories = append(v.Categories, catOption{c, tx.T("web.cost_service.category_" + c)})
	}
	v.Keys = []catOption{{cost.Equal, tx.T("web.cost_service.key_equal")}, {cost.Tickets, tx.T("web.cost_service.key_tickets")}, {cost.Fixed, tx.T("web.cost_service.key_fixed")}}
	return rows.Err()
}

// back returns to the service's page with a notice.
func (h costPages) back(w http.ResponseWriter, r *http.Request, id int64, anchor, flash string) {
	h.wb.redirect(w, r, "/costs/services/"+strconv.FormatInt(id, 10)+"#"+anchor, flash)
}

// answer redirects after a write, or shows the form's errors.
func (h costPages) answer(w http.ResponseWriter, r *http.Request, id int64, form string, v *domainerr.Invalid, err error) {
	if err == nil && len(v.Fields) == 0 {
		h.back(w, r, id, form, "saved")
		return
	}
	bad, err := planMerged(v, err)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showService(w, r, http.StatusUnprocessableEntity, &fieldErrors{Form: form, Errs: bad.Fields, Values: r.PostForm})
}

func (h costPages) addBudget(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r)
	v := domainerr.NewInvalid()
	amount, cur := formAmount(r, v, "amount", "currency")
	var err error
	if len(v.Fields) == 0 {
		_, err = h.svc.CreateBudget(r.Context(), httpx.Principal(r), cost.BudgetInput{ServiceID: &id, Period: r.PostFormValue("period"),
			Amount: amount, Currency: cur, Note: r.PostFormValue("note")})
	}
	h.answer(w, r, id, "budget", v, err)
}

func (h costPages) addEntry(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r)
	v := domainerr.NewInvalid()
	amount, cur := formAmount(r, v, "amount", "currency")
	var err error
	if len(v.Fields) == 0 {
		_, err = h.svc.AddEntry(r.Context(), httpx.Principal(r), cost.EntryInput{ServiceID: id, Period: r.PostFormValue("period"),
			Category: r.PostFormValue("category"), Amount: amount, Currency: cur, Note: r.PostFormValue("note")})
	}
	h.answer(w, r, id, "cost", v, err)
}

func (h costPages) setContract(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r)
	v := domainerr.NewInvalid()
	amount, cur := formAmount(r, v, "amount_per_month", "currency")
	agr, ok := formID(r, "agreement_id")
	if !ok || agr == nil {
		v.Add("agreement_id", "%s", h.wb.clockOf(r).text().T("web.cost_service.choose_contract"))
	}
	var err error
	if len(v.Fields) == 0 {
		_, err = h.svc.SetContractCost(r.Context(), httpx.Principal(r), cost.ContractCostInput{AgreementID: *agr, ServiceID: id,
			AmountPerMonth: amount, Currency: cur})
	}
	h.answer(w, r, id, "contract", v, err)
}

func (h costPages) saveSettings(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r)
	v := domainerr.NewInvalid()
	in := cost.SettingsInput{Allocation: r.PostFormValue("allocation")}
	if strings.TrimSpace(r.PostFormValue("downtime_per_hour")) != "" {
		in.DowntimePerHour, in.DowntimeCur = formAmount(r, v, "downtime_per_hour", "downtime_currency")
	}
	if in.Allocation == cost.Fixed {
		for _, k := range r.PostForm["customer"] {
			cid, err := strconv.ParseInt(k, 10, 64)
			s := strings.TrimSpace(r.PostFormValue("share_" + k))
			if err != nil || s == "" {
				continue
			}
			bp, err := cost.ParsePercent(s)
			if err != nil {
				v.Add("share_"+k, "%s", err)
				continue
			}
			in.Shares = append(in.Shares, cost.Share{CustomerID: cid, BasisPoints: bp})
		}
	}
	var err error
	if len(v.Fields) == 0 {
		version, _ := strconv.Atoi(r.PostFormValue("version"))
		_, err = h.svc.PutSettings(r.Context(), httpx.Principal(r), id, in, version)
	}
	h.answer(w, r, id, "settings", v, err)
}

// deletedFrom removes a record and returns to its service's page.
func (h costPages) deletedFrom(w http.ResponseWriter, r *http.Request, anchor string, del func(id int64) error) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	svc, _ := strconv.ParseInt(r.PostFormValue("service_id"), 10, 64)
	if err := del(id); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	if svc <= 0 {
		h.wb.redirect(w, r, "/costs/benefit#sms-budget", "deleted")
		return
	}
	h.back(w, r, svc, anchor, "deleted")
}

func (h costPages) deleteBudget(w http.ResponseWriter, r *http.Request) {
	h.deletedFrom(w, r, "budget", func(id int64) error { return h.svc.DeleteBudget(r.Context(), httpx.Principal(r), id) })
}

func (h costPages) deleteEntry(w http.ResponseWriter, r *http.Request) {
	h.deletedFrom(w, r, "cost", func(id int64) error { return h.svc.DeleteEntry(r.Context(), httpx.Principal(r), id) })
}

func (h costPages) deleteContract(w http.ResponseWriter, r *http.Request) {
	h.deletedFrom(w, r, "contract", func(id int64) error { return h.svc.DeleteContractCost(r.Context(), httpx.Principal(r), id) })
}
