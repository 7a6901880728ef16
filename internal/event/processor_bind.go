package event

import (
	"context"
	"strconv"
	"strings"
	"time"

	"steward/internal/store"
)

// Binding: an event's device names its CI by a unique identifier (device
// id, hostname, serial number: ci_identifiers), by an alias an agent
// mapped (device_aliases), by its IP address or by its name. What was
// looked up is cached, misses too, until device mappings change.

// heartbeatCheck and stewardSource name the alerts Steward raises itself
// for devices that stopped reporting.
const (
	heartbeatCheck = "heartbeat"
	stewardSource  = "steward"
)

// lastSeenLabel is the label of an offline alert's event saying when the
// device was last seen as offline detection judged it.
const lastSeenLabel = "last_seen"

// staleOffline reports whether e raises an offline alert for a device that
// reported after the last report the alert was judged on (its report
// waited in the inbox): such an event is dropped, and the device is
// online again.
func (p *processor) staleOffline(e *Event) bool {
	if e.Source != stewardSource || e.Check != heartbeatCheck || e.Action != Trigger || !strings.HasPrefix(e.Device, "ci:") {
		return false
	}
	judged, err := time.Parse(time.RFC3339Nano, e.Labels[lastSeenLabel])
	if err != nil {
		return false
	}
	id, _ := strconv.ParseInt(e.Device[3:], 10, 64)
	c := p.cis[id]
	if c == nil || c.lastSeen <= secs(judged) {
		return false
	}
	c.offline = false
	c.written = 0 // device_status may say offline: write it online
	if !c.dirty {
		c.dirty = true
		p.dirty = append(p.dirty, id)
	}
	return true
}

func ciDevice(ci int64) string { return "ci:" + strconv.FormatInt(ci, 10) }

// missTTL is how long a device that matched no CI is taken to match
// none: a CI created in the CMDB since binds its events after this.
const missTTL = time.Minute

// mapsEvery is how often the processor looks whether an agent mapped a
// device on another node.
const mapsEvery = 2 * time.Second

// bindAll looks up, in few queries, every device of events not cached
// yet. When devices were mapped meanwhile (on any node) it forgets what it
// cached and rebinds its alerts of devices that now match a CI.
func (p *processor) bindAll(ctx context.Context, b *batch, events []Event) error {
	changed := false
	if v := p.s.DeviceMaps.Load(); v != p.devMaps || !b.at.Before(p.mapsAt.Add(mapsEvery)) || b.at.Before(p.mapsAt) {
		p.devMaps, p.mapsAt = v, b.at
		var dbv int64
		if err := p.s.DB.QueryRow(ctx, `SELECT version FROM device_map_version WHERE id = 1`).Scan(&dbv); err != nil {
			return store.ScanErr(err)
		}
		changed, p.mapsDB = dbv != p.mapsDB, dbv
	}
	if changed {
		clear(p.devices)
		for _, c := range p.cis {
			c.parents, c.parentsOK, c.critLoaded = nil, false, false
		}
		if err := p.rebind(ctx, b); err != nil {
			return err
		}
	} else if !b.at.Before(p.missesAt.Add(missTTL)) || b.at.Before(p.missesAt) {
		for d, ci := range p.devices {
			if ci == 0 {
				delete(p.devices, d)
			}
		}
		p.missesAt = b.at
	}
	var missing []string
	seen := map[string]bool{}
	for i := range events {
		d := events[i].Device
		if d == "" || seen[d] {
			continue
		}
		if _, ok := p.devices[deviceRef{0, d}]; ok {
			continue
		}
		seen[d] = true
		missing = append(missing, d)
	}
	for len(missing) > 0 {
		n := min(len(missing), 400)
		if err := p.lookup(ctx, missing[:n]); err != nil {
			return err
		}
		missing = missing[n:]
	}
	return nil
}

// rebind learns the CIs that alerts without one in memory were bound to
// in the database (an agent mapped their device): the batch writes them
// on, looks again whether they open an incident, and links the CI to the
// incident of those that have one.
func (p *processor) rebind(ctx context.Context, b *batch) error {
	slots := map[int64]int32{}
	keys := map[int32]alertKey{}
	var ids []any
	for k, i := range p.keys {
		if a := &p.alerts[i]; a.active() && a.ci == 0 && a.id != 0 {
			slots[a.id], keys[i] = i, k
			ids = append(ids, a.id)
		}
	}
	found := map[string]int64{}
	for len(ids) > 0 {
		n := min(len(ids), 400)
		rows, err := p.s.DB.Query(ctx, `SELECT id, ci_id FROM alerts WHERE ci_id IS NOT NULL AND id IN (`+placeholders(n)+`)`, ids[:n]...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id, ci int64
			if err := rows.Scan(&id, &ci); err != nil {
				rows.Close()
				return err
			}
			i := slots[id]
			a := &p.alerts[i]
			a.ci = ci
			if a.held == heldUnmapped {
				a.held = heldNone
			}
			b.touch(i, keys[i])
			if a.incident != 0 {
				if b.link == nil {
					b.link = map[int64][]int64{}
				}
				b.link[a.incident] = append(b.link[a.incident], ci)
			}
			found[ciDevice(ci)] = ci
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return p.loadCIs(ctx, found)
}

// lookup binds devices, trying identifiers, aliases, IP addresses and
// names in turn.
func (p *processor) lookup(ctx context.Context, devices []string) error {
	found := map[string]int64{}
	lower := make([]any, len(devices))
	args := make([]any, len(devices))
	for i, d := range devices {
		args[i], lower[i] = d, strings.ToLower(d)
	}
	in := placeholders(len(devices))
	ipExpr := `json_extract(attributes, '$.ip_address')`
	if p.s.DB.Dialect() == store.Postgres {
		ipExpr = `(attributes::jsonb ->> 'ip_address')`
	}
	queries := []struct {
		q    string
		args []any
	}{
		{`SELECT value, MIN(ci_id) FROM ci_identifiers WHERE value IN (` + in + `) GROUP BY value`, args},
		{`SELECT value, ci_id FROM device_aliases WHERE value IN (` + in + `)`, args},
		{`SELECT ` + ipExpr + `, MIN(id) FROM cis WHERE ` + ipExpr + ` IN (` + in + `) AND status <> 'retired' GROUP BY ` + ipExpr, args},
		{`SELECT lower(name), MIN(id) FROM cis WHERE lower(name) IN (` + in + `) AND status <> 'retired' GROUP BY lower(name)`, lower},
	}
	for qi, q := range queries {
		if len(found) == len(devices) {
			break
		}
		rows, err := p.s.DB.Query(ctx, q.q, q.args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var v string
			var id int64
			if err := rows.Scan(&v, &id); err != nil {
				rows.Close()
				return err
			}
			if qi == 3 {
				for _, d := range devices {
					if _, ok := found[d]; !ok && strings.ToLower(d) == v {
						found[d] = id
					}
				}
			} else if _, ok := found[v]; !ok {
				found[v] = id
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	for _, d := range devices {
		p.devices[deviceRef{0, d}] = found[d]
	}
	return p.loadCIs(ctx, found)
}

// loadCIs learns the type and reporting state of newly bound CIs.
func (p *processor) loadCIs(ctx context.Context, found map[string]int64) error {
	var ids []any
	for _, id := range found {
		if p.cis[id] == nil {
			p.cis[id] = &ciInfo{}
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := p.s.DB.Query(ctx, `SELECT c.id, t.name, d.last_seen_at, d.state, d.integration_id FROM cis c
		JOIN ci_types t ON t.id = c.type_id LEFT JOIN device_status d ON d.ci_id = c.id
		WHERE c.id IN (`+placeholders(len(ids))+`)`, ids...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var typ string
		var seen store.Time
		var state *string
		var integ *int64
		if err := rows.Scan(&id, &typ, &seen, &state, &integ); err != nil {
			return err
		}
		c := p.cis[id]
		c.typeName = typ
		if !seen.IsZero() {
			c.lastSeen = secs(seen.Time)
		}
		c.offline = state != nil && *state == "offline"
		if integ != nil {
			c.integ = *integ
		}
		c.written, c.writtenInt = c.lastSeen, c.integ
	}
	return rows.Err()
}

// seen binds an event's device and notes that it reported: its last seen
// time, its return when it was offline, or, when it matches no CI, the
// unmapped-device list. It returns the CI, 0 when none.
func (p *processor) seen(b *batch, e *Event) int64 {
	if e.Device == "" {
		return 0
	}
	if e.Source == stewardSource && e.Check == heartbeatCheck && strings.HasPrefix(e.Device, "ci:") {
		id, _ := strconv.ParseInt(e.Device[3:], 10, 64)
		if c := p.cis[id]; c != nil && e.Action == Trigger && e.Severity != OK {
			c.offline, c.integ = true, e.IntegrationID
		}
		return id
	}
	ci := p.devices[deviceRef{0, e.Device}]
	if ci == 0 {
		ref := deviceRef{e.IntegrationID, e.Device}
		u := b.unmapped[ref]
		if u == nil {
			u = &unmappedRow{first: e.ReceivedAt}
			b.unmapped[ref] = u
		}
		u.last, u.summary = e.ReceivedAt, e.Summary
		u.events++
		return 0
	}
	c := p.cis[ci]
	if c == nil {
		return ci
	}
	if t := secs(e.ReceivedAt); t > c.lastSeen {
		c.lastSeen = t
	}
	back := c.offline
	if c.offline {
		c.offline = false
		k := alertKey{c.integ, DedupKey(c.integ, ciDevice(ci), heartbeatCheck, "", "", stewardSource)}
		if i, ok := p.keys[k]; ok && p.alerts[i].active() {
			again := *e
			again.Summary = e.Device + " reports again"
			p.resolveAlert(b, i, k, &again, "resolved")
		}
	}
	c.integ = e.IntegrationID
	if !c.dirty && (back || c.written == 0 || c.integ != c.writtenInt || c.lastSeen-c.written >= p.seenStep) {
		c.dirty = true
		p.dirty = append(p.dirty, ci)
	}
	return ci
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }
