package sla

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"steward/internal/domainerr"
	"steward/internal/ticket"
)

func in(field string, values ...string) Clause { return Clause{Field: field, Op: "in", Values: values} }

// "Priority is P1" or "customer is 5 and service is 9": a ticket that
// meets only the second group gets the clock, with its exact due instant;
// one that meets neither gets none.
func TestFilterGroups(t *testing.T) {
	def := resolutionDef(Goal{Target: "4h", CalendarID: 2})
	def.Filter = []Clause{in("priority", "P1")}
	def.FilterAny = [][]Clause{{in("customer_id", "5"), in("service_id", "9")}}
	start := func(id int64, prio string, customer, service int64) *clock {
		c := &clock{t: t, def: def, cals: testCalendars(t),
			snap: ticket.Snapshot{Kind: ticket.Incident, ID: id, State: "new", Priority: prio, CustomerID: customer, ServiceID: service}}
		c.apply("2026-11-23 09:00")
		return c
	}
	second := start(1, "P3", 5, 9)
	wantTimer(t, second.at("2026-11-23 10:00"), Running, time.Hour, "2026-11-23 13:00", "")
	first := start(2, "P1", 0, 0)
	wantTimer(t, first.at("2026-11-23 10:00"), Running, time.Hour, "2026-11-23 13:00", "")
	for _, c := range []*clock{start(3, "P3", 5, 8), start(4, "P2", 6, 9), start(5, "P3", 0, 0)} {
		if len(c.timers) != 0 {
			t.Errorf("ticket %d (%s, customer %d, service %d) meets no group but got a clock", c.snap.ID, c.snap.Priority, c.snap.CustomerID, c.snap.ServiceID)
		}
	}
	// Leaving the group it met cancels the clock, as leaving a filter does.
	second.snap.ServiceID = 8
	second.apply("2026-11-23 11:00")
	if x := second.last(); x.State != Cancelled || x.Elapsed != 2*time.Hour {
		t.Errorf("after leaving the second group: %s, %s", x.State, x.Elapsed)
	}
}

// An agreement's scope narrows every group, not only the first.
func TestScopeNarrowsEveryGroup(t *testing.T) {
	def := resolutionDef(Goal{Target: "4h"})
	def.FilterAny = [][]Clause{{in("priority", "P1")}, {in("category", "network")}}
	def.narrow([]Clause{in("customer_id", "5")})
	for _, c := range []struct {
		customer int64
		prio     string
		category string
		want     bool
	}{{5, "P1", "", true}, {5, "P3", "network", true}, {6, "P1", "network", false}, {5, "P3", "email", false}} {
		vals := Values(&ticket.Snapshot{Kind: ticket.Incident, Priority: c.prio, CustomerID: c.customer, Category: c.category})
		if got := Applies(def, vals, ticket.Incident); got != c.want {
			t.Errorf("customer %d %s %q: applies %v, want %v", c.customer, c.prio, c.category, got, c.want)
		}
	}
}

// A goal whose second group matches applies; the clock pauses while any
// pause group holds and stops when any stop group holds.
func TestGoalAndClockGroups(t *testing.T) {
	def := resolutionDef(
		Goal{Match: []Clause{in("priority", "P1")}, MatchAny: [][]Clause{{in("major", "true")}}, Target: "2h"},
		Goal{Target: "8h"})
	def.Conditions.PauseAny = [][]Clause{{in("state", "in_progress"), in("hold_reason", "awaiting_supplier")}}
	def.Conditions.StopAny = [][]Clause{{in("state", "on_hold"), in("hold_reason", "awaiting_change")}}
	c := &clock{t: t, def: def, cals: testCalendars(t),
		snap: ticket.Snapshot{Kind: ticket.Incident, ID: 1, State: "new", Priority: "P3", Major: true}}
	c.apply("2026-11-23 09:00")
	if x := c.last(); x.Goal != 0 || x.TargetSeconds != 7200 {
		t.Fatalf("a major P3 got goal %d (%ds), want the first goal's 2h", x.Goal, x.TargetSeconds)
	}
	c.snap.State = "on_hold"
	c.apply("2026-11-23 09:30")
	if c.last().running() {
		t.Error("the usual pause (on hold) no longer pauses")
	}
	c.snap.State, c.snap.HoldReason = "in_progress", "awaiting_supplier"
	c.apply("2026-11-23 10:00")
	if c.last().running() {
		t.Error("the second pause group does not pause")
	}
	c.snap.HoldReason = ""
	c.apply("2026-11-23 10:30")
	c.snap.State, c.snap.HoldReason = "on_hold", "awaiting_change"
	c.apply("2026-11-23 11:00")
	x := c.last()
	if x.Open() || x.State == Cancelled || x.Elapsed != time.Hour {
		t.Errorf("after the second stop group: open %v, %s, %s", x.Open(), x.State, x.Elapsed)
	}
}

func invalidFields(t *testing.T, d *Definition) map[string]string {
	t.Helper()
	err := d.Validate()
	var inv *domainerr.Invalid
	if !errors.As(err, &inv) {
		t.Fatalf("accepted: %v", err)
	}
	return inv.Fields
}

func TestGroupsValidated(t *testing.T) {
	def := func(edit func(d *Definition)) *Definition {
		d := &Definition{Name: "x", AppliesTo: ticket.Incident, Metric: Resolution, Goals: []Goal{{Target: "1h"}}, Active: true}
		edit(d)
		d.Normalize()
		return d
	}
	t.Run("an empty group", func(t *testing.T) {
		got := invalidFields(t, def(func(d *Definition) {
			d.Filter = []Clause{in("priority", "P1")}
			d.FilterAny = [][]Clause{{in("priority", "P2")}, {}}
		}))
		if msg := got["filter_any[1]"]; msg != "group 3 has no clauses; give it at least one or remove it" || len(got) != 1 {
			t.Errorf("messages %v", got)
		}
	})
	t.Run("too many groups", func(t *testing.T) {
		got := invalidFields(t, def(func(d *Definition) {
			d.Goals[0].Match = []Clause{in("priority", "P1")}
			for range MaxGroups {
				d.Goals[0].MatchAny = append(d.Goals[0].MatchAny, []Clause{in("priority", "P2")})
			}
		}))
		if msg := got["goals[0].match_any"]; msg != "at most 10 groups of clauses; this condition has 11" {
			t.Errorf("messages %v", got)
		}
	})
	t.Run("a bad row names its group and row", func(t *testing.T) {
		got := invalidFields(t, def(func(d *Definition) {
			d.Filter = []Clause{in("priority", "P1")}
			d.FilterAny = [][]Clause{{in("category", "network"), in("priority", "P9")}}
		}))
		if msg := got["filter_any[0][1].values[0]"]; !strings.HasPrefix(msg, `group 2, row 2: "P9" is not a priority`) || len(got) != 1 {
			t.Errorf("messages %v", got)
		}
	})
	t.Run("ids cannot drive a clock in a group either", func(t *testing.T) {
		got := invalidFields(t, def(func(d *Definition) {
			d.Conditions.CancelAny = [][]Clause{{in("group_id", "4")}}
		}))
		if _, ok := got["conditions.cancel_any[0][0].field"]; !ok || len(got) != 1 {
			t.Errorf("messages %v", got)
		}
	})
	t.Run("a start whose every group implies stop", func(t *testing.T) {
		got := invalidFields(t, def(func(d *Definition) {
			d.Conditions.Start = []Clause{in("state", "resolved")}
			d.Conditions.StartAny = [][]Clause{{in("state", "closed")}}
		}))
		if _, ok := got["conditions.start"]; !ok {
			t.Errorf("messages %v", got)
		}
	})
	t.Run("a start with one group that can run is accepted", func(t *testing.T) {
		d := def(func(d *Definition) {
			d.Conditions.Start = []Clause{in("state", "resolved")}
			d.Conditions.StartAny = [][]Clause{{in("state", "new")}}
		})
		if err := d.Validate(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a condition given only as groups takes no default", func(t *testing.T) {
		d := def(func(d *Definition) {
			d.Conditions.PauseAny = [][]Clause{{in("state", "on_hold")}, {in("major", "false")}}
		})
		if d.Conditions.Pause == nil || len(d.Conditions.Pause) != 0 || len(d.Conditions.Stop) == 0 {
			t.Fatalf("conditions %+v", d.Conditions)
		}
		if err := d.Validate(); err != nil {
			t.Fatal(err)
		}
	})
}

// A definition without groups is written and read exactly as before
// groups existed; one with groups keeps them.
func TestStoredFilter(t *testing.T) {
	flat := Definition{Filter: []Clause{in("priority", "P1")}}
	b, _ := json.Marshal((*storedFilter)(&flat))
	if string(b) != `[{"field":"priority","op":"in","values":["P1"]}]` {
		t.Errorf("flat filter stored as %s", b)
	}
	var back Definition
	if err := json.Unmarshal(b, (*storedFilter)(&back)); err != nil || len(back.Filter) != 1 || back.FilterAny != nil {
		t.Errorf("flat filter read as %+v, %v", back, err)
	}
	grouped := Definition{Filter: []Clause{in("priority", "P1")}, FilterAny: [][]Clause{{in("customer_id", "5")}}}
	b, _ = json.Marshal((*storedFilter)(&grouped))
	back = Definition{}
	if err := json.Unmarshal(b, (*storedFilter)(&back)); err != nil || len(back.Filter) != 1 || len(back.FilterAny) != 1 ||
		back.FilterAny[0][0].Values[0] != "5" {
		t.Errorf("grouped filter %s read as %+v, %v", b, back, err)
	}
	d, _ := json.Marshal(flat)
	if strings.Contains(string(d), "_any") {
		t.Errorf("a definition without groups shows %s", d)
	}
}
