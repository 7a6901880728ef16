package web

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

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
type conditions struct {
	Name   string      // the form prefix, such as "filter" or "goal_0_match"
	Legend string      // what the list decides
	Quiet  bool        // the legend is for screen readers only: a heading says it already
	Empty  string      // what an empty list means: "Every ticket", "Never"
	Fields []condField // what rows may test
	Rows   []condRow
	Max    int    // most rows allowed; 0 for no limit
	Err    string // about the list as a whole, a sentence
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

// readConditions reads the rows of list name from a posted form. Rows
// without a field (removed in the browser) are left out.
func readConditions(r *http.Request, name, legend, empty string, fields []condField) conditions {
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
// field chosen in <name>_new, "remove:<name>:<i>" takes row i away. It
// reports whether the action was this list's.
func (c *conditions) act(r *http.Request, action string) bool {
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

// Clauses turns the rows into clauses, or says on each row what to fix
// and reports false.
func (c *conditions) Clauses() ([]ticket.Clause, bool) {
	out := []ticket.Clause{}
	ok := true
	if c.Max > 0 && len(c.Rows) > c.Max {
		c.Err = fmt.Sprintf("Use at most %d rows here; remove %d.", c.Max, len(c.Rows)-c.Max)
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
		return fmt.Sprintf("Row %d: %s cannot be tested here; remove the row.", i+1, c.label(row.Field))
	case len(row.Values) == 0 && f.Choices == nil:
		return fmt.Sprintf("Row %d: type a value for %s.", i+1, f.Label)
	case len(row.Values) == 0:
		return fmt.Sprintf("Row %d: choose a value for %s.", i+1, f.Label)
	}
	if f.Choices != nil {
		for _, v := range row.Values {
			if !slices.ContainsFunc(f.Choices, func(ch condChoice) bool { return ch.Value == v }) {
				return fmt.Sprintf("Row %d: %s has no choice “%s” any more; untick it.", i+1, f.Label, v)
			}
		}
	}
	for _, v := range row.Values {
		if len(v) > 200 {
			return fmt.Sprintf("Row %d: each value for %s must be at most 200 characters.", i+1, f.Label)
		}
	}
	return ""
}

// gone is how a check says that a record a value names was deleted.
var gone = regexp.MustCompile(`^(\w+) \d+ does not exist$`)

// placeErrors puts the messages a domain check gave about the clauses at
// path (path itself, path[i].values[j], ...) on the list and its rows.
func (c *conditions) placeErrors(errs map[string]string, path string) {
	for k, msg := range errs {
		if k == path {
			c.Err = joinSentences(c.Err, sentence(msg))
			continue
		}
		rest, ok := strings.CutPrefix(k, path+"[")
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, "]")
		i, err := strconv.Atoi(num)
		if err != nil || i < 0 || i >= len(c.Rows) {
			c.Err = joinSentences(c.Err, sentence(msg))
			continue
		}
		if m := gone.FindStringSubmatch(msg); m != nil {
			msg = "the " + m[1] + " ticked there no longer exists; untick it"
		}
		c.Rows[i].Err = joinSentences(c.Rows[i].Err, fmt.Sprintf("Row %d: %s.", i+1, strings.TrimSuffix(msg, ".")))
	}
}

// Failed reports whether the list or one of its rows has a message.
func (c conditions) Failed() bool {
	return c.Err != "" || slices.ContainsFunc(c.Rows, func(r condRow) bool { return r.Err != "" })
}

func joinSentences(a, b string) string { return strings.TrimSpace(a + " " + b) }

// Summary reads the list as a sentence, for those who may only read it:
// "Priority is P1 or P2, and Customer is Contoso Health".
func (c conditions) Summary() string {
	if len(c.Rows) == 0 {
		return c.Empty
	}
	parts := make([]string, len(c.Rows))
	for i, row := range c.Rows {
		verb := "is"
		if row.Not {
			verb = "is not"
		}
		vals := make([]string, len(row.Values))
		for j, v := range row.Values {
			vals[j] = c.valueLabel(row.Field, v)
		}
		parts[i] = c.label(row.Field) + " " + verb + " " + strings.Join(vals, " or ")
	}
	return strings.Join(parts, ", and ")
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
			cell.Opts = append(cell.Opts, condOpt{Value: v, Label: v + " (no longer offered)", Checked: true})
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
