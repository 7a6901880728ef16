package event

import (
	"context"
	"encoding/json"
	"fmt"
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

// newAlertCols are the columns of a new alert, in insertAlerts' order.
const newAlertCols = `integration_id, dedup_key, state, severity, summary, source, device, check_name, resource, metric,
	labels, count, first_seen_at, last_seen_at, acknowledged_at, resolved_at, ci_id, incident_id, flapping,
	in_maintenance, held, transitions, first_event_id, last_event_id, updated_at`

// alertSets are the columns a changed alert writes, in updateAlerts'
// order, with their PostgreSQL types: the values come as a list, whose
// columns PostgreSQL cannot type from the placeholders alone.
var alertSets = []struct{ col, pgType string }{
	{"id", "BIGINT"}, {"state", "TEXT"}, {"severity", "TEXT"}, {"summary", "TEXT"}, {"count", "BIGINT"},
	{"last_seen_at", "TIMESTAMPTZ"}, {"acknowledged_at", "TIMESTAMPTZ"}, {"resolved_at", "TIMESTAMPTZ"},
	{"ci_id", "BIGINT"}, {"incident_id", "BIGINT"}, {"flapping", "BOOLEAN"}, {"in_maintenance", "BOOLEAN"},
	{"held", "TEXT"}, {"transitions", "TEXT"}, {"last_event_id", "BIGINT"}, {"updated_at", "TIMESTAMPTZ"},
}

// write stores what the batch did: changed alerts, new alerts, their
// timelines and the unmapped devices, each in multi-row statements.
// Changed alerts go first: one resolved in this batch must leave its key
// before a new alert for the key takes it.
func (p *processor) write(ctx context.Context, tx *store.Tx, b *batch) error {
	now := store.TS(b.at)
	var ins, upd []any
	opened := map[int64]int32{} // first event id -> slot of a new alert
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
			opened[e.ID] = i
			ins = append(ins, c.key.integration, c.key.dedup, stateNames[a.state], string(Severities[a.sev]), summaryOf(c, a),
				e.Source, e.Device, e.Check, e.Resource, e.Metric, labels, a.count, store.TS(fromSecs(a.firstSeen)),
				store.TS(fromSecs(a.lastSeen)), optTime(c.ackAt), resolved, optID(a.ci), optID(a.incident),
				a.flags&flagFlapping != 0, a.flags&flagMaintenance != 0, heldNames[a.held], a.transitionsJSON(), e.ID,
				max(lastEvent, e.ID), now)
			continue
		}
		var summary, lastEv any
		if c.summary != "" {
			summary = c.summary
		}
		if lastEvent != 0 {
			lastEv = lastEvent
		}
		upd = append(upd, a.id, stateNames[a.state], string(Severities[a.sev]), summary, a.count,
			store.TS(fromSecs(a.lastSeen)), optTime(c.ackAt), resolved, optID(a.ci), optID(a.incident),
			a.flags&flagFlapping != 0, a.flags&flagMaintenance != 0, heldNames[a.held], a.transitionsJSON(), lastEv, now)
	}
	if err := p.updateAlerts(ctx, tx, upd); err != nil {
		return err
	}
	if err := p.insertAlerts(ctx, tx, ins, opened); err != nil {
		return err
	}
	var logs []any
	for _, i := range b.order {
		id := p.alerts[i].id
		for _, l := range b.changes[i].logs {
			var ev any
			if l.eventID != 0 {
				ev = l.eventID
			}
			logs = append(logs, id, store.TS(l.at), l.what, l.detail, ev)
		}
	}
	err := inChunks(len(logs)/5, func(from, n int) error {
		_, err := tx.Exec(ctx, `INSERT INTO alert_log (alert_id, at, what, detail, event_id) VALUES `+rowsOf(5, n),
			logs[from*5:(from+n)*5]...)
		return err
	})
	if err != nil {
		return err
	}
	return p.writeUnmapped(ctx, tx, b)
}

// insertAlerts inserts new alerts and learns their ids, matched by the
// event that opened each.
func (p *processor) insertAlerts(ctx context.Context, tx *store.Tx, args []any, opened map[int64]int32) error {
	const cols = 25
	return inChunks(len(args)/cols, func(from, n int) error {
		rows, err := tx.Query(ctx, `INSERT INTO alerts (`+newAlertCols+`) VALUES `+rowsOf(cols, n)+` RETURNING id, first_event_id`,
			args[from*cols:(from+n)*cols]...)
		if err != nil {
			return err
		}
		defer rows.Close()
		got := 0
		for rows.Next() {
			var id, first int64
			if err := rows.Scan(&id, &first); err != nil {
				return err
			}
			if i, ok := opened[first]; ok {
				p.alerts[i].id = id
				got++
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if got != n {
			return fmt.Errorf("%d of %d new alerts stored", got, n)
		}
		return nil
	})
}

// updateAlerts writes changed alerts from a list of values in one
// statement per chunk. A summary, acknowledgement or last event left
// NULL keeps the stored one.
func (p *processor) updateAlerts(ctx context.Context, tx *store.Tx, args []any) error {
	cols := len(alertSets)
	return inChunks(len(args)/cols, func(from, n int) error {
		_, err := tx.Exec(ctx, p.updateSQL(tx.Dialect(), n), args[from*cols:(from+n)*cols]...)
		return err
	})
}

func (p *processor) updateSQL(d store.Dialect, n int) string {
	if q, ok := p.updates[n]; ok {
		return q
	}
	var names, row, sets []string
	for _, c := range alertSets {
		names = append(names, c.col)
		if d == store.Postgres {
			row = append(row, "CAST(? AS "+c.pgType+")")
		} else {
			row = append(row, "?")
		}
		switch c.col {
		case "id":
		case "summary", "acknowledged_at", "last_event_id", "ci_id": // a CI mapped meanwhile stays
			sets = append(sets, c.col+" = COALESCE(v."+c.col+", alerts."+c.col+")")
		default:
			sets = append(sets, c.col+" = v."+c.col)
		}
	}
	one := "(" + strings.Join(row, ", ") + ")"
	if p.updates == nil {
		p.updates = map[int]string{}
	}
	p.updates[n] = `WITH v (` + strings.Join(names, ", ") + `) AS (VALUES ` + strings.TrimSuffix(strings.Repeat(one+", ", n), ", ") +
		`) UPDATE alerts SET ` + strings.Join(sets, ", ") + ` FROM v WHERE alerts.id = v.id`
	return p.updates[n]
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
