package event

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"steward/internal/store"
)

// batchSize is how many events one processing transaction takes.
const batchSize = 10000

// leaseFor is how long a node holds the processor's lease without renewing it.
const leaseFor = 30 * time.Second

// ErrNotProcessor is returned when another node holds the processor's lease.
var ErrNotProcessor = errors.New("another node is processing events")

// RunProcessor reads the inbox and turns events into alerts and
// incidents until ctx ends. One node at a time processes a database: the
// others wait until the holder's lease lapses.
func (s *Service) RunProcessor(ctx context.Context) {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	backoff := time.Duration(0)
	defer s.releaseLease()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-tick.C:
		}
		if backoff > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
		}
		_, err := s.ProcessPending(ctx)
		switch {
		case err == nil:
			backoff = 0
		case errors.Is(err, ErrNotProcessor):
			backoff = 2 * time.Second
		case ctx.Err() != nil:
			return
		default:
			s.Log.Error("event processing failed; retrying", "err", err)
			backoff = min(max(2*backoff, 250*time.Millisecond), 10*time.Second)
		}
	}
}

// ProcessPending processes the inbox until it is caught up and returns how
// many events it processed. It also does the processor's periodic work
// (maintenance windows ending, flapping alerts going quiet) when due.
func (s *Service) ProcessPending(ctx context.Context) (int, error) {
	s.procMu.Lock()
	defer s.procMu.Unlock()
	p, err := s.processor(ctx)
	if err != nil {
		return 0, err
	}
	// The lease first, the memory after: memory built while another node
	// still processes would be behind what that node commits meanwhile.
	if err := p.takeLease(ctx); err != nil {
		return 0, err
	}
	if !p.loaded {
		if err := p.load(ctx); err != nil {
			p.reset()
			return 0, err
		}
	}
	hw, err := s.HighWater(ctx)
	if err != nil {
		return 0, err
	}
	// While a full batch is processed, the next one is read on a read
	// connection: events are immutable, so reading ahead is safe, and
	// reading and writing then share the machine's cores.
	total, slot := 0, 0
	events, err := p.read(ctx, p.cursor, hw, slot)
	for {
		if err != nil {
			return total, err
		}
		full := len(events) == batchSize
		var ahead chan readAhead
		if full {
			ahead = make(chan readAhead, 1)
			after, next := events[len(events)-1].ID, 1-slot
			go func() {
				ev, err := p.read(ctx, after, hw, next)
				ahead <- readAhead{ev, err}
			}()
		}
		berr := p.takeLease(ctx) // a long catch-up keeps its lease
		if berr == nil {
			berr = p.runBatch(ctx, events)
		}
		if berr != nil {
			if ahead != nil {
				<-ahead
			}
			// The memory may be ahead of the database now: rebuild it.
			p.reset()
			return total, berr
		}
		total += len(events)
		if !full {
			return total, nil
		}
		r := <-ahead
		events, err, slot = r.events, r.err, 1-slot
	}
}

type readAhead struct {
	events []Event
	err    error
}

// processor returns this node's processor. Its memory is built once it
// holds the lease (see ProcessPending), never on a node waiting for it.
func (s *Service) processor(ctx context.Context) (*processor, error) {
	if s.proc == nil {
		s.proc = newProcessor(s)
	}
	return s.proc, nil
}

// reset drops the processor's memory, to be rebuilt from the database
// once it holds the lease again.
func (p *processor) reset() {
	n := newProcessor(p.s)
	n.now, n.owner, n.bufs, n.updates = p.now, p.owner, p.bufs, p.updates
	*p = *n
}

func newOwner() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// takeLease takes or renews the processor's lease on the database. When
// another node held it since this one last did, the memory is dropped:
// that node moved alerts this memory does not know of.
func (p *processor) takeLease(ctx context.Context) error {
	now := p.now()
	if p.loaded && now.Before(p.leaseRenew) && now.Before(p.leaseUntil) {
		return nil
	}
	var took, stale bool
	err := p.s.DB.InTx(ctx, func(tx *store.Tx) error {
		took, stale = false, false
		q := `SELECT owner, last_event_id FROM event_cursor WHERE id = 1`
		if tx.Dialect() == store.Postgres {
			q += ` FOR UPDATE`
		}
		var owner *string
		var cursor int64
		if err := tx.QueryRow(ctx, q).Scan(&owner, &cursor); err != nil {
			return store.ScanErr(err)
		}
		stale = owner == nil || *owner != p.owner || cursor != p.cursor
		res, err := tx.Exec(ctx, `UPDATE event_cursor SET owner = ?, lease_until = ?
			WHERE id = 1 AND (owner IS NULL OR owner = ? OR lease_until IS NULL OR lease_until < ?)`,
			p.owner, store.TS(now.Add(leaseFor)), p.owner, store.TS(now))
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		took = n > 0
		return nil
	})
	if err != nil {
		return err
	}
	if !took {
		p.reset()
		return ErrNotProcessor
	}
	if p.loaded && stale {
		p.reset()
	}
	p.leaseRenew, p.leaseUntil = now.Add(leaseFor/3), now.Add(leaseFor)
	return nil
}

// releaseLease lets another node take over at once after a clean stop.
func (s *Service) releaseLease() {
	s.procMu.Lock()
	defer s.procMu.Unlock()
	if s.proc == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.DB.Exec(ctx, `UPDATE event_cursor SET owner = NULL, lease_until = NULL WHERE id = 1 AND owner = ?`, s.proc.owner)
	s.proc = nil
}

// procCols are the events columns the processor uses: not the message
// id, which ingest is done with, nor the payload.
const procCols = `id, integration_id, received_at, occurred_at, dedup_key, action, severity, source, device,
	check_name, resource, metric, summary, labels`

// read returns the next events after id after, up to hw, into buffer
// slot (0 or 1), which the read after next reuses: nothing may keep a
// pointer into it past its batch.
func (p *processor) read(ctx context.Context, after, hw int64, slot int) ([]Event, error) {
	if after >= hw {
		return nil, nil
	}
	rows, err := p.s.DB.Query(ctx, `SELECT `+procCols+` FROM events WHERE id > ? AND id <= ? ORDER BY id LIMIT `+itoa(batchSize),
		after, hw)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if p.bufs[slot] == nil {
		p.bufs[slot] = make([]Event, 0, batchSize)
	}
	out := p.bufs[slot][:0]
	var received, occurred store.Time
	var labels string
	for rows.Next() {
		out = append(out, Event{})
		e := &out[len(out)-1]
		if err := rows.Scan(&e.ID, &e.IntegrationID, &received, &occurred, &e.DedupKey, &e.Action, &e.Severity,
			&e.Source, &e.Device, &e.Check, &e.Resource, &e.Metric, &e.Summary, &labels); err != nil {
			return nil, store.Translate(err)
		}
		e.ReceivedAt, e.OccurredAt = received.Time, occurred.Time
		if labels != "" && labels != "{}" {
			json.Unmarshal([]byte(labels), &e.Labels)
		}
	}
	p.bufs[slot] = out
	return out, rows.Err()
}
