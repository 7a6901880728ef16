package compliance

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/clauses"
	"steward/internal/domainerr"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

func TestEvidenceLink(t *testing.T) {
	for _, c := range []struct {
		in, url string
		ok      bool
	}{
		{"INC-000123", "/incidents/INC-000123", true},
		{" chg-000004 ", "/changes/CHG-000004", true},
		{"/documents/4", "/documents/4", true},
		{"/problems?state=open", "/problems?state=open", true},
		{"XYZ-1", "", false},
		{"https://example.com/x", "", false},
		{"//evil.example/x", "", false},
		{"javascript:alert(1)", "", false},
		{"data:text/html,<b>", "", false},
		{"/\\evil.example", "", false},
		{"/a b", "", false},
		{"documents/4", "", false},
	} {
		l, ok := EvidenceLink(c.in)
		if ok != c.ok || l.URL != c.url {
			t.Errorf("EvidenceLink(%q) = %+v %v, want %q %v", c.in, l, ok, c.url, c.ok)
		}
	}
}

// A rating is kept beside the computed status, replaced by the next one,
// refused with a message per field when wrong, cleared on request, and
// every write is in the audit trail.
func TestAssess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		u, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: "sms@example.test", Name: "Sam Manager", Role: auth.Admin, Password: "a-long-password"})
		if err != nil {
			t.Fatal(err)
		}
		actor := audit.Actor{Type: "user", ID: u.ID, Name: u.Email}

		_, err = Assess(ctx, e.DB, actor, clauses.Primary, "8.99", AssessInput{Rating: "excellent", Evidence: []string{"https://example.com"}})
		var inv *domainerr.Invalid
		if !errors.As(err, &inv) || inv.Fields["clause"] == "" || inv.Fields["rating"] == "" || !strings.Contains(inv.Fields["evidence"], "https://example.com") {
			t.Fatalf("bad input: %v", err)
		}
		_, err = Assess(ctx, e.DB, actor, clauses.Primary, "8.6.1", AssessInput{Rating: "not_met"})
		if !errors.As(err, &inv) || inv.Fields["comment"] == "" {
			t.Fatalf("a rating below met without a word: %v", err)
		}

		a, err := Assess(ctx, e.DB, actor, clauses.Primary, "8.6.1", AssessInput{Rating: "partly_met", Comment: "Major incident reviews lag.", Evidence: []string{"INC-000001", "/problems"}})
		if err != nil {
			t.Fatal(err)
		}
		if a.ByName != "Sam Manager" || len(a.Evidence) != 2 {
			t.Errorf("assessment %+v", a)
		}
		if _, err := Assess(ctx, e.DB, actor, clauses.Primary, "8.6.1", AssessInput{Rating: "met"}); err != nil {
			t.Fatal(err)
		}
		as, err := Assessments(ctx, e.DB, clauses.Primary)
		if err != nil {
			t.Fatal(err)
		}
		if got := as["8.6.1"]; len(as) != 1 || got.Rating != Met || got.Comment != "" || len(got.Evidence) != 0 || got.AssessedBy != u.ID {
			t.Errorf("after a second rating: %+v", as)
		}
		if n := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM audit_log WHERE entity = 'compliance_clause' AND action = 'assess' AND actor_id = ?", u.ID); n != 2 {
			t.Errorf("%d assessments in the audit trail, want 2", n)
		}

		// The rating sits beside the evidence; it changes no status.
		ev, err := Evaluate(ctx, e.DB, clauses.Primary, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		ev.Attach(as)
		c, _ := ev.Clause("8.6.1")
		if c.Status == Met && len(c.Rules) == 0 {
			t.Errorf("a rating made a clause without evidence met")
		}
		if c.SelfAssessment == nil || c.SelfAssessment.Rating != Met {
			t.Errorf("self-assessment not attached: %+v", c)
		}

		if err := ClearAssessment(ctx, e.DB, actor, clauses.Primary, "8.6.1"); err != nil {
			t.Fatal(err)
		}
		if err := ClearAssessment(ctx, e.DB, actor, clauses.Primary, "8.6.1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("clearing twice: %v", err)
		}
		if as, _ := Assessments(ctx, e.DB, clauses.Primary); len(as) != 0 {
			t.Errorf("still there after clearing: %+v", as)
		}
	})
}

// Every leaf clause of the outline is in exactly one phase of the roadmap.
func TestPhasesCoverTheOutline(t *testing.T) {
	std, _ := clauses.Get(clauses.Primary)
	seen := map[string]int{}
	for _, p := range Phases {
		for _, c := range p.Clauses {
			if _, ok := std.Clause(c); !ok {
				t.Errorf("phase %d names %s, not in the outline", p.Number, c)
			}
			seen[c]++
		}
	}
	for _, l := range std.Leaves() {
		if seen[l.Number] != 1 {
			t.Errorf("clause %s is in %d phases", l.Number, seen[l.Number])
		}
	}
}

// A phase is done when all its clauses are met; the first one not done
// is where to work, its furthest-behind clauses first.
func TestRoadmap(t *testing.T) {
	std, _ := clauses.Get(clauses.Primary)
	by := map[string][]RuleResult{}
	for _, c := range Phases[0].Clauses {
		by[c] = []RuleResult{{ID: "x" + c, Result: Result{Status: Met}}}
	}
	by["8.6.1"] = []RuleResult{{ID: "a", Todo: "Set priorities.", Result: Result{Status: NotMet}}}
	by["8.6.2"] = []RuleResult{{ID: "b", Result: Result{Status: PartlyMet}}}
	ev := rollUp(std, by)
	rm := Roadmap(&ev)
	if !rm[0].Done || rm[0].Current || rm[1].Done || !rm[1].Current || rm[2].Current {
		t.Fatalf("phases: done %v %v, current %v %v %v", rm[0].Done, rm[1].Done, rm[0].Current, rm[1].Current, rm[2].Current)
	}
	next := rm[1].Next()
	if len(next) != len(Phases[1].Clauses) || next[0].Clause != "8.6.1" || next[0].Todo != "Set priorities." || next[1].Clause != "8.6.2" {
		t.Errorf("next in phase 2: %+v", next)
	}
	if len(rm[0].Met()) != len(Phases[0].Clauses) {
		t.Errorf("met in phase 1: %d", len(rm[0].Met()))
	}
}
