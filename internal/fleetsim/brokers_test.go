package fleetsim

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"steward/internal/event"
)

func TestMQTTPublishesOneEventPerMessage(t *testing.T) {
	broker := os.Getenv("STEWARD_TEST_MQTT_URL")
	if broker == "" {
		t.Skip("STEWARD_TEST_MQTT_URL is not set (e.g. tcp://127.0.0.1:1883)")
	}
	prefix := fmt.Sprintf("fleetsim-test-%d", time.Now().UnixNano())
	var mu sync.Mutex
	got := map[string]string{} // message id -> topic
	sub := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(broker).SetClientID(prefix + "-sub"))
	if tok := sub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	defer sub.Disconnect(100)
	var bad []string
	tok := sub.Subscribe(prefix+"/#", 1, func(_ mqtt.Client, m mqtt.Message) {
		var in event.Input
		mu.Lock()
		defer mu.Unlock()
		if err := json.Unmarshal(m.Payload(), &in); err != nil {
			bad = append(bad, err.Error())
			return
		}
		if _, err := event.Normalize(1, in, time.Now()); err != nil {
			bad = append(bad, err.Error())
		}
		got[in.MessageID] = m.Topic()
	})
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	res, err := Run(context.Background(), Config{Spec: Spec{Devices: 300, PerGateway: 30, Faults: 0.2, Seed: 5},
		Transport: TransportMQTT, MQTTURL: broker, Prefix: prefix, Duration: 20 * time.Second, Events: 900,
		Batch: 100, Clients: 3, OutageAt: -1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 900 || res.Accepted != 900 || res.Errors != 0 {
		t.Fatalf("result %+v", res)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n == 900 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 900 || len(bad) > 0 {
		t.Fatalf("subscriber got %d distinct events, want 900; unreadable: %v", len(got), bad)
	}
	for _, topic := range got {
		parts := strings.Split(topic, "/")
		if len(parts) != 3 || !strings.HasPrefix(parts[1], "S-") || !strings.HasPrefix(parts[2], "SN-") {
			t.Fatalf("topic %q, want %s/<site>/<device>", topic, prefix)
		}
	}
}

func TestNATSPublishesIntoTheStream(t *testing.T) {
	server := os.Getenv("STEWARD_TEST_NATS_URL")
	if server == "" {
		t.Skip("STEWARD_TEST_NATS_URL is not set (e.g. nats://127.0.0.1:4222)")
	}
	ctx := context.Background()
	nc, err := nats.Connect(server)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	id := time.Now().UnixNano()
	prefix, name := fmt.Sprintf("fleetsimtest%d", id), fmt.Sprintf("FLEETSIM_TEST_%d", id)
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{prefix + ".>"}, Storage: jetstream.MemoryStorage})
	if err != nil {
		t.Fatal(err)
	}
	defer js.DeleteStream(ctx, name)

	res, err := Run(ctx, Config{Spec: Spec{Devices: 200, PerGateway: 20, Seed: 5}, Transport: TransportNATS, NATSURL: server,
		Prefix: prefix, Duration: 20 * time.Second, Events: 1000, Batch: 250, Clients: 1, OutageAt: 0})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 1000 || res.Accepted != 1000 || res.Errors != 0 {
		t.Fatalf("result %+v", res)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 1000 {
		t.Fatalf("stream holds %d messages, want 1000", info.State.Msgs)
	}
	msg, err := stream.GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	var in event.Input
	if err := json.Unmarshal(msg.Data, &in); err != nil {
		t.Fatal(err)
	}
	// The outage came first (one sender keeps the order): the gateway
	// itself, on fleet.<site>.<gateway>.
	if !strings.HasPrefix(in.CI, "GW-") || msg.Subject != prefix+"."+in.Labels["site"]+"."+in.CI {
		t.Fatalf("first message %s on %s", msg.Data, msg.Subject)
	}

	// Without a stream for the subjects, every event is an error, not a hang.
	res, err = Run(ctx, Config{Spec: Spec{Devices: 10, Seed: 5}, Transport: TransportNATS, NATSURL: server,
		Prefix: prefix + "none", Duration: 20 * time.Second, Events: 10, Batch: 10, Clients: 1, OutageAt: -1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 10 || res.Accepted != 0 {
		t.Fatalf("without a stream: %+v", res)
	}

	// The cleanup after a benchmark leaves no stream behind.
	if err := DeleteStream(ctx, server, name); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Stream(ctx, name); err == nil {
		t.Fatal("the stream is still there")
	}
}
