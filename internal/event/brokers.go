package event

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// brokerRescan is how often RunBrokers re-reads the integrations, to see
// what other nodes created, changed or deactivated. Changes made on this
// node are seen at once through IntegrationsChanged.
const brokerRescan = 10 * time.Second

// Broker consumers take messages in batches: up to brokerBatch messages,
// or what arrived within brokerLinger of the first, go to Ingest in one
// call and are acknowledged to the broker once it returned.
const (
	brokerBatch  = MaxBatch
	brokerLinger = 20 * time.Millisecond
)

// A consumer that fails to connect or loses its broker waits between
// brokerBackoffMin and brokerBackoffMax (doubling) before it tries again.
const (
	brokerBackoffMin = 500 * time.Millisecond
	brokerBackoffMax = 30 * time.Second
)

// brokerConsumer is one running consumer and what it was started with.
type brokerConsumer struct {
	config string // kind and Config as JSON: a change restarts the consumer
	cancel context.CancelFunc
	done   chan struct{}
}

// RunBrokers keeps one consumer running for each active MQTT and NATS
// integration until ctx ends. A consumer starts as soon as its
// integration is created, restarts when its settings change and stops
// when it is deactivated or removed.
func (s *Service) RunBrokers(ctx context.Context) {
	running := map[int64]*brokerConsumer{}
	defer func() {
		for _, c := range running {
			c.cancel()
		}
		for _, c := range running {
			<-c.done
		}
	}()
	tick := time.NewTicker(brokerRescan)
	defer tick.Stop()
	for {
		s.syncBrokers(ctx, running)
		select {
		case <-ctx.Done():
			return
		case <-s.changed:
		case <-tick.C:
		}
	}
}

// syncBrokers starts, restarts and stops consumers to match the active
// broker integrations.
func (s *Service) syncBrokers(ctx context.Context, running map[int64]*brokerConsumer) {
	list, err := s.Integrations(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.Log.Warn("broker consumers: cannot read integrations", "err", err)
		}
		return
	}
	want := map[int64]Integration{}
	for _, it := range list {
		if it.Active && it.Kind.Broker() {
			want[it.ID] = it
		}
	}
	for id, c := range running {
		it, ok := want[id]
		if ok && brokerConfig(it) == c.config {
			continue
		}
		c.cancel()
		<-c.done
		delete(running, id)
		if !ok {
			s.SetStatus(ctx, id, "stopped")
		}
	}
	for id, it := range want {
		if _, ok := running[id]; ok {
			continue
		}
		cctx, cancel := context.WithCancel(ctx)
		c := &brokerConsumer{config: brokerConfig(it), cancel: cancel, done: make(chan struct{})}
		running[id] = c
		go func() {
			defer close(c.done)
			s.consume(cctx, it)
		}()
	}
}

func brokerConfig(it Integration) string {
	raw, _ := json.Marshal(struct {
		Kind Kind
		Config
	}{it.Kind, it.Config})
	return string(raw)
}

// consume runs one integration's consumer until ctx ends.
func (s *Service) consume(ctx context.Context, it Integration) {
	st := newBrokerState(s, it)
	defer st.stop()
	switch it.Kind {
	case KindMQTT:
		s.consumeMQTT(ctx, it, st)
	case KindNATS:
		s.consumeNATS(ctx, it, st)
	}
}

// nodeID tells this node's broker sessions from other nodes': the host
// name and the database this node serves from. It is stable across
// restarts, so an MQTT session (and the messages the broker queued for
// it) is picked up again by the node that left it.
func (s *Service) nodeID() string {
	host, _ := os.Hostname()
	sum := sha256.Sum256([]byte(host + "\x00" + s.DB.Path()))
	return hex.EncodeToString(sum[:])[:8]
}

// backoff waits before the next connection attempt; false when ctx ended.
func backoff(ctx context.Context, wait *time.Duration) bool {
	if *wait == 0 {
		*wait = brokerBackoffMin
	}
	t := time.NewTimer(*wait)
	defer t.Stop()
	*wait = min(*wait*2, brokerBackoffMax)
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// brokerState is one consumer's connection state and its count of
// refused messages, written to the integration's status for the
// integrations page.
type brokerState struct {
	s  *Service
	it Integration

	mu          sync.Mutex
	flushMu     sync.Mutex // one status write at a time, in order
	conn        string     // "connected" or why not
	refused     int64
	lastRefusal string
	lastLog     time.Time
	unlogged    int64
	dirty       bool
	stopped     bool // the consumer is ending: its connection's last words are not news
	quit        chan struct{}
	flushed     chan struct{}
}

func newBrokerState(s *Service, it Integration) *brokerState {
	st := &brokerState{s: s, it: it, conn: "connecting", quit: make(chan struct{}), flushed: make(chan struct{})}
	go st.flushLoop()
	return st
}

// decode turns a message into an event to store. transportID is the
// broker's own id for the message, used when the message gives none.
func (st *brokerState) decode(topic string, body []byte, transportID string, now time.Time) (Event, error) {
	in, err := BrokerInput(st.it.Mapping, topic, body)
	if err != nil {
		return Event{}, err
	}
	if in.MessageID == "" {
		in.MessageID = transportID
	}
	return Normalize(st.it.ID, in, now)
}

// refuse counts a message that cannot become an event. Such a message is
// acknowledged all the same: left on the broker it would come back
// forever and hold up the messages behind it.
func (st *brokerState) refuse(topic string, err error) {
	st.mu.Lock()
	st.refused++
	st.lastRefusal = err.Error()
	st.dirty = true
	logNow := time.Since(st.lastLog) >= 10*time.Second
	skipped := st.unlogged
	if logNow {
		st.lastLog, st.unlogged = time.Now(), 0
	} else {
		st.unlogged++
	}
	st.mu.Unlock()
	if logNow {
		st.s.Log.Warn("broker message refused", "integration", st.it.Name, "topic", topic, "err", err, "refused_since_last_log", skipped)
	}
}

// connected records the connection state: err nil for connected.
func (st *brokerState) connected(err error) {
	conn := "connected"
	if err != nil {
		err = errors.New(RedactText(err.Error()))
		conn = err.Error()
	}
	st.mu.Lock()
	if st.stopped {
		st.mu.Unlock()
		return
	}
	changed := st.conn != conn
	st.conn, st.dirty = conn, st.dirty || changed
	st.mu.Unlock()
	if changed {
		if err != nil {
			st.s.Log.Warn("broker connection", "integration", st.it.Name, "kind", st.it.Kind, "err", err)
		} else {
			st.s.Log.Info("broker connected", "integration", st.it.Name, "kind", st.it.Kind)
		}
		st.flush()
	}
}

// Status is what the integrations page shows: the connection, and how
// many messages were refused with the last reason.
func (st *brokerState) status() string {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.refused == 0 {
		return st.conn
	}
	return fmt.Sprintf("%s; %d messages refused; last: %s", st.conn, st.refused, st.lastRefusal)
}

// flush writes the status when it changed. Writes are serialised, so the
// last one made before stop returns is the last one to land: a client
// library's late "disconnected" callback cannot overwrite the "stopped"
// the supervisor writes after stop.
func (st *brokerState) flush() {
	st.flushMu.Lock()
	defer st.flushMu.Unlock()
	st.mu.Lock()
	dirty := st.dirty
	st.dirty = false
	st.mu.Unlock()
	if !dirty {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := st.s.SetStatus(ctx, st.it.ID, st.status()); err != nil {
		st.s.Log.Warn("broker status", "integration", st.it.Name, "err", err)
	}
}

// flushLoop writes refusal counts at most once a second, so a stream of
// bad messages costs no write per message.
func (st *brokerState) flushLoop() {
	defer close(st.flushed)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-st.quit:
			st.flush()
			return
		case <-t.C:
			st.flush()
		}
	}
}

func (st *brokerState) stop() {
	st.mu.Lock()
	st.stopped = true
	st.mu.Unlock()
	close(st.quit)
	<-st.flushed
}

// store ingests a batch, retrying while the database refuses (busy,
// restarting) until ctx ends: the broker is acknowledged only after
// this returned true.
func (st *brokerState) store(ctx context.Context, events []Event) bool {
	wait := time.Duration(0)
	for {
		_, err := st.s.Ingest(ctx, events)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		st.s.Log.Warn("broker ingest failed; retrying", "integration", st.it.Name, "events", len(events), "err", err)
		if !backoff(ctx, &wait) {
			return false
		}
	}
}

// brokerIdle ends a batch early when no message came for this long: an
// MQTT broker sends no more than its in-flight window until the batch in
// hand is acknowledged, so waiting out brokerLinger would only idle.
const brokerIdle = 2 * time.Millisecond

// brokerMsg is one message as a consumer hands it to the batcher.
type brokerMsg struct {
	topic string // MQTT topic or NATS subject
	body  []byte
	id    string // the transport's message id, "" when it has none
	ack   func() // the message is stored (or refused): do not send it again
	term  func() // the message is refused: never send it again; nil to ack
}

// batches gathers messages into batches, stores each batch in one ingest
// and only then acknowledges its messages, until ctx ends. A message
// that cannot become an event is counted and acknowledged with its batch.
func (st *brokerState) batches(ctx context.Context, in <-chan brokerMsg) {
	batch := make([]brokerMsg, 0, brokerBatch)
	refused := make([]bool, 0, brokerBatch)
	events := make([]Event, 0, brokerBatch)
	idle := time.NewTimer(time.Hour)
	defer idle.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-in:
			batch = append(batch[:0], m)
		}
		linger := time.Now().Add(brokerLinger)
	gather:
		for len(batch) < brokerBatch {
			select {
			case m := <-in:
				batch = append(batch, m)
				continue
			default:
			}
			idle.Reset(min(brokerIdle, time.Until(linger)))
			select {
			case m := <-in:
				batch = append(batch, m)
				idle.Stop()
			case <-idle.C:
				break gather
			case <-ctx.Done():
				return
			}
		}
		now := time.Now().UTC()
		events, refused = events[:0], refused[:0]
		for _, m := range batch {
			e, err := st.decode(m.topic, m.body, m.id, now)
			refused = append(refused, err != nil)
			if err != nil {
				st.refuse(m.topic, err)
				continue
			}
			events = append(events, e)
		}
		if !st.store(ctx, events) {
			return
		}
		for i, m := range batch {
			if refused[i] && m.term != nil {
				m.term()
			} else {
				m.ack()
			}
		}
	}
}
