package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/org"
	"steward/internal/sms"
)

type scopeView struct {
	Scope    sms.Scope
	Versions []sms.ScopeVersion
	Latest   int
	Form     sms.ScopeVersion // what the form starts from: the newest version
	Services []option
	F        *fieldErrors
	CanWrite bool
}

// Chosen reports whether the form has the service ticked.
func (v scopeView) Chosen(id int64) bool {
	if v.F.Failed("scope") {
		for _, s := range v.F.Values["service_ids"] {
			if s == strconv.FormatInt(id, 10) {
				return true
			}
		}
		return false
	}
	for _, x := range v.Form.ServiceIDs {
		if x == id {
			return true
		}
	}
	return false
}

func (h smsPages) showScope(w http.ResponseWriter, r *http.Request, status int, fe *fieldErrors) {
	sc, err := h.svc.CurrentScope(r.Context())
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	list, err := h.svc.ScopeVersions(r.Context(), h.wb.DB)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	svc, err := h.serviceOptions(r)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v := scopeView{Scope: sc, Versions: list, Services: svc, F: fe, CanWrite: httpx.Principal(r).Can(sms.PermWrite)}
	if len(list) > 0 {
		v.Latest, v.Form = list[0].Number, list[0]
	}
	h.wb.render(w, r, status, "sms_scope", page{Title: "Scope of the SMS", Active: "scope", Data: v})
}

func (h smsPages) scope(w http.ResponseWriter, r *http.Request) {
	h.showScope(w, r, http.StatusOK, nil)
}

func (h smsPages) saveScope(w http.ResponseWriter, r *http.Request) {
	ids, ok := formIDs(r, "service_ids")
	if !ok {
		h.showScope(w, r, http.StatusUnprocessableEntity, &fieldErrors{Form: "scope", Errs: map[string]string{"service_ids": "choose services from the list"}, Values: r.PostForm})
		return
	}
	// The newest version the author saw: a save by someone else since
	// then makes this one stale instead of silently replacing it.
	based, _ := strconv.Atoi(r.PostFormValue("based_on"))
	in := sms.ScopeInput{Statement: formText(r, "statement"), ServiceIDs: ids, Units: formText(r, "units"), Locations: formText(r, "locations"),
		Parties: formText(r, "parties"), Exclusions: formText(r, "exclusions"), BasedOn: based}
	v, err := h.svc.SaveScope(r.Context(), httpx.Principal(r).Actor(), in)
	if err == nil {
		h.wb.redirect(w, r, "/scope#v"+strconv.Itoa(v.Number), "saved")
		return
	}
	if inv := invalid(err); inv != nil {
		h.showScope(w, r, http.StatusUnprocessableEntity, &fieldErrors{Form: "scope", Errs: inv.Fields, Values: r.PostForm})
		return
	}
	h.wb.fail(w, r, err)
}

func (h smsPages) approveScope(w http.ResponseWriter, r *http.Request) {
	n, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	if _, err := h.svc.ApproveScope(r.Context(), httpx.Principal(r).Actor(), int(n)); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.wb.redirect(w, r, "/scope", "approved")
}

type processGroup struct {
	Name  string
	Items []sms.Process
}

type processesView struct {
	Groups   []processGroup
	NoOwner  int
	Total    int
	Links    []sms.Interface
	Isolated []sms.Process
}

// processArea names the part of the SMS a clause belongs to, for grouping.
func processArea(tx i18n.Text, clause string) string {
	switch {
	case strings.HasPrefix(clause, "8.2"):
		return tx.T("web.sms_processes.area_portfolio")
	case strings.HasPrefix(clause, "8.3"):
		return tx.T("web.sms_processes.area_relationship")
	case strings.HasPrefix(clause, "8.4"):
		return tx.T("web.sms_processes.area_supply")
	case strings.HasPrefix(clause, "8.5"):
		return tx.T("web.sms_processes.area_design")
	case strings.HasPrefix(clause, "8.6"):
		return tx.T("web.sms_processes.area_resolution")
	case strings.HasPrefix(clause, "8.7"):
		return tx.T("web.sms_processes.area_assurance")
	default:
		return tx.T("web.sms_processes.area_management")
	}
}

func (h smsPages) processes(w http.ResponseWriter, r *http.Request) {
	list, err := h.svc.Processes(r.Context(), h.wb.DB)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v, tx := processesView{Total: len(list)}, h.wb.clockOf(r).text()
	at := map[string]int{}
	seen := map[[2]string]bool{}
	for _, p := range list {
		if p.OwnerID == nil {
			v.NoOwner++
		}
		a := processArea(tx, p.Clause)
		i, ok := at[a]
		if !ok {
			i = len(v.Groups)
			at[a] = i
			v.Groups = append(v.Groups, processGroup{Name: a})
		}
		v.Groups[i].Items = append(v.Groups[i].Items, p)
		for _, x := range p.Interfaces {
			k := [2]string{x.FromKey, x.ToKey}
			if !seen[k] {
				seen[k] = true
				v.Links = append(v.Links, x)
			}
		}
		if len(p.Interfaces) == 0 {
			v.Isolated = append(v.Isolated, p)
		}
	}
	h.wb.render(w, r, http.StatusOK, "sms_processes", page{Title: "Processes", Active: "processes", Data: v})
}

// raciRow is one line of the RACI form: who is "u:<id>" or "g:<id>".
type raciRow struct {
	N                  int
	Activity, Who, Let string
}

type processView struct {
	P        sms.Process
	People   []option
	Groups   []option
	Others   []sms.Process
	Rows     []raciRow
	Out, In  []sms.Interface
	F        *fieldErrors
	CanWrite bool
}

// blankRACIRows is how many empty lines the RACI form offers for new ones.
const blankRACIRows = 3

func (h smsPages) showProcess(w http.ResponseWriter, r *http.Request, status int, key string, fe *fieldErrors) {
	p, err := h.svc.Process(r.Context(), h.wb.DB, key)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	people, err := h.staffOptions(r)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	groups, err := org.Groups.Names(r.Context(), h.wb.DB)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	all, err := h.svc.Processes(r.Context(), h.wb.DB)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v := processView{P: p, People: people, Groups: namedOptions(groups), F: fe, CanWrite: httpx.Principal(r).Can(sms.PermWrite)}
	for _, o := range all {
		if o.Key != p.Key {
			v.Others = append(v.Others, o)
		}
	}
	for _, x := range p.Interfaces {
		if x.FromKey == p.Key {
			v.Out = append(v.Out, x)
		} else {
			v.In = append(v.In, x)
		}
	}
	if fe.Failed("raci") {
		v.Rows = raciRowsFrom(fe.Values)
	} else {
		for i, l := range p.RACI {
			who := "u:" + strconv.FormatInt(l.UserID, 10)
			if l.GroupID != 0 {
				who = "g:" + strconv.FormatInt(l.GroupID, 10)
			}
			v.Rows = append(v.Rows, raciRow{N: i, Activity: l.Activity, Who: who, Let: l.Letter})
		}
		for i := 0; i < blankRACIRows; i++ {
			v.Rows = append(v.Rows, raciRow{N: len(v.Rows)})
		}
	}
	h.wb.render(w, r, status, "sms_process", page{Title: p.Name, Active: "processes", Data: v})
}

// raciRowsFrom gives back the rows as typed, for a form that failed.
func raciRowsFrom(vals url.Values) []raciRow {
	n, _ := strconv.Atoi(vals.Get("rows"))
	n = min(max(n, 0), sms.MaxRACI+blankRACIRows)
	out := make([]raciRow, n)
	for i := range out {
		s := strconv.Itoa(i)
		out[i] = raciRow{N: i, Activity: vals.Get("activity_" + s), Who: vals.Get("who_" + s), Let: vals.Get("letter_" + s)}
	}
	return out
}

func (h smsPages) process(w http.ResponseWriter, r *http.Request) {
	h.showProcess(w, r, http.StatusOK, r.PathValue("key"), nil)
}

// processResult answers a form on a process's page.
func (h smsPages) processResult(w http.ResponseWriter, r *http.Request, key, form string, err error) {
	if err == nil {
		h.wb.redirect(w, r, "/processes/"+url.PathEscape(key), "saved")
		return
	}
	if inv := invalid(err); inv != nil {
		h.showProcess(w, r, http.StatusUnprocessableEntity, key, &fieldErrors{Form: form, Errs: inv.Fields, Values: r.PostForm})
		return
	}
	h.wb.fail(w, r, err)
}

func (h smsPages) updateProcess(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	var owner int64
	id, msg := h.wb.person(r, "owner_id", staffPerson)
	if msg != "" {
		h.processResult(w, r, key, "process", fieldErr("owner_id", msg))
		return
	}
	if id != nil {
		owner = *id
	}
	ver, _ := formVersion(r)
	_, err := h.svc.UpdateProcess(r.Context(), httpx.Principal(r).Actor(), key, sms.ProcessInput{OwnerID: &owner, Description: optText(r, "description")}, ver)
	h.processResult(w, r, key, "process", err)
}

// saveRACI reads the RACI table: rows left wholly empty are dropped, and
// messages about line n of what is kept go back to the row it came from.
func (h smsPages) saveRACI(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	rows := raciRowsFrom(r.PostForm)
	var lines []sms.RACILine
	var from []int
	bad := map[string]string{}
	for _, row := range rows {
		if strings.TrimSpace(row.Activity) == "" && row.Who == "" && row.Let == "" {
			continue
		}
		l := sms.RACILine{Activity: row.Activity, Letter: row.Let}
		kind, num, _ := strings.Cut(row.Who, ":")
		id, err := strconv.ParseInt(num, 10, 64)
		switch {
		case row.Who == "":
		case err != nil || id <= 0 || (kind != "u" && kind != "g"):
			bad["who_"+strconv.Itoa(row.N)] = "choose a person or a group from the list"
		case kind == "u":
			l.UserID = id
		default:
			l.GroupID = id
		}
		lines = append(lines, l)
		from = append(from, row.N)
	}
	if len(bad) > 0 {
		h.showProcess(w, r, http.StatusUnprocessableEntity, key, &fieldErrors{Form: "raci", Errs: bad, Values: r.PostForm})
		return
	}
	ver, _ := formVersion(r)
	_, err := h.svc.SetRACI(r.Context(), httpx.Principal(r).Actor(), key, lines, ver)
	if inv := invalid(err); inv != nil {
		errs := map[string]string{}
		for k, msg := range inv.Fields {
			if n, field, ok := raciField(k); ok && n >= 0 && n < len(from) {
				switch field {
				case "user_id", "group_id":
					field = "who"
				}
				errs[field+"_"+strconv.Itoa(from[n])] = msg
			} else {
				errs["raci"] = msg
			}
		}
		h.showProcess(w, r, http.StatusUnprocessableEntity, key, &fieldErrors{Form: "raci", Errs: errs, Values: r.PostForm})
		return
	}
	h.processResult(w, r, key, "raci", err)
}

// raciField splits a RACI message's key, "raci[n].field".
func raciField(k string) (int, string, bool) {
	rest, ok := strings.CutPrefix(k, "raci[")
	idx, field, ok2 := strings.Cut(rest, "].")
	n, err := strconv.Atoi(idx)
	return n, field, ok && ok2 && err == nil
}

func (h smsPages) addInterface(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	ver, _ := formVersion(r)
	_, err := h.svc.AddInterface(r.Context(), httpx.Principal(r).Actor(), key, r.PostFormValue("to"), formText(r, "description"), ver)
	h.processResult(w, r, key, "iface", err)
}

func (h smsPages) removeInterface(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	ver, _ := formVersion(r)
	_, err := h.svc.RemoveInterface(r.Context(), httpx.Principal(r).Actor(), key, r.PathValue("to"), ver)
	h.processResult(w, r, key, "iface", err)
}
