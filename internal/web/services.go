package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"steward/internal/auth"
	"steward/internal/catalog"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/incident"
	"steward/internal/org"
)

// ServicePages are the service catalogue's pages.
var ServicePages Pages = (*Web).registerServices

// registerServices adds the service catalogue: the published catalogue for
// requesters, the full register with its forms for staff.
func (wb *Web) registerServices(rt *httpx.Router) {
	rt.Handle("GET /services", auth.ServiceRead, wb.listServices)
	rt.Handle("GET /services/new", auth.ServiceWrite, wb.newServiceForm)
	wb.post(rt, "POST /services", auth.ServiceWrite, wb.createService)
	rt.Handle("GET /services/{id}", auth.ServiceRead, wb.servicePage)
	rt.Handle("GET /services/{id}/edit", auth.ServiceWrite, wb.editServiceForm)
	wb.post(rt, "POST /services/{id}", auth.ServiceWrite, wb.updateService)
	wb.post(rt, "POST /services/{id}/delete", auth.ServiceWrite, wb.deleteService)
}

func (wb *Web) catalog() *catalog.Catalog { return catalog.New(wb.DB) }

type servicesView struct {
	tx              i18n.Text
	Staff, CanWrite bool
	Items           []catalog.Service
	Q               url.Values
	Filtered        bool
	NextURL         string
	Error           string
	Statuses        []catalog.Status
	Criticalities   []catalog.Criticality
	Owners          []option
	CustomerOpts    []option
	CustomerNames   map[int64]string
}

// Customers names the customers a service lists, for the table.
func (v servicesView) Customers(s catalog.Service) string {
	if s.ServesEveryone() {
		return v.tx.T("web.services.all_customers")
	}
	names := make([]string, len(s.CustomerIDs))
	for i, id := range s.CustomerIDs {
		names[i] = orID(v.CustomerNames[id], id)
	}
	return strings.Join(names, ", ")
}

var serviceParams = []string{"q", "status", "criticality", "owner", "customer", "cost_min", "cost_max"}

const servicePageSize = 100

func (wb *Web) listServices(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	q := r.URL.Query()
	tx := wb.clockOf(r).text()
	v := servicesView{tx: tx, Staff: p.IsStaff(), CanWrite: p.Can(auth.ServiceWrite), Q: url.Values{},
		Statuses: catalog.Statuses, Criticalities: catalog.Criticalities}
	for _, k := range serviceParams {
		if s := strings.TrimSpace(q.Get(k)); s != "" && len(s) < 300 {
			v.Q.Set(k, s)
			v.Filtered = true
		}
	}
	f, bad := serviceFilter(v.Q)
	f.Limit, f.Cursor = servicePageSize, q.Get("cursor")
	if !v.Staff {
		// The published catalogue: what this requester's organisation gets.
		f = catalog.Filter{Query: f.Query, Limit: servicePageSize, Cursor: f.Cursor}
	}
	if v.Staff {
		opts, err := wb.formOptions(r, false)
		if err != nil {
			wb.fail(w, r, err)
			return
		}
		v.Owners, v.CustomerOpts = opts.Agents, opts.Customers
		if v.CustomerNames, err = org.Customers.Names(r.Context(), wb.DB); err != nil {
			wb.fail(w, r, err)
			return
		}
	}
	status := http.StatusOK
	if len(bad) > 0 && v.Staff {
		names := make([]string, len(bad))
		for i, b := range bad {
			names[i] = tx.Or("web.services.filter_"+b, b)
		}
		v.Error, status = tx.T("web.services.bad_filters", "Filters", strings.Join(names, ", ")), http.StatusUnprocessableEntity
	} else {
		pg, err := wb.catalog().List(r.Context(), p, f)
		var inv *domainerr.Invalid
		if errors.As(err, &inv) {
			v.Error, status = invalidText(inv), http.StatusUnprocessableEntity
		} else if err != nil {
			wb.fail(w, r, err)
			return
		}
		v.Items = pg.Items
		if pg.NextCursor != "" {
			next := url.Values{}
			for k, vals := range v.Q {
				next[k] = vals
			}
			next.Set("cursor", pg.NextCursor)
			v.NextURL = "/services?" + next.Encode()
		}
	}
	title := "Service catalogue"
	if !v.Staff {
		title = "Services"
	}
	wb.render(w, r, status, "services", page{Title: title, Active: "services", Data: v})
}

// serviceFilter reads the staff filters; it names those it cannot read.
func serviceFilter(q url.Values) (catalog.Filter, []string) {
	var f catalog.Filter
	var bad []string
	f.Query = q.Get("q")
	if s := q.Get("status"); s != "" {
		f.Statuses = []catalog.Status{catalog.Status(s)}
		if !oneOfStatus(s) {
			bad = append(bad, "status")
		}
	}
	if s := q.Get("criticality"); s != "" {
		f.Criticalities = []catalog.Criticality{catalog.Criticality(s)}
		if !oneOfCriticality(s) {
			bad = append(bad, "criticality")
		}
	}
	for _, ref := range []struct {
		name string
		dst  *int64
	}{{"owner", &f.OwnerID}, {"customer", &f.CustomerID}} {
		if s := q.Get(ref.name); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n <= 0 {
				bad = append(bad, ref.name)
			}
			*ref.dst = n
		}
	}
	for _, m := range []struct {
		name string
		dst  **catalog.Cents
	}{{"cost_min", &f.CostMin}, {"cost_max", &f.CostMax}} {
		if s := q.Get(m.name); s != "" {
			c, err := catalog.ParseAmount(s)
			if err != nil {
				bad = append(bad, m.name)
			}
			*m.dst = &c
		}
	}
	return f, bad
}

func oneOfStatus(s string) bool {
	for _, x := range catalog.Statuses {
		if string(x) == s {
			return true
		}
	}
	return false
}

func oneOfCriticality(s string) bool {
	for _, x := range catalog.Criticalities {
		if string(x) == s {
			return true
		}
	}
	return false
}

type serviceView struct {
	S               catalog.Service
	Staff, CanWrite bool
	Customers       []string
	DependsOn       []catalog.Ref
	Dependents      []catalog.Ref
	IncidentsURL    string
	CanReport       bool
	Error           string
	Assurance       []assuranceCard
}

func (wb *Web) servicePage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	wb.showService(w, r, http.StatusOK, id, "")
}

// showService renders a service with what it depends on and what depends
// on it; msg is a banner, such as a refused deletion.
func (wb *Web) showService(w http.ResponseWriter, r *http.Request, status int, id int64, msg string) {
	p := httpx.Principal(r)
	ctx := r.Context()
	cat := wb.catalog()
	s, err := cat.Get(ctx, p, id)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	v := serviceView{S: s, Staff: p.IsStaff(), CanWrite: p.Can(auth.ServiceWrite), Error: msg,
		CanReport:    p.Can(incident.PermCreate) && s.Status != catalog.Retired,
		IncidentsURL: "/?" + url.Values{"service": {strconv.FormatInt(s.ID, 10)}}.Encode()}
	if v.Staff {
		v.IncidentsURL = "/?" + url.Values{"view": {"open"}, "service": {strconv.FormatInt(s.ID, 10)}}.Encode()
	}
	customers, err := org.Customers.Names(ctx, wb.DB)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	for _, c := range s.CustomerIDs {
		v.Customers = append(v.Customers, orID(customers[c], c))
	}
	names, err := cat.Names(ctx)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	for _, d := range s.DependsOn {
		v.DependsOn = append(v.DependsOn, catalog.Ref{ID: d, Name: orID(names[d], d)})
	}
	if v.Dependents, err = cat.Dependents(ctx, p, s.ID); err != nil {
		wb.fail(w, r, err)
		return
	}
	if v.Assurance, err = wb.assuranceCards(r, s.ID); err != nil {
		wb.fail(w, r, err)
		return
	}
	wb.render(w, r, status, "service", page{Title: s.Name, Active: "services", Data: v})
}

// serviceOptions lists the services p may pick for an incident, for
// selects: keep is listed too when it is retired, so that a form shows an
// incident's current service.
func (wb *Web) serviceOptions(r *http.Request, keep int64) ([]option, error) {
	refs, err := wb.catalog().Choices(r.Context(), httpx.Principal(r), keep)
	if err != nil {
		return nil, err
	}
	out := make([]option, len(refs))
	tx := wb.clockOf(r).text()
	for i, s := range refs {
		out[i] = option{ID: s.ID, Name: s.Name}
		if s.Status != catalog.Live {
			out[i].Note = tx.Label(string(s.Status))
		}
	}
	return out, nil
}

// serviceFilterOptions lists the services a queue may be filtered by:
// every one for staff, retired included, and the published catalogue for
// requesters.
func (wb *Web) serviceFilterOptions(r *http.Request) ([]option, error) {
	p := httpx.Principal(r)
	if !p.IsStaff() {
		return wb.serviceOptions(r, 0)
	}
	names, err := wb.catalog().Names(r.Context())
	if err != nil {
		return nil, err
	}
	return namedOptions(names), nil
}

// refID is an optional reference's id, 0 when unset.
func refID(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
