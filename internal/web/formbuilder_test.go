package web

import (
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"steward/internal/domainerr"
	"steward/internal/i18n"
	"steward/internal/request"
)

// rowsForm is a builder form of rows, each given as part=value pairs.
func rowsForm(rows ...map[string]string) url.Values {
	v := url.Values{"q_rows": {strconv.Itoa(len(rows))}}
	for i, row := range rows {
		for part, val := range row {
			v.Set(fmt.Sprintf("q_%d_%s", i, part), val)
		}
	}
	return v
}

// checked reads rows as the editor does and returns the sentences the
// service's checks put on them.
func checked(t *testing.T, v url.Values) ([]questionRow, request.Form, []string) {
	t.Helper()
	rows := readQuestionRows(postForm(t, v))
	b := buildForm(rows)
	inv := domainerr.NewInvalid()
	b.form.Validate("form", inv)
	var errs []string
	if len(inv.Fields) > 0 {
		errs = b.placeFaultsIn(i18n.For(i18n.Default), rows, inv)
		for _, q := range rows {
			errs = append(errs, q.Errs...)
		}
	}
	return rows, b.form, errs
}

func TestQuestionRowsMakeAForm(t *testing.T) {
	_, form, errs := checked(t, rowsForm(
		map[string]string{"type": "choice", "label": "Model", "choices": "13 inch\r\n\r\n 15 inch \r\n", "required": "on"},
		map[string]string{"type": "text", "label": "", "key": ""}, // left blank: ignored
		map[string]string{"type": "yes_no", "label": "Docking station?"},
		map[string]string{"type": "text", "label": "Where should it go?", "key": "dock_place", "help": "Building and desk",
			"when_field": "docking_station", "when_value": "yes", "choices": "left over from a choice"},
		map[string]string{"type": "number", "label": "2nd screen size"},
	))
	if errs != nil {
		t.Fatalf("errors: %v", errs)
	}
	want := []request.Field{
		{Key: "model", Label: "Model", Type: "choice", Required: true, Options: []string{"13 inch", "15 inch"}},
		{Key: "docking_station", Label: "Docking station?", Type: "yes_no"},
		{Key: "dock_place", Label: "Where should it go?", Type: "text", Help: "Building and desk",
			ShowWhen: &request.Condition{Field: "docking_station", Equals: "yes"}},
		{Key: "q_2nd_screen_size", Label: "2nd screen size", Type: "number"},
	}
	if !reflect.DeepEqual(form.Fields, want) {
		t.Fatalf("form:\n got %+v\nwant %+v", form.Fields, want)
	}
}

func TestQuestionRowsSayWhatIsWrong(t *testing.T) {
	for _, c := range []struct {
		name string
		rows []map[string]string
		want []string
	}{
		{"no label", []map[string]string{{"type": "text", "help": "Anything"}},
			[]string{"Question 1: give it a label."}},
		{"choice without choices", []map[string]string{{"type": "text", "label": "Name"}, {"type": "choice", "label": "Model", "choices": "\n \n"}},
			[]string{"Question 2: list its choices, one per line."}},
		{"repeated choice", []map[string]string{{"type": "choice", "label": "Model", "choices": "A\nB\nA"}},
			[]string{"Question 1: choice 3 repeats an earlier option."}},
		{"same key twice", []map[string]string{{"type": "text", "label": "Room"}, {"type": "text", "label": "", "key": "x", "help": "h"}, {"type": "text", "label": "Room!"}},
			[]string{"Question 2: give it a label.", "Question 3: the key taken from its label (room) repeats the key of question 1; type another key."}},
		{"label without letters", []map[string]string{{"type": "text", "label": "???"}},
			[]string{"Question 1: give it a key of lower-case letters, digits and _ (its label has none to take)."}},
		{"bad key", []map[string]string{{"type": "text", "label": "Room", "key": "Room No"}},
			[]string{"Question 1: the key must be at most 40 lower-case letters, digits and _, starting with a letter."}},
		{"depends on a later question", []map[string]string{{"type": "text", "label": "Where", "when_field": "dock", "when_value": "true"}, {"type": "yes_no", "label": "Dock"}},
			[]string{"Question 1: it can only depend on a question above it."}},
		{"value missing", []map[string]string{{"type": "yes_no", "label": "Dock"}, {"type": "text", "label": "Where", "when_field": "dock"}},
			[]string{"Question 2: say which answer shows it."}},
		{"question missing", []map[string]string{{"type": "yes_no", "label": "Dock"}, {"type": "text", "label": "Where", "when_value": "yes"}},
			[]string{"Question 2: choose the question whose answer shows it."}},
		{"value not an option", []map[string]string{{"type": "choice", "label": "Model", "choices": "A\nB"}, {"type": "text", "label": "Why", "when_field": "model", "when_value": "C"}},
			[]string{"Question 2: the answer that shows it must be one of the options of model."}},
		{"unknown type", []map[string]string{{"type": "colour", "label": "Colour"}},
			[]string{"Question 1: choose its type."}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, errs := checked(t, rowsForm(c.rows...))
			if !reflect.DeepEqual(errs, c.want) {
				t.Fatalf("got  %q\nwant %q", errs, c.want)
			}
		})
	}
}

func TestQuestionButtonsMoveRows(t *testing.T) {
	rows := func(labels ...string) []questionRow {
		var out []questionRow
		for _, l := range labels {
			out = append(out, questionRow{Label: l})
		}
		return out
	}
	labels := func(rs []questionRow) string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Label)
		}
		return strings.Join(out, ",")
	}
	for _, c := range []struct {
		act, want string
		moved     bool
	}{
		{"up:1", "b,a,c", true}, {"up:0", "a,b,c", true}, {"down:1", "a,c,b", true}, {"down:2", "a,b,c", true},
		{"remove:0", "b,c", true}, {"add-question", "a,b,c,", true}, {"up:9", "a,b,c", true},
		{"save", "a,b,c", false}, {"", "a,b,c", false}, {"drop:1", "a,b,c", false},
	} {
		got, moved := moveQuestion(rows("a", "b", "c"), c.act)
		if labels(got) != c.want || moved != c.moved {
			t.Errorf("%s: %s %v, want %s %v", c.act, labels(got), moved, c.want, c.moved)
		}
	}
}

func TestKeyFromLabel(t *testing.T) {
	for in, want := range map[string]string{"Docking station?": "docking_station", "  Needed by  ": "needed_by", "2nd screen": "q_2nd_screen",
		"Café — room #": "caf_room", "???": "", strings.Repeat("long ", 20): "long_long_long_long_long_long_long_long"} {
		if got := keyFromLabel(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

// A show-when that names a choice or yes/no question offers that
// question's answers to pick; one naming a text question is typed; a
// saved answer that is no longer a choice stays, marked as such.
func TestShowWhenOffersTheAnswers(t *testing.T) {
	rows := placedIn(i18n.For(i18n.Default), readQuestionRows(postForm(t, rowsForm(
		map[string]string{"type": "choice", "label": "Model", "choices": "13 inch\n 15 inch \n"},
		map[string]string{"type": "yes_no", "label": "Dock"},
		map[string]string{"type": "text", "label": "Why", "when_field": "model", "when_value": "17 inch"},
		map[string]string{"type": "text", "label": "Where", "when_field": "dock", "when_value": "true"},
		map[string]string{"type": "text", "label": "Note", "when_field": "why", "when_value": "x"},
	))))
	want := []whenAnswer{{"13 inch", "13 inch"}, {"15 inch", "15 inch"}}
	if !reflect.DeepEqual(rows[2].WhenAnswers, want) || !rows[2].WhenOther() {
		t.Errorf("a choice's answers: %+v (other %v)", rows[2].WhenAnswers, rows[2].WhenOther())
	}
	if len(rows[3].WhenAnswers) != 2 || !rows[3].WhenPicked(rows[3].WhenAnswers[0]) || rows[3].WhenOther() {
		t.Errorf("a yes/no saved as true: %+v picks yes %v", rows[3].WhenAnswers, rows[3].WhenPicked(rows[3].WhenAnswers[0]))
	}
	if rows[4].WhenAnswers != nil {
		t.Errorf("a text question offers answers: %+v", rows[4].WhenAnswers)
	}
}
