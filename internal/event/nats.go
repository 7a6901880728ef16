package event

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// natsAckPending bounds how many messages the durable consumer hands out
// unacknowledged, over all nodes that share it.
const natsAckPending = 20_000

// natsAckWait is how long JetStream waits for a message's ack before it
// sends the message again: far above the time a batch takes to store,
// short enough that a crashed node's messages are not held for long.
const natsAckWait = 20 * time.Second

// natsDurable is the durable consumer every node shares for an
// integration: JetStream hands each message to one of them, so several
// nodes split a stream, and a message a node took but did not
// acknowledge (it crashed) goes out again after natsAckWait.
func natsDurable(it Integration) string { return fmt.Sprintf("steward-%d", it.ID) }

// consumeNATS consumes the integration's stream through its durable pull
// consumer, creating the stream (file storage) when it does not exist.
// Each message's id is its Nats-Msg-Id header when it has one, else its
// place in the stream (the stream's creation time and the message's
// sequence), so a message delivered again after a crash or a lost
// acknowledgement is recognised at ingest and stored once.
func (s *Service) consumeNATS(ctx context.Context, it Integration, st *brokerState) {
	nc, err := nats.Connect(it.URL, nats.Name("steward-"+s.nodeID()),
		nats.MaxReconnects(-1), nats.RetryOnFailedConnect(true),
		nats.ReconnectWait(brokerBackoffMin), nats.ReconnectJitter(brokerBackoffMin, brokerBackoffMin),
		nats.CustomReconnectDelay(func(attempts int) time.Duration {
			return min(brokerBackoffMin<<min(attempts, 8), brokerBackoffMax)
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err == nil {
				err = errors.New("disconnected")
			}
			st.connected(fmt.Errorf("connection lost: %v; reconnecting", err))
		}),
		nats.ReconnectHandler(func(*nats.Conn) { st.connected(nil) }),
	)
	if err != nil {
		st.connected(fmt.Errorf("cannot connect to %s: %v", RedactURL(it.URL), err))
		return
	}
	defer nc.Close()
	in := make(chan brokerMsg, brokerBatch)
	batching := make(chan struct{})
	go func() {
		defer close(batching)
		st.batches(ctx, in)
	}()
	defer func() { <-batching }()
	wait := time.Duration(0)
	for ctx.Err() == nil {
		var err error
		if nc.IsConnected() {
			err = s.natsSession(ctx, nc, it, st, in)
		} else {
			why := nc.LastError()
			if why == nil {
				why = errors.New("no answer from the server")
			}
			err = fmt.Errorf("cannot connect to %s: %v", RedactURL(it.URL), why)
		}
		if ctx.Err() != nil {
			return
		}
		st.connected(err)
		if !backoff(ctx, &wait) {
			return
		}
	}
}

// natsSession sets up the stream and the consumer and consumes until ctx
// ends or the consumer is lost (deleted, or the stream removed).
func (s *Service) natsSession(ctx context.Context, nc *nats.Conn, it Integration, st *brokerState, in chan<- brokerMsg) error {
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	stream, err := js.Stream(sctx, it.Stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		stream, err = js.CreateStream(sctx, jetstream.StreamConfig{Name: it.Stream, Subjects: it.Subjects, Storage: jetstream.FileStorage})
	}
	if err != nil {
		return fmt.Errorf("stream %s: %v", it.Stream, err)
	}
	cfg := jetstream.ConsumerConfig{Durable: natsDurable(it), AckPolicy: jetstream.AckExplicitPolicy,
		AckWait: natsAckWait, MaxAckPending: natsAckPending, DeliverPolicy: jetstream.DeliverAllPolicy}
	if len(it.Subjects) == 1 {
		cfg.FilterSubject = it.Subjects[0]
	} else {
		cfg.FilterSubjects = it.Subjects
	}
	cons, err := stream.CreateOrUpdateConsumer(sctx, cfg)
	if err != nil {
		return fmt.Errorf("consumer %s: %v", cfg.Durable, err)
	}
	prefix := fmt.Sprintf("%s:%d:", it.Stream, stream.CachedInfo().Created.UnixNano())
	lost := make(chan error, 1)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		id := m.Headers().Get(jetstream.MsgIDHeader)
		if id != "" {
			id = "msg:" + id
		} else if md, err := m.Metadata(); err == nil {
			id = fmt.Sprintf("%s%d", prefix, md.Sequence.Stream)
		}
		select {
		case in <- brokerMsg{topic: m.Subject(), body: m.Data(), id: id,
			ack: func() { m.Ack() }, term: func() { m.Term() }}:
		case <-ctx.Done(): // not acknowledged: JetStream sends it again
		}
	}, jetstream.PullMaxMessages(2*brokerBatch), jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) {
			select {
			case lost <- err:
			default:
			}
		}
	}))
	if err != nil {
		return fmt.Errorf("consume: %v", err)
	}
	defer cc.Stop()
	st.connected(nil)
	select {
	case <-ctx.Done():
		return nil
	case err := <-lost:
		return fmt.Errorf("consumer lost: %v; setting it up again", err)
	}
}
