package event

import (
	"context"
	"fmt"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/nats-io/nats.go/jetstream"
)

// benchEvents is how many messages each broker benchmark publishes.
const benchEvents = 100_000

func benchBodies() [][]byte {
	out := make([][]byte, benchEvents)
	for i := range out {
		out[i] = fmt.Appendf(nil, `{"ci":"dev-%d","check":"heartbeat","metric":"temperature","severity":"info","summary":"reading %d"}`, i%100_000, i)
	}
	return out
}

// stored is how many events the bench database holds: one integration,
// no duplicates, so the highest id is the count, read without a scan.
func (w *brokerWorld) stored() int {
	var n int
	w.svc.DB.QueryRow(context.Background(), `SELECT COALESCE(MAX(id), 0) FROM events`).Scan(&n)
	return n
}

func (w *brokerWorld) waitStored(b *testing.B, n int) {
	deadline := time.Now().Add(5 * time.Minute)
	for w.stored() < n {
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d events stored", w.stored(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Events/s an MQTT integration consumes and stores (SQLite). The
// publisher stays at most mqttBenchAhead messages ahead of what is
// stored: a broker drops QoS 1 messages for a subscriber beyond its queue
// limit (Mosquitto: 1,000 per session by default), which would measure
// the broker's settings, not Steward.
func BenchmarkMQTTConsume(b *testing.B) {
	url := mqttURL(b)
	w := newBrokerWorld(b)
	prefix := uniq("steward-bench/")
	it := w.create(NewIntegration{Name: "bench", Kind: KindMQTT, Config: Config{URL: url, Topics: []string{prefix + "/#"}}})
	eventually(b, "the consumer connects", func() bool { return w.status(it.ID) == "connected" })
	pub := mqttPublisher(b, url)
	bodies := benchBodies()
	const ahead = 4000
	b.ResetTimer()
	start := time.Now()
	total := 0
	for range b.N {
		var last mqtt.Token
		for i, body := range bodies {
			if i%500 == 0 {
				for total+i-w.stored() > ahead {
					time.Sleep(time.Millisecond)
				}
			}
			last = pub.Publish(prefix+"/fleet", 1, false, body)
		}
		last.Wait()
		total += len(bodies)
		w.waitStored(b, total)
	}
	b.StopTimer()
	b.ReportMetric(float64(total)/time.Since(start).Seconds(), "events/s")
}

// Events/s a NATS integration consumes and stores (SQLite), from a
// stream already holding the messages.
func BenchmarkNATSConsume(b *testing.B) {
	url := natsURL(b)
	w := newBrokerWorld(b)
	_, js := natsJS(b, url)
	stream, subject := natsStream(b, js)
	bodies := benchBodies()
	// Create the stream and fill it before the consumer starts, so the
	// figure is the consumer's, not the publisher's.
	_, err := js.CreateStream(context.Background(), jsStreamConfig(stream, subject+".>"))
	if err != nil {
		b.Fatal(err)
	}
	total := 0
	for range b.N {
		for i, body := range bodies {
			if _, err := js.PublishAsync(subject+".fleet", body); err != nil {
				b.Fatal(err)
			}
			if i%2000 == 1999 {
				<-js.PublishAsyncComplete()
			}
		}
		<-js.PublishAsyncComplete()
		total += len(bodies)
	}
	b.ResetTimer()
	start := time.Now()
	w.create(NewIntegration{Name: "bench", Kind: KindNATS, Config: Config{URL: url, Stream: stream, Subjects: []string{subject + ".>"}}})
	w.waitStored(b, total)
	b.StopTimer()
	b.ReportMetric(float64(total)/time.Since(start).Seconds(), "events/s")
}

func jsStreamConfig(name, subject string) jetstream.StreamConfig {
	return jetstream.StreamConfig{Name: name, Subjects: []string{subject}, Storage: jetstream.FileStorage}
}
