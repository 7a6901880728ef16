package fleetsim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"steward/internal/bench"
)

// Where events go.
const (
	TransportHTTP = "http"
	TransportMQTT = "mqtt"
	TransportNATS = "nats"
	// TransportAlertmanager posts the same events as alerts to
	// Alertmanager's API v2, for comparison.
	TransportAlertmanager = "alertmanager"
)

// Limits on a run.
const (
	MaxClients  = 256
	MaxBatch    = 1000
	MaxDuration = 30 * time.Minute
	MaxEvents   = 1_000_000_000
)

// Config describes one run.
type Config struct {
	Spec      Spec
	Transport string
	URL       string // Steward's base URL (http), or Alertmanager's (alertmanager)
	Key       string // routing key of the integration (http)
	MQTTURL   string // tcp://127.0.0.1:1883
	NATSURL   string // nats://127.0.0.1:4222
	Prefix    string // MQTT topics prefix/<site>/<device>, NATS subjects prefix.<site>.<device>
	Rate      float64
	Duration  time.Duration
	Events    int // 0: only Duration limits the run
	Batch     int
	Clients   int
	// OutageAt is when the outage's gateway goes down, after the start;
	// negative: no outage.
	OutageAt time.Duration
	// OnOutage, when set, is called once with the instant the first
	// outage event was handed to the transport.
	OnOutage func(at time.Time)

	Client *http.Client // tests; a default one otherwise
}

// Validate checks a configuration without touching the network.
func (c Config) Validate() error {
	if err := c.Spec.Validate(); err != nil {
		return err
	}
	switch c.Transport {
	case TransportHTTP, TransportAlertmanager:
		if c.URL == "" {
			return errors.New("a URL is required")
		}
		if c.Transport == TransportHTTP && strings.TrimSpace(c.Key) == "" {
			return errors.New("a routing key is required")
		}
	case TransportMQTT:
		if c.MQTTURL == "" {
			return errors.New("an MQTT broker URL is required")
		}
	case TransportNATS:
		if c.NATSURL == "" {
			return errors.New("a NATS server URL is required")
		}
	default:
		return fmt.Errorf("unknown transport %q: use http, mqtt or nats", c.Transport)
	}
	if c.Clients < 1 || c.Clients > MaxClients {
		return fmt.Errorf("clients must be between 1 and %d", MaxClients)
	}
	if c.Batch < 1 || c.Batch > MaxBatch {
		return fmt.Errorf("batch must be between 1 and %d", MaxBatch)
	}
	if c.Duration <= 0 || c.Duration > MaxDuration {
		return fmt.Errorf("duration must be above 0 and at most %s", MaxDuration)
	}
	if c.Events < 0 || c.Events > MaxEvents {
		return fmt.Errorf("events must be between 0 (no limit) and %d", MaxEvents)
	}
	if c.Rate < 0 {
		return errors.New("rate must be 0 (as fast as possible) or more")
	}
	return nil
}

// outcome is what a receiver did with one batch.
type outcome struct {
	accepted, duplicates, refused, errors int
	detail                                string // why events were refused or failed
}

// sender delivers batches; one per client.
type sender interface {
	send(ctx context.Context, batch []Event) outcome
	close()
}

// Result is what a run measured.
type Result struct {
	Transport      string         `json:"transport"`
	Devices        int            `json:"devices"`
	Gateways       int            `json:"gateways"`
	Clients        int            `json:"clients"`
	Batch          int            `json:"batch"`
	StoppedBy      string         `json:"stopped_by"` // "events", "duration" or "interrupted"
	Started        time.Time      `json:"started"`
	Elapsed        bench.Duration `json:"elapsed_ms"`
	Sent           int64          `json:"sent"`
	Accepted       int64          `json:"accepted"`
	Duplicates     int64          `json:"duplicates"`
	Refused        int64          `json:"refused"`
	Errors         int64          `json:"errors"`
	Batches        int64          `json:"batches"`
	SentPerSec     float64        `json:"sent_per_sec"`
	AcceptedPerSec float64        `json:"accepted_per_sec"`
	Latency        bench.Latency  `json:"batch_latency"`
	Failures       map[string]int `json:"failures,omitempty"` // refusal or error message -> batches
	Outage         *OutageReport  `json:"outage,omitempty"`
	Incident       *IncidentWait  `json:"incident,omitempty"`
	RSS            *bench.RSS     `json:"rss,omitempty"`
}

// OutageReport says which gateway went down and how much of it was sent.
type OutageReport struct {
	Gateway string    `json:"gateway"`
	Sensors int       `json:"sensors"`
	Events  int       `json:"events"` // outage events handed to the transport
	At      time.Time `json:"at"`     // when the first of them was
}

type batchItem struct {
	events []Event
	outage int // outage events in it
}

type tally struct {
	lat                                                  []time.Duration
	sent, accepted, duplicates, refused, errors, batches int64
	failures                                             map[string]int
	outageEvents                                         int
	outageAt                                             time.Time
}

// Run drives the fleet until its event count or duration is reached or ctx
// ends, and reports what the receiver answered.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Spec.RunID == "" {
		cfg.Spec.RunID = fmt.Sprintf("fs%x", time.Now().UnixNano())
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "fleet"
	}
	m, err := NewModel(cfg.Spec)
	if err != nil {
		return nil, err
	}
	senders := make([]sender, 0, cfg.Clients)
	defer func() {
		for _, s := range senders {
			s.close()
		}
	}()
	for i := range cfg.Clients {
		s, err := newSender(ctx, cfg, i)
		if err != nil {
			return nil, err
		}
		senders = append(senders, s)
	}

	runCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	queue := make(chan batchItem, cfg.Clients*2)
	tallies := make([]*tally, cfg.Clients)
	var outageOnce sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for i, s := range senders {
		t := &tally{failures: map[string]int{}}
		tallies[i] = t
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range queue {
				began := time.Now()
				if b.outage > 0 {
					t.outageEvents += b.outage
					if t.outageAt.IsZero() {
						t.outageAt = began
					}
					if cfg.OnOutage != nil {
						outageOnce.Do(func() { cfg.OnOutage(began) })
					}
				}
				o := s.send(ctx, b.events)
				t.lat = append(t.lat, time.Since(began))
				t.batches++
				t.sent += int64(len(b.events))
				t.accepted += int64(o.accepted)
				t.duplicates += int64(o.duplicates)
				t.refused += int64(o.refused)
				t.errors += int64(o.errors)
				if o.detail != "" {
					t.failures[o.detail]++
				}
			}
		}()
	}

	stoppedBy := produce(runCtx, cfg, m, start, queue)
	close(queue)
	wg.Wait()
	if ctx.Err() != nil {
		stoppedBy = "interrupted"
	}
	elapsed := time.Since(start)

	res := &Result{Transport: cfg.Transport, Devices: cfg.Spec.Devices, Gateways: m.Gateways(), Clients: cfg.Clients,
		Batch: cfg.Batch, StoppedBy: stoppedBy, Started: start, Elapsed: bench.Duration(elapsed), Failures: map[string]int{}}
	var lat []time.Duration
	var out OutageReport
	for _, t := range tallies {
		lat = append(lat, t.lat...)
		res.Sent += t.sent
		res.Accepted += t.accepted
		res.Duplicates += t.duplicates
		res.Refused += t.refused
		res.Errors += t.errors
		res.Batches += t.batches
		for k, v := range t.failures {
			res.Failures[k] += v
		}
		out.Events += t.outageEvents
		if !t.outageAt.IsZero() && (out.At.IsZero() || t.outageAt.Before(out.At)) {
			out.At = t.outageAt
		}
	}
	if out.Events > 0 {
		g := m.OutageGateway()
		first, end := m.SensorsOf(g)
		out.Gateway, out.Sensors = GatewayID(g), end-first
		res.Outage = &out
	}
	res.Latency = bench.Summarize(lat)
	if s := elapsed.Seconds(); s > 0 {
		res.SentPerSec = float64(res.Sent) / s
		res.AcceptedPerSec = float64(res.Accepted+res.Duplicates) / s
	}
	return res, nil
}

// produce makes batches until a limit is reached, pacing them to the rate
// and injecting the outage when it is due.
func produce(ctx context.Context, cfg Config, m *Model, start time.Time, queue chan<- batchItem) string {
	var produced int
	var pending []Event
	outageDone := cfg.OutageAt < 0
	for {
		if ctx.Err() != nil {
			return "duration"
		}
		n := cfg.Batch
		if cfg.Events > 0 {
			if produced >= cfg.Events {
				return "events"
			}
			n = min(n, cfg.Events-produced)
		}
		if cfg.Rate > 0 {
			due := start.Add(time.Duration(float64(produced) / cfg.Rate * float64(time.Second)))
			if wait := time.Until(due); wait > 0 {
				timer := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					timer.Stop()
					return "duration"
				case <-timer.C:
				}
			}
		}
		now := time.Now()
		if !outageDone && now.Sub(start) >= cfg.OutageAt {
			outageDone = true
			pending = m.Outage(m.OutageGateway(), now)
		}
		b := batchItem{events: make([]Event, 0, n)}
		if len(pending) > 0 {
			k := min(n, len(pending))
			b.events = append(b.events, pending[:k]...)
			b.outage = k
			pending = pending[k:]
		}
		b.events = m.Next(b.events, n-len(b.events), now)
		if len(b.events) == 0 {
			return "events" // every device is down: nothing more to say
		}
		select {
		case <-ctx.Done():
			return "duration"
		case queue <- b:
			produced += len(b.events)
		}
	}
}

// WriteText prints a result for people.
func (r *Result) WriteText(w interface{ Write([]byte) (int, error) }) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("transport   %s, %d devices behind %d gateways, %d clients, batches of %d\n", r.Transport, r.Devices, r.Gateways, r.Clients, r.Batch)
	p("started     %s\n", r.Started.UTC().Format(time.RFC3339Nano))
	p("stopped by  %s after %s\n", r.StoppedBy, r.Elapsed)
	p("sent        %d events in %d batches (%.0f events/s)\n", r.Sent, r.Batches, r.SentPerSec)
	p("accepted    %d, duplicates %d (%.0f events/s)\n", r.Accepted, r.Duplicates, r.AcceptedPerSec)
	p("refused     %d\nerrors      %d\n", r.Refused, r.Errors)
	p("batch time  p50 %s  p99 %s  max %s\n", r.Latency.P50, r.Latency.P99, r.Latency.Max)
	if len(r.Failures) > 0 {
		keys := make([]string, 0, len(r.Failures))
		for k := range r.Failures {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p("  %d batches: %s\n", r.Failures[k], k)
		}
	}
	if o := r.Outage; o != nil {
		p("outage      gateway %s with %d sensors: %d events sent from %s\n", o.Gateway, o.Sensors, o.Events, o.At.Format(time.RFC3339Nano))
	}
	if i := r.Incident; i != nil {
		if i.Found {
			p("incident    the outage in an incident %s after its first event (%d polls): %s\n", i.After, i.Polls, i.Title)
		} else {
			p("incident    the outage in no incident after %s (%d polls)%s\n", i.After, i.Polls, i.errSuffix())
		}
	}
	if r.RSS != nil {
		p("server RSS  %d kB now, %d kB peak (pid %d)\n", r.RSS.VmRSS, r.RSS.VmHWM, r.RSS.PID)
	}
}
