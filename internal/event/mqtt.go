package event

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// mqttSessions is how many MQTT sessions each node holds per
// integration. Each is a persistent session (clean session off) with its
// own stable client id, and all of them, on every node, join one shared
// subscription ($share/steward-<integration id>/<filter>): the broker
// hands each message to one session of the group, so nodes split a topic
// instead of each storing every message, and one node gets as many
// unacknowledged messages in flight as its sessions together (a broker
// such as Mosquitto allows 20 per session by default). A session that is
// away keeps its share queued on the broker until it returns, which is
// why the count and the client ids must not change between restarts.
// The broker also bounds what it queues per session (Mosquitto: 1,000
// messages by default, beyond which it drops QoS 1 messages), so more
// sessions give a burst more room on the broker before Steward catches
// up; 32 sessions cost no throughput against 8 here.
const mqttSessions = 32

// mqttBatchers is how many batches of one integration are gathered and
// stored at once: 8 kept a fleet at 30,000 events/s moving where 2 let
// the broker's queues overflow while a batch waited for the writer.
const mqttBatchers = 8

// mqttClientID is the stable id of one of this node's sessions.
func (s *Service) mqttClientID(it Integration, n int) string {
	return fmt.Sprintf("steward-%d-%s-%d", it.ID, s.nodeID(), n)
}

// mqttFilter is the shared subscription a topic filter becomes. A filter
// that already names a share group is taken as it is.
func mqttFilter(it Integration, topic string) string {
	topic = strings.TrimSpace(topic)
	if strings.HasPrefix(topic, "$share/") {
		return topic
	}
	return fmt.Sprintf("$share/steward-%d/%s", it.ID, topic)
}

// consumeMQTT subscribes to the integration's topics at QoS 1 and stores
// what arrives. MQTT 3.1.1 gives a message no id that survives a
// redelivery (the packet id is reused), so a message that was stored but
// whose acknowledgement was lost in a crash is stored twice, unless the
// message itself carries a message_id (in the body, or mapped): to the
// alerts a repeated trigger only counts once more, and senders that need
// exactly once give an id.
func (s *Service) consumeMQTT(ctx context.Context, it Integration, st *brokerState) {
	in := make(chan brokerMsg, brokerBatch)
	var wg sync.WaitGroup
	for n := range mqttSessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.mqttSession(ctx, it, st, n, in)
		}()
	}
	// Several batchers take turns: some gather what the broker sends
	// while others wait for their batch to be stored (behind the
	// processor's own writes), whose acknowledgements free the broker's
	// in-flight window for the next.
	for range mqttBatchers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st.batches(ctx, in)
		}()
	}
	wg.Wait()
}

// mqttSession keeps one session connected and subscribed until ctx ends.
func (s *Service) mqttSession(ctx context.Context, it Integration, st *brokerState, n int, in chan<- brokerMsg) {
	handler := func(_ mqtt.Client, m mqtt.Message) {
		select {
		case in <- brokerMsg{topic: m.Topic(), body: m.Payload(), ack: m.Ack}:
		case <-ctx.Done(): // not acknowledged: the broker sends it again
		}
	}
	opts := mqtt.NewClientOptions().AddBroker(it.URL).SetClientID(s.mqttClientID(it, n)).
		SetCleanSession(false).SetAutoAckDisabled(true).SetOrderMatters(false).
		SetDefaultPublishHandler(handler). // also gets what a resumed session delivers before it subscribed again
		SetAutoReconnect(true).SetMaxReconnectInterval(brokerBackoffMax).
		SetConnectTimeout(10 * time.Second).SetKeepAlive(30 * time.Second)
	opts.SetConnectionLostHandler(func(_ mqtt.Client, err error) {
		st.connected(fmt.Errorf("connection lost: %v; reconnecting", err))
	})
	opts.SetOnConnectHandler(func(c mqtt.Client) {
		if err := mqttSubscribe(c, it); err != nil {
			st.connected(err)
			return
		}
		st.connected(nil)
	})
	c := mqtt.NewClient(opts)
	wait := time.Duration(0)
	for {
		t := c.Connect()
		t.WaitTimeout(15 * time.Second)
		err := t.Error()
		if err == nil && c.IsConnected() {
			break
		}
		if err == nil {
			err = errors.New("no answer from the broker")
		}
		st.connected(fmt.Errorf("cannot connect to %s: %v", RedactURL(it.URL), err))
		if !backoff(ctx, &wait) {
			return
		}
	}
	<-ctx.Done()
	c.Disconnect(250)
}

// mqttSubscribe subscribes to every topic filter at QoS 1; the broker
// keeps the subscriptions with the session, this renews them.
func mqttSubscribe(c mqtt.Client, it Integration) error {
	filters := map[string]byte{}
	for _, t := range it.Topics {
		filters[mqttFilter(it, t)] = 1
	}
	t := c.SubscribeMultiple(filters, nil)
	if !t.WaitTimeout(15 * time.Second) {
		return errors.New("the broker did not answer the subscription")
	}
	if err := t.Error(); err != nil {
		return fmt.Errorf("subscribe: %v", err)
	}
	if st, ok := t.(*mqtt.SubscribeToken); ok {
		for f, code := range st.Result() {
			if code == 0x80 {
				return fmt.Errorf("the broker refused the subscription to %s", f)
			}
		}
	}
	return nil
}
