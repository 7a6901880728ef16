package sla

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"steward/internal/activity"
	"steward/internal/auth"
	"steward/internal/jobs"
	"steward/internal/notify"
	"steward/internal/store"
	"steward/internal/ticket"
)

// Escalate is the EscalateJob handler: it raises every warning and breach
// that is due, each in its own transaction (journal entry, notification,
// activity entry), then schedules itself for the next instant any timer
// needs. Several nodes may run workers: the job is claimed by one at a time.
func (s *Service) Escalate(ctx context.Context, _ jobs.Job) error {
	now := s.now()
	for round := 0; round < 100; round++ {
		ids, err := dueTimers(ctx, s.DB, now, 200)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := s.DB.InTx(ctx, func(tx *store.Tx) error { return s.escalateOne(ctx, tx, id, now) }); err != nil {
				// One bad timer must not hold up the others: it is looked
				// at again in a minute.
				s.Log.Error("sla: escalating a timer", "timer", id, "err", err)
				if _, err := s.DB.Exec(ctx, `UPDATE sla_timers SET next_event_at = ? WHERE id = ?`,
					store.TS(now.Add(time.Minute)), id); err != nil {
					return fmt.Errorf("sla timer %d: %w", id, err)
				}
			}
		}
		if len(ids) < 200 {
			break
		}
	}
	return s.scheduleSweep(ctx)
}

// scheduleSweep makes sure a sweep is pending no later than the earliest
// next event. It only ever lowers a pending sweep's time: a change that
// committed an earlier one meanwhile keeps it; an early run is harmless.
func (s *Service) scheduleSweep(ctx context.Context) error {
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		var next store.Time
		if err := tx.QueryRow(ctx, `SELECT min(next_event_at) FROM sla_timers WHERE next_event_at IS NOT NULL`).
			Scan(&next); err != nil {
			return err
		}
		if next.IsZero() {
			return nil
		}
		return jobs.EnqueueEarliest(ctx, tx, EscalateJob, escalateKey, next.Time)
	})
}

func dueTimers(ctx context.Context, q store.Querier, now time.Time, n int) ([]int64, error) {
	rows, err := q.Query(ctx, `SELECT id FROM sla_timers WHERE next_event_at IS NOT NULL AND next_event_at <= ?
		ORDER BY next_event_at LIMIT ?`, store.TS(now), n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func (s *Service) escalateOne(ctx context.Context, tx *store.Tx, id int64, now time.Time) error {
	t, err := scanTimer(tx.QueryRow(ctx, `SELECT `+timerColumns+` FROM sla_timers WHERE id = ?`+forUpdate(tx), id))
	if err != nil {
		return store.ScanErr(err)
	}
	if t.NextEventAt == nil || t.NextEventAt.After(now) {
		return nil // another run got here first
	}
	defs, err := s.definitions(ctx, tx)
	if err != nil {
		return err
	}
	var warnings []int
	if d := defs.byID[t.DefinitionID]; d != nil {
		warnings = d.Warnings
	}
	var evs []Event
	if t.State != Cancelled {
		evs, err = t.Escalate(s.calendars(ctx, tx), warnings, now)
		if err != nil {
			return err
		}
	} else {
		t.NextEventAt = nil
	}
	if t.NextEventAt != nil && !t.NextEventAt.After(now) {
		later := now.Add(time.Second) // never spin on one instant
		t.NextEventAt = &later
	}
	if err := saveTimer(ctx, tx, t, now); err != nil {
		return err
	}
	for _, ev := range evs {
		if err := s.raise(ctx, tx, t, defs.byID[t.DefinitionID], ev, now); err != nil {
			return err
		}
	}
	return nil
}

// raise records one warning or breach where people and integrations see it.
func (s *Service) raise(ctx context.Context, tx *store.Tx, t *Timer, d *Definition, ev Event, now time.Time) error {
	tt, ok := ticketTables(t.TicketKind)
	if !ok {
		return fmt.Errorf("unknown ticket kind %q", t.TicketKind)
	}
	var (
		title           string
		group, assignee *int64
	)
	err := tx.QueryRow(ctx, `SELECT title, group_id, assignee_id FROM `+tt.table+` WHERE id = ?`, t.TicketID).
		Scan(&title, &group, &assignee)
	if err != nil {
		return store.ScanErr(err)
	}
	ref := ticketRef(t.TicketKind, t.TicketID)
	name := metricLabel(t.Metric)
	if d != nil {
		name = d.Name
	}
	var loc *time.Location
	if cal, err := s.calendars(ctx, tx)(t.CalendarID); err == nil {
		loc = cal.Location()
	}
	summary := eventSentence(ev, t, name, loc, now)
	if _, err := tx.Exec(ctx, `INSERT INTO `+tt.journal+` (`+tt.fk+`, kind, author_id, author_name, body, changes, created_at)
		VALUES (?, 'work_note', NULL, 'SLA', ?, '[]', ?)`, t.TicketID, summary, store.TS(now)); err != nil {
		return err
	}
	data, _ := json.Marshal(map[string]any{
		"timer_id": t.ID, "definition_id": t.DefinitionID, "agreement_id": t.AgreementID, "metric": t.Metric,
		"cycle": t.Cycle, "percent": ev.Percent, "reached_at": ev.At, "due_at": t.DueAt,
		"target_seconds": t.TargetSeconds, "priority": t.Priority,
	})
	if err := activity.Record(ctx, tx, activity.Entry{At: now, Kind: ev.Kind, Entity: string(t.TicketKind),
		EntityID: t.TicketID, Ref: ref, Summary: summary, Data: data}); err != nil {
		return err
	}
	recipients, err := s.recipients(ctx, tx, group, assignee)
	if err != nil {
		return err
	}
	heading := fmt.Sprintf("%s: %s of the %s target used", ref, percentWords(ev.Percent, false), strings.ToLower(metricLabel(t.Metric)))
	if ev.Kind == "sla.breach" {
		heading = fmt.Sprintf("%s is overdue", ref)
	}
	// Each person reads the instants in their own time zone when they
	// chose one; the journal and the feed keep the calendar's.
	zones, err := auth.TimeZonesOf(ctx, tx, recipients)
	if err != nil {
		return err
	}
	byText := map[string][]int64{}
	var order []string
	for _, id := range recipients {
		text := summary
		if zone, ok := zones[id]; ok {
			text = eventSentence(ev, t, name, auth.Preferences{TimeZone: zone}.Location(), now)
		}
		if _, ok := byText[text]; !ok {
			order = append(order, text)
		}
		byText[text] = append(byText[text], id)
	}
	for _, text := range order {
		if err := notify.Add(ctx, tx, byText[text], ev.Kind, heading, title+" — "+text, tt.path+ref); err != nil {
			return err
		}
	}
	return nil
}

// eventSentence says what a warning or a breach means, as a person would
// write it: "Half of the 8-hour resolution target (Desk P3) is used; due
// Mon 7 Dec 09:00 CET." Instants are in the calendar's zone (UTC when it
// cannot be read).
func eventSentence(ev Event, t *Timer, name string, loc *time.Location, now time.Time) string {
	if loc == nil {
		loc = time.UTC
	}
	target := targetWords(time.Duration(t.TargetSeconds) * time.Second)
	metric := strings.ToLower(metricLabel(t.Metric))
	what := fmt.Sprintf("the %s %s target", target, metric)
	if name != "" && !strings.EqualFold(name, metric) {
		what += " (" + name + ")"
	}
	if ev.Kind == "sla.breach" {
		return fmt.Sprintf("%s was used up at %s; the ticket is overdue.", upperFirst(what), humanInstant(ev.At, loc, now))
	}
	due := ""
	if t.DueAt != nil {
		due = "; due " + humanInstant(*t.DueAt, loc, now)
	}
	return fmt.Sprintf("%s of %s is used%s.", percentWords(ev.Percent, true), what, due)
}

// percentWords names a share of a target: "Half", "three quarters", "90%".
func percentWords(p int, start bool) string {
	w := map[int]string{25: "a quarter", 50: "half", 75: "three quarters"}[p]
	if w == "" {
		return fmt.Sprintf("%d%%", p)
	}
	if start {
		return upperFirst(w)
	}
	return w
}

// targetWords reads a target as an adjective: "8-hour", "30-minute",
// "4 h 30 min".
func targetWords(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d-hour", d/time.Hour)
	case d < time.Hour && d%time.Minute == 0:
		return fmt.Sprintf("%d-minute", d/time.Minute)
	case d%time.Minute == 0:
		return fmt.Sprintf("%d h %d min", d/time.Hour, (d%time.Hour)/time.Minute)
	}
	return fmt.Sprintf("%d-second", d/time.Second)
}

// humanInstant is "Mon 7 Dec 09:00 CET" in loc, with the year when it is
// not the year of now.
func humanInstant(at time.Time, loc *time.Location, now time.Time) string {
	at = at.In(loc)
	if at.Year() != now.In(loc).Year() {
		return at.Format("Mon 2 Jan 2006 15:04 MST")
	}
	return at.Format("Mon 2 Jan 15:04 MST")
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// recipients are the assignee, or the group's members when nobody is assigned.
func (s *Service) recipients(ctx context.Context, tx *store.Tx, group, assignee *int64) ([]int64, error) {
	if assignee != nil {
		return []int64{*assignee}, nil
	}
	if group == nil {
		return nil, nil
	}
	return auth.GroupMemberIDs(ctx, tx, *group)
}

var _ ticket.Observer = (*Service)(nil)
