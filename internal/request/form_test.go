package request_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"steward/internal/domainerr"
	"steward/internal/request"
)

func TestFormValidate(t *testing.T) {
	text := func(key string) request.Field { return request.Field{Key: key, Label: key, Type: request.TextField} }
	cases := []struct {
		name   string
		fields []request.Field
		want   map[string]string // path -> fragment of the message
	}{
		{"a good form", laptopForm.Fields, nil},
		{"an empty form", nil, nil},
		{"duplicate keys", []request.Field{text("a"), text("b"), text("a")}, map[string]string{"form.fields[2].key": "repeats the key of fields[0]"}},
		{"bad key", []request.Field{text("Has Space")}, map[string]string{"form.fields[0].key": "lower-case"}},
		{"missing label and type", []request.Field{{Key: "a"}}, map[string]string{"form.fields[0].label": "required", "form.fields[0].type": "must be one of"}},
		{"options on text", []request.Field{{Key: "a", Label: "A", Type: request.TextField, Options: []string{"x"}}},
			map[string]string{"form.fields[0].options": "only choice fields"}},
		{"choice without options", []request.Field{{Key: "a", Label: "A", Type: request.ChoiceField}},
			map[string]string{"form.fields[0].options": "at least one option"}},
		{"empty and repeated options", []request.Field{{Key: "a", Label: "A", Type: request.ChoiceField, Options: []string{"x", "", "x"}}},
			map[string]string{"form.fields[0].options[1]": "must not be empty", "form.fields[0].options[2]": "repeats"}},
		{"show_when on a later field", []request.Field{
			{Key: "a", Label: "A", Type: request.TextField, ShowWhen: &request.Condition{Field: "b", Equals: "x"}}, text("b")},
			map[string]string{"form.fields[0].show_when.field": "earlier field"}},
		{"show_when on itself", []request.Field{text("z"),
			{Key: "a", Label: "A", Type: request.TextField, ShowWhen: &request.Condition{Field: "a", Equals: "x"}}},
			map[string]string{"form.fields[1].show_when.field": "earlier field"}},
		{"show_when value not an option", []request.Field{
			{Key: "c", Label: "C", Type: request.ChoiceField, Options: []string{"red", "blue"}}, text("d"),
			{Key: "e", Label: "E", Type: request.TextField, ShowWhen: &request.Condition{Field: "c", Equals: "green"}}},
			map[string]string{"form.fields[2].show_when.equals": "one of the options of c"}},
		{"show_when on yes_no needs true or false", []request.Field{
			{Key: "y", Label: "Y", Type: request.YesNoField},
			{Key: "e", Label: "E", Type: request.TextField, ShowWhen: &request.Condition{Field: "y", Equals: "maybe"}}},
			map[string]string{"form.fields[1].show_when.equals": "true or false"}},
		{"show_when without a value", []request.Field{text("a"),
			{Key: "e", Label: "E", Type: request.TextField, ShowWhen: &request.Condition{Field: "a"}}},
			map[string]string{"form.fields[1].show_when.equals": "required"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := domainerr.NewInvalid()
			request.Form{Fields: c.fields}.Validate("form", v)
			if len(v.Fields) != len(c.want) {
				t.Fatalf("got %v, want faults at %v", v.Fields, c.want)
			}
			for path, frag := range c.want {
				if !strings.Contains(v.Fields[path], frag) {
					t.Errorf("%s: %q, want it to mention %q", path, v.Fields[path], frag)
				}
			}
		})
	}
}

func TestCheckAnswers(t *testing.T) {
	users := func(_ context.Context, id int64) (bool, error) { return id == 7, nil }
	cases := []struct {
		name    string
		answers string
		want    map[string]any    // stored answers when valid
		faults  map[string]string // answers.<key> -> fragment
	}{
		{"complete", `{"model":"13 inch","dock":true,"dock_place":"Desk 4","memory":16,"needed_by":"2026-03-01","user":7}`,
			map[string]any{"model": "13 inch", "dock": true, "dock_place": "Desk 4", "memory": 16.0, "needed_by": "2026-03-01", "user": int64(7)}, nil},
		{"hidden answer dropped, hidden required field not asked", `{"model":"15 inch","dock":false,"dock_place":"ignored","needed_by":"2026-03-01"}`,
			map[string]any{"model": "15 inch", "dock": false, "needed_by": "2026-03-01"}, nil},
		{"shown required field asked", `{"model":"15 inch","dock":"yes","needed_by":"2026-03-01"}`, nil,
			map[string]string{"answers.dock_place": "is required"}},
		{"text forms of numbers and booleans", `{"model":"15 inch","dock":"false","memory":"8.5","needed_by":"2026-03-01","user":"7"}`,
			map[string]any{"model": "15 inch", "dock": false, "memory": 8.5, "needed_by": "2026-03-01", "user": int64(7)}, nil},
		{"every kind of wrong", `{"model":"14 inch","dock":"perhaps","memory":"lots","needed_by":"01/03/2026","user":8,"colour":"red"}`, nil,
			map[string]string{"answers.model": "must be one of: 13 inch, 15 inch", "answers.dock": "true or false",
				"answers.memory": "must be a number", "answers.needed_by": "YYYY-MM-DD", "answers.user": "active user",
				"answers.colour": "not a question"}},
		{"impossible date", `{"model":"13 inch","needed_by":"2026-02-30"}`, nil, map[string]string{"answers.needed_by": "YYYY-MM-DD"}},
		{"objects are no answers", `{"model":{"a":1},"needed_by":"2026-03-01"}`, nil, map[string]string{"answers.model": "must be text"}},
		{"required missing", `{}`, nil, map[string]string{"answers.model": "is required", "answers.needed_by": "is required"}},
		{"blank is missing", `{"model":"  ","needed_by":"2026-03-01"}`, nil, map[string]string{"answers.model": "is required"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var raw map[string]any
			if err := json.Unmarshal([]byte(c.answers), &raw); err != nil {
				t.Fatal(err)
			}
			v := domainerr.NewInvalid()
			got, err := laptopForm.CheckAnswers(context.Background(), raw, users, v)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.faults) > 0 || len(v.Fields) > 0 {
				if len(v.Fields) != len(c.faults) {
					t.Fatalf("faults %v, want %v", v.Fields, c.faults)
				}
				for k, frag := range c.faults {
					if !strings.Contains(v.Fields[k], frag) {
						t.Errorf("%s: %q, want it to mention %q", k, v.Fields[k], frag)
					}
				}
				return
			}
			if len(got) != len(c.want) {
				t.Fatalf("stored %v, want %v", got, c.want)
			}
			for k, want := range c.want {
				if got[k] != want {
					t.Errorf("%s = %#v, want %#v", k, got[k], want)
				}
			}
		})
	}
}

// A condition written "yes" matches a yes_no answer stored as true.
func TestConditionsCompareCanonicalValues(t *testing.T) {
	f := request.Form{Fields: []request.Field{
		{Key: "vpn", Label: "VPN", Type: request.YesNoField},
		{Key: "why", Label: "Why", Type: request.TextField, Required: true, ShowWhen: &request.Condition{Field: "vpn", Equals: "yes"}},
	}}
	v := domainerr.NewInvalid()
	f.Validate("form", v)
	_, err := f.CheckAnswers(context.Background(), map[string]any{"vpn": true}, nil, v)
	if err != nil || v.Fields["answers.why"] != "is required" {
		t.Fatalf("faults %v, err %v: the dependent question should be asked", v.Fields, err)
	}
}

// FuzzCheckAnswers feeds arbitrary answers to the laptop form: checking
// never panics, and what it keeps are answers to shown questions, in the
// types their fields store.
func FuzzCheckAnswers(f *testing.F) {
	for _, s := range []string{`{"model":"13 inch","dock":true,"dock_place":"x","needed_by":"2026-01-01"}`,
		`{"memory":1e400}`, `{"dock":null,"user":-1}`, `{"model":["13 inch"]}`, `{"needed_by":"2026-13-01"}`, `{"\u0000":1}`} {
		f.Add(s)
	}
	users := func(_ context.Context, id int64) (bool, error) { return id%2 == 0, nil }
	f.Fuzz(func(t *testing.T, body string) {
		var raw map[string]any
		if json.Unmarshal([]byte(body), &raw) != nil {
			return
		}
		v := domainerr.NewInvalid()
		got, err := laptopForm.CheckAnswers(context.Background(), raw, users, v)
		if err != nil {
			t.Fatal(err)
		}
		canon := map[string]string{}
		for k, a := range got {
			canon[k] = request.Text(a)
		}
		shown := laptopForm.Shown(canon)
		for k, a := range got {
			fl, ok := laptopForm.Field(k)
			if !ok || !shown[k] {
				t.Fatalf("kept %s, which is not a shown question", k)
			}
			switch a.(type) {
			case string:
				ok = fl.Type == request.TextField || fl.Type == request.ChoiceField || fl.Type == request.DateField
			case float64:
				ok = fl.Type == request.NumberField
			case bool:
				ok = fl.Type == request.YesNoField
			case int64:
				ok = fl.Type == request.UserField
			default:
				ok = false
			}
			if !ok {
				t.Fatalf("%s stored as %T for a %s field", k, a, fl.Type)
			}
		}
		if v.Err() == nil {
			for _, fl := range laptopForm.Fields {
				if fl.Required && shown[fl.Key] && got[fl.Key] == nil {
					t.Fatalf("required %s missing without a fault", fl.Key)
				}
			}
		}
	})
}

// A needed-by date is past once the day is over everywhere: at 09:00 UTC
// on 5 December it is still 4 December at UTC-12.
func TestCheckNeededBy(t *testing.T) {
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	form := request.Form{Fields: []request.Field{{Key: request.NeededByKey, Label: "Needed by", Type: request.DateField}}}
	for day, ok := range map[string]bool{"2026-12-05": true, "2026-12-04": true, "2026-12-03": false, "2025-12-31": false, "2027-01-01": true} {
		v := domainerr.NewInvalid()
		form.CheckNeededBy(map[string]any{"needed_by": day}, now, v)
		if got := v.Err() == nil; got != ok {
			t.Errorf("%s: accepted %v, want %v (%v)", day, got, ok, v.Err())
		}
	}
	// Another key, or another type under the key, is any date.
	other := request.Form{Fields: []request.Field{{Key: "born", Label: "Born", Type: request.DateField}}}
	v := domainerr.NewInvalid()
	other.CheckNeededBy(map[string]any{"born": "1990-01-01"}, now, v)
	if v.Err() != nil {
		t.Errorf("a date that is not needed-by was refused: %v", v.Err())
	}
}
