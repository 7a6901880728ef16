package web

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"steward/internal/auth"
	"steward/internal/i18n"
	"steward/internal/org"
	"steward/internal/request"
	"steward/internal/sla"
	"steward/internal/ticket"
)

// slaFieldOrder is the order in which the definition form offers the
// fields clauses may test; fields a kind adds later come after these.
var slaFieldOrder = []string{"priority", "state", "customer_id", "service_id", "group_id", "item_id", "category",
	"major", "hold_reason", "responded"}

// slaFieldLabel names a field clauses may test in the reader's language;
// a field a kind adds later reads as its name.
func slaFieldLabel(tx i18n.Text, name string) string {
	if slices.Contains(slaFieldOrder, name) {
		return tx.T("web.sla_definition_form.field_" + name)
	}
	return fieldLabel(name)
}

// slaFields are what clauses on kind may test, with their choices: all of
// them for filters and goals, and those with a fixed set of values for
// the clock's conditions, labelled in the reader's language.
func (wb *Web) slaFields(ctx context.Context, p *auth.Principal, tx i18n.Text, kind ticket.Kind) (all, clock []condField, err error) {
	names := map[string]map[int64]string{}
	for _, f := range sla.Fields(kind) {
		if !f.IDs {
			continue
		}
		switch f.Name {
		case "customer_id":
			names[f.Name], err = org.Customers.Names(ctx, wb.DB)
		case "group_id":
			names[f.Name], err = org.Groups.Names(ctx, wb.DB)
		case "service_id":
			names[f.Name], err = wb.catalog().Names(ctx)
		case "item_id":
			names[f.Name], err = wb.itemNames(ctx, p)
		}
		if err != nil {
			return nil, nil, err
		}
	}
	fs := sla.Fields(kind)
	slices.SortStableFunc(fs, func(a, b sla.Field) int { return fieldRank(a.Name) - fieldRank(b.Name) })
	for _, f := range fs {
		cf := condField{Name: f.Name, Label: slaFieldLabel(tx, f.Name)}
		switch {
		case f.IDs:
			cf.Choices = []condChoice{}
			for _, o := range namedOptions(names[f.Name]) {
				cf.Choices = append(cf.Choices, condChoice{Value: strconv.FormatInt(o.ID, 10), Label: o.Name})
			}
		case f.Values != nil:
			cf.Choices = []condChoice{}
			for _, v := range f.Values {
				cf.Choices = append(cf.Choices, condChoice{Value: v, Label: slaValueLabel(tx, f.Name, v)})
			}
		}
		all = append(all, cf)
		if f.Condition {
			clock = append(clock, cf)
		}
	}
	return all, clock, nil
}

func fieldRank(name string) int {
	if i := slices.Index(slaFieldOrder, name); i >= 0 {
		return i
	}
	return len(slaFieldOrder)
}

func slaValueLabel(tx i18n.Text, field, v string) string {
	switch {
	case v == "true":
		return tx.T("web.sla_definition_form.yes")
	case v == "false":
		return tx.T("web.sla_definition_form.no")
	case field == "hold_reason" && v == "":
		return tx.T("web.sla_definition_form.not_on_hold")
	case field == "priority":
		return v
	}
	return human(v)
}

// itemNames names the catalogue items, which request definitions may test.
func (wb *Web) itemNames(ctx context.Context, p *auth.Principal) (map[int64]string, error) {
	out := map[int64]string{}
	if wb.Requests == nil || !p.Can(request.PermCatalogRead) {
		return out, nil
	}
	items, err := wb.Requests.ListItems(ctx, p, request.ItemFilter{Limit: 1000})
	for _, it := range items {
		out[it.ID] = it.Name
	}
	return out, err
}

// definitionDraft is the definition form as stored or as sent, with the
// messages that belong on it.
type definitionDraft struct {
	tx          i18n.Text // the reader's language, for the form's messages
	Version     int       // the version the form was drawn from
	Name        string
	AgreementID string
	AppliesTo   ticket.Kind
	Metric      sla.Metric
	Filter      conditions
	Goals       []goalDraft
	GoalsErr    string
	// Clock is "usual" (the metric's own conditions) or "custom".
	Clock                      string
	Start, Stop, Pause, Cancel conditions
	Warnings                   string
	WarningsErr                string
	Active                     bool
	Errs                       map[string]string // name, agreement_id, applies_to, metric
}

type goalDraft struct {
	N, I             int // its place, from 1 for people and from 0 for the form
	Match            conditions
	Target, Calendar string
	Err              string // about the target or the calendar
}

// Err is the message for a field outside the lists, such as the name.
func (d definitionDraft) Err(field string) string { return d.Errs[field] }

// Clocks are the four conditions in the order the form shows them.
func (d definitionDraft) Clocks() []conditions {
	return []conditions{d.Start, d.Stop, d.Pause, d.Cancel}
}

// Failed reports whether anything on the form needs attention.
func (d definitionDraft) Failed() bool {
	if len(d.Errs) > 0 || d.GoalsErr != "" || d.WarningsErr != "" || d.Filter.Failed() {
		return true
	}
	for _, c := range d.Clocks() {
		if c.Failed() {
			return true
		}
	}
	return slices.ContainsFunc(d.Goals, func(g goalDraft) bool { return g.Err != "" || g.Match.Failed() })
}

func filterList(tx i18n.Text, fields []condField, kind ticket.Kind, cs []ticket.Clause, more [][]ticket.Clause) conditions {
	c := newConditions("filter", tx.T("web.sla_definition_form.filter_legend"), filterEmpty(tx, kind), fields, cs)
	c.Max, c.MaxGroups, c.Quiet, c.tx = sla.MaxClauses, sla.MaxGroups, true, tx
	return c.withGroups(more)
}

// filterEmpty says what a definition with no filter measures.
func filterEmpty(tx i18n.Text, k ticket.Kind) string {
	switch k {
	case ticket.Incident:
		return tx.T("web.sla_definition_form.filter_empty_incident")
	case ticket.Request:
		return tx.T("web.sla_definition_form.filter_empty_request")
	}
	return tx.T("web.sla_definition_form.filter_empty", "Kind", string(k))
}

func goalMatch(tx i18n.Text, i int, fields []condField, cs []ticket.Clause, more [][]ticket.Clause) conditions {
	c := newConditions(fmt.Sprintf("goal_%d_match", i), tx.T("web.sla_definition_form.goal_legend"), tx.T("web.sla_definition_form.goal_empty"), fields, cs)
	c.Max, c.MaxGroups, c.tx = sla.MaxClauses, sla.MaxGroups, tx
	return c.withGroups(more)
}

// clockLists lays out the four clock conditions.
func clockLists(tx i18n.Text, fields []condField, c sla.Conditions) (start, stop, pause, cancel conditions) {
	mk := func(name string, cs []ticket.Clause, more [][]ticket.Clause) conditions {
		l := newConditions("clock_"+name, tx.T("web.sla_definition_form."+name+"_legend"), tx.T("web.sla_definition_form."+name+"_empty"), fields, cs)
		l.Max, l.MaxGroups, l.tx = sla.MaxClauses, sla.MaxGroups, tx
		return l.withGroups(more)
	}
	return mk("start", c.Start, c.StartAny), mk("stop", c.Stop, c.StopAny), mk("pause", c.Pause, c.PauseAny), mk("cancel", c.Cancel, c.CancelAny)
}

// draftOf lays out a stored (or new) definition as the form shows it.
func draftOf(tx i18n.Text, d sla.Definition, all, clock []condField) definitionDraft {
	dr := definitionDraft{tx: tx, Version: d.Version, Name: d.Name, AppliesTo: d.AppliesTo, Metric: d.Metric, Active: d.Active, Clock: "custom",
		Filter: filterList(tx, all, d.AppliesTo, d.Filter, d.FilterAny)}
	if d.AgreementID != 0 {
		dr.AgreementID = strconv.FormatInt(d.AgreementID, 10)
	}
	for i, g := range d.Goals {
		dr.Goals = append(dr.Goals, goalDraft{Match: goalMatch(tx, i, all, g.Match, g.MatchAny), Target: g.Target, Calendar: strconv.FormatInt(g.CalendarID, 10)})
	}
	dr.renumberGoals(all)
	if reflect.DeepEqual(d.Conditions, sla.Defaults(d.AppliesTo, d.Metric)) {
		dr.Clock = "usual"
	}
	dr.Start, dr.Stop, dr.Pause, dr.Cancel = clockLists(tx, clock, d.Conditions)
	w := make([]string, len(d.Warnings))
	for i, p := range d.Warnings {
		w[i] = strconv.Itoa(p)
	}
	dr.Warnings = strings.Join(w, ", ")
	return dr
}

// formKind is the kind the posted form is about; an unknown one reads as
// incidents, and saving says what is wrong with it.
func formKind(r *http.Request) ticket.Kind {
	k := ticket.Kind(r.PostFormValue("applies_to"))
	if _, ok := ticket.Measured(k); !ok {
		return ticket.Incident
	}
	return k
}

// readDraft reads the posted form. Goals left wholly empty are dropped.
func readDraft(r *http.Request, tx i18n.Text, all, clock []condField) definitionDraft {
	kind := formKind(r)
	version, _ := formVersion(r)
	d := definitionDraft{tx: tx, Version: version, Name: r.PostFormValue("name"), AgreementID: strings.TrimSpace(r.PostFormValue("agreement_id")),
		AppliesTo: ticket.Kind(r.PostFormValue("applies_to")), Metric: sla.Metric(r.PostFormValue("metric")),
		Active: r.PostFormValue("active") == "on", Warnings: r.PostFormValue("warnings"), Clock: "usual",
		Filter: readConditions(r, "filter", "", "", all)}
	d.Filter = relabel(d.Filter, filterList(tx, all, kind, nil, nil))
	for i := range formRows(r, "goal", sla.MaxGoals+1) {
		g := goalDraft{Match: readConditions(r, fmt.Sprintf("goal_%d_match", i), "", "", all),
			Target: rowValue(r, "goal", i, "target"), Calendar: rowValue(r, "goal", i, "calendar")}
		if g.Match.None() && g.Target == "" {
			continue
		}
		d.Goals = append(d.Goals, g)
	}
	d.renumberGoals(all)
	if r.PostFormValue("clock") == "custom" {
		d.Clock = "custom"
	}
	d.Start, d.Stop, d.Pause, d.Cancel = clockLists(tx, clock, sla.Conditions{})
	for _, c := range []*conditions{&d.Start, &d.Stop, &d.Pause, &d.Cancel} {
		*c = relabel(readConditions(r, c.Name, "", "", clock), *c)
	}
	return d
}

// relabel gives rows and groups read from a form the wording of the list
// they belong to.
func relabel(read, like conditions) conditions {
	like.Rows, like.More = read.Rows, read.More
	like.renumber()
	return like
}

// renumberGoals names each goal's match list after its place, as the
// form's fields are.
func (d *definitionDraft) renumberGoals(all []condField) {
	for i := range d.Goals {
		d.Goals[i].Match = relabel(d.Goals[i].Match, goalMatch(d.tx, i, all, nil, nil))
		d.Goals[i].N, d.Goals[i].I = i+1, i
	}
}

// act carries out a button other than saving: a row or a goal added or
// removed, or the choices redrawn for another kind or metric. It reports
// whether it knew the button.
func (d *definitionDraft) act(r *http.Request, action string, all, clock []condField) bool {
	switch {
	case action == "add-goal":
		d.Goals = append(d.Goals, goalDraft{Calendar: strconv.FormatInt(sla.DefaultCalendarID, 10)})
		d.renumberGoals(all)
		return true
	case strings.HasPrefix(action, "remove-goal:"):
		if i, err := strconv.Atoi(strings.TrimPrefix(action, "remove-goal:")); err == nil && i >= 0 && i < len(d.Goals) {
			d.Goals = slices.Delete(d.Goals, i, i+1)
			d.renumberGoals(all)
		}
		return true
	case action == "refresh":
		if d.Clock == "usual" {
			d.Start, d.Stop, d.Pause, d.Cancel = clockLists(d.tx, clock, sla.Defaults(formKind(r), d.Metric))
		}
		return true
	}
	for _, c := range d.lists() {
		if c.act(r, action) {
			return true
		}
	}
	return false
}

func (d *definitionDraft) lists() []*conditions {
	out := []*conditions{&d.Filter, &d.Start, &d.Stop, &d.Pause, &d.Cancel}
	for i := range d.Goals {
		out = append(out, &d.Goals[i].Match)
	}
	return out
}

// input turns the draft into what the service takes. When a row cannot be
// read, ok is false, the rows say why, and the input still carries the
// rest of the form so that its own messages can be gathered too.
func (d *definitionDraft) input() (in sla.DefinitionInput, ok bool) {
	ok = true
	agreement, _ := strconv.ParseInt(d.AgreementID, 10, 64)
	active := d.Active
	in = sla.DefinitionInput{AgreementID: agreement, Name: d.Name, AppliesTo: d.AppliesTo, Metric: d.Metric, Active: &active}
	groups := func(c *conditions) ([]ticket.Clause, [][]ticket.Clause) {
		all, more, good := c.Groups()
		ok = ok && good
		return all, more
	}
	in.Filter, in.FilterAny = groups(&d.Filter)
	if d.Clock == "custom" {
		c := &in.Conditions
		c.Start, c.StartAny = groups(&d.Start)
		c.Stop, c.StopAny = groups(&d.Stop)
		c.Pause, c.PauseAny = groups(&d.Pause)
		c.Cancel, c.CancelAny = groups(&d.Cancel)
	}
	for i := range d.Goals {
		g := sla.Goal{Target: d.Goals[i].Target}
		g.Match, g.MatchAny = groups(&d.Goals[i].Match)
		if d.Goals[i].Calendar != "" {
			g.CalendarID, _ = strconv.ParseInt(d.Goals[i].Calendar, 10, 64)
		}
		in.Goals = append(in.Goals, g)
	}
	if s := strings.TrimSpace(d.Warnings); s != "" {
		for _, part := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(part), "%")))
			if err != nil {
				d.WarningsErr = d.tx.T("web.sla_definition_form.warnings_unread")
				ok = false
				in.Warnings = nil
				break
			}
			in.Warnings = append(in.Warnings, n)
		}
	}
	return in, ok
}

// withoutClauses is the input with its lists emptied, to check the other
// fields while some row cannot be read.
func withoutClauses(in sla.DefinitionInput) sla.DefinitionInput {
	in.Filter, in.FilterAny, in.Conditions = []ticket.Clause{}, nil, sla.Conditions{}
	in.Goals = slices.Clone(in.Goals)
	for i := range in.Goals {
		in.Goals[i].Match, in.Goals[i].MatchAny = []ticket.Clause{}, nil
	}
	return in
}

// place puts the service's messages where they belong on the form, each
// as a sentence.
func (d *definitionDraft) place(errs map[string]string, warnings []int) {
	if d.Errs == nil {
		d.Errs = map[string]string{}
	}
	d.Filter.placeErrors(errs, "filter")
	for _, c := range []*conditions{&d.Start, &d.Stop, &d.Pause, &d.Cancel} {
		c.placeErrors(errs, "conditions."+strings.TrimPrefix(c.Name, "clock_"))
	}
	for i := range d.Goals {
		g := &d.Goals[i]
		path := fmt.Sprintf("goals[%d]", i)
		g.Match.placeErrors(errs, path+".match")
		if msg, ok := errs[path+".target"]; ok {
			g.Err = joinSentences(g.Err, d.tx.T("web.sla_definition_form.target_problem", "Problem", strings.TrimSuffix(msg, ".")))
		}
		if _, ok := errs[path+".calendar_id"]; ok {
			g.Err = joinSentences(g.Err, d.tx.T("web.sla_definition_form.calendar_gone"))
		}
	}
	if msg, ok := errs["goals"]; ok {
		d.GoalsErr = errText(d.tx, msg)
	}
	for k, msg := range errs {
		switch {
		case k == "warnings":
			d.WarningsErr = joinSentences(d.WarningsErr, errText(d.tx, msg))
		case strings.HasPrefix(k, "warnings["):
			i, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(k, "warnings["), "]"))
			problem := strings.TrimSuffix(msg, ".")
			what := d.tx.T("web.sla_definition_form.warning_problem", "Problem", problem)
			if i >= 0 && i < len(warnings) {
				what = d.tx.T("web.sla_definition_form.warning_at_problem", "Percent", warnings[i], "Problem", problem)
			}
			d.WarningsErr = joinSentences(d.WarningsErr, what)
		case k == "name" || k == "agreement_id" || k == "applies_to" || k == "metric":
			d.Errs[k] = msg
		}
	}
}

// usual describes the conditions a metric uses by default, in words.
func usual(tx i18n.Text, clock []condField, kind ticket.Kind, m sla.Metric) string {
	start, stop, pause, cancel := clockLists(tx, clock, sla.Defaults(kind, m))
	parts := []string{tx.T("web.sla_definition_form.usual_starts_created")}
	if !start.None() {
		parts[0] = tx.T("web.sla_definition_form.usual_starts", "Conditions", start.Summary())
	}
	parts = append(parts, tx.T("web.sla_definition_form.usual_stops", "Conditions", stop.Summary()))
	if !pause.None() {
		parts = append(parts, tx.T("web.sla_definition_form.usual_pauses", "Conditions", pause.Summary()))
	}
	if !cancel.None() {
		parts = append(parts, tx.T("web.sla_definition_form.usual_cancels", "Conditions", cancel.Summary()))
	}
	return tx.T("web.sla_definition_form.usual", "Parts", start.joined("web.sla_definition_form.usual_then", parts))
}
