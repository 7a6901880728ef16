package event

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"steward/internal/jobs"
	"steward/internal/store"
)

// offlineBatch bounds the devices one run looks at.
const offlineBatch = 5000

// detectOffline marks devices silent for longer than their type's
// expected interval offline, and raises an alert for each (check
// "heartbeat", source "steward") through the inbox, so the processor
// treats it like any other; it resolves when the device reports again.
// Devices of a type with no interval become unknown once silent for the
// unknown_after setting: missing data is never taken as recovery.
func (s *Service) detectOffline(ctx context.Context, _ jobs.Job) error {
	_, err := s.DetectOffline(ctx, time.Now())
	return err
}

// DetectOffline is the offline check as of now; it returns how many
// devices went offline.
func (s *Service) DetectOffline(ctx context.Context, now time.Time) (int, error) {
	st, err := s.Settings(ctx)
	if err != nil {
		return 0, err
	}
	shortest := shortestInterval(st)
	lag := seenLag(st)
	// Silence is judged as of the processor's progress: device_status
	// knows nothing of the reports still waiting in the inbox, so with a
	// backlog "now" is when its first event was received.
	var cursor int64
	if err := s.DB.QueryRow(ctx, `SELECT last_event_id FROM event_cursor WHERE id = 1`).Scan(&cursor); err != nil {
		return 0, store.ScanErr(err)
	}
	asOf := now
	var waiting store.Time
	err = s.DB.QueryRow(ctx, `SELECT received_at FROM events WHERE id > ? ORDER BY id LIMIT 1`, cursor).Scan(&waiting)
	switch err = store.Translate(err); {
	case err == nil:
		if waiting.Before(now) {
			asOf = waiting.Time
		}
	case !errors.Is(err, store.ErrNotFound):
		return 0, err
	}
	rows, err := s.DB.Query(ctx, `SELECT d.ci_id, d.last_seen_at, d.integration_id, t.name, c.name FROM device_status d
		JOIN cis c ON c.id = d.ci_id JOIN ci_types t ON t.id = c.type_id
		WHERE d.state = 'online' AND d.last_seen_at < ? ORDER BY d.last_seen_at LIMIT `+itoa(offlineBatch),
		store.TS(asOf.Add(-shortest-lag)))
	if err != nil {
		return 0, err
	}
	var list []silentDevice
	for rows.Next() {
		var d silentDevice
		if err := rows.Scan(&d.ci, &d.seen, &d.integ, &d.typ, &d.name); err != nil {
			rows.Close()
			return 0, err
		}
		if secs, ok := lookupInterval(st.OfflineAfter, d.typ); ok {
			d.interval, d.hasInterval = time.Duration(secs)*time.Second, true
		} else {
			d.interval = st.UnknownAfter.D()
		}
		if asOf.Sub(d.seen.Time) > d.interval+lag {
			list = append(list, d)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	all := list
	// A device's state and its alert's event are written together: a
	// device is never left offline without the alert that says so.
	for len(list) > 0 {
		n := min(len(list), offlineTx)
		if err := s.markOffline(ctx, list[:n], now); err != nil {
			return 0, err
		}
		list = list[n:]
	}
	offline := 0
	for _, d := range all {
		if d.hasInterval {
			offline++
		}
	}
	return offline, nil
}

// offlineTx bounds the devices marked offline in one transaction.
const offlineTx = 500

type silentDevice struct {
	ci          int64
	seen        store.Time
	integ       *int64
	typ, name   string
	interval    time.Duration
	hasInterval bool
}

// insertOffline stores offline alerts' events in the inbox (a variable so
// that tests can make it fail).
var insertOffline = insertEvents

// markOffline marks silent devices offline or unknown and stores the
// event raising each offline device's alert, in one transaction. The
// event's message id (the CI and the last seen time) keeps a retry from
// raising a second alert; its last_seen label lets the processor drop it
// should the device have reported before it is processed.
func (s *Service) markOffline(ctx context.Context, list []silentDevice, now time.Time) error {
	stored := 0
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		stored = 0
		if tx.Dialect() == store.Postgres {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock_shared(?)`, pgInboxLock); err != nil {
				return err
			}
		}
		var events []Event
		for _, d := range list {
			state := "unknown"
			if d.hasInterval {
				state = "offline"
			}
			res, err := tx.Exec(ctx, `UPDATE device_status SET state = ?, changed_at = ? WHERE ci_id = ? AND state = 'online' AND last_seen_at = ?`,
				state, store.TS(now), d.ci, store.TS(d.seen.Time))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 || !d.hasInterval || d.integ == nil {
				continue
			}
			seen := store.TS(d.seen.Time)
			in := Input{Source: stewardSource, CI: ciDevice(d.ci), Check: heartbeatCheck, Severity: Major,
				Summary:   fmt.Sprintf("%s has not reported for more than %s", d.name, d.interval),
				MessageID: "offline:" + strconv.FormatInt(d.ci, 10) + ":" + seen, Labels: map[string]string{lastSeenLabel: seen}}
			e, err := Normalize(*d.integ, in, now)
			if err != nil {
				return err
			}
			events = append(events, e)
		}
		for len(events) > 0 {
			n := min(len(events), ingestRows)
			k, err := insertOffline(ctx, tx, events[:n])
			if err != nil {
				return err
			}
			stored += k
			events = events[n:]
		}
		return nil
	})
	if err == nil && stored > 0 {
		poke(s.wake)
	}
	return err
}

// seenLag is how far a device's last seen time in device_status may lag
// behind its last report: the processor writes it again only once it has
// moved by this much (or the device's state or integration changed), so a
// fleet's heartbeats cost a write per device every so often, not one per
// report. Offline detection allows for it: a device is offline once
// silent for its interval plus this lag, a quarter of the shortest
// interval at most.
func seenLag(st Settings) time.Duration {
	return min(max(shortestInterval(st)/4, time.Second), 30*time.Second).Truncate(time.Second)
}

func shortestInterval(st Settings) time.Duration {
	shortest := st.UnknownAfter.D()
	for _, secs := range st.OfflineAfter {
		shortest = min(shortest, time.Duration(secs)*time.Second)
	}
	return shortest
}

func lookupInterval(m map[string]int, typ string) (int, bool) {
	if v, ok := m[typ]; ok {
		return v, true
	}
	for k, v := range m {
		if equalFold(k, typ) {
			return v, true
		}
	}
	return 0, false
}
