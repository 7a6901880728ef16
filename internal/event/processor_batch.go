package event

import (
	"context"
	"strconv"
	"time"

	"steward/internal/store"
)

// change is what one batch did to one alert, to be written once.
type change struct {
	key     alertKey
	isNew   bool
	first   Event // the event that opened it, for a new alert
	last    *Event
	summary string // of the latest trigger, "" when none
	ackAt   time.Time
	logs    []logLine
	// triggered: a trigger came in this batch. Such an alert is looked at
	// for an incident even when a resolve followed in the same batch, so
	// that a short alert opens an incident whatever the batch boundaries.
	triggered bool
	released  bool // its incident was decided in this batch
}

type logLine struct {
	at      time.Time
	what    string
	detail  string
	eventID int64
}

// batch is one processing transaction's work.
type batch struct {
	changes  map[int32]*change
	order    []int32
	unmapped map[deviceRef]*unmappedRow
	retired  []int32 // slots replaced by a new alert for the same key
	resolved map[int64]bool
	openInc  map[int64]bool
	link     map[int64][]int64 // incident -> CIs its alerts were bound to since it opened
	at       time.Time
}

type unmappedRow struct {
	first, last time.Time
	events      int
	summary     string
}

func (b *batch) touch(i int32, k alertKey) *change {
	c := b.changes[i]
	if c == nil {
		c = &change{key: k}
		b.changes[i] = c
		b.order = append(b.order, i)
	}
	return c
}

func (c *change) log(at time.Time, what, detail string, eventID int64) {
	c.logs = append(c.logs, logLine{at, what, detail, eventID})
}

// runBatch processes events (possibly none, for the periodic work) in one
// transaction with the cursor.
func (p *processor) runBatch(ctx context.Context, events []Event) error {
	now := p.now()
	if err := p.refresh(ctx, now); err != nil {
		return err
	}
	if len(events) == 0 && now.Before(p.houseAt) && !p.anyDirty() {
		return nil
	}
	b := &batch{changes: map[int32]*change{}, unmapped: map[deviceRef]*unmappedRow{}, resolved: map[int64]bool{},
		openInc: map[int64]bool{}, at: now}
	if err := p.bindAll(ctx, b, events); err != nil {
		return err
	}
	for i := range events {
		p.apply(b, &events[i])
	}
	last := p.cursor
	if n := len(events); n > 0 {
		last = events[n-1].ID
	}
	err := p.s.DB.InTx(ctx, func(tx *store.Tx) error {
		clear(b.openInc)
		if !now.Before(p.houseAt) {
			p.housekeeping(b, now)
		}
		for inc, cis := range b.link {
			if err := linkCIs(ctx, tx, inc, cis, now); err != nil {
				return err
			}
		}
		if err := p.decide(ctx, tx, b); err != nil {
			return err
		}
		if err := p.write(ctx, tx, b); err != nil {
			return err
		}
		if err := p.flushDevices(ctx, tx, now, len(events) < batchSize); err != nil {
			return err
		}
		// Only while the lease holds: once it lapsed another node may have
		// taken over, and this batch rolls back.
		res, err := tx.Exec(ctx, `UPDATE event_cursor SET last_event_id = ?, updated_at = ?, lease_until = ?
			WHERE id = 1 AND owner = ? AND lease_until >= ?`,
			last, store.TS(now), store.TS(now.Add(leaseFor)), p.owner, store.TS(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotProcessor
		}
		return nil
	})
	if err != nil {
		return err
	}
	p.cursor = last
	p.leaseUntil = now.Add(leaseFor)
	p.free = append(p.free, b.retired...)
	if !now.Before(p.houseAt) {
		p.houseAt = now.Add(15 * time.Second)
	}
	return nil
}

// apply turns one event into what it does to its alert, in memory.
func (p *processor) apply(b *batch, e *Event) {
	if p.staleOffline(e) {
		return
	}
	ci := p.seen(b, e)
	k := alertKey{e.IntegrationID, e.DedupKey}
	i, ok := p.keys[k]
	var a *alertState
	if ok {
		a = &p.alerts[i]
	}
	at := e.ReceivedAt
	switch {
	case e.Action == Trigger && e.Severity == OK, e.Action == Resolve:
		if ok && a.active() {
			p.resolveAlert(b, i, k, e, "resolved")
		}
	case e.Action == Acknowledge:
		if ok && a.state == stOpen {
			a.state = stAcknowledged
			c := b.touch(i, k)
			c.last, c.ackAt = e, eventTime(e, a.firstSeen)
			c.log(at, "acknowledged", "", e.ID)
		}
	case ok && a.active():
		a.count++
		a.lastSeen = max(a.lastSeen, secs(e.OccurredAt))
		if ci != 0 {
			a.ci = ci
		}
		c := b.touch(i, k)
		c.last, c.summary, c.triggered = e, e.Summary, true
		if rank := uint8(e.Severity.Rank()); rank != a.sev {
			c.log(at, "severity", string(Severities[a.sev])+" → "+string(e.Severity), e.ID)
			a.sev = rank
			if a.incident == 0 {
				a.held = heldNone // the rules look again
			}
		}
	case ok && p.settings.ReopenWindow > 0 && at.Sub(fromSecs(a.resolvedAt)) <= p.settings.ReopenWindow.D():
		a.state, a.resolvedAt = stOpen, 0
		a.count++
		a.lastSeen, a.sev = max(a.lastSeen, secs(e.OccurredAt)), uint8(e.Severity.Rank())
		if ci != 0 {
			a.ci = ci
		}
		a.addTransition(secs(at))
		c := b.touch(i, k)
		c.last, c.summary, c.triggered = e, e.Summary, true
		c.log(at, "reopened", e.Summary, e.ID)
		p.checkFlapping(a, c, at, e.ID)
		if a.incident != 0 {
			p.incActive[a.incident]++
		}
	default:
		n := alertState{ci: ci, count: 1, firstSeen: secs(e.OccurredAt), lastSeen: secs(e.OccurredAt), sev: uint8(e.Severity.Rank())}
		if ok {
			n.trans = a.trans // flapping spans the alerts of one key
			b.retired = append(b.retired, i)
			if b.changes[i] == nil {
				delete(p.keys, k) // nothing to write for the old one: free it
			}
		}
		n.addTransition(secs(at))
		j := p.put(k, n)
		c := b.touch(j, k)
		c.isNew, c.first, c.last, c.summary, c.triggered = true, *e, e, e.Summary, true
		c.log(at, "opened", e.Summary, e.ID)
		p.checkFlapping(&p.alerts[j], c, at, e.ID)
	}
}

func (p *processor) resolveAlert(b *batch, i int32, k alertKey, e *Event, what string) {
	a := &p.alerts[i]
	at := e.ReceivedAt
	a.state, a.resolvedAt = stResolved, secs(eventTime(e, a.firstSeen))
	a.addTransition(secs(at))
	c := b.touch(i, k)
	c.last = e
	c.log(at, what, e.Summary, e.ID)
	p.checkFlapping(a, c, at, e.ID)
	if a.incident != 0 {
		p.incActive[a.incident]--
		b.resolved[a.incident] = true
	}
}

// eventTime is when an event says it happened (an Alertmanager alert's
// end, say), never later than it was received nor earlier than floor.
func eventTime(e *Event, floor uint32) time.Time {
	t := e.OccurredAt
	if t.IsZero() || t.After(e.ReceivedAt) {
		t = e.ReceivedAt
	}
	if f := fromSecs(floor); floor != 0 && t.Before(f) {
		t = f
	}
	return t
}

// checkFlapping marks an alert flapping when its key changed state often
// enough within the window.
func (p *processor) checkFlapping(a *alertState, c *change, at time.Time, eventID int64) {
	if a.flags&flagFlapping != 0 {
		return
	}
	if a.changesSince(secs(at.Add(-p.settings.FlapWindow.D()))) >= min(p.settings.FlapChanges, maxTransitions) {
		a.flags |= flagFlapping
		c.log(at, "flapping", strconv.Itoa(p.settings.FlapChanges)+" state changes within "+p.settings.FlapWindow.D().String(), eventID)
	}
}

// housekeeping looks at every alert in memory: flapping alerts gone
// quiet, alerts held for a maintenance window that has ended, and
// resolved alerts kept long enough.
func (p *processor) housekeeping(b *batch, now time.Time) {
	quiet := secs(now.Add(-p.settings.FlapWindow.D()))
	keep := secs(now.Add(-max(p.settings.FlapWindow.D(), p.settings.ReopenWindow.D())))
	for k, i := range p.keys {
		a := &p.alerts[i]
		if !a.active() {
			if a.resolvedAt < keep && b.changes[i] == nil && a.changesSince(quiet) == 0 {
				delete(p.keys, k)
				p.free = append(p.free, i)
			}
			continue
		}
		if a.flags&flagFlapping != 0 && a.changesSince(quiet) == 0 {
			a.flags &^= flagFlapping
			if a.held == heldFlapping {
				a.held = heldNone
			}
			b.touch(i, k).log(now, "flapping_ended", "quiet for "+p.settings.FlapWindow.D().String(), 0)
		}
		if a.held == heldMaintenance && !p.maintained(a.ci) {
			a.held = heldNone
			a.flags &^= flagMaintenance
			b.touch(i, k).log(now, "maintenance_ended", "", 0)
		}
	}
}
