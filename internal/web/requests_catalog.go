package web

import (
	"errors"
	"net/http"
	"sort"
	"strings"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/org"
	"steward/internal/request"
)

type portalService struct {
	ID    int64
	Name  string
	Items []request.Item
}

type portalView struct {
	Services   []portalService
	CanWrite   bool
	CanRequest bool
	Staff      bool
}

// portal is the request catalogue: every service the caller may request
// from, with its items.
func (h *requestPages) portal(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	items, err := h.svc.ListItems(r.Context(), p, request.ItemFilter{Limit: 1000})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := portalView{CanWrite: p.Can(request.PermCatalogWrite), CanRequest: p.Can(request.PermCreate), Staff: p.IsStaff()}
	byService := map[int64]int{}
	for _, it := range items {
		i, ok := byService[it.ServiceID]
		if !ok {
			i = len(v.Services)
			byService[it.ServiceID] = i
			v.Services = append(v.Services, portalService{ID: it.ServiceID, Name: it.ServiceName})
		}
		v.Services[i].Items = append(v.Services[i].Items, it)
	}
	sort.Slice(v.Services, func(i, j int) bool { return strings.ToLower(v.Services[i].Name) < strings.ToLower(v.Services[j].Name) })
	for _, s := range v.Services {
		sort.SliceStable(s.Items, func(i, j int) bool { return strings.ToLower(s.Items[i].Name) < strings.ToLower(s.Items[j].Name) })
	}
	h.show(w, r, http.StatusOK, "catalog", page{Title: h.clockOf(r).text().T("web.requests_catalog.title"), Active: "catalog", Data: v})
}

// questionView is one question of an item's form as the page renders it.
type questionView struct {
	request.Field
	Name, Value, Err string
	// When names the question and answer this one depends on; Equals is
	// that answer in the canonical form the page's script compares.
	WhenLabel, WhenValue, Equals string
	TypeLabel                    string // the kind of answer, in words
}

// answerKind says in words what kind of answer a question type takes.
func answerKind(tx i18n.Text, t request.FieldType) string {
	return tx.Or("web.requests_catalog.answer_"+string(t), "")
}

// stepView is a task an item's requests go through, with its group named.
type stepView struct {
	Name, Group string
}

type itemView struct {
	Item       request.Item
	Questions  []questionView
	F          *fieldErrors
	Banner     string
	Rule       string
	CanRequest bool
	CanWrite   bool
	Staff      bool
	People     []option // for user questions, and whom staff request for
	Prios      []string
	Steps      []stepView // read by those who may not request the item
}

// questionViews lays out a form's questions for the requester, with the
// answers and messages of a failed submission f.
func questionViews(tx i18n.Text, form request.Form, f *fieldErrors) []questionView {
	var out []questionView
	labels := map[string]request.Field{}
	for _, fl := range form.Fields {
		q := questionView{Field: fl, Name: "a." + fl.Key, Value: f.Val("new", "a."+fl.Key, ""), Err: f.Err("new", "answers."+fl.Key),
			TypeLabel: answerKind(tx, fl.Type)}
		if c := fl.ShowWhen; c != nil {
			q.Equals = form.ConditionValue(c)
			q.WhenLabel, q.WhenValue = labels[c.Field].Label, q.Equals
			if labels[c.Field].Type == request.YesNoField {
				q.WhenValue = map[bool]string{true: tx.T("web.requests_catalog.yes"), false: tx.T("web.requests_catalog.no")}[q.Equals == "true"]
			}
		}
		labels[fl.Key] = fl
		out = append(out, q)
	}
	return out
}

func (h *requestPages) itemPage(w http.ResponseWriter, r *http.Request) {
	it, ok := h.loadItem(w, r)
	if !ok {
		return
	}
	h.showItem(w, r, http.StatusOK, it, nil)
}

func (h *requestPages) loadItem(w http.ResponseWriter, r *http.Request) (request.Item, bool) {
	id, ok := pathID(r)
	if !ok {
		h.errorPage(w, r, http.StatusNotFound, "")
		return request.Item{}, false
	}
	it, err := h.svc.GetItem(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return it, false
	}
	return it, true
}

// showItem renders an item with its form; f brings back a failed submission.
func (h *requestPages) showItem(w http.ResponseWriter, r *http.Request, status int, it request.Item, f *fieldErrors) {
	p := httpx.Principal(r)
	tx := h.clockOf(r).text()
	v := itemView{Item: it, F: f, CanRequest: p.Can(request.PermCreate) && it.Active, CanWrite: p.Can(request.PermCatalogWrite),
		Staff: p.IsStaff(), Rule: ruleText(tx, it.Approval), Prios: []string{"P1", "P2", "P3", "P4", "P5"}}
	v.Questions = questionViews(tx, it.Form, f)
	if f != nil {
		for _, k := range []string{"item_id", "requester_id", "priority"} {
			if msg := f.Errs[k]; msg != "" && v.Banner == "" {
				v.Banner = fieldLabel(k) + ": " + msg
			}
		}
	}
	if v.CanRequest {
		var err error
		if v.People, err = h.people(r, p); err != nil {
			h.fail(w, r, err)
			return
		}
	} else if len(it.Tasks) > 0 {
		groups, err := org.Groups.Names(r.Context(), h.DB)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		for _, t := range it.Tasks {
			st := stepView{Name: t.Name}
			if t.GroupID != nil {
				st.Group = groups[*t.GroupID]
			}
			v.Steps = append(v.Steps, st)
		}
	}
	h.show(w, r, status, "catalog_item", page{Title: it.Name, Active: "catalog", Data: v})
}

// people are the users a form may name: everyone active for staff, the
// requester's own organisation for requesters.
func (h *requestPages) people(r *http.Request, p *auth.Principal) ([]option, error) {
	q := "SELECT id, name, email FROM users WHERE active = ?"
	args := []any{true}
	if !p.IsStaff() {
		if p.CustomerID != 0 {
			q += " AND customer_id = ?"
			args = append(args, p.CustomerID)
		} else {
			q += " AND id = ?"
			args = append(args, p.UserID)
		}
	}
	rows, err := h.DB.Query(r.Context(), q+" ORDER BY name, id LIMIT ?", append(args, maxChoices)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []option
	for rows.Next() {
		var o option
		if err := rows.Scan(&o.ID, &o.Name, &o.Note); err != nil {
			return nil, err
		}
		o.Email = o.Note
		out = append(out, o)
	}
	return out, rows.Err()
}

func ruleText(tx i18n.Text, a request.Approval) string {
	switch a.Rule {
	case request.UserApproval:
		return tx.T("web.requests_catalog.rule_user")
	case request.ManagerApproval:
		return tx.T("web.requests_catalog.rule_manager")
	case request.GroupApproval:
		if a.Mode == request.AllMembers {
			return tx.T("web.requests_catalog.rule_group_all")
		}
		return tx.T("web.requests_catalog.rule_group_any")
	}
	return tx.T("web.requests_catalog.rule_none")
}

// submit files a request from the item page. Answers come as a.<key>;
// answers to questions the other answers hide are dropped by the service,
// so the form works without JavaScript.
func (h *requestPages) submit(w http.ResponseWriter, r *http.Request) {
	it, ok := h.loadItem(w, r)
	if !ok {
		return
	}
	p := httpx.Principal(r)
	in := request.NewRequest{ItemID: it.ID, Title: r.PostFormValue("title"), Description: formText(r, "description"), Answers: map[string]any{}}
	for _, fl := range it.Form.Fields {
		if v, ok := r.PostForm["a."+fl.Key]; ok && len(v) > 0 {
			in.Answers[fl.Key] = strings.ReplaceAll(v[0], "\r\n", "\n")
		}
	}
	bad := domainerr.NewInvalid()
	if p.IsStaff() {
		in.RequesterID = h.personID(r, bad, "requester_id", anyPerson)
		if s := r.PostFormValue("priority"); s != "" {
			pr, ok := request.ParsePriority(s)
			if !ok {
				bad.Add("priority", "%s", h.clockOf(r).text().T("web.requests_catalog.priority_range"))
			}
			in.Priority = &pr
		}
	}
	err := bad.Err()
	if err == nil {
		var req request.Request
		if req, err = h.svc.Submit(r.Context(), p, in, nil); err == nil {
			h.redirect(w, r, "/requests/"+req.Number, "submitted")
			return
		}
	}
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		h.showItem(w, r, http.StatusUnprocessableEntity, it, &fieldErrors{Form: "new", Errs: inv.Fields, Values: r.PostForm})
		return
	}
	h.fail(w, r, err)
}
