package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/sla"
	"steward/internal/ticket"
)

func (wb *Web) registerDefinitions(rt *httpx.Router) {
	rt.Handle("GET /sla-definitions/new", auth.SLAWrite, wb.newDefinitionForm)
	wb.post(rt, "POST /sla-definitions", auth.SLAWrite, wb.createDefinition)
	rt.Handle("GET /sla-definitions/{id}", auth.SLARead, wb.definitionPage)
	wb.post(rt, "POST /sla-definitions/{id}", auth.SLAWrite, wb.updateDefinition)
	wb.post(rt, "POST /sla-definitions/{id}/delete", auth.SLAWrite, wb.deleteDefinition)
}

// goalRow is one goal in the form: a priority to match (or any), other
// match clauses as JSON, the target and the calendar.
type goalRow struct {
	Priority, Match, Target, Calendar, Err string
}

type definitionView struct {
	D                             sla.Definition // ID 0 for a new one
	F                             *fieldErrors   // form "definition"
	Error                         string
	AgreementName                 string
	Agreements                    []option
	Calendars                     []option
	CalendarNames                 map[int64]string
	Goals                         []goalRow
	Filter                        string // JSON
	Conditions                    string // JSON
	Warnings                      string
	GoalsErr                      string
	FilterErr                     string
	CondErr                       string
	WarningsErr                   string
	Priorities                    []string
	IncidentFields, RequestFields string
	CanWrite                      bool
}

func (v definitionView) Val(field, cur string) string { return v.F.Val("definition", field, cur) }
func (v definitionView) Err(field string) string      { return v.F.Err("definition", field) }

// Clauses reads a condition as a sentence, for the read-only view.
func (definitionView) Clauses(cs []sla.Clause) string {
	if len(cs) == 0 {
		return "always"
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		op := "is"
		if c.Op == "not_in" {
			op = "is not"
		}
		parts[i] = fmt.Sprintf("%s %s %s", c.Field, op, strings.Join(c.Values, " or "))
	}
	return strings.Join(parts, ", and ")
}

// clausesJSON writes a list of clauses one to a line, which reads better
// in a text area than either one long line or fully indented JSON.
func clausesJSON(cs []sla.Clause, indent string) string {
	if len(cs) == 0 {
		return "[]"
	}
	lines := make([]string, len(cs))
	for i, c := range cs {
		b, _ := json.Marshal(c)
		lines[i] = indent + "  " + string(b)
	}
	return "[\n" + strings.Join(lines, ",\n") + "\n" + indent + "]"
}

func conditionsJSON(c sla.Conditions) string {
	var b bytes.Buffer
	b.WriteString("{\n")
	for i, part := range []struct {
		name string
		cs   []sla.Clause
	}{{"start", c.Start}, {"stop", c.Stop}, {"pause", c.Pause}, {"cancel", c.Cancel}} {
		fmt.Fprintf(&b, "  %q: %s", part.name, clausesJSON(part.cs, "  "))
		if i < 3 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("}")
	return b.String()
}

// goalRows splits each goal's match into the priority the form's select
// shows and the rest, kept as JSON so that nothing is lost.
func goalRows(goals []sla.Goal) []goalRow {
	var out []goalRow
	for _, g := range goals {
		row := goalRow{Target: g.Target, Calendar: strconv.FormatInt(g.CalendarID, 10)}
		var rest []sla.Clause
		for _, c := range g.Match {
			if row.Priority == "" && c.Field == "priority" && c.Op == "in" && len(c.Values) == 1 {
				row.Priority = c.Values[0]
				continue
			}
			rest = append(rest, c)
		}
		if len(rest) > 0 {
			b, _ := json.Marshal(rest)
			row.Match = string(b)
		}
		out = append(out, row)
	}
	return out
}

func (wb *Web) showDefinition(w http.ResponseWriter, r *http.Request, status int, v definitionView) {
	ctx := r.Context()
	agreements, err := sla.AgreementNames(ctx, wb.DB)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	if v.CalendarNames, err = sla.CalendarNames(ctx, wb.DB); err != nil {
		wb.fail(w, r, err)
		return
	}
	v.Agreements, v.Calendars = namedOptions(agreements), namedOptions(v.CalendarNames)
	v.AgreementName = agreements[v.D.AgreementID]
	v.Priorities = []string{"P1", "P2", "P3", "P4", "P5"}
	v.IncidentFields = strings.Join(sla.FieldNames(ticket.Incident), ", ")
	v.RequestFields = strings.Join(sla.FieldNames(ticket.Request), ", ")
	v.CanWrite = httpx.Principal(r).Can(auth.SLAWrite)
	if v.F == nil {
		v.Goals = goalRows(v.D.Goals)
		v.Filter = clausesJSON(v.D.Filter, "")
		if v.D.ID != 0 {
			v.Conditions = conditionsJSON(v.D.Conditions)
		}
		w := make([]string, len(v.D.Warnings))
		for i, p := range v.D.Warnings {
			w[i] = strconv.Itoa(p)
		}
		v.Warnings = strings.Join(w, ", ")
	}
	if v.CanWrite {
		for range blankRows {
			v.Goals = append(v.Goals, goalRow{Calendar: strconv.FormatInt(sla.DefaultCalendarID, 10)})
		}
	}
	title := "New SLA definition"
	if v.D.ID != 0 {
		title = v.D.Name
	}
	wb.render(w, r, status, "sla_definition", page{Title: title, Active: "slas", Data: v})
}

func (wb *Web) newDefinitionForm(w http.ResponseWriter, r *http.Request) {
	agreement, _ := strconv.ParseInt(r.URL.Query().Get("agreement_id"), 10, 64)
	d := sla.Definition{AgreementID: agreement, AppliesTo: ticket.Incident, Metric: sla.Resolution, Active: true,
		Goals: []sla.Goal{{Target: "4h", CalendarID: sla.DefaultCalendarID}}}
	d.Normalize()
	wb.showDefinition(w, r, http.StatusOK, definitionView{D: d})
}

func (wb *Web) definitionPage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	d, err := sla.GetDefinition(r.Context(), wb.DB, id)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	wb.showDefinition(w, r, http.StatusOK, definitionView{D: d})
}

// strictJSON decodes text into v, refusing unknown fields; empty text
// leaves v as it is.
func strictJSON(text string, v any) error {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("unexpected text after the JSON value")
	}
	return nil
}

// definitionForm reads the form into an input, collecting what cannot be
// read at all (bad JSON, a bad number) in bad. gindex maps each goal to
// its form row.
func definitionForm(r *http.Request, bad *domainerr.Invalid) (sla.DefinitionInput, []goalRow, map[int]int) {
	agreement, _ := strconv.ParseInt(r.PostFormValue("agreement_id"), 10, 64)
	active := r.PostFormValue("active") == "on"
	in := sla.DefinitionInput{AgreementID: agreement, Name: r.PostFormValue("name"), AppliesTo: ticket.Kind(r.PostFormValue("applies_to")),
		Metric: sla.Metric(r.PostFormValue("metric")), Filter: []sla.Clause{}, Active: &active}
	if err := strictJSON(formText(r, "filter"), &in.Filter); err != nil {
		bad.Add("filter", "is not a JSON list of clauses such as [{\"field\": \"priority\", \"op\": \"in\", \"values\": [\"P1\"]}]: %v", err)
	}
	if err := strictJSON(formText(r, "conditions"), &in.Conditions); err != nil {
		bad.Add("conditions", "is not a JSON object with start, stop, pause and cancel lists: %v", err)
	}
	if s := strings.TrimSpace(r.PostFormValue("warnings")); s != "" {
		for _, part := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(part))
			if err != nil {
				bad.Add("warnings", "must be whole percentages separated by commas, such as 50, 75, 90")
				break
			}
			in.Warnings = append(in.Warnings, n)
		}
	}
	var rows []goalRow
	gindex := map[int]int{}
	for i := range formRows(r, "goal", sla.MaxGoals+blankRows) {
		row := goalRow{Priority: rowValue(r, "goal", i, "priority"), Match: rowValue(r, "goal", i, "match"),
			Target: rowValue(r, "goal", i, "target"), Calendar: rowValue(r, "goal", i, "calendar")}
		if row.Priority == "" && row.Match == "" && row.Target == "" {
			continue
		}
		rows = append(rows, row)
		g := sla.Goal{Target: row.Target, Match: []sla.Clause{}}
		if row.Priority != "" {
			g.Match = append(g.Match, sla.Clause{Field: "priority", Op: "in", Values: []string{row.Priority}})
		}
		var more []sla.Clause
		if err := strictJSON(row.Match, &more); err != nil {
			bad.Add(fmt.Sprintf("goals[%d].match", len(in.Goals)), "is not a JSON list of clauses: %v", err)
		}
		g.Match = append(g.Match, more...)
		if row.Calendar != "" {
			g.CalendarID, _ = strconv.ParseInt(row.Calendar, 10, 64)
		}
		gindex[len(in.Goals)] = len(rows) - 1
		in.Goals = append(in.Goals, g)
	}
	return in, rows, gindex
}

func (wb *Web) createDefinition(w http.ResponseWriter, r *http.Request) {
	bad := domainerr.NewInvalid()
	in, rows, gindex := definitionForm(r, bad)
	err := bad.Err()
	if err == nil {
		var d sla.Definition
		if d, _, err = wb.slaService().CreateDefinition(r.Context(), httpx.Principal(r).Actor(), in, nil); err == nil {
			wb.redirect(w, r, "/sla-definitions/"+strconv.FormatInt(d.ID, 10), "saved")
			return
		}
	}
	wb.definitionFailed(w, r, sla.Definition{AgreementID: in.AgreementID, AppliesTo: in.AppliesTo, Metric: in.Metric, Active: true}, rows, gindex, err)
}

func (wb *Web) updateDefinition(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	cur, err := sla.GetDefinition(r.Context(), wb.DB, id)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	bad := domainerr.NewInvalid()
	in, rows, gindex := definitionForm(r, bad)
	version, _ := formVersion(r)
	if err = bad.Err(); err == nil {
		if _, _, err = wb.slaService().UpdateDefinition(r.Context(), httpx.Principal(r).Actor(), id, in, version); err == nil {
			wb.redirect(w, r, "/sla-definitions/"+strconv.FormatInt(id, 10), "saved")
			return
		}
	}
	wb.definitionFailed(w, r, cur, rows, gindex, err)
}

// definitionFailed shows the form again with every message next to its
// field and what was typed.
func (wb *Web) definitionFailed(w http.ResponseWriter, r *http.Request, d sla.Definition, rows []goalRow, gindex map[int]int, err error) {
	var inv *domainerr.Invalid
	switch {
	case errors.As(err, &inv):
		v := definitionView{D: d, F: &fieldErrors{Form: "definition", Errs: inv.Fields, Values: r.PostForm}, Goals: rows,
			Filter: formText(r, "filter"), Conditions: formText(r, "conditions"), Warnings: r.PostFormValue("warnings"),
			GoalsErr: inv.Fields["goals"], FilterErr: slaErrors(inv.Fields, "filter"),
			CondErr: slaErrors(inv.Fields, "conditions"), WarningsErr: slaErrors(inv.Fields, "warnings")}
		for k, msg := range inv.Fields {
			rest, ok := strings.CutPrefix(k, "goals[")
			if !ok {
				continue
			}
			num, field, _ := strings.Cut(rest, "]")
			n, err := strconv.Atoi(num)
			row, known := gindex[n]
			if err != nil || !known {
				continue
			}
			rows[row].Err = strings.TrimSpace(rows[row].Err + " " + rowMessage(strings.ReplaceAll(strings.TrimPrefix(field, "."), "_", " "), msg))
		}
		wb.showDefinition(w, r, http.StatusUnprocessableEntity, v)
	case errors.Is(err, domainerr.ErrStale) && d.ID != 0:
		fresh, gerr := sla.GetDefinition(r.Context(), wb.DB, d.ID)
		if gerr != nil {
			wb.fail(w, r, gerr)
			return
		}
		wb.showDefinition(w, r, http.StatusConflict, definitionView{D: fresh, Error: staleMessage})
	default:
		wb.fail(w, r, err)
	}
}

func (wb *Web) deleteDefinition(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	d, err := sla.GetDefinition(r.Context(), wb.DB, id)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	err = wb.slaService().DeleteDefinition(r.Context(), httpx.Principal(r).Actor(), id)
	var conflict *domainerr.Conflict
	switch {
	case err == nil:
		wb.redirect(w, r, "/agreements/"+strconv.FormatInt(d.AgreementID, 10), "deleted")
	case errors.As(err, &conflict):
		wb.showDefinition(w, r, http.StatusConflict, definitionView{D: d, Error: conflict.Message})
	default:
		wb.fail(w, r, err)
	}
}
