package event

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/store/storetest"
)

// brokerWorld is a Service on a fresh database with RunBrokers running.
type brokerWorld struct {
	t     testing.TB
	svc   *Service
	admin *auth.Principal
}

func newBrokerWorld(t testing.TB) *brokerWorld {
	t.Helper()
	return newBrokerWorldOn(t, storetest.SQLite(t))
}

func newBrokerWorldOn(t testing.TB, e storetest.Engine) *brokerWorld {
	t.Helper()
	ctx := context.Background()
	u, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: "admin@brokers.test", Name: "Admin", Role: auth.Admin, Password: "long-enough-password"})
	if err != nil {
		t.Fatal(err)
	}
	w := &brokerWorld{t: t, svc: NewService(e.DB, nil, nil, nil),
		admin: &auth.Principal{UserID: u.ID, Email: u.Email, Name: u.Name, Role: auth.Admin}}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.svc.RunBrokers(rctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	return w
}

func (w *brokerWorld) create(in NewIntegration) Integration {
	w.t.Helper()
	it, err := w.svc.CreateIntegration(context.Background(), w.admin, in)
	if err != nil {
		w.t.Fatal(err)
	}
	return it
}

func (w *brokerWorld) count(id int64) int {
	var n int
	if err := w.svc.DB.QueryRow(context.Background(), `SELECT COUNT(*) FROM events WHERE integration_id = ?`, id).Scan(&n); err != nil {
		w.t.Fatal(err)
	}
	return n
}

func (w *brokerWorld) status(id int64) string {
	it, err := w.svc.Integration(context.Background(), id)
	if err != nil {
		w.t.Fatal(err)
	}
	return it.Status
}

// setActive switches an integration on or off the way an administrator's
// change does: the row, then the signal.
func (w *brokerWorld) setActive(id int64, on bool) {
	if _, err := w.svc.DB.Exec(context.Background(), `UPDATE integrations SET active = ? WHERE id = ?`, on, id); err != nil {
		w.t.Fatal(err)
	}
	poke(w.svc.changed)
}

func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 20 s: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func uniq(prefix string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func mqttURL(t testing.TB) string {
	u := os.Getenv("STEWARD_TEST_MQTT_URL")
	if u == "" {
		t.Skip("MQTT not tested: STEWARD_TEST_MQTT_URL is unset (e.g. tcp://127.0.0.1:1883)")
	}
	return u
}

func natsURL(t testing.TB) string {
	u := os.Getenv("STEWARD_TEST_NATS_URL")
	if u == "" {
		t.Skip("NATS not tested: STEWARD_TEST_NATS_URL is unset (e.g. nats://127.0.0.1:4222)")
	}
	return u
}

func mqttPublisher(t testing.TB, url string) mqtt.Client {
	t.Helper()
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(url).SetClientID(uniq("steward-test-pub-")).SetMaxResumePubInFlight(1000))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect publisher: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

func mqttPublish(t testing.TB, c mqtt.Client, topic string, bodies ...string) {
	t.Helper()
	toks := make([]mqtt.Token, 0, len(bodies))
	for _, b := range bodies {
		toks = append(toks, c.Publish(topic, 1, false, b))
	}
	for _, tok := range toks {
		if !tok.WaitTimeout(20*time.Second) || tok.Error() != nil {
			t.Fatalf("publish: %v", tok.Error())
		}
	}
}

// Events published on an MQTT topic are each stored once, by a consumer
// that started because its integration was created while Steward ran.
func TestMQTTStoresEachPublishedEvent(t *testing.T) {
	url := mqttURL(t)
	storetest.Each(t, func(t *testing.T, e storetest.Engine) { testMQTTStores(t, url, newBrokerWorldOn(t, e)) })
}

func testMQTTStores(t *testing.T, url string, w *brokerWorld) {
	prefix := uniq("steward-test/")
	it := w.create(NewIntegration{Name: "fleet", Kind: KindMQTT, Config: Config{URL: url, Topics: []string{prefix + "/#"}}})
	eventually(t, "the consumer connects", func() bool { return w.status(it.ID) == "connected" })
	pub := mqttPublisher(t, url)
	const n = 2000
	bodies := make([]string, n)
	for i := range bodies {
		bodies[i] = fmt.Sprintf(`{"ci":"dev-%d","check":"heartbeat","severity":"info"}`, i)
	}
	mqttPublish(t, pub, prefix+"/dev", bodies...)
	eventually(t, fmt.Sprintf("%d events stored", n), func() bool { return w.count(it.ID) >= n })
	time.Sleep(300 * time.Millisecond)
	if got := w.count(it.ID); got != n {
		t.Fatalf("%d events stored, want %d", got, n)
	}
	var devices int
	w.svc.DB.QueryRow(context.Background(), `SELECT COUNT(DISTINCT device) FROM events WHERE integration_id = ?`, it.ID).Scan(&devices)
	if devices != n {
		t.Fatalf("%d distinct devices stored, want %d", devices, n)
	}
}

// A vendor's payload becomes the event its mapping describes; messages
// that cannot become events are counted on the integration and do not
// hold up the ones behind them.
func TestMQTTMappingAndRefusedMessages(t *testing.T) {
	url := mqttURL(t)
	w := newBrokerWorld(t)
	prefix := uniq("steward-test/")
	it := w.create(NewIntegration{Name: "acme", Kind: KindMQTT, Config: Config{URL: url, Topics: []string{prefix + "/+/+"},
		Mapping: &Mapping{
			Fields:     map[string]string{"ci": "$topic[-2]", "metric": "$topic[-1]", "severity": "state", "action": "state", "summary": "text", "source": "=acme"},
			Severities: map[string]Severity{"ALARM": Critical, "NORMAL": OK},
			Actions:    map[string]Action{"ALARM": Trigger, "NORMAL": Resolve},
		}}})
	eventually(t, "the consumer connects", func() bool { return w.status(it.ID) == "connected" })
	pub := mqttPublisher(t, url)
	mqttPublish(t, pub, prefix+"/gw-17/temperature", `{"state":"ALARM","text":"too hot"}`)
	mqttPublish(t, pub, prefix+"/gw-17/temperature", `not json`, `{"state":"BROKEN"}`)
	mqttPublish(t, pub, prefix+"/gw-18/humidity", `{"state":"NORMAL"}`)
	eventually(t, "two events stored", func() bool { return w.count(it.ID) == 2 })
	rows, err := w.svc.DB.Query(context.Background(), `SELECT `+EventCols+` FROM events WHERE integration_id = ? ORDER BY device`, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []Event
	for rows.Next() {
		e, err := ScanEvent(rows)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e)
	}
	rows.Close()
	if e := got[0]; e.Device != "gw-17" || e.Metric != "temperature" || e.Severity != Critical || e.Action != Trigger || e.Summary != "too hot" || e.Source != "acme" {
		t.Fatalf("first event %+v", e)
	}
	if e := got[1]; e.Device != "gw-18" || e.Metric != "humidity" || e.Severity != OK || e.Action != Resolve {
		t.Fatalf("second event %+v", e)
	}
	eventually(t, "the refusals show on the integration", func() bool {
		s := w.status(it.ID)
		// The two arrive on different sessions; either may be the last.
		return strings.HasPrefix(s, "connected; 2 messages refused; last: ") && (strings.Contains(s, "must be") || strings.Contains(s, "not JSON"))
	})
}

// A deactivated integration stops consuming; its persistent session
// keeps what was published meanwhile, and it arrives once the
// integration is active again.
func TestMQTTDeactivatedStopsAndSessionKeepsMessages(t *testing.T) {
	url := mqttURL(t)
	w := newBrokerWorld(t)
	prefix := uniq("steward-test/")
	it := w.create(NewIntegration{Name: "fleet", Kind: KindMQTT, Config: Config{URL: url, Topics: []string{prefix + "/#"}}})
	eventually(t, "the consumer connects", func() bool { return w.status(it.ID) == "connected" })
	pub := mqttPublisher(t, url)
	mqttPublish(t, pub, prefix+"/a", `{"ci":"before"}`)
	eventually(t, "the first event stored", func() bool { return w.count(it.ID) == 1 })

	w.setActive(it.ID, false)
	eventually(t, "the consumer stops", func() bool { return w.status(it.ID) == "stopped" })
	for i := range 50 {
		mqttPublish(t, pub, prefix+"/a", fmt.Sprintf(`{"ci":"while-stopped-%d"}`, i))
	}
	time.Sleep(500 * time.Millisecond)
	if got := w.count(it.ID); got != 1 {
		t.Fatalf("a stopped integration stored %d events", got-1)
	}
	w.setActive(it.ID, true)
	eventually(t, "the events published while stopped arrive", func() bool { return w.count(it.ID) == 51 })
}

func natsJS(t testing.TB, url string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

func natsPublish(t testing.TB, js jetstream.JetStream, subject string, bodies ...string) {
	t.Helper()
	var futs []jetstream.PubAckFuture
	for i, b := range bodies {
		f, err := js.PublishAsync(subject, []byte(b))
		if err != nil {
			t.Fatal(err)
		}
		futs = append(futs, f)
		if i%1000 == 999 {
			<-js.PublishAsyncComplete()
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(20 * time.Second):
		t.Fatal("publish not acknowledged")
	}
	for _, f := range futs {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			t.Fatal(err)
		}
	}
}

// natsStream names a stream for one test and deletes it at the end.
func natsStream(t testing.TB, js jetstream.JetStream) (stream, subject string) {
	stream = uniq("STEWARD_TEST_")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		js.DeleteStream(ctx, stream)
	})
	return stream, strings.ToLower(stream)
}

// A NATS integration creates its stream, stores each published event
// once, refuses (and counts) bad messages without being held up by them,
// and stops when deactivated.
func TestNATSStoresEachPublishedEvent(t *testing.T) {
	url := natsURL(t)
	storetest.Each(t, func(t *testing.T, e storetest.Engine) { testNATSStores(t, url, newBrokerWorldOn(t, e)) })
}

func testNATSStores(t *testing.T, url string, w *brokerWorld) {
	_, js := natsJS(t, url)
	stream, subject := natsStream(t, js)
	it := w.create(NewIntegration{Name: "fleet", Kind: KindNATS, Config: Config{URL: url, Stream: stream, Subjects: []string{subject + ".>"}}})
	eventually(t, "the consumer connects", func() bool { return w.status(it.ID) == "connected" })
	const n = 3000
	bodies := make([]string, 0, n+2)
	for i := range n {
		bodies = append(bodies, fmt.Sprintf(`{"ci":"dev-%d","check":"heartbeat","severity":"info"}`, i))
		if i == 10 {
			bodies = append(bodies, `{"ci":"dev-x","severity":"dreadful"}`, `[1,2]`)
		}
	}
	natsPublish(t, js, subject+".dev", bodies...)
	eventually(t, fmt.Sprintf("%d events stored", n), func() bool { return w.count(it.ID) >= n })
	eventually(t, "the refusals show on the integration", func() bool {
		return strings.HasPrefix(w.status(it.ID), "connected; 2 messages refused; last: ")
	})
	if got := w.count(it.ID); got != n {
		t.Fatalf("%d events stored, want %d", got, n)
	}

	w.setActive(it.ID, false)
	eventually(t, "the consumer stops", func() bool { return w.status(it.ID) == "stopped" })
	natsPublish(t, js, subject+".dev", `{"ci":"later"}`)
	time.Sleep(500 * time.Millisecond)
	if got := w.count(it.ID); got != n {
		t.Fatalf("a stopped integration stored %d events", got-n)
	}
	w.setActive(it.ID, true)
	eventually(t, "the event published while stopped arrives", func() bool { return w.count(it.ID) == n+1 })
}

// cutProxy is a TCP proxy in front of a broker whose connections the
// test can cut and restore, standing in for a network outage.
type cutProxy struct {
	ln       net.Listener
	upstream string
	mu       sync.Mutex
	cut      bool
	conns    []net.Conn
}

func newCutProxy(t testing.TB, upstream string) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, upstream: upstream}
	t.Cleanup(func() { ln.Close(); p.setCut(true) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			if p.cut {
				p.mu.Unlock()
				c.Close()
				continue
			}
			up, err := net.Dial("tcp", upstream)
			if err != nil {
				p.mu.Unlock()
				c.Close()
				continue
			}
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close(); c.Close() }()
			go func() { io.Copy(c, up); up.Close(); c.Close() }()
		}
	}()
	return p
}

func (p *cutProxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for _, c := range p.conns {
			c.Close()
		}
		p.conns = nil
	}
}

// A consumer whose connection to NATS is cut reconnects once it is back,
// and the events published meanwhile arrive.
func TestNATSReconnectsAfterTheNetworkIsBack(t *testing.T) {
	url := natsURL(t)
	w := newBrokerWorld(t)
	_, js := natsJS(t, url)
	stream, subject := natsStream(t, js)
	host := strings.TrimPrefix(url, "nats://")
	proxy := newCutProxy(t, host)
	it := w.create(NewIntegration{Name: "fleet", Kind: KindNATS, Config: Config{URL: "nats://" + proxy.ln.Addr().String(), Stream: stream, Subjects: []string{subject + ".>"}}})
	eventually(t, "the consumer connects", func() bool { return w.status(it.ID) == "connected" })
	natsPublish(t, js, subject+".a", `{"ci":"before"}`)
	eventually(t, "the first event stored", func() bool { return w.count(it.ID) == 1 })

	proxy.setCut(true)
	eventually(t, "the lost connection shows", func() bool { return strings.HasPrefix(w.status(it.ID), "connection lost") })
	for i := range 100 {
		natsPublish(t, js, subject+".a", fmt.Sprintf(`{"ci":"during-%d"}`, i))
	}
	proxy.setCut(false)
	eventually(t, "the events published during the outage arrive", func() bool { return w.count(it.ID) == 101 })
	eventually(t, "the consumer shows connected", func() bool { return w.status(it.ID) == "connected" })
}

// A broker that cannot be reached shows as such on the integration.
func TestUnreachableBrokerShowsOnTheIntegration(t *testing.T) {
	w := newBrokerWorld(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	m := w.create(NewIntegration{Name: "mqtt", Kind: KindMQTT, Config: Config{URL: "tcp://" + addr, Topics: []string{"x/#"}}})
	n := w.create(NewIntegration{Name: "nats", Kind: KindNATS, Config: Config{URL: "nats://" + addr, Stream: "X", Subjects: []string{"x.>"}}})
	eventually(t, "both show why they are not connected", func() bool {
		return strings.HasPrefix(w.status(m.ID), "cannot connect to tcp://"+addr) && strings.HasPrefix(w.status(n.ID), "cannot connect to nats://"+addr)
	})
	t.Logf("mqtt: %s; nats: %s", w.status(m.ID), w.status(n.ID))
}
