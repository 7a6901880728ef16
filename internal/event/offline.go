package event

import (
	"context"
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
	rows, err := s.DB.Query(ctx, `SELECT d.ci_id, d.last_seen_at, d.integration_id, t.name, c.name FROM device_status d
		JOIN cis c ON c.id = d.ci_id JOIN ci_types t ON t.id = c.type_id
		WHERE d.state = 'online' AND d.last_seen_at < ? ORDER BY d.last_seen_at LIMIT `+itoa(offlineBatch),
		store.TS(now.Add(-shortest-lag)))
	if err != nil {
		return 0, err
	}
	type silent struct {
		ci          int64
		seen        store.Time
		integ       *int64
		typ, name   string
		interval    time.Duration
		hasInterval bool
	}
	var list []silent
	for rows.Next() {
		var d silent
		if err := rows.Scan(&d.ci, &d.seen, &d.integ, &d.typ, &d.name); err != nil {
			rows.Close()
			return 0, err
		}
		if secs, ok := lookupInterval(st.OfflineAfter, d.typ); ok {
			d.interval, d.hasInterval = time.Duration(secs)*time.Second, true
		} else {
			d.interval = st.UnknownAfter.D()
		}
		if now.Sub(d.seen.Time) > d.interval+lag {
			list = append(list, d)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	var events []Event
	for _, d := range list {
		state := "unknown"
		if d.hasInterval {
			state = "offline"
		}
		res, err := s.DB.Exec(ctx, `UPDATE device_status SET state = ?, changed_at = ? WHERE ci_id = ? AND state = 'online' AND last_seen_at = ?`,
			state, store.TS(now), d.ci, store.TS(d.seen.Time))
		if err != nil {
			return 0, err
		}
		if n, _ := res.RowsAffected(); n == 0 || !d.hasInterval || d.integ == nil {
			continue
		}
		in := Input{Source: stewardSource, CI: ciDevice(d.ci), Check: heartbeatCheck, Severity: Major,
			Summary:   fmt.Sprintf("%s has not reported for more than %s", d.name, d.interval),
			MessageID: "offline:" + strconv.FormatInt(d.ci, 10) + ":" + store.TS(d.seen.Time)}
		e, err := Normalize(*d.integ, in, now)
		if err != nil {
			return 0, err
		}
		events = append(events, e)
	}
	for len(events) > 0 {
		n := min(len(events), MaxBatch)
		if _, err := s.Ingest(ctx, events[:n]); err != nil {
			return 0, err
		}
		events = events[n:]
	}
	offline := 0
	for _, d := range list {
		if d.hasInterval {
			offline++
		}
	}
	return offline, nil
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
