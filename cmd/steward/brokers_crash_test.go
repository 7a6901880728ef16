package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"steward/internal/auth"
	"steward/internal/event"
	"steward/internal/store"
)

// A kill -9 while devices publish over MQTT and NATS (and senders post
// over HTTP) loses no event the broker or sender was told was stored:
// after a restart every published event is there, NATS events exactly
// once. MQTT 3.1.1 gives a redelivered message no id, so a message
// stored just before the kill but not yet acknowledged comes again and
// is stored twice; the test counts such duplicates and allows them.
func TestKillDuringBrokerStreamsLosesNoEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary")
	}
	mqttURL, natsURL := os.Getenv("STEWARD_TEST_MQTT_URL"), os.Getenv("STEWARD_TEST_NATS_URL")
	if mqttURL == "" || natsURL == "" {
		t.Skip("brokers not tested: STEWARD_TEST_MQTT_URL and STEWARD_TEST_NATS_URL must both be set")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "steward")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "data")
	mk := exec.Command(bin, "user", "create", "--data", data, "--email", "admin@crash.test", "--name", "Admin", "--role", "admin", "--password-stdin")
	mk.Stdin = strings.NewReader("a-long-password\n")
	if out, err := mk.CombinedOutput(); err != nil {
		t.Fatalf("user create: %v\n%s", err, out)
	}
	tag := randomTag()
	topic, stream := "steward-crash/"+tag, "STEWARD_CRASH_"+tag
	subject := strings.ToLower(stream)
	ids := createCrashIntegrations(t, data, []event.NewIntegration{
		{Name: "mqtt", Kind: event.KindMQTT, Config: event.Config{URL: mqttURL, Topics: []string{topic + "/#"}}},
		{Name: "nats", Kind: event.KindNATS, Config: event.Config{URL: natsURL, Stream: stream, Subjects: []string{subject + ".>"}}},
		{Name: "http", Kind: event.KindHTTP},
	})
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	defer js.DeleteStream(context.Background(), stream)

	addr := freeAddr(t)
	var logs bytes.Buffer
	srv := startServe(t, bin, data, addr, &logs)
	defer func() { srv.Process.Kill(); srv.Wait() }()
	waitCrash(t, "both consumers connect", 30*time.Second, func() bool {
		return crashStatus(t, data, ids["mqtt"]) == "connected" && crashStatus(t, data, ids["nats"]) == "connected"
	})

	const total = 20_000
	var published, httpAcked atomic.Int64
	pubErr := make(chan error, 3)
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); pubErr <- publishMQTTStream(mqttURL, topic, total, &published) }()
	go func() { defer wg.Done(); pubErr <- publishNATSStream(js, subject, total) }()
	go func() { defer wg.Done(); postHTTPStream(addr, ids, &httpAcked) }()

	// Kill in the middle of the stream, restart at once on the same data.
	waitCrash(t, "a quarter of the stream published", 60*time.Second, func() bool { return published.Load() >= total/4 })
	srv.Process.Signal(syscall.SIGKILL)
	srv.Wait()
	acked := httpAcked.Load()
	srv = startServe(t, bin, data, addr, &logs)
	wg.Wait()
	close(pubErr)
	for err := range pubErr {
		if err != nil {
			t.Fatal(err)
		}
	}

	db, err := sql.Open("sqlite", filepath.Join(data, "steward.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func(q string, id int64) int {
		var n int
		if err := db.QueryRow(q, id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	const distinct = `SELECT COUNT(DISTINCT device) FROM events WHERE integration_id = ?`
	const rows = `SELECT COUNT(*) FROM events WHERE integration_id = ?`
	waitCrash(t, "every published event stored", 90*time.Second, func() bool {
		return count(distinct, ids["mqtt"]) >= total && count(distinct, ids["nats"]) >= total
	})
	if n := count(distinct, ids["mqtt"]); n != total {
		t.Fatalf("MQTT: %d of %d devices' events stored", n, total)
	}
	if n, d := count(rows, ids["nats"]), count(distinct, ids["nats"]); n != total || d != total {
		t.Fatalf("NATS: %d events for %d devices, want exactly %d", n, d, total)
	}
	dups := count(rows, ids["mqtt"]) - total
	if acked < 0 {
		t.Log("HTTP path not tested: this build does not serve POST /api/v1/events")
	} else {
		if n := count(rows, ids["http"]); int64(n) < acked*100 {
			t.Fatalf("HTTP: %d batches of 100 were answered 202 before the kill, but only %d events are stored", acked, n)
		}
	}
	t.Logf("after a kill -9: %d MQTT events (%d redelivered twice), %d NATS events, HTTP batches answered 202 before the kill: %d",
		total, dups, total, acked)
}

func randomTag() string {
	b := make([]byte, 4)
	rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))
}

func startServe(t *testing.T, bin, data, addr string, logs *bytes.Buffer) *exec.Cmd {
	t.Helper()
	srv := exec.Command(bin, "serve", "--data", data, "--addr", addr)
	srv.Stderr = logs
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	waitReady(t, "http://"+addr+"/readyz")
	return srv
}

// createCrashIntegrations records the integrations before the server
// starts, as an administrator, and returns their ids by name.
func createCrashIntegrations(t *testing.T, data string, list []event.NewIntegration) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var uid int64
	if err := db.QueryRow(ctx, `SELECT id FROM users WHERE email = ?`, "admin@crash.test").Scan(&uid); err != nil {
		t.Fatal(err)
	}
	p := &auth.Principal{UserID: uid, Email: "admin@crash.test", Role: auth.Admin}
	svc := event.NewService(db, nil, nil, nil)
	ids := map[string]int64{}
	for _, in := range list {
		it, err := svc.CreateIntegration(ctx, p, in)
		if err != nil {
			t.Fatal(err)
		}
		ids[in.Name] = it.ID
		if in.Kind == event.KindHTTP {
			crashKeys.Store(it.ID, it.RoutingKey)
		}
	}
	return ids
}

var crashKeys sync.Map

func crashStatus(t *testing.T, data string, id int64) string {
	db, err := sql.Open("sqlite", filepath.Join(data, "steward.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var s string
	db.QueryRow(`SELECT status FROM integrations WHERE id = ?`, id).Scan(&s)
	return s
}

func waitCrash(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// publishMQTTStream publishes total events at QoS 1, one device each, at
// about 2,000 a second: a broker keeps only so many messages for a
// subscriber that is away (Mosquitto: 1,000 per session by default), and
// the stream must outlast the restart without overrunning that.
func publishMQTTStream(url, topic string, total int, published *atomic.Int64) error {
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(url).SetClientID("steward-crash-pub-" + randomTag()))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		return fmt.Errorf("mqtt publisher: %v", tok.Error())
	}
	defer c.Disconnect(100)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for i := 0; i < total; {
		<-tick.C
		var toks []mqtt.Token
		for j := 0; j < 20 && i < total; j, i = j+1, i+1 {
			toks = append(toks, c.Publish(topic+"/dev", 1, false, fmt.Sprintf(`{"ci":"m-%d","check":"heartbeat","severity":"info"}`, i)))
		}
		for _, tok := range toks {
			if !tok.WaitTimeout(20*time.Second) || tok.Error() != nil {
				return fmt.Errorf("mqtt publish: %v", tok.Error())
			}
		}
		published.Add(int64(len(toks)))
	}
	return nil
}

// publishNATSStream publishes total events to the stream at the same
// pace, waiting for the stream to exist first (the server creates it).
func publishNATSStream(js jetstream.JetStream, subject string, total int) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for i := 0; i < total; {
		<-tick.C
		for j := 0; j < 20 && i < total; j, i = j+1, i+1 {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, err := js.Publish(ctx, subject+".dev", fmt.Appendf(nil, `{"ci":"n-%d","check":"heartbeat","severity":"info"}`, i))
			cancel()
			if err != nil {
				return fmt.Errorf("nats publish %d: %v", i, err)
			}
		}
	}
	return nil
}

// postHTTPStream posts batches of 100 events until the server is killed
// and counts the batches answered 202. It sets acked to -1 when this
// server does not take events over HTTP.
func postHTTPStream(addr string, ids map[string]int64, acked *atomic.Int64) {
	key, _ := crashKeys.Load(ids["http"])
	client := &http.Client{Timeout: 5 * time.Second}
	for b := 0; b < 100; b++ {
		var body strings.Builder
		body.WriteString("[")
		for i := range 100 {
			if i > 0 {
				body.WriteString(",")
			}
			fmt.Fprintf(&body, `{"ci":"h-%d-%d","check":"heartbeat","severity":"info","message_id":"h-%d-%d"}`, b, i, b, i)
		}
		body.WriteString("]")
		req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/events", strings.NewReader(body.String()))
		req.Header.Set("X-Routing-Key", key.(string))
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			return // the server is gone
		}
		res.Body.Close()
		switch res.StatusCode {
		case http.StatusAccepted:
			acked.Add(1)
		case http.StatusNotFound, http.StatusMethodNotAllowed:
			acked.Store(-1)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
