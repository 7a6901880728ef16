// Package fleetsim simulates a fleet of IoT sensors behind gateways that
// report to Steward (or to Prometheus Alertmanager, for comparison):
// heartbeats, random faults that trigger and later resolve, and a gateway
// outage that makes every sensor behind it miss its heartbeat at once. A
// run is bounded in events and in time, and measures what the receiver
// accepted and how fast.
//
// Devices are named as the CMDB's fleet generator names them (sensors
// SN-0000001..., gateways GW-000001..., sensor n behind gateway
// n*gateways/sensors), so that events bind to CIs when the CMDB holds the
// same fleet.
package fleetsim

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Limits on a fleet, so that a mistyped flag cannot exhaust memory.
const (
	MaxDevices        = 10_000_000
	DefaultPerGateway = 100
	// As in the CMDB's fleet, ten gateways per site.
	gatewaysPerSite = 10
)

// Spec sizes a fleet and its behaviour.
type Spec struct {
	Devices    int     // sensors, 1 to MaxDevices
	Gateways   int     // 0: Devices/PerGateway, rounded up
	PerGateway int     // sensors per gateway when Gateways is 0; 0: DefaultPerGateway
	Faults     float64 // fraction of sensors that fault now and then, 0 to 1
	Seed       uint64  // the same seed gives the same events
	// RunID makes message ids unique across runs with the same seed, so
	// that a second run is not dropped as transport duplicates.
	RunID  string
	Source string // the events' source; "fleetsim" when empty
	// HeartbeatSeverity is the heartbeats' severity: "ok" (the default),
	// or another one so that every device holds an open alert, to
	// measure a receiver holding as many alerts as there are devices.
	HeartbeatSeverity string
}

// Validate checks a spec.
func (s Spec) Validate() error {
	if s.Devices < 1 || s.Devices > MaxDevices {
		return fmt.Errorf("devices must be between 1 and %d", MaxDevices)
	}
	if s.Gateways < 0 || s.Gateways > s.Devices {
		return fmt.Errorf("gateways must be between 1 and the number of devices (%d)", s.Devices)
	}
	if s.PerGateway < 0 {
		return fmt.Errorf("per-gateway must be 1 or more")
	}
	switch s.HeartbeatSeverity {
	case "", "ok", "info", "warning", "minor", "major", "critical":
	default:
		return fmt.Errorf("heartbeat severity must be ok, info, warning, minor, major or critical")
	}
	if s.Faults < 0 || s.Faults > 1 {
		return fmt.Errorf("faults must be a fraction between 0 and 1")
	}
	return nil
}

// Event is one thing a device reports.
type Event struct {
	Device    string // SN-0000001 or GW-000001
	Gateway   string // the gateway it sits behind (itself for a gateway)
	Site      string // S-0001
	Check     string // heartbeat, temperature, ...
	Severity  string // critical, major, ok
	Action    string // trigger or resolve
	DedupKey  string // device/check: the same for every heartbeat of a device
	Summary   string
	Raised    string  // a fault's severity, on its triggers and on its resolve
	Value     float64 // the reading of a fault, 0 for others
	At        time.Time
	MessageID string
	Outage    bool // sent because of the gateway outage
}

// faultChecks are the checks a sensor faults on.
var faultChecks = []string{"temperature", "battery", "humidity", "vibration"}

// Model produces a fleet's events in a fixed order for a seed.
type Model struct {
	spec     Spec
	gateways int
	rng      *rand.Rand
	faulty   []bool  // per sensor: does it fault at all
	fault    []uint8 // per sensor: 0, or 1 + 2 * its open fault's check index (+1 when critical)
	down     []bool  // per gateway
	downDevs int
	cursor   int
	seq      uint64
	outageGW int
}

// NewModel builds a fleet from its spec.
func NewModel(s Spec) (*Model, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if s.PerGateway == 0 {
		s.PerGateway = DefaultPerGateway
	}
	if s.Source == "" {
		s.Source = "fleetsim"
	}
	if s.HeartbeatSeverity == "" {
		s.HeartbeatSeverity = "ok"
	}
	g := s.Gateways
	if g == 0 {
		g = (s.Devices + s.PerGateway - 1) / s.PerGateway
	}
	m := &Model{spec: s, gateways: g, rng: rand.New(rand.NewPCG(s.Seed, 0x9e3779b97f4a7c15)),
		faulty: make([]bool, s.Devices), fault: make([]uint8, s.Devices), down: make([]bool, g)}
	pick := rand.New(rand.NewPCG(s.Seed, 0x5851f42d4c957f2d))
	for i := range m.faulty {
		m.faulty[i] = pick.Float64() < s.Faults
	}
	m.outageGW = pick.IntN(g)
	return m, nil
}

// Gateways is how many gateways the fleet has.
func (m *Model) Gateways() int { return m.gateways }

// OutageGateway is the gateway the outage takes down (0-based).
func (m *Model) OutageGateway() int { return m.outageGW }

// GatewayOf is the gateway (0-based) sensor n (0-based) sits behind: the
// CMDB fleet generator's rule.
func (m *Model) GatewayOf(n int) int {
	return int(int64(n) * int64(m.gateways) / int64(m.spec.Devices))
}

// SensorsOf is the range [first, end) of sensors behind gateway g.
func (m *Model) SensorsOf(g int) (first, end int) {
	d, gs := int64(m.spec.Devices), int64(m.gateways)
	return int((int64(g)*d + gs - 1) / gs), int((int64(g+1)*d + gs - 1) / gs)
}

// SensorID and GatewayID name devices as the CMDB's fleet generator does.
func SensorID(n int) string  { return fmt.Sprintf("SN-%07d", n+1) }
func GatewayID(g int) string { return fmt.Sprintf("GW-%06d", g+1) }
func siteID(g int) string    { return fmt.Sprintf("S-%04d", g/gatewaysPerSite+1) }

func (m *Model) event(n int, check, sev, action, summary string, at time.Time) Event {
	g := m.GatewayOf(n)
	m.seq++
	id := SensorID(n)
	return Event{Device: id, Gateway: GatewayID(g), Site: siteID(g), Check: check, Severity: sev, Action: action,
		DedupKey: id + "/" + check, Summary: summary, At: at,
		MessageID: fmt.Sprintf("%s-%d", m.spec.RunID, m.seq)}
}

// Next appends n events at instant at: each sensor in turn, skipping those
// behind a gateway that is down. A sensor that faults starts a fault now
// and then (critical or major), repeats it, and resolves it later; every
// other turn is a heartbeat (severity ok, the same dedup key each time).
func (m *Model) Next(dst []Event, n int, at time.Time) []Event {
	if m.downDevs >= m.spec.Devices {
		return dst
	}
	// Some sensor is up, so each lap of the fleet adds at least one event.
	for added := 0; added < n; {
		d := m.cursor
		m.cursor = (m.cursor + 1) % m.spec.Devices
		if m.down[m.GatewayOf(d)] {
			continue
		}
		dst = append(dst, m.turn(d, at))
		added++
	}
	return dst
}

func (m *Model) turn(d int, at time.Time) Event {
	if !m.faulty[d] {
		return m.event(d, "heartbeat", m.spec.HeartbeatSeverity, "trigger", "heartbeat", at)
	}
	roll := m.rng.IntN(4)
	f := m.fault[d]
	switch {
	case f == 0 && roll == 0: // a fault starts
		f = uint8(1 + m.rng.IntN(len(faultChecks))*2)
		if m.rng.IntN(3) == 0 {
			f++ // critical
		}
		m.fault[d] = f
	case f != 0 && roll == 0: // it ends
		m.fault[d] = 0
	case f != 0 && roll == 1: // it goes on
	default:
		return m.event(d, "heartbeat", m.spec.HeartbeatSeverity, "trigger", "heartbeat", at)
	}
	check, sev := faultChecks[(f-1)/2], "major"
	if (f-1)%2 == 1 {
		sev = "critical"
	}
	if m.fault[d] == 0 {
		e := m.event(d, check, "ok", "resolve", check+" back in range", at)
		e.Raised = sev
		return e
	}
	e := m.event(d, check, sev, "trigger", check+" out of range", at)
	e.Raised = sev
	e.Value = float64(1+m.rng.IntN(1000)) / 10
	return e
}

// Outage takes gateway g down and returns what monitoring then reports:
// the gateway unreachable, and a critical missed heartbeat for every
// sensor behind it (on the heartbeat's dedup key, so that each sensor's
// heartbeat alert turns critical). The sensors send nothing more.
func (m *Model) Outage(g int, at time.Time) []Event {
	if g < 0 || g >= m.gateways || m.down[g] {
		return nil
	}
	m.down[g] = true
	first, end := m.SensorsOf(g)
	m.downDevs += end - first
	gw := GatewayID(g)
	out := make([]Event, 0, end-first+1)
	m.seq++
	out = append(out, Event{Device: gw, Gateway: gw, Site: siteID(g), Check: "reachability", Severity: "critical",
		Action: "trigger", DedupKey: gw + "/reachability", Summary: "gateway " + gw + " unreachable", At: at,
		MessageID: fmt.Sprintf("%s-%d", m.spec.RunID, m.seq), Outage: true})
	for n := first; n < end; n++ {
		e := m.event(n, "heartbeat", "critical", "trigger", "heartbeat missed: unreachable behind gateway "+gw, at)
		e.Outage = true
		out = append(out, e)
	}
	return out
}
