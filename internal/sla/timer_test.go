package sla

import (
	"fmt"
	"testing"
	"time"

	"steward/internal/calendar"
	"steward/internal/ticket"
)

// The office calendar of these tests: Europe/Berlin, Monday to Friday
// 09:00-17:00, Christmas Eve afternoon and Christmas Day off.
func testCalendars(t testing.TB) Calendars {
	var ws []calendar.Window
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday"} {
		ws = append(ws, calendar.Window{Weekday: d, Start: "09:00", End: "17:00"})
	}
	office, err := calendar.Compile(calendar.Spec{Name: "office", TimeZone: "Europe/Berlin", Windows: ws,
		Holidays: []calendar.Holiday{{Date: "2026-12-24", Start: "12:00", End: "17:00"}, {Date: "2026-12-25"}}})
	if err != nil {
		t.Fatal(err)
	}
	always, _ := calendar.Compile(calendar.Always24x7())
	return func(id int64) (*calendar.Calendar, error) {
		switch id {
		case 1:
			return always, nil
		case 2:
			return office, nil
		}
		return nil, fmt.Errorf("no calendar %d", id)
	}
}

func resolutionDef(goals ...Goal) *Definition {
	d := &Definition{ID: 7, AgreementID: 3, Name: "resolution", AppliesTo: ticket.Incident, Metric: Resolution,
		Goals: goals, Active: true}
	d.Normalize()
	return d
}

func byPriority(p, target string) Goal {
	return Goal{Match: []Clause{{Field: "priority", Op: "in", Values: []string{p}}}, Target: target, CalendarID: 2}
}

func bt(t testing.TB, s string) time.Time {
	t.Helper()
	loc, _ := time.LoadLocation("Europe/Berlin")
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v.UTC()
}

// clock replays ticket changes through Apply and keeps every cycle.
type clock struct {
	prev   *ticket.Snapshot
	t      *testing.T
	def    *Definition
	cals   Calendars
	snap   ticket.Snapshot
	timers []*Timer
}

func newClock(t *testing.T, def *Definition, at string, priority string) *clock {
	c := &clock{t: t, def: def, cals: testCalendars(t),
		snap: ticket.Snapshot{Kind: def.AppliesTo, ID: 1, State: "new", Priority: priority}}
	if def.AppliesTo == ticket.Request {
		c.snap.State = "in_fulfilment"
	}
	c.apply(at)
	return c
}

func (c *clock) apply(at string) {
	c.t.Helper()
	var cur *Timer
	if n := len(c.timers); n > 0 {
		cur = c.timers[n-1]
	}
	changed, err := Apply(c.def, cur, c.prev, &c.snap, bt(c.t, at), c.cals)
	if err != nil {
		c.t.Fatalf("apply at %s: %v", at, err)
	}
	snap := c.snap
	c.prev = &snap
	for _, x := range changed {
		if x != cur {
			c.timers = append(c.timers, x)
		}
	}
}

func (c *clock) state(at, state string) { c.snap.State = state; c.apply(at) }

func (c *clock) last() *Timer {
	c.t.Helper()
	if len(c.timers) == 0 {
		c.t.Fatal("no timer started")
	}
	return c.timers[len(c.timers)-1]
}

// at evaluates the latest timer at a later instant, as a reader would see it.
func (c *clock) at(s string) *Timer {
	c.t.Helper()
	x := *c.last()
	if err := x.Evaluate(c.cals, bt(c.t, s)); err != nil {
		c.t.Fatal(err)
	}
	return &x
}

func wantTime(t *testing.T, what string, got *time.Time, want string) {
	t.Helper()
	if want == "" {
		if got != nil {
			t.Errorf("%s = %s, want none", what, got)
		}
		return
	}
	if got == nil || !got.Equal(bt(t, want)) {
		t.Errorf("%s = %v, want %s (Berlin)", what, got, want)
	}
}

func wantTimer(t *testing.T, x *Timer, state TimerState, elapsed time.Duration, due, breached string) {
	t.Helper()
	if x.State != state {
		t.Errorf("state = %s, want %s", x.State, state)
	}
	if x.Elapsed != elapsed {
		t.Errorf("elapsed = %s, want %s", x.Elapsed, elapsed)
	}
	wantTime(t, "due_at", x.DueAt, due)
	wantTime(t, "breached_at", x.BreachedAt, breached)
}

func TestPauseOverWeekend(t *testing.T) {
	c := newClock(t, resolutionDef(byPriority("P3", "8h")), "2026-11-27 15:00", "P3") // a Friday
	wantTime(t, "original_due_at", c.last().OriginalDueAt, "2026-11-30 15:00")
	c.state("2026-11-27 16:00", "on_hold")
	wantTimer(t, c.at("2026-11-30 10:00"), Paused, time.Hour, "2026-11-30 17:00", "")
	c.state("2026-11-30 11:00", "in_progress")
	wantTimer(t, c.at("2026-11-30 11:00"), Running, time.Hour, "2026-12-01 10:00", "")
	c.state("2026-11-30 14:00", "resolved")
	wantTimer(t, c.last(), Met, 4*time.Hour, "2026-12-01 10:00", "")
	wantTime(t, "original_due_at", c.last().OriginalDueAt, "2026-11-30 15:00")
}

func TestOvernightPauseAddsNothing(t *testing.T) {
	c := newClock(t, resolutionDef(byPriority("P3", "8h")), "2026-11-23 10:00", "P3")
	wantTimer(t, c.last(), Running, 0, "2026-11-24 10:00", "")
	c.state("2026-11-23 17:00", "on_hold")
	c.state("2026-11-24 09:00", "in_progress")
	wantTimer(t, c.at("2026-11-24 09:00"), Running, 7*time.Hour, "2026-11-24 10:00", "")
	wantTimer(t, c.at("2026-11-24 11:00"), Breached, 9*time.Hour, "2026-11-24 10:00", "2026-11-24 10:00")
}

func TestPauseOverHoliday(t *testing.T) {
	c := newClock(t, resolutionDef(byPriority("P3", "8h")), "2026-12-23 15:00", "P3")
	wantTime(t, "original_due_at", c.last().OriginalDueAt, "2026-12-28 12:00")
	c.state("2026-12-23 16:00", "on_hold")
	c.state("2026-12-28 09:00", "in_progress")
	wantTimer(t, c.at("2026-12-28 09:00"), Running, time.Hour, "2026-12-28 16:00", "")
}

func TestPriorityChangeKeepsElapsed(t *testing.T) {
	def := resolutionDef(byPriority("P1", "4h"), byPriority("P3", "8h"))
	c := newClock(t, def, "2026-11-23 09:00", "P3")
	c.snap.Priority = "P1"
	c.apply("2026-11-23 11:00")
	x := c.at("2026-11-23 11:00")
	wantTimer(t, x, Running, 2*time.Hour, "2026-11-23 13:00", "")
	if x.TargetSeconds != 4*3600 || x.Goal != 0 || x.Priority != "P1" {
		t.Errorf("after raising to P1: target %ds goal %d priority %s", x.TargetSeconds, x.Goal, x.Priority)
	}
	c.state("2026-11-23 15:00", "resolved")
	wantTimer(t, c.last(), Breached, 6*time.Hour, "2026-11-23 13:00", "2026-11-23 13:00")
}

func TestPriorityLoweredUnbreaches(t *testing.T) {
	def := resolutionDef(byPriority("P1", "4h"), byPriority("P3", "8h"))
	c := newClock(t, def, "2026-11-23 09:00", "P1")
	c.snap.Priority = "P3"
	c.apply("2026-11-23 14:00")
	wantTimer(t, c.at("2026-11-23 14:00"), Running, 5*time.Hour, "2026-11-23 17:00", "")
}

func TestTargetUsedUpAtCloseIsLateFromThen(t *testing.T) {
	c := newClock(t, resolutionDef(byPriority("P3", "8h")), "2026-11-23 09:00", "P3")
	// The target runs out as the day closes: due at 17:00 and late from
	// that instant, all evening and night, not only when work resumes.
	wantTimer(t, c.at("2026-11-23 16:59"), Running, 7*time.Hour+59*time.Minute, "2026-11-23 17:00", "")
	wantTimer(t, c.at("2026-11-23 23:59"), Breached, 8*time.Hour, "2026-11-23 17:00", "2026-11-23 17:00")
	if !c.last().Running {
		t.Error("a breached open clock still reads as running")
	}
	x := *c.last()
	if err := x.Schedule(c.cals, nil, bt(t, "2026-11-23 09:00")); err != nil {
		t.Fatal(err)
	}
	wantTime(t, "escalation", x.NextEventAt, "2026-11-23 17:00")
	c.state("2026-11-23 18:00", "resolved")
	wantTimer(t, c.last(), Breached, 8*time.Hour, "2026-11-23 17:00", "2026-11-23 17:00")

	onTime := newClock(t, resolutionDef(byPriority("P3", "8h")), "2026-11-23 09:00", "P3")
	onTime.state("2026-11-23 17:00", "resolved")
	wantTimer(t, onTime.last(), Met, 8*time.Hour, "2026-11-23 17:00", "")

	late := newClock(t, resolutionDef(byPriority("P3", "8h")), "2026-11-23 09:00", "P3")
	late.state("2026-11-24 09:30", "resolved")
	wantTimer(t, late.last(), Breached, 8*time.Hour+30*time.Minute, "2026-11-23 17:00", "2026-11-23 17:00")
}

func TestHeldAsTheTargetRanOutIsLateWhenResumed(t *testing.T) {
	c := newClock(t, resolutionDef(byPriority("P3", "8h")), "2026-11-23 09:00", "P3")
	c.state("2026-11-23 17:00", "on_hold")
	wantTimer(t, c.at("2026-11-24 08:00"), Paused, 8*time.Hour, "2026-11-23 17:00", "")
	c.state("2026-11-24 10:00", "in_progress")
	wantTimer(t, c.at("2026-11-24 11:00"), Breached, 9*time.Hour, "2026-11-23 17:00", "2026-11-24 10:00")
}

func TestReopenStartsNewCycle(t *testing.T) {
	c := newClock(t, resolutionDef(byPriority("P3", "8h")), "2026-11-23 09:00", "P3")
	c.state("2026-11-23 12:00", "resolved")
	c.state("2026-11-24 10:00", "in_progress") // reopened the next day
	if len(c.timers) != 2 {
		t.Fatalf("%d cycles, want 2", len(c.timers))
	}
	first, second := c.timers[0], c.timers[1]
	wantTimer(t, first, Met, 3*time.Hour, "2026-11-23 17:00", "")
	if first.Cycle != 1 || second.Cycle != 2 {
		t.Errorf("cycles %d, %d", first.Cycle, second.Cycle)
	}
	// The time between resolving and reopening counts in neither cycle.
	wantTimer(t, c.at("2026-11-24 11:00"), Running, time.Hour, "2026-11-25 10:00", "")
	c.state("2026-11-24 12:00", "resolved")
	c.state("2026-11-24 13:00", "closed")
	if len(c.timers) != 2 || c.timers[1].State != Met || c.timers[1].Elapsed != 2*time.Hour {
		t.Errorf("second cycle: %+v", c.timers[1])
	}
}

func TestResponseMetric(t *testing.T) {
	def := &Definition{ID: 8, Name: "response", AppliesTo: ticket.Incident, Metric: Response, Active: true,
		Goals: []Goal{{Target: "1h", CalendarID: 2}}}
	def.Normalize()
	c := newClock(t, def, "2026-11-23 16:40", "P2")
	wantTimer(t, c.last(), Running, 0, "2026-11-24 09:40", "")
	c.snap.Responded = true
	c.apply("2026-11-24 09:10")
	wantTimer(t, c.last(), Met, 30*time.Minute, "2026-11-24 09:40", "")
	c.state("2026-11-24 12:00", "resolved")
	c.state("2026-11-25 10:00", "in_progress")
	if len(c.timers) != 1 {
		t.Errorf("a reopen restarted the response clock: %d cycles", len(c.timers))
	}
}

func TestBusinessDaysTarget(t *testing.T) {
	c := newClock(t, resolutionDef(Goal{Target: "3bd", CalendarID: 2}), "2026-11-23 10:00", "P4")
	x := c.last()
	if x.TargetSeconds != 24*3600 {
		t.Errorf("3bd from Monday 10:00 = %ds of business time, want 24h", x.TargetSeconds)
	}
	wantTimer(t, x, Running, 0, "2026-11-26 10:00", "")
}

func TestWarningsAtExactInstants(t *testing.T) {
	c := newClock(t, resolutionDef(byPriority("P3", "8h")), "2026-11-23 09:00", "P3")
	x := c.last()
	if err := x.Schedule(c.cals, DefaultWarnings, bt(t, "2026-11-23 09:00")); err != nil {
		t.Fatal(err)
	}
	wantTime(t, "first warning", x.NextEventAt, "2026-11-23 13:00")
	evs, err := x.Escalate(c.cals, DefaultWarnings, bt(t, "2026-11-23 15:30"))
	if err != nil {
		t.Fatal(err)
	}
	// Both 50% (13:00) and 75% (15:00) were crossed since the last look:
	// only the furthest is raised.
	if len(evs) != 1 || evs[0].Percent != 75 || !evs[0].At.Equal(bt(t, "2026-11-23 15:00")) || x.Warned != 75 {
		t.Fatalf("events at 15:30: %+v", evs)
	}
	// 90% of 8h is 7h12m: 16:12.
	wantTime(t, "next event", x.NextEventAt, "2026-11-23 16:12")
	evs, _ = x.Escalate(c.cals, DefaultWarnings, bt(t, "2026-11-23 15:31"))
	if len(evs) != 0 {
		t.Errorf("raised twice: %+v", evs)
	}
	evs, _ = x.Escalate(c.cals, DefaultWarnings, bt(t, "2026-11-24 09:00"))
	if len(evs) != 1 || evs[0].Kind != "sla.breach" || !evs[0].At.Equal(bt(t, "2026-11-23 17:00")) {
		t.Fatalf("events next morning: %+v", evs)
	}
	if x.NextEventAt != nil {
		t.Errorf("still scheduled after the breach: %s", x.NextEventAt)
	}
}

func TestPausedTimerRaisesNothing(t *testing.T) {
	c := newClock(t, resolutionDef(byPriority("P3", "8h")), "2026-11-23 09:00", "P3")
	c.state("2026-11-23 14:00", "on_hold")
	x := c.last()
	evs, err := x.Escalate(c.cals, DefaultWarnings, bt(t, "2026-11-27 12:00"))
	if err != nil || len(evs) != 1 || evs[0].Percent != 50 {
		t.Fatalf("paused at 5h of 8h: events %+v, %v (want only the 50%% reached before the pause)", evs, err)
	}
	if x.NextEventAt != nil {
		t.Errorf("a paused timer is scheduled at %s", x.NextEventAt)
	}
}

func TestCancelledWhenNoLongerApplies(t *testing.T) {
	def := resolutionDef(byPriority("P3", "8h"))
	def.Filter = []Clause{{Field: "customer_id", Op: "in", Values: []string{"5"}}}
	c := &clock{t: t, def: def, cals: testCalendars(t),
		snap: ticket.Snapshot{Kind: ticket.Incident, ID: 1, State: "new", Priority: "P3", CustomerID: 5}}
	c.apply("2026-11-23 09:00")
	c.snap.CustomerID = 6
	c.apply("2026-11-23 10:00")
	if x := c.last(); x.State != Cancelled || x.Elapsed != time.Hour || x.NextEventAt != nil {
		t.Errorf("after moving to another customer: %s, %s", x.State, x.Elapsed)
	}
	other := &clock{t: t, def: def, cals: testCalendars(t),
		snap: ticket.Snapshot{Kind: ticket.Incident, ID: 2, State: "new", Priority: "P3", CustomerID: 9}}
	other.apply("2026-11-23 09:00")
	if len(other.timers) != 0 {
		t.Error("a timer started for a ticket the filter excludes")
	}
}

func TestRecomputeWithNewHoliday(t *testing.T) {
	c := newClock(t, resolutionDef(byPriority("P3", "16h")), "2026-11-23 09:00", "P3")
	closed := newClock(t, resolutionDef(byPriority("P3", "16h")), "2026-11-23 09:00", "P3")
	closed.state("2026-11-23 12:00", "resolved")
	before := *closed.last()
	wantTimer(t, c.at("2026-11-23 10:00"), Running, time.Hour, "2026-11-24 17:00", "")
	// Tuesday becomes a holiday: the open timer's due moves to Wednesday;
	// the closed one is not recomputed (the engine never re-evaluates
	// stopped timers, and their result does not depend on the calendar).
	var ws []calendar.Window
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday"} {
		ws = append(ws, calendar.Window{Weekday: d, Start: "09:00", End: "17:00"})
	}
	changed, _ := calendar.Compile(calendar.Spec{Name: "office", TimeZone: "Europe/Berlin", Windows: ws,
		Holidays: []calendar.Holiday{{Date: "2026-11-24"}}})
	c.cals = func(id int64) (*calendar.Calendar, error) { return changed, nil }
	wantTimer(t, c.at("2026-11-23 10:00"), Running, time.Hour, "2026-11-25 17:00", "")
	if closed.last().State != before.State || closed.last().Elapsed != before.Elapsed {
		t.Error("closed timer changed")
	}
}

func TestRequestApprovalPausesFulfilment(t *testing.T) {
	def := &Definition{ID: 9, Name: "fulfilment", AppliesTo: ticket.Request, Metric: Resolution, Active: true,
		Goals: []Goal{{Target: "8h", CalendarID: 2}}}
	def.Normalize()
	c := &clock{t: t, def: def, cals: testCalendars(t),
		snap: ticket.Snapshot{Kind: ticket.Request, ID: 1, State: "awaiting_approval", Priority: "P3"}}
	c.apply("2026-11-23 09:00")
	c.state("2026-11-23 13:00", "in_fulfilment")
	c.state("2026-11-23 15:00", "fulfilled")
	wantTimer(t, c.last(), Met, 2*time.Hour, "2026-11-24 13:00", "")
	rej := &clock{t: t, def: def, cals: testCalendars(t),
		snap: ticket.Snapshot{Kind: ticket.Request, ID: 2, State: "awaiting_approval", Priority: "P3"}}
	rej.apply("2026-11-23 09:00")
	rej.state("2026-11-23 10:00", "rejected")
	if rej.last().State != Cancelled {
		t.Errorf("rejected request: timer %s, want cancelled", rej.last().State)
	}
}

func TestDefinitionAddedLaterStartsNoClock(t *testing.T) {
	def := resolutionDef(byPriority("P3", "8h"))
	c := &clock{t: t, def: def, cals: testCalendars(t),
		snap: ticket.Snapshot{Kind: ticket.Incident, ID: 1, State: "new", Priority: "P3"}}
	prev := c.snap
	c.prev = &prev // the ticket existed before the definition
	c.snap.AssigneeID = 4
	c.apply("2026-11-23 10:00")
	if len(c.timers) != 0 {
		t.Fatal("an assignment started a clock for a definition created after the ticket")
	}
	c.state("2026-11-23 11:00", "resolved")
	c.state("2026-11-23 12:00", "in_progress")
	if len(c.timers) != 1 || !c.timers[0].StartedAt.Equal(bt(t, "2026-11-23 12:00")) {
		t.Errorf("a reopen should start the clock: %d timers", len(c.timers))
	}
}

func TestEditedTargetAppliesToOpenTimers(t *testing.T) {
	def := resolutionDef(byPriority("P4", "5bd"))
	c := newClock(t, def, "2026-11-23 09:00", "P4")
	edited := resolutionDef(byPriority("P4", "1h"))
	c.def = edited
	c.apply("2026-11-23 09:30") // what a recompute does: the same ticket, now
	x := c.at("2026-11-23 09:30")
	if x.TargetSeconds != 3600 {
		t.Fatalf("target after editing the goal: %ds", x.TargetSeconds)
	}
	wantTimer(t, x, Running, 30*time.Minute, "2026-11-23 10:00", "")
}

func TestBreachRaisedAgainAfterGoalSwitch(t *testing.T) {
	def := resolutionDef(byPriority("P1", "4h"), byPriority("P3", "8h"))
	c := newClock(t, def, "2026-11-23 09:00", "P1")
	x := c.last()
	evs, _ := x.Escalate(c.cals, nil, bt(t, "2026-11-23 13:30"))
	if len(evs) != 1 || evs[0].Kind != "sla.breach" {
		t.Fatalf("first breach: %+v", evs)
	}
	c.snap.Priority = "P3" // 8h: no longer breached
	c.apply("2026-11-23 14:00")
	if x.State != Running || x.Warned >= 100 {
		t.Fatalf("after lowering the priority: %s warned %d", x.State, x.Warned)
	}
	evs, _ = x.Escalate(c.cals, nil, bt(t, "2026-11-24 10:00"))
	if len(evs) != 1 || evs[0].Kind != "sla.breach" || !evs[0].At.Equal(bt(t, "2026-11-23 17:00")) {
		t.Fatalf("the new breach was not raised: %+v", evs)
	}
}

func TestBreachRaisedWhenStoppedBeforeTheSweep(t *testing.T) {
	c := newClock(t, resolutionDef(byPriority("P1", "1h")), "2026-11-23 09:00", "P1")
	c.state("2026-11-23 10:01", "resolved")
	x := c.last()
	if x.NextEventAt == nil {
		t.Fatal("a stopped, breached, unraised timer is not scheduled")
	}
	evs, _ := x.Escalate(c.cals, nil, bt(t, "2026-11-23 10:05"))
	if len(evs) != 1 || evs[0].Kind != "sla.breach" || !evs[0].At.Equal(bt(t, "2026-11-23 10:00")) {
		t.Fatalf("events: %+v", evs)
	}
	if evs, _ = x.Escalate(c.cals, nil, bt(t, "2026-11-23 11:00")); len(evs) != 0 || x.NextEventAt != nil {
		t.Errorf("raised twice: %+v", evs)
	}
}

func TestNoGoalWaitsInsteadOfRestarting(t *testing.T) {
	c := newClock(t, resolutionDef(byPriority("P3", "8h")), "2026-11-23 09:00", "P3")
	c.snap.Priority = "P4" // no goal for P4
	c.apply("2026-11-23 15:00")
	if x := c.at("2026-11-23 16:00"); x.State != Paused || x.Elapsed != 6*time.Hour {
		t.Fatalf("without a goal: %s %s", x.State, x.Elapsed)
	}
	c.snap.Priority = "P3"
	c.apply("2026-11-24 09:00")
	if len(c.timers) != 1 {
		t.Fatalf("%d cycles: the clock restarted", len(c.timers))
	}
	wantTimer(t, c.at("2026-11-24 10:00"), Running, 7*time.Hour, "2026-11-24 11:00", "")
}
