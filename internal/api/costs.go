package api

import (
	"net/http"

	"steward/internal/cost"
	"steward/internal/httpx"
)

// costAPI serves budgeting and accounting for services (8.4.1).
type costAPI struct {
	*API
	svc *cost.Service
}

// CostRoutes are the cost area's API routes over svc.
func CostRoutes(svc *cost.Service) Routes {
	return func(a *API, rt *httpx.Router) {
		h := &costAPI{API: a, svc: svc}
		rt.Handle("GET /api/v1/budgets", cost.PermRead, h.listBudgets)
		rt.Handle("POST /api/v1/budgets", cost.PermWrite, h.createBudget)
		rt.Handle("GET /api/v1/budgets/{id}", cost.PermRead, h.getBudget)
		rt.Handle("PATCH /api/v1/budgets/{id}", cost.PermWrite, h.patchBudget)
		rt.Handle("DELETE /api/v1/budgets/{id}", cost.PermWrite, h.deleteBudget)
		rt.Handle("GET /api/v1/service-costs", cost.PermRead, h.listEntries)
		rt.Handle("POST /api/v1/service-costs", cost.PermWrite, h.addEntry)
		rt.Handle("DELETE /api/v1/service-costs/{id}", cost.PermWrite, h.deleteEntry)
		rt.Handle("GET /api/v1/contract-costs", cost.PermRead, h.listContracts)
		rt.Handle("POST /api/v1/contract-costs", cost.PermWrite, h.setContract)
		rt.Handle("DELETE /api/v1/contract-costs/{id}", cost.PermWrite, h.deleteContract)
		rt.Handle("GET /api/v1/exchange-rates", cost.PermRead, h.listRates)
		rt.Handle("POST /api/v1/exchange-rates", cost.PermAdmin, h.setRate)
		rt.Handle("DELETE /api/v1/exchange-rates/{id}", cost.PermAdmin, h.deleteRate)
		rt.Handle("PUT /api/v1/cost-currency", cost.PermAdmin, h.setCurrency)
		rt.Handle("GET /api/v1/services/{id}/cost-settings", cost.PermRead, h.getSettings)
		rt.Handle("PUT /api/v1/services/{id}/cost-settings", cost.PermWrite, h.putSettings)
		rt.Handle("GET /api/v1/services/{id}/cost-allocation", cost.PermRead, h.allocation)
		rt.Handle("GET /api/v1/reports/cost", cost.PermRead, h.report)
		rt.Handle("GET /api/v1/reports/cost-benefit", cost.PermRead, h.benefit)
	}
}

// period reads a period parameter; required says whether it may be absent.
func (q *query) period(name string, required bool) *cost.Period {
	v := q.str(name, 20)
	if v == "" {
		if required {
			q.fields[name] = "is required: a month (2026-03), a quarter (2026-Q1) or a year (2026)"
		}
		return nil
	}
	p, err := cost.ParsePeriod(v)
	if err != nil {
		q.fields[name] = err.Error()
		return nil
	}
	return &p
}

func (h *costAPI) listBudgets(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "service_id", "sms", "from", "to", "limit")
	f := cost.BudgetFilter{ServiceID: q.int64("service_id"), From: q.period("from", false), To: q.period("to", false), Limit: q.limit()}
	if b := q.boolean("sms"); b != nil {
		f.SMS = *b
	}
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	items, err := h.svc.ListBudgets(r.Context(), httpx.Principal(r), f)
	if err = queryFault(err); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listBody(items, ""))
}

func (h *costAPI) createBudget(w http.ResponseWriter, r *http.Request) {
	var in cost.BudgetInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	b, err := h.svc.CreateBudget(r.Context(), httpx.Principal(r), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/budgets/"+itoa(b.ID))
	w.Header().Set("ETag", etag(b.Version))
	writeJSON(w, http.StatusCreated, b)
}

func (h *costAPI) getBudget(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	b, err := h.svc.GetBudget(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if notModified(w, r, b.Version) {
		return
	}
	writeJSON(w, http.StatusOK, b)
}

func (h *costAPI) patchBudget(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var pt cost.BudgetPatch
	if err := decode(w, r, &pt); err != nil {
		h.fail(w, r, err)
		return
	}
	b, err := h.svc.UpdateBudget(r.Context(), httpx.Principal(r), id, pt, ifMatch(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(b.Version))
	writeJSON(w, http.StatusOK, b)
}

// deleted answers a delete: 204, or the error.
func (h *costAPI) deleted(w http.ResponseWriter, r *http.Request, del func(id int64) error) {
	id, err := pathID(r, "id")
	if err == nil {
		err = del(id)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *costAPI) deleteBudget(w http.ResponseWriter, r *http.Request) {
	h.deleted(w, r, func(id int64) error { return h.svc.DeleteBudget(r.Context(), httpx.Principal(r), id) })
}

func (h *costAPI) listEntries(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "service_id", "from", "to", "limit")
	svc, from, to, limit := q.int64("service_id"), q.period("from", false), q.period("to", false), q.limit()
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	items, err := h.svc.ListEntries(r.Context(), httpx.Principal(r), svc, from, to, limit)
	if err = queryFault(err); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listBody(items, ""))
}

func (h *costAPI) addEntry(w http.ResponseWriter, r *http.Request) {
	var in cost.EntryInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	e, err := h.svc.AddEntry(r.Context(), httpx.Principal(r), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, e)
}

func (h *costAPI) deleteEntry(w http.ResponseWriter, r *http.Request) {
	h.deleted(w, r, func(id int64) error { return h.svc.DeleteEntry(r.Context(), httpx.Principal(r), id) })
}

func (h *costAPI) listContracts(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "service_id")
	svc := q.int64("service_id")
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	items, err := h.svc.ListContractCosts(r.Context(), httpx.Principal(r), svc)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listBody(items, ""))
}

func (h *costAPI) setContract(w http.ResponseWriter, r *http.Request) {
	var in cost.ContractCostInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.svc.SetContractCost(r.Context(), httpx.Principal(r), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func (h *costAPI) deleteContract(w http.ResponseWriter, r *http.Request) {
	h.deleted(w, r, func(id int64) error { return h.svc.DeleteContractCost(r.Context(), httpx.Principal(r), id) })
}

func (h *costAPI) listRates(w http.ResponseWriter, r *http.Request) {
	if err := newQuery(r).err(); err != nil {
		h.fail(w, r, err)
		return
	}
	items, err := h.svc.ListRates(r.Context(), httpx.Principal(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listBody(items, ""))
}

func (h *costAPI) setRate(w http.ResponseWriter, r *http.Request) {
	var in cost.RateInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	rate, err := h.svc.SetRate(r.Context(), httpx.Principal(r), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, rate)
}

func (h *costAPI) deleteRate(w http.ResponseWriter, r *http.Request) {
	h.deleted(w, r, func(id int64) error { return h.svc.DeleteRate(r.Context(), httpx.Principal(r), id) })
}

func (h *costAPI) setCurrency(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Currency string `json:"currency"`
	}
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.svc.SetCurrency(r.Context(), httpx.Principal(r), in.Currency)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"currency": c})
}

func (h *costAPI) getSettings(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	st, err := h.svc.GetSettings(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (h *costAPI) putSettings(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in cost.SettingsInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	st, err := h.svc.PutSettings(r.Context(), httpx.Principal(r), id, in, ifMatch(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(st.Version))
	writeJSON(w, http.StatusOK, st)
}

func (h *costAPI) allocation(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := newQuery(r, "period")
	per := q.period("period", true)
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	a, err := h.svc.Allocate(r.Context(), httpx.Principal(r), id, *per)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (h *costAPI) report(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "service_id", "from", "to", "format")
	rq := cost.ReportQuery{ServiceID: q.int64("service_id")}
	from, to := q.period("from", true), q.period("to", false)
	format := q.str("format", 10)
	if format != "" && format != "json" && format != "csv" {
		q.fields["format"] = "must be json or csv"
	}
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	rq.From, rq.To = *from, *from
	if to != nil {
		rq.To = *to
	}
	rep, err := h.svc.Report(r.Context(), httpx.Principal(r), rq)
	if err != nil {
		if !cost.IsRateMissing(err) {
			err = queryFault(err)
		}
		h.fail(w, r, err)
		return
	}
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="cost-`+rep.From+`-`+rep.To+`.csv"`)
		cost.WriteCSV(w, rep)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (h *costAPI) benefit(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "from", "to")
	from, to := q.period("from", true), q.period("to", false)
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	if to == nil {
		to = from
	}
	b, err := h.svc.Benefit(r.Context(), httpx.Principal(r), *from, *to)
	if err != nil {
		if !cost.IsRateMissing(err) {
			err = queryFault(err)
		}
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, b)
}
