package web

import (
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"steward/internal/domainerr"
	"steward/internal/i18n"
	"steward/internal/request"
)

// The item editor's form builder: an item's questions as rows of type,
// label, key, choices, required and show-when, so that nobody writes the
// form in JSON. It works without JavaScript: "Add a question", "Up",
// "Down" and "Remove" are submit buttons (act) whose page comes back with
// the rows changed and nothing saved; formbuilder.js refreshes the preview
// in place.
//
// Rows live in the form as q_rows (how many were rendered) and
// q_<i>_type, _label, _key, _choices (one per line), _help, _required,
// _when_field and _when_value.

// questionRow is one question as the builder holds it.
type questionRow struct {
	Type, Label, Key, Choices, Help string
	WhenField, WhenValue            string
	Required                        bool
	Errs                            []string // sentences naming the question

	// For the page: the row's place, the questions above it (which its
	// show-when may name), and whether it names one that is not above.
	I, N, Prev, Next int
	Last, WhenAstray bool
	Earlier          []earlierQuestion
	// WhenAnswers are the answers the question named by WhenField can
	// take, when they are few (its choices, or yes and no): the value is
	// then picked, not typed.
	WhenAnswers []whenAnswer
}

// whenAnswer is one answer a show-when may wait for.
type whenAnswer struct{ Value, Label string }

// earlierQuestion is a question above a row, which its show-when may name,
// with the answers it can take when they are few.
type earlierQuestion struct {
	Key, Label string
	Answers    []whenAnswer
}

// blank reports a row nobody filled in: left out of the form.
func (q questionRow) blank() bool {
	return q.Label == "" && q.Key == "" && q.Choices == "" && q.Help == "" && q.WhenField == "" && q.WhenValue == ""
}

// questionRows lays out a saved form as rows.
func questionRows(f request.Form) []questionRow {
	rows := []questionRow{}
	for _, fl := range f.Fields {
		q := questionRow{Type: string(fl.Type), Label: fl.Label, Key: fl.Key, Choices: strings.Join(fl.Options, "\n"),
			Help: fl.Help, Required: fl.Required}
		if c := fl.ShowWhen; c != nil {
			q.WhenField, q.WhenValue = c.Field, c.Equals
		}
		rows = append(rows, q)
	}
	return rows
}

// readQuestionRows reads the builder's rows from a posted form, blank
// ones included so that a row just added stays on the page.
func readQuestionRows(r *http.Request) []questionRow {
	rows := []questionRow{}
	for i := range formRows(r, "q", request.MaxFields+1) {
		q := questionRow{Type: rowValue(r, "q", i, "type"), Label: rowValue(r, "q", i, "label"), Key: rowValue(r, "q", i, "key"),
			Choices: strings.TrimSpace(strings.ReplaceAll(r.PostFormValue(fmt.Sprintf("q_%d_choices", i)), "\r\n", "\n")),
			Help:    rowValue(r, "q", i, "help"), Required: rowValue(r, "q", i, "required") == "on",
			WhenField: rowValue(r, "q", i, "when_field"), WhenValue: rowValue(r, "q", i, "when_value")}
		rows = append(rows, q)
	}
	return rows
}

// moveQuestion applies a builder button (add-question, up:i, down:i,
// remove:i) to the rows; it reports false for any other act.
func moveQuestion(rows []questionRow, act string) ([]questionRow, bool) {
	if act == "add-question" {
		if len(rows) < request.MaxFields {
			rows = append(rows, questionRow{Type: string(request.TextField)})
		}
		return rows, true
	}
	verb, at, ok := strings.Cut(act, ":")
	i, err := strconv.Atoi(at)
	if !ok || err != nil || i < 0 || i >= len(rows) {
		return rows, verb == "up" || verb == "down" || verb == "remove"
	}
	switch verb {
	case "up":
		if i > 0 {
			rows[i-1], rows[i] = rows[i], rows[i-1]
		}
	case "down":
		if i+1 < len(rows) {
			rows[i], rows[i+1] = rows[i+1], rows[i]
		}
	case "remove":
		rows = append(rows[:i:i], rows[i+1:]...)
	default:
		return rows, false
	}
	return rows, true
}

var notKeyChars = regexp.MustCompile(`[^a-z0-9]+`)

// keyFromLabel derives a question's key from its label: "Docking
// station?" becomes docking_station.
func keyFromLabel(label string) string {
	k := strings.Trim(notKeyChars.ReplaceAllString(strings.ToLower(label), "_"), "_")
	if k != "" && k[0] >= '0' && k[0] <= '9' {
		k = "q_" + k
	}
	if len(k) > 40 {
		k = strings.TrimRight(k[:40], "_")
	}
	return k
}

// key is the row's key as saved: the one typed, else the label's.
func (q questionRow) key() string {
	if q.Key != "" {
		return q.Key
	}
	return keyFromLabel(q.Label)
}

// builtForm is the form the rows make, with the row each field came from.
type builtForm struct {
	form  request.Form
	rowOf []int
}

// buildForm turns the rows into a form definition for the service to
// check; blank rows are left out, and choices count only for choice
// questions (a row switched to another type keeps them on the page).
func buildForm(rows []questionRow) builtForm {
	b := builtForm{form: request.Form{Fields: []request.Field{}}}
	for i, q := range rows {
		if q.blank() {
			continue
		}
		fl := request.Field{Key: q.key(), Label: q.Label, Type: request.FieldType(q.Type), Required: q.Required, Help: q.Help}
		if fl.Type == request.ChoiceField {
			for _, line := range strings.Split(q.Choices, "\n") {
				if line = strings.TrimSpace(line); line != "" {
					fl.Options = append(fl.Options, line)
				}
			}
		}
		if q.WhenField != "" || q.WhenValue != "" {
			fl.ShowWhen = &request.Condition{Field: q.WhenField, Equals: q.WhenValue}
		}
		b.form.Fields = append(b.form.Fields, fl)
		b.rowOf = append(b.rowOf, i)
	}
	return b
}

var questionFault = regexp.MustCompile(`^form\.fields\[(\d+)\]\.(.+)$`)
var fieldsIndex = regexp.MustCompile(`fields\[(\d+)\]`)

// placeFaultsIn moves the service's form.fields[i] faults onto the rows as
// sentences in the language of tx, and returns those about the form as a
// whole.
func (b builtForm) placeFaultsIn(tx i18n.Text, rows []questionRow, inv *domainerr.Invalid) []string {
	var whole []string
	for _, k := range slices.Sorted(maps.Keys(inv.Fields)) {
		msg := inv.Fields[k]
		if k == "form" || k == "form.fields" {
			whole = append(whole, tx.T("web.formbuilder.form_problem", "Problem", msg))
			continue
		}
		m := questionFault.FindStringSubmatch(k)
		if m == nil {
			continue
		}
		i, _ := strconv.Atoi(m[1])
		if i >= len(b.rowOf) {
			continue
		}
		row := b.rowOf[i]
		if m[2] == "key" && msg == "is required" && rows[row].Label == "" {
			continue // the label's message says it
		}
		rows[row].Errs = append(rows[row].Errs, questionSentence(tx, row+1, m[2], b.renumber(tx, msg), rows[row]))
	}
	return whole
}

// renumber turns "fields[2]" in a message into the question's number.
func (b builtForm) renumber(tx i18n.Text, msg string) string {
	return fieldsIndex.ReplaceAllStringFunc(msg, func(s string) string {
		j, _ := strconv.Atoi(fieldsIndex.FindStringSubmatch(s)[1])
		if j < len(b.rowOf) {
			return tx.T("web.formbuilder.question_ref", "N", b.rowOf[j]+1)
		}
		return s
	})
}

var optionFault = regexp.MustCompile(`^options\[(\d+)\]$`)

// questionSentence says what is wrong with question n in words.
func questionSentence(tx i18n.Text, n int, part, msg string, q questionRow) string {
	say := func(id string, pairs ...any) string {
		return tx.T("web.formbuilder."+id, append([]any{"N", n, "Problem", msg}, pairs...)...)
	}
	if m := optionFault.FindStringSubmatch(part); m != nil {
		j, _ := strconv.Atoi(m[1])
		return say("choice_problem", "Choice", j+1)
	}
	switch part {
	case "label":
		if msg == "is required" {
			return say("label_required")
		}
		return say("label_problem")
	case "key":
		if msg == "is required" {
			return say("key_required")
		}
		if q.Key == "" {
			return say("key_derived_problem", "Key", q.key())
		}
		return say("key_problem")
	case "type":
		return say("type_required")
	case "help":
		return say("help_problem")
	case "options":
		if strings.Contains(msg, "at least one") {
			return say("choices_required")
		}
		return say("choices_problem")
	case "show_when.field":
		if msg == "is required" {
			return say("when_field_required")
		}
		return say("when_field_above")
	case "show_when.equals":
		if msg == "is required" || q.WhenValue == "" {
			return say("when_value_required")
		}
		return say("when_value_problem")
	}
	return say("field_problem", "Field", fieldLabel(part))
}

// placedIn numbers the rows for the page and fills each one's list of the
// questions above it, their answers named in the language of tx.
func placedIn(tx i18n.Text, rows []questionRow) []questionRow {
	var above []earlierQuestion
	for i := range rows {
		q := &rows[i]
		q.I, q.N, q.Prev, q.Next, q.Last = i, i+1, max(i-1, 0), i+1, i == len(rows)-1
		q.Earlier = append([]earlierQuestion(nil), above...)
		at := slices.IndexFunc(above, func(e earlierQuestion) bool { return e.Key == q.WhenField })
		q.WhenAstray = q.WhenField != "" && at < 0
		if at >= 0 {
			q.WhenAnswers = above[at].Answers
		}
		if k := rows[i].key(); k != "" && !rows[i].blank() {
			label := rows[i].Label
			if label == "" {
				label = k
			}
			above = append(above, earlierQuestion{Key: k, Label: label, Answers: rows[i].answers(tx)})
		}
	}
	return rows
}

// answers are the answers a question can take when they can be listed:
// a choice's options, or yes and no.
func (q questionRow) answers(tx i18n.Text) []whenAnswer {
	switch request.FieldType(q.Type) {
	case request.YesNoField:
		return []whenAnswer{{"yes", tx.T("web.formbuilder.yes")}, {"no", tx.T("web.formbuilder.no")}}
	case request.ChoiceField:
		var out []whenAnswer
		for _, line := range strings.Split(q.Choices, "\n") {
			if line = strings.TrimSpace(line); line != "" {
				out = append(out, whenAnswer{line, line})
			}
		}
		return out
	}
	return nil
}

// WhenPicked says whether the row's show-when value is one of the
// listed answers (a yes_no condition saved as "true" reads as "yes").
func (q questionRow) WhenPicked(a whenAnswer) bool {
	v := strings.ToLower(q.WhenValue)
	switch v {
	case "true", "on":
		v = "yes"
	case "false", "off":
		v = "no"
	}
	return strings.EqualFold(a.Value, v) || a.Value == q.WhenValue
}

// WhenOther says whether the row waits for an answer that is not among
// the listed ones (a choice since removed): it is kept and shown.
func (q questionRow) WhenOther() bool {
	return q.WhenValue != "" && !slices.ContainsFunc(q.WhenAnswers, q.WhenPicked)
}

// previewQuestionsIn is the requester's form as the rows make it now, in
// the language of tx.
func previewQuestionsIn(tx i18n.Text, rows []questionRow) []questionView {
	return questionViews(tx, buildForm(rows).form, nil)
}
