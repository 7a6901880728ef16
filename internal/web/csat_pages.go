package web

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"steward/internal/complaint"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/org"
	"steward/internal/satisfaction"
	"steward/internal/servicereview"
	"steward/internal/ticket"
)

// csatPages are the pages of what customers feel: the survey a requester
// answers, the satisfaction report, the rules, complaints and service
// reviews with customers.
type csatPages struct {
	wb         *Web
	svc        *satisfaction.Service
	complaints *complaint.Service
	reviews    *servicereview.Service
}

// SatisfactionPages are the surveys', complaints' and service reviews' pages.
func SatisfactionPages(svc *satisfaction.Service, complaints *complaint.Service, reviews *servicereview.Service) Pages {
	return func(wb *Web, rt *httpx.Router) {
		h := csatPages{wb: wb, svc: svc, complaints: complaints, reviews: reviews}
		rt.Handle("GET /surveys/{id}", satisfaction.PermAnswer, h.survey)
		wb.post(rt, "POST /surveys/{id}", satisfaction.PermAnswer, h.answer)
		rt.Handle("GET /satisfaction", satisfaction.PermRead, h.report)
		rt.Handle("GET /admin/satisfaction", satisfaction.PermAdmin, h.rules)
		wb.post(rt, "POST /admin/satisfaction", satisfaction.PermAdmin, h.saveRules)
		h.registerComplaints(rt)
		h.registerReviews(rt)
		h.registerTokens(rt)
	}
}

// csatPanel is the rating widget on a ticket's page: five buttons while
// the requester's survey is open, the answer once given.
type csatPanel struct {
	S    satisfaction.Survey
	Mine bool
	CSRF string
	// Low is the rating at or below which a complaint follows, 0 for none.
	Low int
}

// csatPanelFor is the widget for ticket k/id as the viewer sees it, nil
// when there is nothing to show.
func (wb *Web) csatPanelFor(r *http.Request, k ticket.Kind, id int64) (*csatPanel, error) {
	p := httpx.Principal(r)
	sv, ok, err := satisfaction.ForTicket(r.Context(), wb.DB, p, k, id)
	if err != nil || !ok {
		return nil, err
	}
	panel := &csatPanel{S: sv, Mine: sv.RequesterID == p.UserID, CSRF: p.CSRFToken}
	if panel.Mine && sv.Open {
		rules, err := satisfaction.LoadRules(r.Context(), wb.DB)
		if err != nil {
			return nil, err
		}
		panel.Low = rules.LowRating
	}
	return panel, nil
}

type surveyView struct {
	S     satisfaction.Survey
	Error string
	Field string
	// Low is the rating at or below which a complaint follows, 0 for none.
	Low int
}

func (h csatPages) survey(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	sv, err := h.svc.Get(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showSurvey(w, r, http.StatusOK, surveyView{S: sv})
}

func (h csatPages) showSurvey(w http.ResponseWriter, r *http.Request, status int, v surveyView) {
	if v.S.Open {
		rules, err := satisfaction.LoadRules(r.Context(), h.wb.DB)
		if err != nil {
			h.wb.fail(w, r, err)
			return
		}
		v.Low = rules.LowRating
	}
	tx := h.wb.clockOf(r).text()
	h.wb.render(w, r, status, "csat_survey", page{Title: tx.T("csat.title", "Number", v.S.Number), Data: v})
}

// answer records the rating the requester clicked, with the comment typed
// above the buttons, and returns to the ticket.
func (h csatPages) answer(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	p := httpx.Principal(r)
	rating, _ := strconv.Atoi(strings.TrimSpace(r.PostFormValue("rating")))
	sv, err := h.svc.AnswerSurvey(r.Context(), p, id, rating, formText(r, "comment"))
	if err == nil {
		flash := "csat_thanks"
		if sv.Complaint != "" {
			flash = "csat_followup"
		}
		h.wb.redirect(w, r, sv.Link(), flash)
		return
	}
	var inv *domainerr.Invalid
	var conflict *domainerr.Conflict
	if !errors.As(err, &inv) && !errors.As(err, &conflict) {
		h.wb.fail(w, r, err)
		return
	}
	cur, gerr := h.svc.Get(r.Context(), p, id)
	if gerr != nil {
		h.wb.fail(w, r, gerr)
		return
	}
	v := surveyView{S: cur}
	status := http.StatusConflict
	if inv != nil {
		status = http.StatusUnprocessableEntity
		for f, m := range inv.Fields {
			v.Field, v.Error = f, m
		}
	} else {
		v.Error = conflict.Message
	}
	h.showSurvey(w, r, status, v)
}

// bar is one bar of a small chart drawn on the server.
type bar struct {
	X, Y, H, W float64
	Label      string
	Title      string
	Count      int
	NoData     bool
}

type csatReportView struct {
	R                                   satisfaction.Report
	From, To                            string
	ServiceID, GroupID, AgentID, CustID int64
	Services, Groups, Agents, Customers []option
	Trend                               []bar
	TrendWidth                          int
	Spread                              []bar
	Error                               string
}

// Stars is the average as a share of five, for the meter.
func (v csatReportView) Stars() float64 { return math.Round(v.R.Average*20*10) / 10 }

func (h csatPages) report(w http.ResponseWriter, r *http.Request) {
	c := h.wb.clockOf(r)
	loc := c.loc
	q := r.URL.Query()
	v, tx := csatReportView{From: q.Get("from"), To: q.Get("to")}, h.wb.clockOf(r).text()
	now := time.Now().In(loc)
	to := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc).AddDate(0, 0, 1)
	from := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc).AddDate(0, -5, 0)
	bad := []string{}
	if v.From != "" {
		if d, err := time.ParseInLocation(time.DateOnly, v.From, loc); err == nil {
			from = d
		} else {
			bad = append(bad, tx.T("web.csat_pages.bad_from"))
		}
	}
	if v.To != "" {
		if d, err := time.ParseInLocation(time.DateOnly, v.To, loc); err == nil {
			to = d.AddDate(0, 0, 1)
		} else {
			bad = append(bad, tx.T("web.csat_pages.bad_to"))
		}
	}
	v.From, v.To = from.Format(time.DateOnly), to.AddDate(0, 0, -1).Format(time.DateOnly)
	ids := map[string]*int64{"service_id": &v.ServiceID, "group_id": &v.GroupID, "agent_id": &v.AgentID, "customer_id": &v.CustID}
	for name, dst := range ids {
		if s := q.Get(name); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n <= 0 {
				bad = append(bad, tx.T("web.csat_pages.choose_"+strings.TrimSuffix(name, "_id")))
				continue
			}
			*dst = n
		}
	}
	var err error
	if len(bad) == 0 {
		v.R, err = h.svc.Report(r.Context(), httpx.Principal(r), satisfaction.ReportFilter{From: from, To: to, ServiceID: v.ServiceID,
			GroupID: v.GroupID, AgentID: v.AgentID, CustomerID: v.CustID, Loc: loc})
		var inv *domainerr.Invalid
		if errors.As(err, &inv) {
			bad = append(bad, inv.Error())
		} else if err != nil {
			h.wb.fail(w, r, err)
			return
		}
	}
	v.Error = strings.Join(bad, " ")
	if err := h.reportChoices(r, &v); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v.Trend, v.Spread = trendBars(v.R.Periods), spreadBars(v.R.Ratings)
	v.TrendWidth = max(56*len(v.Trend), 56)
	status := http.StatusOK
	if v.Error != "" {
		status = http.StatusBadRequest
	}
	h.wb.render(w, r, status, "csat_report", page{Title: h.wb.clockOf(r).text().T("web.csat_pages.title_report"), Active: "satisfaction", Data: v})
}

func (h csatPages) reportChoices(r *http.Request, v *csatReportView) error {
	opts, err := h.wb.formOptions(r, false)
	if err != nil {
		return err
	}
	v.Groups, v.Customers, v.Agents = opts.Groups, opts.Customers, opts.Agents
	v.Services, err = h.wb.serviceOptions(r, 0)
	return err
}

// trendBars draws the average of each period as a bar out of five, 100
// units high and 40 wide; a period without answers is a faint stub.
func trendBars(ps []satisfaction.Period) []bar {
	out := make([]bar, len(ps))
	for i, p := range ps {
		b := bar{X: float64(i * 56), W: 40, Label: p.Label}
		if p.Answered == 0 {
			b.NoData, b.H, b.Y = true, 3, 97
			b.Title = p.Label + ": no answers"
		} else {
			b.H = math.Max(3, math.Round(p.Average*20*10)/10)
			b.Y = 100 - b.H
			b.Title = fmt.Sprintf("%s: %.1f of 5 from %d answers (%.0f%% answered)", p.Label, p.Average, p.Answered, p.ResponseRate)
		}
		out[i] = b
	}
	return out
}

// spreadBars draws how many answers gave each rating, as bars across.
func spreadBars(counts [5]int) []bar {
	most := 0
	for _, n := range counts {
		most = max(most, n)
	}
	out := make([]bar, 5)
	for i, n := range counts {
		w := 0.0
		if most > 0 {
			w = math.Round(100*float64(n)/float64(most)*10) / 10
		}
		out[i] = bar{Y: float64(i * 12), W: w, H: 8, Label: strconv.Itoa(i + 1), Count: n, Title: fmt.Sprintf("%d answers rated %d", n, i+1), NoData: n == 0}
	}
	return out
}

type csatRulesView struct {
	S satisfaction.Settings
	// Listed: "Only these services" is chosen, even with none ticked.
	Listed   bool
	Services []option
	Groups   []option
	Agents   []option
	F        *fieldErrors
}

// ServiceOn reports whether service id is among those surveyed.
func (v csatRulesView) ServiceOn(id int64) bool {
	for _, s := range v.S.ServiceIDs {
		if s == id {
			return true
		}
	}
	return false
}

// LeadOf is the lead chosen for group id.
func (v csatRulesView) LeadOf(id int64) int64 { return v.S.LeadOf(id) }

func (h csatPages) rules(w http.ResponseWriter, r *http.Request) {
	s, err := satisfaction.LoadSettings(r.Context(), h.wb.DB)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showRules(w, r, http.StatusOK, s, len(s.ServiceIDs) > 0, nil)
}

func (h csatPages) showRules(w http.ResponseWriter, r *http.Request, status int, s satisfaction.Settings, listed bool, fe *fieldErrors) {
	v := csatRulesView{S: s, Listed: listed, F: fe}
	opts, err := h.wb.formOptions(r, false)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v.Groups, v.Agents = opts.Groups, opts.Agents
	if v.Services, err = h.wb.serviceOptions(r, 0); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.wb.render(w, r, status, "csat_rules", page{Title: h.wb.clockOf(r).text().T("web.csat_pages.title_rules"), Active: "satisfaction-rules", Data: v})
}

// saveRules reads the rules form: numbers typed wrong come back beside
// their field with what was typed.
func (h csatPages) saveRules(w http.ResponseWriter, r *http.Request) {
	v, tx := domainerr.NewInvalid(), h.wb.clockOf(r).text()
	num := func(name string) int {
		s := strings.TrimSpace(r.PostFormValue(name))
		n, err := strconv.Atoi(s)
		if err != nil {
			v.Add(name, "%s", tx.T("web.csat_pages.whole_number"))
		}
		return n
	}
	in := satisfaction.Settings{Rules: satisfaction.Rules{
		Incidents: r.PostFormValue("incidents") == "on", Requests: r.PostFormValue("requests") == "on",
		SamplePercent: num("sample_percent"), OpenDays: num("open_days"), LowRating: num("low_rating"),
		ServiceIDs: []int64{}, Leads: []satisfaction.Lead{},
	}, ComplaintTargetDays: num("complaint_target_days")}
	if r.PostFormValue("services") == "listed" {
		ids, ok := formIDs(r, "service_ids")
		if !ok {
			v.Add("service_ids", "%s", tx.T("web.csat_pages.choose_services"))
		}
		if len(ids) == 0 {
			v.Add("service_ids", "%s", tx.T("web.csat_pages.at_least_one_service"))
		}
		in.ServiceIDs = ids
	}
	groups, err := org.Groups.Names(r.Context(), h.wb.DB)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	for gid := range groups {
		// A lead is chosen, or typed where there are too many agents to list.
		if lead := h.wb.personID(r, v, fmt.Sprintf("lead_%d", gid), agentPerson); lead != nil {
			in.Leads = append(in.Leads, satisfaction.Lead{GroupID: gid, UserID: *lead})
		}
	}
	for f, m := range in.Check().Fields {
		v.Add(f, "%s", m)
	}
	if len(v.Fields) == 0 {
		if _, err = h.svc.SaveSettings(r.Context(), httpx.Principal(r), in); err == nil {
			h.wb.redirect(w, r, "/admin/satisfaction", "saved")
			return
		}
	}
	bad, err := planMerged(v, err)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showRules(w, r, http.StatusUnprocessableEntity, in, r.PostFormValue("services") == "listed", &fieldErrors{Form: "rules", Errs: bad.Fields, Values: r.PostForm})
}
