package sla

import (
	"fmt"
	"time"

	"steward/internal/calendar"
	"steward/internal/ticket"
)

// TimerState is where a timer stands.
type TimerState string

const (
	Running   TimerState = "running"
	Paused    TimerState = "paused"
	Met       TimerState = "met"
	Breached  TimerState = "breached" // past its target, whether still open or stopped
	Cancelled TimerState = "cancelled"
)

// Segment is a stretch of running clock between two UTC instants; To is
// nil while the clock runs. Paused time is the gap between segments.
type Segment struct {
	From time.Time  `json:"from"`
	To   *time.Time `json:"to"`
}

// Timer is one definition's clock on one ticket for one cycle (a reopen
// starts a new cycle and keeps the old one).
type Timer struct {
	ID           int64       `json:"id"`
	TicketKind   ticket.Kind `json:"ticket_kind"`
	TicketID     int64       `json:"ticket_id"`
	DefinitionID int64       `json:"definition_id"`
	AgreementID  int64       `json:"agreement_id"`
	Metric       Metric      `json:"metric"`
	Cycle        int         `json:"cycle"`
	Goal         int         `json:"goal"` // index into the definition's goals
	CalendarID   int64       `json:"calendar_id"`
	Priority     string      `json:"priority"`
	// Target is the goal in business time; a target in business days is
	// turned into business time when the cycle starts.
	Target        time.Duration `json:"-"`
	TargetSeconds int64         `json:"target_seconds"`
	State         TimerState    `json:"state"`
	Running       bool          `json:"running"`
	// Elapsed is business time counted so far (up to the stop, or up to
	// the moment of evaluation while the clock is open).
	Elapsed          time.Duration `json:"-"`
	ElapsedSeconds   int64         `json:"elapsed_business_seconds"`
	RemainingSeconds int64         `json:"remaining_business_seconds"`
	StartedAt        time.Time     `json:"started_at"`
	StoppedAt        *time.Time    `json:"stopped_at"`
	// DueAt is when the target is used up: exact while running, projected
	// from the evaluation instant while paused, the historical instant
	// once reached. OriginalDueAt ignores pauses.
	DueAt         *time.Time `json:"due_at"`
	OriginalDueAt *time.Time `json:"original_due_at"`
	// BreachedAt is the instant from which the ticket is late: the due
	// instant, even when the target ran out as a window closed, or where
	// the clock resumed when it was paused as the target ran out.
	BreachedAt *time.Time `json:"breached_at"`
	Segments   []Segment  `json:"segments"`
	// Warned is the highest warning percentage already raised; 100 once
	// the breach itself was raised.
	Warned int `json:"warned"`
	// NextEventAt is when escalation must look at the timer again.
	NextEventAt *time.Time `json:"-"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// OverSeconds is the business time used beyond the target; 0 when none.
func (t *Timer) OverSeconds() int64 { return max(t.ElapsedSeconds-t.TargetSeconds, 0) }

// Open reports whether the clock has not stopped for good.
func (t *Timer) Open() bool { return t.StoppedAt == nil }

func (t *Timer) running() bool {
	n := len(t.Segments)
	return n > 0 && t.Segments[n-1].To == nil
}

// Calendars resolves a calendar id; 0 means the built-in 24x7 calendar.
type Calendars func(id int64) (*calendar.Calendar, error)

// BuiltinCalendarID is the id of the round-the-clock calendar every
// database has; a goal without a calendar uses it.
const BuiltinCalendarID = 1

func goalCalendar(g Goal) int64 {
	if g.CalendarID == 0 {
		return BuiltinCalendarID
	}
	return g.CalendarID
}

// SelectGoal is the index of the first goal whose match holds.
func SelectGoal(d *Definition, vals map[string]string) (int, bool) {
	for i, g := range d.Goals {
		if holdsAny(g.Match, g.MatchAny, vals) {
			return i, true
		}
	}
	return 0, false
}

// Applies reports whether a definition measures this ticket at all.
func Applies(d *Definition, vals map[string]string, kind ticket.Kind) bool {
	return d.Active && d.AppliesTo == kind && holdsAny(d.Filter, d.FilterAny, vals)
}

// startable reports whether a ticket in this shape would start a clock.
func startable(d *Definition, s *ticket.Snapshot) bool {
	vals := Values(s)
	_, hasGoal := SelectGoal(d, vals)
	return Applies(d, vals, s.Kind) && hasGoal && starts(d.Conditions, vals) &&
		!stops(d.Conditions, vals) && !cancels(d.Conditions, vals)
}

// Apply brings a definition's clock on one ticket up to date with a change
// made at instant at. cur is the ticket's latest timer for the definition
// (nil when there is none); prev is the ticket before the change (nil when
// it was just created). A new cycle starts only when the ticket comes to
// meet the start condition (created, reopened, or newly in scope), so that
// a definition added later does not start clocks in the middle of a
// ticket's life. It returns the timers that changed: cur, a new cycle, or
// both.
func Apply(d *Definition, cur *Timer, prev, s *ticket.Snapshot, at time.Time, cals Calendars) ([]*Timer, error) {
	at = at.UTC()
	vals := Values(s)
	applies := Applies(d, vals, s.Kind)
	gi, hasGoal := SelectGoal(d, vals)
	var changed []*Timer
	if cur != nil && cur.Open() {
		switch {
		case !applies || cancels(d.Conditions, vals):
			cur.stop(at)
			cur.State = Cancelled
		case stops(d.Conditions, vals):
			cur.stop(at)
		case !hasGoal:
			// No goal fits the ticket now (say, a priority without a
			// target): the clock waits, keeping what it counted, rather
			// than being cancelled and started afresh later.
			cur.closeSegment(at)
		default:
			// The goal is applied again even when its index is the same:
			// its target or calendar may have been edited.
			if err := cur.setGoal(d, gi, cals); err != nil {
				return nil, err
			}
			pause := pauses(d.Conditions, vals)
			if pause && cur.running() {
				cur.closeSegment(at)
			} else if !pause && !cur.running() {
				cur.Segments = append(cur.Segments, Segment{From: at})
			}
		}
		cur.Priority = s.Priority
		if err := cur.Schedule(cals, d.Warnings, at); err != nil {
			return nil, err
		}
		changed = append(changed, cur)
		return changed, nil
	}
	if !startable(d, s) || (prev != nil && startable(d, prev)) {
		return nil, nil
	}
	t := &Timer{
		TicketKind: s.Kind, TicketID: s.ID, DefinitionID: d.ID, AgreementID: d.AgreementID,
		Metric: d.Metric, Cycle: 1, Goal: -1, Priority: s.Priority, StartedAt: at, Segments: []Segment{},
	}
	if cur != nil {
		t.Cycle = cur.Cycle + 1
	}
	if err := t.setGoal(d, gi, cals); err != nil {
		return nil, err
	}
	if !pauses(d.Conditions, vals) {
		t.Segments = append(t.Segments, Segment{From: at})
	}
	if err := t.Schedule(cals, d.Warnings, at); err != nil {
		return nil, err
	}
	return append(changed, t), nil
}

func (t *Timer) closeSegment(at time.Time) {
	n := len(t.Segments)
	if n == 0 || t.Segments[n-1].To != nil {
		return
	}
	end := at
	if end.Before(t.Segments[n-1].From) {
		end = t.Segments[n-1].From
	}
	t.Segments[n-1].To = &end
}

func (t *Timer) stop(at time.Time) {
	t.closeSegment(at)
	stopped := at
	t.StoppedAt = &stopped
}

// setGoal switches to goal gi: its target and calendar. Elapsed business
// time is kept; it is derived from the segments.
func (t *Timer) setGoal(d *Definition, gi int, cals Calendars) error {
	g := d.Goals[gi]
	cal, err := cals(goalCalendar(g))
	if err != nil {
		return err
	}
	dur, days, err := ParseTarget(g.Target)
	if err != nil {
		return fmt.Errorf("definition %d goal %d: %w", d.ID, gi, err)
	}
	if days > 0 {
		due, err := cal.AddBusinessDays(t.StartedAt, days)
		if err != nil {
			return err
		}
		dur = cal.Elapsed(t.StartedAt, due)
		if dur <= 0 {
			dur = time.Second
		}
	}
	t.Goal, t.CalendarID, t.Target = gi, goalCalendar(g), dur
	t.TargetSeconds = int64(dur / time.Second)
	orig, err := cal.Due(t.StartedAt, dur)
	if err != nil {
		return err
	}
	t.OriginalDueAt = &orig
	return nil
}

// Evaluate derives elapsed and remaining business time, the due and
// breach instants, the state and the next escalation instant, as of now
// (an open timer) or as of its stop.
func (t *Timer) Evaluate(cals Calendars, now time.Time) error {
	cal, err := cals(t.CalendarID)
	if err != nil {
		return err
	}
	now = now.UTC()
	if t.StoppedAt != nil {
		now = *t.StoppedAt
	}
	t.Running = t.StoppedAt == nil && t.running()
	var (
		acc, accBeforeLast time.Duration
		due, breach        *time.Time
		lastFrom, lastEnd  time.Time
		breachPossible     = t.State != Cancelled
	)
	for _, seg := range t.Segments {
		end := now
		if seg.To != nil {
			end = *seg.To
		}
		if end.Before(seg.From) {
			end = seg.From
		}
		lastFrom, lastEnd, accBeforeLast = seg.From, end, acc
		el := cal.Elapsed(seg.From, end)
		if due == nil && acc+el >= t.Target {
			d, err := cal.Due(seg.From, t.Target-acc)
			if err != nil {
				return err
			}
			due = &d
		}
		if due != nil && breach == nil && breachPossible {
			from := seg.From
			if due.After(from) {
				from = *due
			}
			// A target used up is late from that instant, even when it
			// ran out as a window closed: a stretch that went on past it
			// (or the running one, at it) is breached there, or where it
			// resumed after a pause that began as the target ran out.
			if from.Before(end) || (seg.To == nil && !from.After(end)) {
				b := from
				breach = &b
			}
		}
		acc += el
	}
	t.Elapsed = acc
	t.ElapsedSeconds = int64(acc / time.Second)
	rem := t.Target - acc
	if rem < 0 {
		rem = 0
	}
	t.RemainingSeconds = int64(rem / time.Second)
	if due == nil {
		// Not reached yet: while the clock runs (or ran until it stopped),
		// project from the last segment's start; while paused, from now
		// (or the stop), as if the clock resumed then.
		from, left := now, rem
		if len(t.Segments) > 0 && lastEnd.Equal(now) {
			from, left = lastFrom, t.Target-accBeforeLast
		}
		d, err := cal.Due(from, left)
		if err != nil && t.Running {
			return err
		}
		if err == nil {
			due = &d
		}
	}
	t.DueAt = due
	t.BreachedAt = breach
	switch {
	case t.State == Cancelled:
	case breach != nil:
		t.State = Breached
	case t.StoppedAt != nil:
		t.State = Met
	case t.Running:
		t.State = Running
	default:
		t.State = Paused
	}
	return nil
}

// Event is a warning or a breach an open timer has reached.
type Event struct {
	Kind    string    `json:"kind"` // sla.warning or sla.breach
	Percent int       `json:"percent"`
	At      time.Time `json:"at"` // the exact instant it was reached
}

// reach is the instant at which the running clock counts amount of
// business time, projected into the open segment; nil when not reached
// and the clock is not running.
func (t *Timer) reach(cal *calendar.Calendar, amount time.Duration, now time.Time) *time.Time {
	var acc time.Duration
	for _, seg := range t.Segments {
		end := now
		if seg.To != nil {
			end = *seg.To
		}
		if end.Before(seg.From) {
			end = seg.From
		}
		el := cal.Elapsed(seg.From, end)
		if acc+el >= amount || seg.To == nil {
			d, err := cal.Due(seg.From, amount-acc)
			if err != nil {
				return nil
			}
			return &d
		}
		acc += el
	}
	return nil
}

// pending lists the warnings and the breach reached by now and not yet
// raised, and the next future instant at which one will be reached.
func (t *Timer) pending(cal *calendar.Calendar, warnings []int, now time.Time) ([]Event, *time.Time) {
	if t.State == Cancelled || t.Warned >= 100 {
		return nil, nil
	}
	if t.StoppedAt != nil {
		// A breach reached before the clock stopped is raised even when
		// no sweep ran in between (the worker was down, say).
		if t.BreachedAt != nil {
			return []Event{{Kind: "sla.breach", Percent: 100, At: *t.BreachedAt}}, nil
		}
		return nil, nil
	}
	var evs []Event
	var next *time.Time
	for _, p := range warnings {
		if p <= t.Warned {
			continue
		}
		w := t.reach(cal, t.Target*time.Duration(p)/100, now)
		if w == nil {
			break
		}
		if !w.After(now) {
			evs = append(evs, Event{Kind: "sla.warning", Percent: p, At: *w})
			continue
		}
		if t.Running {
			next = w
		}
		break
	}
	if t.BreachedAt != nil && !t.BreachedAt.After(now) {
		evs = append(evs, Event{Kind: "sla.breach", Percent: 100, At: *t.BreachedAt})
		return evs, nil
	}
	if next == nil && t.Running {
		next = t.nextEvent(cal)
	}
	return evs, next
}

// nextEvent is the projected breach instant of a running clock: the
// instant its target is used up, late from then on.
func (t *Timer) nextEvent(*calendar.Calendar) *time.Time {
	if t.DueAt == nil {
		return nil
	}
	d := *t.DueAt
	return &d
}

// Schedule evaluates the timer as of now and sets NextEventAt: now when
// something is already due to be raised, else the next warning or breach.
func (t *Timer) Schedule(cals Calendars, warnings []int, now time.Time) error {
	if err := t.Evaluate(cals, now); err != nil {
		return err
	}
	cal, err := cals(t.CalendarID)
	if err != nil {
		return err
	}
	t.unwarn(cal, warnings, now)
	evs, next := t.pending(cal, warnings, now)
	if len(evs) > 0 {
		n := now.UTC()
		next = &n
	}
	t.NextEventAt = next
	return nil
}

// unwarn lowers Warned to what the timer has still reached, after a goal
// switch or a calendar change moved its target: a breach or warning that
// no longer holds may then be raised again when it happens anew.
func (t *Timer) unwarn(cal *calendar.Calendar, warnings []int, now time.Time) {
	if t.Warned == 0 {
		return
	}
	if t.Warned >= 100 && t.BreachedAt != nil {
		return
	}
	reached := 0
	for _, p := range warnings {
		if p > t.Warned {
			break
		}
		if w := t.reach(cal, t.Target*time.Duration(p)/100, now); w != nil && !w.After(now) {
			reached = p
		}
	}
	t.Warned = reached
}

// Escalate returns the warnings and the breach an open timer has reached
// by now and not yet raised, marks them raised, and sets NextEventAt to
// the next instant that needs a look. warnings are percentages, ascending.
func (t *Timer) Escalate(cals Calendars, warnings []int, now time.Time) ([]Event, error) {
	if err := t.Evaluate(cals, now); err != nil {
		return nil, err
	}
	cal, err := cals(t.CalendarID)
	if err != nil {
		return nil, err
	}
	evs, next := t.pending(cal, warnings, now)
	for _, e := range evs {
		t.Warned = e.Percent
	}
	// Thresholds are raised as each is crossed. When several were crossed
	// since the last look (the node was down, or a change moved the
	// target), only the furthest is raised: a late ticket gets one breach
	// note, not a 50, 75 and 90% note written in the same second.
	if len(evs) > 1 {
		evs = evs[len(evs)-1:]
	}
	t.NextEventAt = next
	if t.Warned >= 100 {
		t.NextEventAt = nil
	}
	return evs, nil
}
