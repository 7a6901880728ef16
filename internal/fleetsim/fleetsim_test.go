package fleetsim

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"steward/internal/event"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newModel(t *testing.T, s Spec) *Model {
	t.Helper()
	m, err := NewModel(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSameSeedSameEvents(t *testing.T) {
	s := Spec{Devices: 1000, PerGateway: 50, Faults: 0.3, Seed: 42, RunID: "r"}
	a := newModel(t, s).Next(nil, 5000, t0)
	b := newModel(t, s).Next(nil, 5000, t0)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two fleets with the same seed sent different events")
	}
	s.Seed = 43
	if c := newModel(t, s).Next(nil, 5000, t0); reflect.DeepEqual(a, c) {
		t.Fatal("another seed sent the same events")
	}
}

func TestHeartbeatsFaultsAndResolves(t *testing.T) {
	m := newModel(t, Spec{Devices: 1000, PerGateway: 100, Faults: 0.2, Seed: 7, RunID: "r"})
	es := m.Next(nil, 20000, t0)
	if len(es) != 20000 {
		t.Fatalf("got %d events, want 20000", len(es))
	}
	open := map[string]string{} // dedup key -> severity of the open fault
	ids := map[string]bool{}
	var heartbeats, triggers, resolves int
	for i, e := range es {
		if ids[e.MessageID] {
			t.Fatalf("message id %s used twice", e.MessageID)
		}
		ids[e.MessageID] = true
		if want := SensorID(i % 1000); e.Device != want {
			t.Fatalf("event %d from %s, want %s (each sensor in turn)", i, e.Device, want)
		}
		if e.DedupKey != e.Device+"/"+e.Check {
			t.Fatalf("dedup key %q for %s/%s", e.DedupKey, e.Device, e.Check)
		}
		switch {
		case e.Check == "heartbeat":
			if e.Severity != "ok" || e.Action != "trigger" {
				t.Fatalf("heartbeat %+v", e)
			}
			heartbeats++
		case e.Action == "trigger":
			if e.Severity != "critical" && e.Severity != "major" {
				t.Fatalf("fault with severity %s", e.Severity)
			}
			if was, ok := open[e.DedupKey]; ok && was != e.Severity {
				t.Fatalf("fault %s repeated as %s, was %s", e.DedupKey, e.Severity, was)
			}
			open[e.DedupKey] = e.Severity
			triggers++
		case e.Action == "resolve":
			if _, ok := open[e.DedupKey]; !ok || e.Raised != open[e.DedupKey] {
				t.Fatalf("resolve of %s, which is not open (or with another severity)", e.DedupKey)
			}
			delete(open, e.DedupKey)
			resolves++
		}
	}
	if triggers == 0 || resolves == 0 || heartbeats < 15000 {
		t.Fatalf("heartbeats %d, fault triggers %d, resolves %d: want mostly heartbeats and some of each", heartbeats, triggers, resolves)
	}
	if none := newModel(t, Spec{Devices: 100, Seed: 7}).Next(nil, 1000, t0); len(none) != 1000 {
		t.Fatal("a fleet without faults sent a short batch")
	} else {
		for _, e := range none {
			if e.Check != "heartbeat" {
				t.Fatalf("a fleet without faults sent %+v", e)
			}
		}
	}
}

func TestOutageCoversExactlyTheGatewaysSensors(t *testing.T) {
	m := newModel(t, Spec{Devices: 100_000, PerGateway: 5000, Seed: 3, RunID: "r"})
	if m.Gateways() != 20 {
		t.Fatalf("%d gateways, want 20", m.Gateways())
	}
	g := m.OutageGateway()
	out := m.Outage(g, t0)
	if len(out) != 5001 {
		t.Fatalf("outage sent %d events, want the gateway and its 5000 sensors", len(out))
	}
	if gw := out[0]; gw.Device != GatewayID(g) || gw.Severity != "critical" || gw.Action != "trigger" {
		t.Fatalf("first outage event %+v, want the gateway unreachable", gw)
	}
	seen := map[string]bool{}
	for _, e := range out[1:] {
		if e.Gateway != GatewayID(g) || e.Check != "heartbeat" || e.Severity != "critical" || !e.Outage {
			t.Fatalf("outage event %+v", e)
		}
		seen[e.Device] = true
	}
	// Every sensor the CMDB's rule puts behind the gateway, and no other.
	for n := range 100_000 {
		behind := int(int64(n)*20/100_000) == g
		if seen[SensorID(n)] != behind {
			t.Fatalf("sensor %s: in the outage %v, behind the gateway %v", SensorID(n), seen[SensorID(n)], behind)
		}
	}
	if again := m.Outage(g, t0); again != nil {
		t.Fatal("a gateway already down went down again")
	}
	// The sensors behind it say nothing more; the others go on.
	for _, e := range m.Next(nil, 200_000, t0) {
		if seen[e.Device] {
			t.Fatalf("%s sent %s after its gateway went down", e.Device, e.Check)
		}
	}
}

func TestUnevenGatewaysMatchTheCMDBRule(t *testing.T) {
	m := newModel(t, Spec{Devices: 977, Gateways: 10, Seed: 1})
	total := 0
	for g := range 10 {
		first, end := m.SensorsOf(g)
		for n := first; n < end; n++ {
			if m.GatewayOf(n) != g {
				t.Fatalf("sensor %d in gateway %d's range but behind %d", n, g, m.GatewayOf(n))
			}
		}
		total += end - first
	}
	if total != 977 {
		t.Fatalf("gateways hold %d sensors, want 977", total)
	}
	all := newModel(t, Spec{Devices: 10, Gateways: 1, Seed: 1})
	all.Outage(0, t0)
	if es := all.Next(nil, 100, t0); len(es) != 0 {
		t.Fatalf("a fleet whose only gateway is down sent %d events", len(es))
	}
}

func TestSpecBounds(t *testing.T) {
	for _, s := range []Spec{{Devices: 0}, {Devices: MaxDevices + 1}, {Devices: 10, Faults: 1.5}, {Devices: 10, Gateways: 11}, {Devices: 10, PerGateway: -1}, {Devices: 10, HeartbeatSeverity: "loud"}} {
		if _, err := NewModel(s); err == nil {
			t.Errorf("spec %+v accepted", s)
		}
	}
}

// The wire format is what Steward's event intake checks.
func TestEncodedEventsAreValidInputs(t *testing.T) {
	m := newModel(t, Spec{Devices: 50, PerGateway: 10, Faults: 1, Seed: 9, RunID: "r"})
	es := append(m.Outage(1, t0), m.Next(nil, 200, t0)...)
	var ins []event.Input
	if err := json.Unmarshal(AppendBatch(nil, "fleetsim", es), &ins); err != nil {
		t.Fatal(err)
	}
	if len(ins) != len(es) {
		t.Fatalf("%d inputs from %d events", len(ins), len(es))
	}
	for i, in := range ins {
		ev, err := event.Normalize(1, in, t0.Add(time.Second))
		if err != nil {
			t.Fatalf("event %d refused: %v (%+v)", i, err, in)
		}
		if ev.Device != es[i].Device || string(ev.Severity) != es[i].Severity || string(ev.Action) != es[i].Action ||
			ev.DedupKey != es[i].DedupKey || ev.MessageID != es[i].MessageID || !ev.OccurredAt.Equal(t0) || ev.Labels["gateway"] != es[i].Gateway {
			t.Fatalf("event %d came out as %+v, sent %+v", i, ev, es[i])
		}
	}
	var alerts []struct {
		Labels   map[string]string `json:"labels"`
		StartsAt time.Time         `json:"startsAt"`
		EndsAt   *time.Time        `json:"endsAt"`
	}
	if err := json.Unmarshal(AppendAlerts(nil, "fleetsim", es), &alerts); err != nil {
		t.Fatal(err)
	}
	for i, a := range alerts {
		e := es[i]
		if a.Labels["alertname"] != e.Check || a.Labels["instance"] != e.Device || (e.Action == "resolve") != (a.EndsAt != nil) {
			t.Fatalf("alert %d is %+v for %+v", i, a, e)
		}
		if e.Action == "resolve" && a.Labels["severity"] != e.Raised {
			t.Fatalf("resolve of %s labelled %s, its trigger %s", e.DedupKey, a.Labels["severity"], e.Raised)
		}
	}
}

// A fake receiver that answers as the wire contract says, counting what
// it got.
func fakeSteward(t *testing.T, dupEvery int) (*httptest.Server, *atomic.Int64) {
	var got atomic.Int64
	var mu sync.Mutex
	seen := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/events" || r.Header.Get("X-Routing-Key") != "key" {
			http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		b, _ := io.ReadAll(r.Body)
		var ins []event.Input
		if err := json.Unmarshal(b, &ins); err != nil || len(ins) > event.MaxBatch {
			http.Error(w, `{"error":"bad batch"}`, http.StatusUnprocessableEntity)
			return
		}
		acc, dup := 0, 0
		mu.Lock()
		for _, in := range ins {
			if seen[in.MessageID] {
				dup++
			} else {
				seen[in.MessageID] = true
				acc++
			}
		}
		mu.Unlock()
		got.Add(int64(len(ins)))
		w.WriteHeader(http.StatusAccepted)
		json.NewEncoder(w).Encode(map[string]int{"accepted": acc, "duplicates": dup})
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func TestRunStopsAtTheEventCount(t *testing.T) {
	srv, got := fakeSteward(t, 0)
	res, err := Run(context.Background(), Config{Spec: Spec{Devices: 2000, PerGateway: 500, Faults: 0.1, Seed: 1},
		Transport: TransportHTTP, URL: srv.URL, Key: "key", Duration: 20 * time.Second, Events: 12_345, Batch: 1000,
		Clients: 4, OutageAt: 0})
	if err != nil {
		t.Fatal(err)
	}
	if res.StoppedBy != "events" || res.Sent != 12_345 || got.Load() != 12_345 || res.Accepted != 12_345 || res.Errors != 0 || res.Refused != 0 {
		t.Fatalf("result %+v; the receiver got %d", res, got.Load())
	}
	if res.Batches != 13 || res.Latency.N != 13 {
		t.Fatalf("%d batches timed, want 13", res.Latency.N)
	}
	if res.Outage == nil || res.Outage.Events != 501 || res.Outage.Sensors != 500 {
		t.Fatalf("outage %+v, want the gateway and its 500 sensors", res.Outage)
	}
}

func TestRunStopsAtTheDurationAndCountsRefusals(t *testing.T) {
	srv, _ := fakeSteward(t, 0)
	start := time.Now()
	res, err := Run(context.Background(), Config{Spec: Spec{Devices: 100, Seed: 1}, Transport: TransportHTTP,
		URL: srv.URL, Key: "wrong", Duration: 300 * time.Millisecond, Rate: 2000, Batch: 100, Clients: 2, OutageAt: -1})
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 10*time.Second || res.StoppedBy != "duration" {
		t.Fatalf("run stopped by %s after %s", res.StoppedBy, time.Since(start))
	}
	if res.Sent == 0 || res.Refused != res.Sent || res.Accepted != 0 || len(res.Failures) != 1 {
		t.Fatalf("result %+v: every batch should be refused with one reason", res)
	}
	for k := range res.Failures {
		if !strings.HasPrefix(k, "401") {
			t.Fatalf("failure %q", k)
		}
	}
	if res.Outage != nil {
		t.Fatal("an outage without --gateway-outage")
	}
}

func TestRunCountsUnreachableAsErrors(t *testing.T) {
	srv, _ := fakeSteward(t, 0)
	url := srv.URL
	srv.Close()
	res, err := Run(context.Background(), Config{Spec: Spec{Devices: 100, Seed: 1}, Transport: TransportHTTP,
		URL: url, Key: "key", Duration: 10 * time.Second, Events: 300, Batch: 100, Clients: 1, OutageAt: -1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 300 || res.Accepted != 0 {
		t.Fatalf("result %+v: want every event an error", res)
	}
}

// The generator's own cost per event: model and JSON.
func BenchmarkModelAndEncode(b *testing.B) {
	m, _ := NewModel(Spec{Devices: 100_000, Faults: 0.05, Seed: 1, RunID: "r"})
	var es []Event
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		es = m.Next(es[:0], 1000, t0)
		buf = AppendBatch(buf[:0], "fleetsim", es)
	}
	b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "events/s")
}
