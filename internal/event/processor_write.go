package event

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"steward/internal/store"
)

// rowChunk is the most rows one multi-row statement writes. Statements are
// cut into chunks of 128, 64, ... 1 rows, so that few distinct SQL texts
// reach the statement cache.
const rowChunk = 128

// inChunks calls fn for consecutive ranges covering n rows.
func inChunks(n int, fn func(from, count int) error) error {
	from := 0
	for size := rowChunk; size >= 1; size /= 2 {
		for n-from >= size {
			if err := fn(from, size); err != nil {
				return err
			}
			from += size
		}
	}
	return nil
}

// rowsOf is "(?, ?), (?, ?)" for n rows of cols columns.
func rowsOf(cols, n int) string {
	row := "(" + placeholders(cols) + ")"
	return strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

func optTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return store.TS(t)
}

func optID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// write stores what the batch did: new alerts, changed alerts, their
// timelines and the unmapped devices.
func (p *processor) write(ctx context.Context, tx *store.Tx, b *batch) error {
	now := store.TS(b.at)
	var logs []any
	nlogs := 0
	for _, i := range b.order {
		a := &p.alerts[i]
		c := b.changes[i]
		var resolved any
		if !a.active() {
			resolved = store.TS(fromSecs(a.resolvedAt))
		}
		lastEvent := int64(0)
		if c.last != nil {
			lastEvent = c.last.ID
		}
		if c.isNew {
			e := &c.first
			labels := "{}"
			if len(e.Labels) > 0 {
				labels = encodeLabels(e.Labels)
			}
			err := tx.QueryRow(ctx, `INSERT INTO alerts (integration_id, dedup_key, state, severity, summary, source, device,
				check_name, resource, metric, labels, count, first_seen_at, last_seen_at, acknowledged_at, resolved_at, ci_id,
				incident_id, flapping, in_maintenance, held, transitions, first_event_id, last_event_id, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
				c.key.integration, c.key.dedup, stateNames[a.state], string(Severities[a.sev]), summaryOf(c, a), e.Source,
				e.Device, e.Check, e.Resource, e.Metric, labels, a.count, store.TS(e.OccurredAt), store.TS(fromSecs(a.lastSeen)),
				optTime(c.ackAt), resolved, optID(a.ci), optID(a.incident), a.flags&flagFlapping != 0,
				a.flags&flagMaintenance != 0, heldNames[a.held], a.transitionsJSON(), e.ID, max(lastEvent, e.ID), now).Scan(&a.id)
			if err != nil {
				return store.ScanErr(err)
			}
		} else {
			var summary any
			if c.summary != "" {
				summary = c.summary
			}
			var lastEv any
			if lastEvent != 0 {
				lastEv = lastEvent
			}
			_, err := tx.Exec(ctx, `UPDATE alerts SET state = ?, severity = ?, summary = COALESCE(?, summary), count = ?,
				last_seen_at = ?, acknowledged_at = COALESCE(?, acknowledged_at), resolved_at = ?, ci_id = ?, incident_id = ?,
				flapping = ?, in_maintenance = ?, held = ?, transitions = ?, last_event_id = COALESCE(?, last_event_id),
				updated_at = ? WHERE id = ?`,
				stateNames[a.state], string(Severities[a.sev]), summary, a.count, store.TS(fromSecs(a.lastSeen)),
				optTime(c.ackAt), resolved, optID(a.ci), optID(a.incident), a.flags&flagFlapping != 0,
				a.flags&flagMaintenance != 0, heldNames[a.held], a.transitionsJSON(), lastEv, now, a.id)
			if err != nil {
				return err
			}
		}
		for _, l := range c.logs {
			var ev any
			if l.eventID != 0 {
				ev = l.eventID
			}
			logs = append(logs, a.id, store.TS(l.at), l.what, l.detail, ev)
			nlogs++
		}
	}
	err := inChunks(nlogs, func(from, n int) error {
		_, err := tx.Exec(ctx, `INSERT INTO alert_log (alert_id, at, what, detail, event_id) VALUES `+rowsOf(5, n),
			logs[from*5:(from+n)*5]...)
		return err
	})
	if err != nil {
		return err
	}
	return p.writeUnmapped(ctx, tx, b)
}

func (p *processor) writeUnmapped(ctx context.Context, tx *store.Tx, b *batch) error {
	args := make([]any, 0, 5*len(b.unmapped))
	for ref, u := range b.unmapped {
		args = append(args, ref.integration, ref.device, store.TS(u.first), store.TS(u.last), u.events, clipText(u.summary, MaxSummary))
	}
	return inChunks(len(b.unmapped), func(from, n int) error {
		_, err := tx.Exec(ctx, `INSERT INTO unmapped_devices (integration_id, device, first_seen_at, last_seen_at, events, last_summary)
			VALUES `+rowsOf(6, n)+` ON CONFLICT (integration_id, device) DO UPDATE SET last_seen_at = excluded.last_seen_at,
			events = unmapped_devices.events + excluded.events, last_summary = excluded.last_summary`, args[from*6:(from+n)*6]...)
		return err
	})
}

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// anyDirty reports whether devices' last seen times wait to be written.
func (p *processor) anyDirty() bool { return len(p.dirty) > 0 }

// flushDevices writes the last seen time of the devices queued by seen,
// at most every second unless forced, in multi-row upserts.
func (p *processor) flushDevices(ctx context.Context, tx *store.Tx, now time.Time, force bool) error {
	if !force && now.Before(p.flushAt) {
		return nil
	}
	p.flushAt = now.Add(time.Second)
	if len(p.dirty) == 0 {
		return nil
	}
	args := make([]any, 0, 4*len(p.dirty))
	for _, id := range p.dirty {
		c := p.cis[id]
		if c == nil {
			continue
		}
		c.dirty, c.written, c.writtenInt = false, c.lastSeen, c.integ
		seen := store.TS(fromSecs(c.lastSeen))
		args = append(args, id, seen, seen, optID(c.integ))
	}
	p.dirty = p.dirty[:0]
	// Should the transaction roll back, the processor's memory is rebuilt
	// from the database, so nothing written here is taken for granted.
	return inChunks(len(args)/4, func(from, n int) error {
		_, err := tx.Exec(ctx, `INSERT INTO device_status (ci_id, last_seen_at, state, changed_at, integration_id)
			VALUES `+strings.Repeat("(?, ?, 'online', ?, ?), ", n-1)+`(?, ?, 'online', ?, ?)
			ON CONFLICT (ci_id) DO UPDATE SET last_seen_at = excluded.last_seen_at, integration_id = excluded.integration_id,
			changed_at = CASE WHEN device_status.state = 'online' THEN device_status.changed_at ELSE excluded.changed_at END,
			state = 'online'`, args[from*4:(from+n)*4]...)
		return err
	})
}

func encodeLabels(m map[string]string) string {
	raw, err := json.Marshal(m)
	if err != nil {
		return "{}"
	}
	return string(raw)
}
