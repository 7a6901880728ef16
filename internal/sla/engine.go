package sla

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"steward/internal/calendar"
	"steward/internal/jobs"
	"steward/internal/store"
	"steward/internal/ticket"
)

// EscalateJob is the job kind that raises warnings and breaches. One such
// job is pending at a time, due at the earliest instant any timer needs a
// look; it reschedules itself after each run.
const EscalateJob = "sla.escalate"

const escalateKey = "sweep"

// defCache holds the definitions per kind, keyed by a fingerprint of the
// table read on every use, so every node sees a change at once.
type defCache struct {
	fingerprint string
	byKind      map[ticket.Kind][]*Definition
	byID        map[int64]*Definition
}

func (s *Service) definitions(ctx context.Context, q store.Querier) (*defCache, error) {
	var (
		n, versions, maxID int64
		last               store.Time
	)
	var agrN, agrVersions int64
	var agrLast store.Time
	// One round trip: definitions and agreements (deactivating one, or
	// moving an SLA to another customer, changes what is measured).
	var defaultAgr string
	err := q.QueryRow(ctx, `SELECT d.n, d.v, d.m, d.u, a.n, a.v, a.u,
		coalesce((SELECT value FROM settings WHERE key = ?), '') FROM
		(SELECT count(*) AS n, coalesce(sum(version), 0) AS v, coalesce(max(id), 0) AS m, max(updated_at) AS u FROM sla_definitions) d,
		(SELECT count(*) AS n, coalesce(sum(version), 0) AS v, max(updated_at) AS u FROM agreements) a`, defaultAgreementKey).
		Scan(&n, &versions, &maxID, &last, &agrN, &agrVersions, &agrLast, &defaultAgr)
	if err != nil {
		return nil, err
	}
	fp := fmt.Sprint(n, versions, maxID, last.Time, agrN, agrVersions, agrLast.Time, defaultAgr)
	defaultID, _ := strconv.ParseInt(defaultAgr, 10, 64)
	s.mu.Lock()
	c := s.defs
	s.mu.Unlock()
	if c != nil && c.fingerprint == fp {
		return c, nil
	}
	cols := strings.ReplaceAll("d."+definitionCols, ", ", ", d.")
	rows, err := q.Query(ctx, "SELECT "+cols+", a.active, a.kind, a.customer_id, a.group_id"+
		" FROM sla_definitions d JOIN agreements a ON a.id = d.agreement_id ORDER BY d.id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	c = &defCache{fingerprint: fp, byKind: map[ticket.Kind][]*Definition{}, byID: map[int64]*Definition{}}
	for rows.Next() {
		var (
			agrActive       bool
			agrKind         AgreementKind
			customer, group *int64
		)
		dv, err := scanDefinition(scanWith{rows, []any{&agrActive, &agrKind, &customer, &group}})
		if err != nil {
			return nil, err
		}
		d := &dv
		d.Active = d.Active && agrActive
		// An SLA measures only its customer's tickets, an OLA only its
		// group's, whatever else the definition filters on.
		scope := AgreementScope(agrKind, customer, group)
		if d.AgreementID == defaultID && agrKind == SLA && len(scope) == 1 {
			// The default agreement also measures tickets without a customer.
			scope[0].Values = append(scope[0].Values, "")
		}
		d.narrow(scope)
		c.byID[d.ID] = d
		if d.Active {
			c.byKind[d.AppliesTo] = append(c.byKind[d.AppliesTo], d)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.defs = c
	s.mu.Unlock()
	return c, nil
}

// calendars resolves calendars for one transaction, compiling each once.
func (s *Service) calendars(ctx context.Context, q store.Querier) Calendars {
	return s.calendarsWith(ctx, q, map[int64]*calendar.Calendar{})
}

func (s *Service) calendarsWith(ctx context.Context, q store.Querier, seen map[int64]*calendar.Calendar) Calendars {
	return func(id int64) (*calendar.Calendar, error) {
		if c, ok := seen[id]; ok {
			return c, nil
		}
		c, err := s.Calendar(ctx, q, id)
		if err != nil {
			return nil, fmt.Errorf("calendar %d: %w", id, err)
		}
		seen[id] = c
		return c, nil
	}
}

// TicketChanged implements ticket.Observer: every definition that measures
// the ticket brings its clock up to date, inside the writing transaction.
func (s *Service) TicketChanged(ctx context.Context, tx *store.Tx, at time.Time, before, after *ticket.Snapshot) error {
	at = at.UTC().Truncate(time.Microsecond) // as stored
	defs, err := s.definitionsIn(ctx, tx)
	if err != nil {
		return err
	}
	list := defs.byKind[after.Kind]
	var current map[int64]*Timer
	if before != nil {
		current, err = latestTimers(ctx, tx, after.Kind, after.ID)
		if err != nil {
			return err
		}
	}
	var started []*Timer // a new ticket's timers, all of them
	if before == nil {
		defer func() { tx.Keep(startedKey{after.Kind, after.ID}, started) }()
	}
	if len(list) == 0 && len(current) == 0 {
		return nil
	}
	cals := s.calendarsIn(ctx, tx)
	var next *time.Time
	var fresh []*Timer
	for _, d := range list {
		changed, err := Apply(d, current[d.ID], before, after, at, cals)
		if errors.Is(err, calendar.ErrNoWorkingTime) {
			// A calendar that can never be due must not stop the ticket
			// from being written; the clock is left as it was.
			s.Log.Warn("sla: definition skipped, its calendar has no working time", "definition", d.ID, "ticket", after.Number)
			delete(current, d.ID)
			continue
		}
		if err != nil {
			return err
		}
		for _, t := range changed {
			if t.ID == 0 {
				fresh = append(fresh, t)
			} else if err := saveTimer(ctx, tx, t, at); err != nil {
				return err
			}
			next = earliest(next, t.NextEventAt)
		}
		delete(current, d.ID)
	}
	if err := insertTimers(ctx, tx, fresh, at); err != nil {
		return err
	}
	if before == nil {
		started = fresh
	}
	// Open timers of definitions that were deactivated are cancelled.
	for _, t := range current {
		if !t.Open() {
			continue
		}
		t.stop(at)
		t.State = Cancelled
		if err := t.Evaluate(cals, at); err != nil {
			return err
		}
		t.NextEventAt = nil
		if err := saveTimer(ctx, tx, t, at); err != nil {
			return err
		}
	}
	if next != nil {
		// One upsert of the escalation job per commit, at the earliest
		// instant any of the commit's tickets needs.
		tx.Collect(EscalateJob, *next, enqueueEscalation)
	}
	return nil
}

func enqueueEscalation(ctx context.Context, tx *store.Tx, rows []any) error {
	first := rows[0].(time.Time)
	for _, r := range rows[1:] {
		if t := r.(time.Time); t.Before(first) {
			first = t
		}
	}
	return jobs.EnqueueEarliest(ctx, tx, EscalateJob, escalateKey, first)
}

// startedKey keeps, in the transaction that created a ticket, the timers
// that creation started, so the answer needs no read of them.
type startedKey struct {
	kind ticket.Kind
	id   int64
}

// defsKey and calsKey keep the definitions and compiled calendars for the
// rest of a shared transaction: its writes are tickets, never settings.
type (
	defsKey struct{}
	calsKey struct{}
)

func (s *Service) definitionsIn(ctx context.Context, tx *store.Tx) (*defCache, error) {
	if v, ok := tx.Kept(defsKey{}); ok && tx.Shared() {
		return v.(*defCache), nil
	}
	c, err := s.definitions(ctx, tx)
	if err == nil && tx.Shared() {
		tx.Keep(defsKey{}, c)
	}
	return c, err
}

func (s *Service) calendarsIn(ctx context.Context, tx *store.Tx) Calendars {
	if !tx.Shared() {
		return s.calendars(ctx, tx)
	}
	v, ok := tx.Kept(calsKey{})
	if !ok {
		v = map[int64]*calendar.Calendar{}
		tx.Keep(calsKey{}, v)
	}
	return s.calendarsWith(ctx, tx, v.(map[int64]*calendar.Calendar))
}

// AnswerTimers are a ticket's timers, every cycle, evaluated as of now, as
// the transaction that just wrote it sees them: for a new ticket, the
// timers its creation started, without reading them back.
func (s *Service) AnswerTimers(ctx context.Context, tx *store.Tx, kind ticket.Kind, id int64) ([]Timer, error) {
	v, ok := tx.Kept(startedKey{kind, id})
	if !ok {
		return s.TimersIn(ctx, tx, kind, id)
	}
	started := v.([]*Timer)
	out := make([]Timer, 0, len(started))
	cals := s.calendarsIn(ctx, tx)
	now := s.now()
	for _, t := range started {
		c := *t
		c.Segments = slices.Clone(t.Segments)
		if c.Open() {
			if err := c.Evaluate(cals, now); err != nil {
				return nil, err
			}
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Timer) int {
		return cmp.Or(cmp.Compare(a.DefinitionID, b.DefinitionID), cmp.Compare(a.Cycle, b.Cycle))
	})
	return out, nil
}

func earliest(a, b *time.Time) *time.Time {
	if b == nil || (a != nil && !b.Before(*a)) {
		return a
	}
	return b
}

const timerColumns = `id, ticket_kind, ticket_id, definition_id, agreement_id, metric, cycle, goal,
	calendar_id, priority, target_seconds, state, running, elapsed_seconds, started_at, stopped_at,
	due_at, original_due_at, breached_at, segments, warned, next_event_at, updated_at`

func scanTimer(sc interface{ Scan(...any) error }) (*Timer, error) {
	t := &Timer{}
	var (
		started, updated, stopped, due, orig, breached, next store.Time
		segments                                             string
	)
	err := sc.Scan(&t.ID, &t.TicketKind, &t.TicketID, &t.DefinitionID, &t.AgreementID, &t.Metric, &t.Cycle,
		&t.Goal, &t.CalendarID, &t.Priority, &t.TargetSeconds, &t.State, &t.Running, &t.ElapsedSeconds,
		&started, &stopped, &due, &orig, &breached, &segments, &t.Warned, &next, &updated)
	if err != nil {
		return nil, err
	}
	t.Target = time.Duration(t.TargetSeconds) * time.Second
	t.Elapsed = time.Duration(t.ElapsedSeconds) * time.Second
	t.StartedAt, t.UpdatedAt = started.Time, updated.Time
	t.StoppedAt, t.DueAt, t.OriginalDueAt, t.BreachedAt, t.NextEventAt = stopped.Ptr(), due.Ptr(), orig.Ptr(), breached.Ptr(), next.Ptr()
	if err := json.Unmarshal([]byte(segments), &t.Segments); err != nil {
		return nil, fmt.Errorf("sla timer %d: segments: %w", t.ID, err)
	}
	return t, nil
}

// latestTimers are the ticket's most recent cycle per definition.
func latestTimers(ctx context.Context, q store.Querier, kind ticket.Kind, id int64) (map[int64]*Timer, error) {
	ts, err := ticketTimers(ctx, q, kind, id)
	if err != nil {
		return nil, err
	}
	m := map[int64]*Timer{}
	for _, t := range ts {
		if c, ok := m[t.DefinitionID]; !ok || t.Cycle > c.Cycle {
			m[t.DefinitionID] = t
		}
	}
	return m, nil
}

func ticketTimers(ctx context.Context, q store.Querier, kind ticket.Kind, id int64) ([]*Timer, error) {
	rows, err := q.Query(ctx, `SELECT `+timerColumns+` FROM sla_timers
		WHERE ticket_kind = ? AND ticket_id = ? ORDER BY definition_id, cycle`+forUpdate(q), string(kind), id)
	if err != nil {
		return nil, err
	}
	return scanTimers(rows)
}

// scanTimers reads every timer of rows and closes them.
func scanTimers(rows *store.Rows) ([]*Timer, error) {
	defer rows.Close()
	var out []*Timer
	for rows.Next() {
		t, err := scanTimer(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// evaluateOpen brings the open timers up to now, reading their calendars
// through q. On the pool, call it with no result set of it open: each
// calendar read takes a connection of its own.
func (s *Service) evaluateOpen(ctx context.Context, q store.Querier, ts []*Timer) error {
	cals := s.calendars(ctx, q)
	now := s.now()
	for _, t := range ts {
		if t.Open() {
			if err := t.Evaluate(cals, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// decidedAt is when a timer's outcome was settled, for the report.
func decidedAt(t *Timer) *time.Time {
	switch {
	case t.State == Breached:
		return t.BreachedAt
	case t.State == Met:
		return t.StoppedAt
	}
	return nil
}

func saveTimer(ctx context.Context, tx *store.Tx, t *Timer, now time.Time) error {
	args, err := timerArgs(t, now)
	if err != nil {
		return err
	}
	if t.ID == 0 {
		return tx.QueryRow(ctx, `INSERT INTO sla_timers (`+insertTimerCols+`) VALUES (`+timerMarks+`) RETURNING id`, args...).Scan(&t.ID)
	}
	_, err = tx.Exec(ctx, `UPDATE sla_timers SET ticket_kind = ?, ticket_id = ?, definition_id = ?, agreement_id = ?,
		metric = ?, cycle = ?, goal = ?, calendar_id = ?, priority = ?, target_seconds = ?, state = ?, running = ?,
		elapsed_seconds = ?, started_at = ?, stopped_at = ?, due_at = ?, original_due_at = ?, breached_at = ?,
		decided_at = ?, segments = ?, warned = ?, next_event_at = ?, updated_at = ? WHERE id = ?`, append(args, t.ID)...)
	return err
}

const insertTimerCols = `ticket_kind, ticket_id, definition_id, agreement_id, metric,
	cycle, goal, calendar_id, priority, target_seconds, state, running, elapsed_seconds, started_at,
	stopped_at, due_at, original_due_at, breached_at, decided_at, segments, warned, next_event_at, updated_at`

const timerMarks = "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"

// insertTimers writes new timers of one ticket as one statement, setting
// their ids. Each ticket has at most one timer per definition and cycle,
// which matches the returned ids to the timers whatever order the rows come
// back in.
func insertTimers(ctx context.Context, tx *store.Tx, ts []*Timer, now time.Time) error {
	if len(ts) <= 1 {
		for _, t := range ts {
			if err := saveTimer(ctx, tx, t, now); err != nil {
				return err
			}
		}
		return nil
	}
	args := make([]any, 0, 23*len(ts))
	for _, t := range ts {
		a, err := timerArgs(t, now)
		if err != nil {
			return err
		}
		args = append(args, a...)
	}
	q := `INSERT INTO sla_timers (` + insertTimerCols + `) VALUES ` +
		strings.TrimSuffix(strings.Repeat("("+timerMarks+"), ", len(ts)), ", ") + ` RETURNING id, definition_id, cycle`
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, def int64
		var cycle int
		if err := rows.Scan(&id, &def, &cycle); err != nil {
			return err
		}
		for _, t := range ts {
			if t.DefinitionID == def && t.Cycle == cycle {
				t.ID = id
			}
		}
	}
	return rows.Err()
}

// timerArgs are t's columns in insertTimerCols order.
func timerArgs(t *Timer, now time.Time) ([]any, error) {
	segs, err := json.Marshal(t.Segments)
	if err != nil {
		return nil, err
	}
	t.UpdatedAt = now.UTC()
	return []any{string(t.TicketKind), t.TicketID, t.DefinitionID, t.AgreementID, string(t.Metric), t.Cycle, t.Goal,
		t.CalendarID, t.Priority, t.TargetSeconds, string(t.State), t.Running, t.ElapsedSeconds, store.TS(t.StartedAt),
		store.OptTS(t.StoppedAt), store.OptTS(t.DueAt), store.OptTS(t.OriginalDueAt), store.OptTS(t.BreachedAt), store.OptTS(decidedAt(t)),
		string(segs), t.Warned, store.OptTS(t.NextEventAt), store.TS(t.UpdatedAt)}, nil
}

// derived is what a recompute may change, as one comparable value.
func derived(t *Timer) string {
	ts := func(p *time.Time) string {
		if p == nil {
			return "-"
		}
		return store.TS(*p)
	}
	segs, _ := json.Marshal(t.Segments)
	elapsed := t.ElapsedSeconds
	if t.StoppedAt == nil {
		elapsed = 0 // an open timer's elapsed time is evaluated when read
	}
	return fmt.Sprint(t.Goal, t.CalendarID, t.TargetSeconds, t.State, t.Running, elapsed, ts(t.StoppedAt),
		ts(t.DueAt), ts(t.OriginalDueAt), ts(t.BreachedAt), t.Warned, ts(t.NextEventAt), string(segs))
}

// saveDerived writes back what a recompute changes, leaving the columns
// that identify the timer (and their indexes) alone.
func saveDerived(ctx context.Context, tx *store.Tx, t *Timer, now time.Time) error {
	segs, err := json.Marshal(t.Segments)
	if err != nil {
		return err
	}
	t.UpdatedAt = now.UTC()
	_, err = tx.Exec(ctx, `UPDATE sla_timers SET goal = ?, calendar_id = ?, target_seconds = ?, state = ?, running = ?,
		elapsed_seconds = ?, stopped_at = ?, due_at = ?, original_due_at = ?, breached_at = ?, decided_at = ?, segments = ?,
		warned = ?, next_event_at = ?, updated_at = ? WHERE id = ?`,
		t.Goal, t.CalendarID, t.TargetSeconds, string(t.State), t.Running, t.ElapsedSeconds, store.OptTS(t.StoppedAt),
		store.OptTS(t.DueAt), store.OptTS(t.OriginalDueAt), store.OptTS(t.BreachedAt), store.OptTS(decidedAt(t)), string(segs), t.Warned,
		store.OptTS(t.NextEventAt), store.TS(t.UpdatedAt), t.ID)
	return err
}

// Timers lists a ticket's timers, every cycle, evaluated as of now.
func (s *Service) Timers(ctx context.Context, kind ticket.Kind, id int64) ([]Timer, error) {
	return s.TimersIn(ctx, s.DB, kind, id)
}

// TimersIn is Timers read through q, e.g. the transaction that just wrote
// the ticket.
func (s *Service) TimersIn(ctx context.Context, q store.Querier, kind ticket.Kind, id int64) ([]Timer, error) {
	ts, err := ticketTimers(ctx, q, kind, id)
	if err != nil {
		return nil, err
	}
	if err := s.evaluateOpen(ctx, q, ts); err != nil {
		return nil, err
	}
	out := make([]Timer, 0, len(ts))
	for _, t := range ts {
		out = append(out, *t)
	}
	return out, nil
}

// TimersFor lists the timers of many tickets at once, evaluated as of now,
// keyed by ticket id: for list pages.
func (s *Service) TimersFor(ctx context.Context, kind ticket.Kind, ids []int64) (map[int64][]Timer, error) {
	out := map[int64][]Timer{}
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{string(kind)}
	marks := make([]string, len(ids))
	for i, id := range ids {
		marks[i] = "?"
		args = append(args, id)
	}
	rows, err := s.DB.Query(ctx, `SELECT `+timerColumns+` FROM sla_timers WHERE ticket_kind = ? AND ticket_id IN (`+
		strings.Join(marks, ", ")+`) ORDER BY ticket_id, definition_id, cycle`, args...)
	if err != nil {
		return nil, err
	}
	timers, err := scanTimers(rows)
	if err != nil {
		return nil, err
	}
	// Evaluated once the rows are closed (see evaluateOpen).
	if err := s.evaluateOpen(ctx, s.DB, timers); err != nil {
		return nil, err
	}
	for _, t := range timers {
		out[t.TicketID] = append(out[t.TicketID], *t)
	}
	return out, nil
}

// RecomputeCalendar brings every open timer that uses calendar id up to
// date after the calendar changed; completed timers keep their result.
// It runs inside the transaction that saved the calendar.
func (s *Service) RecomputeCalendar(ctx context.Context, tx *store.Tx, id int64) (int, error) {
	s.mu.Lock()
	delete(s.cals, id)
	s.mu.Unlock()
	return s.recompute(ctx, tx, `calendar_id = ?`, id, false)
}

// RecomputeDefinition does the same after definition id changed: each
// open timer's ticket is matched against the definition again (goal,
// filter, pause), as of now.
func (s *Service) RecomputeDefinition(ctx context.Context, tx *store.Tx, id int64) (int, error) {
	return s.recompute(ctx, tx, `definition_id = ?`, id, true)
}

func (s *Service) recompute(ctx context.Context, tx *store.Tx, where string, arg int64, rematch bool) (int, error) {
	defs, err := s.definitions(ctx, tx)
	if err != nil {
		return 0, err
	}
	rows, err := tx.Query(ctx, `SELECT `+timerColumns+` FROM sla_timers WHERE `+where+` AND stopped_at IS NULL ORDER BY id`+forUpdate(tx), arg)
	if err != nil {
		return 0, err
	}
	open, err := scanTimers(rows)
	if err != nil {
		return 0, err
	}
	cals := s.calendars(ctx, tx)
	now := s.now()
	var next *time.Time
	for _, t := range open {
		before := derived(t)
		d := defs.byID[t.DefinitionID]
		switch {
		case d == nil || !d.Active:
			t.stop(now)
			t.State = Cancelled
			if err := t.Evaluate(cals, now); err != nil {
				return 0, err
			}
			t.NextEventAt = nil
		case rematch:
			snap, err := LoadSnapshot(ctx, tx, t.TicketKind, t.TicketID)
			if err != nil {
				return 0, err
			}
			if _, err := Apply(d, t, snap, snap, now, cals); err != nil && !errors.Is(err, calendar.ErrNoWorkingTime) {
				return 0, err
			}
		default:
			// The calendar changed: a target in business days and the
			// original due instant depend on it too.
			if t.Goal >= 0 && t.Goal < len(d.Goals) {
				if err := t.setGoal(d, t.Goal, cals); err != nil && !errors.Is(err, calendar.ErrNoWorkingTime) {
					return 0, err
				}
			}
			if err := t.Schedule(cals, d.Warnings, now); err != nil && !errors.Is(err, calendar.ErrNoWorkingTime) {
				return 0, err
			}
		}
		next = earliest(next, t.NextEventAt)
		if derived(t) == before {
			continue // nothing a reader or the escalation sees has moved
		}
		if err := saveDerived(ctx, tx, t, now); err != nil {
			return 0, err
		}
	}
	if next != nil {
		if err := jobs.EnqueueEarliest(ctx, tx, EscalateJob, escalateKey, *next); err != nil {
			return 0, err
		}
	}
	return len(open), nil
}

// LoadSnapshot reads a ticket as definitions see it, the way its kind
// declares.
func LoadSnapshot(ctx context.Context, q store.Querier, kind ticket.Kind, id int64) (*ticket.Snapshot, error) {
	mk, ok := ticket.Measured(kind)
	if !ok {
		return nil, fmt.Errorf("unknown ticket kind %q", kind)
	}
	return mk.Load(ctx, q, id)
}

// ticketTables is what a kind declares about its tables and pages.
func ticketTables(kind ticket.Kind) (tables struct{ table, journal, fk, prefix, path string }, ok bool) {
	mk, ok := ticket.Measured(kind)
	if !ok {
		return tables, false
	}
	tables.table, tables.journal, tables.fk, tables.prefix, tables.path = mk.Table, mk.Journal, mk.JournalFK, mk.Prefix, mk.Path
	return tables, true
}

// tablesOf is ticketTables for a kind known to be declared.
func tablesOf(kind ticket.Kind) struct{ table, journal, fk, prefix, path string } {
	t, _ := ticketTables(kind)
	return t
}

func ticketRef(kind ticket.Kind, id int64) string {
	if mk, ok := ticket.Measured(kind); ok {
		return mk.Number(id)
	}
	return fmt.Sprintf("%s-%d", kind, id)
}

func metricLabel(m Metric) string {
	if m == Response {
		return "Response"
	}
	return "Resolution"
}

// TimerView is a timer with the names a page shows beside it.
type TimerView struct {
	Timer
	Definition string
	Agreement  string
	TimeZone   string // the calendar's zone, for showing the due instant
}

// Views lists a ticket's timers for a page: open cycles first, then the
// rest newest first, each with its definition, agreement and zone.
func (s *Service) Views(ctx context.Context, kind ticket.Kind, id int64) ([]TimerView, error) {
	ts, err := s.Timers(ctx, kind, id)
	if err != nil || len(ts) == 0 {
		return nil, err
	}
	defs, err := s.definitions(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	agreements := map[int64]string{}
	zones := map[int64]string{}
	out := make([]TimerView, 0, len(ts))
	for _, t := range ts {
		v := TimerView{Timer: t, Definition: metricLabel(t.Metric)}
		if d := defs.byID[t.DefinitionID]; d != nil {
			v.Definition = d.Name
		}
		// A timer outlives nothing it names (agreements and calendars in
		// use cannot be deleted), so a missing row is a fault to report.
		if _, ok := agreements[t.AgreementID]; !ok {
			var name string
			if err := s.DB.QueryRow(ctx, `SELECT name FROM agreements WHERE id = ?`, t.AgreementID).Scan(&name); err != nil {
				return nil, store.ScanErr(err)
			}
			agreements[t.AgreementID] = name
		}
		if _, ok := zones[t.CalendarID]; !ok {
			var zone string
			if err := s.DB.QueryRow(ctx, `SELECT time_zone FROM calendars WHERE id = ?`, t.CalendarID).Scan(&zone); err != nil {
				return nil, store.ScanErr(err)
			}
			zones[t.CalendarID] = zone
		}
		v.Agreement, v.TimeZone = agreements[t.AgreementID], zones[t.CalendarID]
		out = append(out, v)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Open() != b.Open() {
			return a.Open()
		}
		return a.StartedAt.After(b.StartedAt)
	})
	return out, nil
}

// forUpdate locks the rows a writing transaction reads on PostgreSQL, so
// that a concurrent escalation, recompute or ticket change waits instead of
// writing back a stale timer. SQLite has one writer and needs no lock.
func forUpdate(q store.Querier) string {
	if _, isTx := q.(*store.Tx); isTx && q.Dialect() == store.Postgres {
		return " FOR UPDATE"
	}
	return ""
}
