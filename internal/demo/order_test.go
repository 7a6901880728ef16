package demo_test

import (
	"context"
	"strings"
	"testing"

	"steward/internal/demo"
)

func names(steps []demo.Step) string {
	var out []string
	for _, s := range steps {
		out = append(out, s.Name)
	}
	return strings.Join(out, ", ")
}

func step(name string, after ...string) demo.Step {
	return demo.Step{Name: name, After: after, Load: func(context.Context, demo.Env) error { return nil }}
}

// A step loads after the steps it refers to, a summarising step after
// all others, and otherwise in the order the areas list them.
func TestDemoOrder(t *testing.T) {
	summary := step("dashboards")
	summary.Last = true
	got, err := demo.Order([]demo.Step{summary, step("requests", "service levels"), step("incidents"), step("knowledge", "incidents"),
		step("service levels", "incidents"), step("changes", "calendar", "configuration"), step("configuration", "incidents"),
		step("calendar", "service levels")})
	if err != nil {
		t.Fatal(err)
	}
	want := "incidents, knowledge, service levels, requests, configuration, calendar, changes, dashboards"
	if names(got) != want {
		t.Errorf("order = %s, want %s", names(got), want)
	}
}

// Steps that cannot be ordered are refused before anything loads, each
// with what is wrong.
func TestDemoOrderRefuses(t *testing.T) {
	for _, tc := range []struct {
		steps []demo.Step
		want  string
	}{
		{[]demo.Step{step("incidents"), step("problems", "configuration")}, `demo step "problems" follows "configuration", which no area loads`},
		{[]demo.Step{step("incidents"), step("a", "b"), step("b", "a")}, "demo steps wait on each other: a, b"},
		{[]demo.Step{step("incidents"), step("incidents")}, `two demo steps are named "incidents"`},
	} {
		if _, err := demo.Order(tc.steps); err == nil || err.Error() != tc.want {
			t.Errorf("Order(%s) = %v, want %q", names(tc.steps), err, tc.want)
		}
		if err := demo.Run(context.Background(), demo.Env{}, tc.steps); err == nil || err.Error() != tc.want {
			t.Errorf("Run(%s) = %v, want %q", names(tc.steps), err, tc.want)
		}
	}
}
