package web

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"steward/internal/i18n"
	"steward/internal/ticket"
)

// conditions is the editor of one list of clauses that must all hold, as
// form rows: each row picks a field, "is" or "is not", and one or more of
// the field's values (any of which will do). Pages that let people say
// which records something applies to use it: service level filters, goals
// and clock conditions today. It works without JavaScript: "Add" and the
// remove buttons are submit buttons whose page comes back with one row
// more or less (see act); conditions.js adds and removes rows in place.
//
// Its rows live in the form as Name_rows (how many were rendered) and
// Name_<i>_field, Name_<i>_op and Name_<i>_value (repeated, one per ticked
// choice, or one text of values separated by commas); Name_new is the
// field the next row tests.
//
// The list may have further groups of rows, any of which will do instead
// ("priority is P1, or customer is ACME and service is Payroll"): More,
// each itself a list named Name_g<k> (k from 1), and Name_groups says how
// many groups were rendered. "Add a group" and "Remove this group" are
// submit buttons too (see act); the script adds and removes groups in
// place.
type conditions struct {
	Name   string      // the form prefix, such as "filter" or "goal_0_match"
	Legend string      // what the list decides
	Quiet  bool        // the legend is for screen readers only: a heading says it already
	Empty  string      // what an empty list means: "Every ticket", "Never"
	Fields []condField // what rows may test
	Rows   []condRow
	Max    int    // most rows allowed; 0 for no limit
	Err    string // about the list as a whole, a sentence
	// More are the further groups; MaxGroups bounds them with the first.
	More      []conditions
	MaxGroups int
	at        int       // a further group's index in the form it was read from
	tx        i18n.Text // the reader's language, for the messages and the summary
}

// condField is one field a row may test.
type condField struct {
	Name    string       // the clause's field: priority, customer_id
	Label   string       // Priority, Customer
	Choices []condChoice // nil: free text, several values separated by commas
}

type condChoice struct{ Value, Label string }

// condRow is one clause as the form holds it.
type condRow struct {
	Field  string
	Not    bool
	Values []string
	Err    string // a sentence naming the row
	at     int    // the row's index in the form it was read from
}

// newConditions lays out clauses as rows.
func newConditions(name, legend, empty string, fields []condField, cs []ticket.Clause) conditions {
	c := conditions{Name: name, Legend: legend, Empty: empty, Fields: fields, Rows: []condRow{}}
	for i, cl := range cs {
		c.Rows = append(c.Rows, condRow{Field: cl.Field, Not: cl.Op == "not_in", Values: append([]string(nil), cl.Values...), at: i})
	}
	return c
}

// withGroups adds further groups of clauses to a list laid out from its
// first group.
func (c conditions) withGroups(more [][]ticket.Clause) conditions {
	c.More = nil
	for _, cs := range more {
		c.More = append(c.More, newConditions("", "", "", c.Fields, cs))
	}
	c.renumber()
	return c
}

// readConditions reads the rows of list name, and its further groups,
// from a posted form. Rows without a field and groups without a count
// (removed in the browser) are left out.
func readConditions(r *http.Request, name, legend, empty string, fields []condField) conditions {
	c := readRows(r, name, legend, empty, fields)
	n, _ := strconv.Atoi(r.PostFormValue(name + "_groups"))
	for k := 1; k < min(n, 50); k++ {
		g := groupName(name, k)
		if _, ok := r.PostForm[g+"_rows"]; !ok {
			continue
		}
		more := readRows(r, g, "", "", fields)
		more.at = k
		c.More = append(c.More, more)
	}
	c.renumber()
	return c
}

func groupName(name string, k int) string { return fmt.Sprintf("%s_g%d", name, k) }

// renumber names the further groups after their places, as the form
// will draw them, and gives them the list's fields and limits.
func (c *conditions) renumber() {
	for k := range c.More {
		g := &c.More[k]
		g.Name, g.Fields, g.Max, g.Legend, g.tx = groupName(c.Name, k+1), c.Fields, c.Max, "", c.tx
		if g.Rows == nil {
			g.Rows = []condRow{}
		}
	}
}

func readRows(r *http.Request, name, legend, empty string, fields []condField) conditions {
	c := conditions{Name: name, Legend: legend, Empty: empty, Fields: fields, Rows: []condRow{}}
	for i := range formRows(r, name, 200) {
		key := fmt.Sprintf("%s_%d_", name, i)
		row := condRow{Field: strings.TrimSpace(r.PostFormValue(key + "field")), Not: r.PostFormValue(key+"op") == "not_in", at: i}
		if row.Field == "" {
			continue
		}
		f, _ := c.field(row.Field)
		for _, v := range r.PostForm[key+"value"] {
			if f.Choices == nil {
				for _, part := range strings.Split(v, ",") {
					if part = strings.TrimSpace(part); part != "" {
						row.Values = append(row.Values, part)
					}
				}
				continue
			}
			if v = strings.TrimSpace(v); v != "" && !slices.Contains(row.Values, v) {
				row.Values = append(row.Values, v)
			}
		}
		c.Rows = append(c.Rows, row)
	}
	return c
}

// act carries out a button of the editor: "add:<name>" adds a row on the
// field chosen in <name>_new, "remove:<name>:<i>" takes row i away,
// "add-group:<name>" adds a group with one row, "remove-group:<name>:<k>"
// takes group k away (0 the first). It reports whether the action was
// this list's.
func (c *conditions) act(r *http.Request, action string) bool {
	defer c.renumber()
	switch {
	case action == "add-group:"+c.Name:
		g := conditions{Rows: []condRow{}, at: -1}
		if len(c.Fields) > 0 {
			g.Rows = append(g.Rows, condRow{Field: c.Fields[0].Name, at: -1})
		}
		c.More = append(c.More, g)
		return true
	case strings.HasPrefix(action, "remove-group:"+c.Name+":"):
		k, err := strconv.Atoi(strings.TrimPrefix(action, "remove-group:"+c.Name+":"))
		switch {
		case err != nil:
		case k == 0 && len(c.More) > 0:
			// The next group becomes the first.
			c.Rows, c.More = c.More[0].Rows, c.More[1:]
		case k == 0:
			c.Rows = []condRow{}
		default:
			c.More = slices.DeleteFunc(c.More, func(g conditions) bool { return g.at == k })
		}
		return true
	}
	for i := range c.More {
		if c.More[i].actRows(r, action) {
			return true
		}
	}
	return c.actRows(r, action)
}

func (c *conditions) actRows(r *http.Request, action string) bool {
	if action == "add:"+c.Name {
		field := r.PostFormValue(c.Name + "_new")
		if _, ok := c.field(field); !ok && len(c.Fields) > 0 {
			field = c.Fields[0].Name
		}
		c.Rows = append(c.Rows, condRow{Field: field, at: -1})
		return true
	}
	rest, ok := strings.CutPrefix(action, "remove:"+c.Name+":")
	if !ok {
		return false
	}
	// The index is the row's in the form, which may have gaps where the
	// script removed rows.
	if i, err := strconv.Atoi(rest); err == nil {
		c.Rows = slices.DeleteFunc(c.Rows, func(row condRow) bool { return row.at == i })
	}
	return true
}

func (c *conditions) field(name string) (condField, bool) {
	for _, f := range c.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return condField{}, false
}

// label names a field for people, also one the list does not offer.
func (c *conditions) label(name string) string {
	if f, ok := c.field(name); ok {
		return f.Label
	}
	return fieldLabel(name)
}

// Groups turns the list and its further groups into clauses, or says on
// each row and group what to fix and reports false. With several groups,
// each must have a row.
func (c *conditions) Groups() (all []ticket.Clause, more [][]ticket.Clause, ok bool) {
	all, ok = c.Clauses()
	if c.MaxGroups > 0 && 1+len(c.More) > c.MaxGroups {
		c.Err = joinSentences(c.Err, c.tx.T("web.conditions.too_many_groups", "Max", c.MaxGroups, "Extra", 1+len(c.More)-c.MaxGroups))
		ok = false
	}
	if len(c.More) > 0 && len(c.Rows) == 0 {
		c.Err = joinSentences(c.Err, c.tx.T("web.conditions.group_empty", "Group", 1))
		ok = false
	}
	for k := range c.More {
		g := &c.More[k]
		cs, good := g.Clauses()
		if len(g.Rows) == 0 {
			g.Err, good = c.tx.T("web.conditions.group_empty", "Group", k+2), false
		}
		ok = ok && good
		more = append(more, cs)
	}
	return all, more, ok
}

// Clauses turns the rows into clauses, or says on each row what to fix
// and reports false.
func (c *conditions) Clauses() ([]ticket.Clause, bool) {
	out := []ticket.Clause{}
	ok := true
	if c.Max > 0 && len(c.Rows) > c.Max {
		c.Err = c.tx.T("web.conditions.too_many_rows", "Max", c.Max, "Extra", len(c.Rows)-c.Max)
		ok = false
	}
	for i := range c.Rows {
		row := &c.Rows[i]
		row.Err = c.rowProblem(i, *row)
		if row.Err != "" {
			ok = false
			continue
		}
		op := "in"
		if row.Not {
			op = "not_in"
		}
		out = append(out, ticket.Clause{Field: row.Field, Op: op, Values: append([]string(nil), row.Values...)})
	}
	return out, ok
}

func (c *conditions) rowProblem(i int, row condRow) string {
	f, known := c.field(row.Field)
	switch {
	case !known:
		return c.tx.T("web.conditions.row_untestable", "Row", i+1, "Field", c.label(row.Field))
	case len(row.Values) == 0 && f.Choices == nil:
		return c.tx.T("web.conditions.row_type_value", "Row", i+1, "Field", f.Label)
	case len(row.Values) == 0:
		return c.tx.T("web.conditions.row_choose_value", "Row", i+1, "Field", f.Label)
	}
	if f.Choices != nil {
		for _, v := range row.Values {
			if !slices.ContainsFunc(f.Choices, func(ch condChoice) bool { return ch.Value == v }) {
				return c.tx.T("web.conditions.row_choice_gone", "Row", i+1, "Field", f.Label, "Value", v)
			}
		}
	}
	for _, v := range row.Values {
		if len(v) > 200 {
			return c.tx.T("web.conditions.row_too_long", "Row", i+1, "Field", f.Label, "Max", 200)
		}
	}
	return ""
}

// gone is how a check says that a record a value names was deleted.
var gone = regexp.MustCompile(`^(\w+) \d+ does not exist$`)

// inGroup is how a check names the group and row of a message; on the
// form, the message stands in that group.
var inGroup = regexp.MustCompile(`^group \d+(, row \d+)?: `)

// placeErrors puts the messages a domain check gave about the clauses at
// path (path itself, path[i].values[j], ...) on the list and its rows,
// and those at path_any[k] on the further groups.
func (c *conditions) placeErrors(errs map[string]string, path string) {
	for k := range c.More {
		c.More[k].placeErrors(errs, fmt.Sprintf("%s_any[%d]", path, k))
	}
	if msg, ok := errs[path+"_any"]; ok {
		c.Err = joinSentences(c.Err, errText(c.tx, msg))
	}
	for k, msg := range errs {
		msg = inGroup.ReplaceAllString(msg, "")
		if k == path {
			c.Err = joinSentences(c.Err, errText(c.tx, msg))
			continue
		}
		rest, ok := strings.CutPrefix(k, path+"[")
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, "]")
		i, err := strconv.Atoi(num)
		if err != nil || i < 0 || i >= len(c.Rows) {
			c.Err = joinSentences(c.Err, errText(c.tx, msg))
			continue
		}
		if m := gone.FindStringSubmatch(msg); m != nil {
			c.Rows[i].Err = joinSentences(c.Rows[i].Err, c.tx.T("web.conditions.row_record_gone", "Row", i+1, "Record", m[1]))
			continue
		}
		c.Rows[i].Err = joinSentences(c.Rows[i].Err, c.tx.T("web.conditions.row_problem", "Row", i+1, "Problem", strings.TrimSuffix(msg, ".")))
	}
}

// Failed reports whether the list, one of its rows or one of its further
// groups has a message.
func (c conditions) Failed() bool {
	return c.Err != "" || slices.ContainsFunc(c.Rows, func(r condRow) bool { return r.Err != "" }) ||
		slices.ContainsFunc(c.More, conditions.Failed)
}

// None reports whether no group has a row: the list means what Empty says.
func (c conditions) None() bool {
	return len(c.Rows) == 0 && !slices.ContainsFunc(c.More, func(g conditions) bool { return len(g.Rows) > 0 })
}

// GroupViews are the groups as the template draws them, the list first.
func (c conditions) GroupViews() []condGroupView {
	first := c
	first.More = nil
	out := []condGroupView{{List: first, Parent: c.Name, I: "0"}}
	for k, g := range c.More {
		out = append(out, condGroupView{List: g, Parent: c.Name, K: k + 1, I: strconv.Itoa(k + 1)})
	}
	return out
}

// condGroupView is one group of rows of the list Parent: K its index in
// the form (0 the list's own rows), I the same as the form writes it.
type condGroupView struct {
	List   conditions
	Parent string
	K      int
	I      string
}

// BlankGroup is the group the script copies for "Add a group", with
// the placeholder __G__ for its index.
func (c conditions) BlankGroup() condGroupView {
	g := conditions{Name: c.Name + "_g__G__", Fields: c.Fields, Rows: []condRow{}, tx: c.tx}
	return condGroupView{List: g, Parent: c.Name, K: -1, I: "__G__"}
}

func joinSentences(a, b string) string { return strings.TrimSpace(a + " " + b) }

// Summary reads the list as a sentence, for those who may only read it:
// "Priority is P1 or P2, and Customer is Contoso Health", and with further
// groups "Priority is P1; or Customer is ACME, and Service is Payroll".
func (c conditions) Summary() string {
	if len(c.More) == 0 {
		return c.rowsSummary()
	}
	var parts []string
	for _, g := range append([]conditions{c}, c.More...) {
		if len(g.Rows) > 0 {
			parts = append(parts, g.rowsSummary())
		}
	}
	if len(parts) == 0 {
		return c.Empty
	}
	return c.joined("web.conditions.or_group", parts)
}

// joined strings parts together with message id, which reads "{{.List}}
// and {{.Next}}" or the like in the reader's language.
func (c conditions) joined(id string, parts []string) string {
	if len(parts) == 0 {
		return ""
	}
	out := parts[0]
	for _, p := range parts[1:] {
		out = c.tx.T(id, "List", out, "Next", p)
	}
	return out
}

func (c conditions) rowsSummary() string {
	if len(c.Rows) == 0 {
		return c.Empty
	}
	parts := make([]string, len(c.Rows))
	for i, row := range c.Rows {
		vals := make([]string, len(row.Values))
		for j, v := range row.Values {
			vals[j] = c.valueLabel(row.Field, v)
		}
		id := "web.conditions.clause_is"
		if row.Not {
			id = "web.conditions.clause_is_not"
		}
		parts[i] = c.tx.T(id, "Field", c.label(row.Field), "Values", c.joined("web.conditions.or_value", vals))
	}
	return c.joined("web.conditions.and_clause", parts)
}

func (c *conditions) valueLabel(field, v string) string {
	f, _ := c.field(field)
	for _, ch := range f.Choices {
		if ch.Value == v {
			return ch.Label
		}
	}
	return v
}

// What the template draws: one view per row, and one blank row that the
// script copies.

type condRowView struct {
	Name   string // the list's form prefix
	I      string // the row's index in the form; "__I__" in the blank row
	Field  string
	Not    bool
	Fields []condField
	Cell   condCell
	Err    string
}

// condCell is the value picker of one row, drawn for the row's field.
type condCell struct {
	Name, I string
	Field   string
	Label   string // the field's label, for the picker's accessible name
	Free    bool
	Long    bool // many choices: the list scrolls
	Opts    []condOpt
	Text    string
}

type condOpt struct {
	Value, Label string
	Checked      bool
}

// RowViews are the rows as the template draws them.
func (c conditions) RowViews() []condRowView {
	out := make([]condRowView, len(c.Rows))
	for i, row := range c.Rows {
		out[i] = c.rowView(strconv.Itoa(i), row)
	}
	return out
}

// Blank is the row the script copies for "Add"; its picker is replaced by
// the one of the field chosen.
func (c conditions) Blank() condRowView {
	row := condRow{}
	if len(c.Fields) > 0 {
		row.Field = c.Fields[0].Name
	}
	return c.rowView("__I__", row)
}

func (c conditions) rowView(i string, row condRow) condRowView {
	return condRowView{Name: c.Name, I: i, Field: row.Field, Not: row.Not, Fields: c.Fields, Err: row.Err,
		Cell: c.cell(c.Name, i, row.Field, row.Values)}
}

func (c conditions) cell(name, i, field string, values []string) condCell {
	f, known := c.field(field)
	if !known {
		f = condField{Name: field, Label: fieldLabel(field), Choices: []condChoice{}}
	}
	cell := condCell{Name: name, I: i, Field: field, Label: f.Label}
	if f.Choices == nil {
		cell.Free, cell.Text = true, strings.Join(values, ", ")
		return cell
	}
	for _, ch := range f.Choices {
		cell.Opts = append(cell.Opts, condOpt{Value: ch.Value, Label: ch.Label, Checked: slices.Contains(values, ch.Value)})
	}
	// Values the field no longer offers stay visible, ticked, so that
	// nothing is dropped unseen.
	for _, v := range values {
		if !slices.ContainsFunc(f.Choices, func(ch condChoice) bool { return ch.Value == v }) {
			cell.Opts = append(cell.Opts, condOpt{Value: v, Label: c.tx.T("web.conditions.no_longer_offered", "Value", v), Checked: true})
		}
	}
	cell.Long = len(cell.Opts) > 8
	return cell
}

// condPickers are the value pickers of every field, with placeholders for
// the list and the row, which conditions.js fills in when a row is added
// or its field changes. A page draws them once for all its lists.
func condPickers(fields []condField) []condCell {
	c := conditions{Fields: fields}
	out := make([]condCell, len(fields))
	for i, f := range fields {
		out[i] = c.cell("__NAME__", "__I__", f.Name, nil)
		out[i].Name = "__NAME__"
	}
	return out
}
