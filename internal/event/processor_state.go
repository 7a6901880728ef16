package event

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"steward/internal/store"
)

// Alert states and hold reasons as the processor keeps them in memory.
const (
	stOpen uint8 = iota
	stAcknowledged
	stResolved
)

var stateNames = [...]string{"open", "acknowledged", "resolved"}

const (
	heldNone uint8 = iota
	heldSeverity
	heldFlapping
	heldMaintenance
	heldUnmapped
)

var heldNames = [...]string{"", "severity", "flapping", "maintenance", "unmapped"}

const (
	flagFlapping uint8 = 1 << iota
	flagMaintenance
)

// maxTransitions is how many recent state changes an alert remembers,
// and so the highest flap_changes setting.
const maxTransitions = 20

// epoch is where the processor's second counters start, so that an
// instant fits in 32 bits until 2156.
var epoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

func secs(t time.Time) uint32 {
	d := t.Sub(epoch) / time.Second
	if d < 1 {
		return 1
	}
	return uint32(d)
}

func fromSecs(s uint32) time.Time { return epoch.Add(time.Duration(s) * time.Second) }

// alertKey is an alert's identity: one active alert per integration and
// deduplication key.
type alertKey struct {
	integration int64
	dedup       string
}

// alertState is what the processor keeps of each alert that is active
// (and of each resolved one for a while, for reopening and flapping):
// small, since a fleet in trouble may hold a million of them.
type alertState struct {
	id         int64
	incident   int64
	ci         int64
	count      int64
	firstSeen  uint32
	lastSeen   uint32
	resolvedAt uint32
	trans      [maxTransitions]uint32 // recent state changes, newest last
	state      uint8
	sev        uint8 // Severity rank
	held       uint8
	flags      uint8
}

func (a *alertState) active() bool { return a.state != stResolved }

// addTransition records a state change at t.
func (a *alertState) addTransition(t uint32) {
	copy(a.trans[:], a.trans[1:])
	a.trans[maxTransitions-1] = t
}

// changesSince counts state changes at or after t.
func (a *alertState) changesSince(t uint32) int {
	n := 0
	for _, x := range a.trans {
		if x != 0 && x >= t {
			n++
		}
	}
	return n
}

func (a *alertState) transitionsJSON() string {
	b := []byte{'['}
	for _, x := range a.trans {
		if x == 0 {
			continue
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, store.TS(fromSecs(x)))
	}
	return string(append(b, ']'))
}

func (a *alertState) setTransitions(raw string) {
	var ts []time.Time
	if json.Unmarshal([]byte(raw), &ts) != nil {
		return
	}
	if len(ts) > maxTransitions {
		ts = ts[len(ts)-maxTransitions:]
	}
	off := maxTransitions - len(ts)
	for i, t := range ts {
		a.trans[off+i] = secs(t)
	}
}

// ciInfo is what the processor knows of a CI: its type, the CIs it sits
// behind (for grouping), and its reporting state.
type ciInfo struct {
	typeName   string
	parents    []int64 // providers, nearest first; nil until needed
	near       int     // how many of parents are direct providers (depth 1)
	parentsOK  bool
	lastSeen   uint32
	integ      int64 // the integration it last reported through
	offline    bool
	dirty      bool   // queued in the processor's dirty list
	written    uint32 // last seen as device_status holds it
	writtenInt int64  // integration as device_status holds it
	critRank   int    // highest criticality of the services it impacts
	service    int64  // the most critical catalogue service it impacts, 0 when none
	critLoaded bool   // critRank and service are known
}

// groupRef is an incident alerts group into (see decide).
type groupRef struct {
	incident int64
	at       uint32 // when the group's first alert came (sibling groups)
	slot     int32  // an active alert of the CI in the incident, -1 when none is known
}

// incGroup is what the processor knows of an open incident's group: the
// CI its devices sit behind, for the title, and when it began.
type incGroup struct {
	parent int64  // 0 when the incident is one CI's
	down   bool   // the parent itself alerts in the incident
	first  uint32 // when its first alert came
	title  string // the title it was given, "" when not known
	label  string // the parent's type and name
}

// processor is the processor's memory over one database.
type processor struct {
	s          *Service
	now        func() time.Time
	owner      string
	leaseRenew time.Time
	leaseUntil time.Time // when the lease this node last took or renewed lapses
	loaded     bool      // the memory holds the database's state
	cursor     int64

	keys   map[alertKey]int32
	alerts []alertState
	free   []int32

	devices   map[deviceRef]int64 // device identifier -> CI id, 0 when none matches
	devMaps   int64               // this node's DeviceMaps as last seen
	mapsDB    int64               // device_map_version as last read
	mapsAt    time.Time           // when it was read
	missesAt  time.Time           // when devices matching no CI were last forgotten
	cis       map[int64]*ciInfo
	groups    map[int64]groupRef // CI -> the open incident of its alerts
	sibs      map[int64]groupRef // CI -> the incident of the CIs directly behind it
	svcs      map[int64]groupRef // catalogue service -> the incident of alerts impacting it
	incGroups map[int64]*incGroup
	incActive map[int64]int32 // incident -> its active alerts
	incAlerts map[int64]int32 // incident -> all its alerts

	settings   Settings
	settingsAt time.Time
	maint      map[int64]bool // CIs in an approved change's window now
	maintAt    time.Time
	maintEnds  time.Time // the earliest end of a window in force
	houseAt    time.Time
	flushAt    time.Time
	seenStep   uint32         // seconds last seen may move before it is written
	dirty      []int64        // CIs whose device_status row is to be written
	updates    map[int]string // the statement updating n alerts, by n
	bufs       [2][]Event     // the batch being processed and the next
}

type deviceRef struct {
	integration int64
	device      string
}

func newProcessor(s *Service) *processor {
	return &processor{s: s, now: time.Now, owner: newOwner(),
		keys: map[alertKey]int32{}, devices: map[deviceRef]int64{}, cis: map[int64]*ciInfo{},
		groups: map[int64]groupRef{}, sibs: map[int64]groupRef{}, svcs: map[int64]groupRef{}, incGroups: map[int64]*incGroup{}, incActive: map[int64]int32{}, incAlerts: map[int64]int32{}}
}

// load rebuilds the memory from the database: the cursor, every active
// alert and the recently resolved ones, and the devices' reporting state.
// The cursor and the alerts are read in one snapshot, so that they agree.
func (p *processor) load(ctx context.Context) error {
	st, err := LoadSettings(ctx, p.s.DB)
	if err != nil {
		return err
	}
	p.useSettings(st, p.now())
	keep := max(p.settings.FlapWindow.D(), p.settings.ReopenWindow.D())
	err = p.s.DB.InReadTx(ctx, func(rt *store.ReadTx) error {
		if err := rt.QueryRow(ctx, `SELECT last_event_id FROM event_cursor WHERE id = 1`).Scan(&p.cursor); err != nil {
			return store.ScanErr(err)
		}
		if err := rt.QueryRow(ctx, `SELECT version FROM device_map_version WHERE id = 1`).Scan(&p.mapsDB); err != nil {
			return store.ScanErr(err)
		}
		p.devMaps, p.mapsAt, p.missesAt = p.s.DeviceMaps.Load(), p.now(), p.now()
		// Newest first: of a key's alerts, the active one or else the
		// latest resolved one is the one remembered.
		rows, err := rt.Query(ctx, `SELECT id, integration_id, dedup_key, state, severity, count, first_seen_at, last_seen_at,
			resolved_at, ci_id, incident_id, flapping, in_maintenance, held, transitions
			FROM alerts WHERE state <> 'resolved' OR resolved_at >= ? ORDER BY id DESC`, store.TS(p.now().Add(-keep)))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var a alertState
			var k alertKey
			var state, sev, held, trans string
			var firstSeen, lastSeen, resolved store.Time
			var ci, inc *int64
			var flapping, maint bool
			if err := rows.Scan(&a.id, &k.integration, &k.dedup, &state, &sev, &a.count, &firstSeen, &lastSeen, &resolved, &ci, &inc,
				&flapping, &maint, &held, &trans); err != nil {
				return err
			}
			a.state = stateCode(state)
			if i, ok := p.keys[k]; ok && (p.alerts[i].active() || !a.active()) {
				continue // an older alert of a key already remembered
			}
			a.sev = uint8(max(Severity(sev).Rank(), 0))
			a.firstSeen, a.lastSeen = secs(firstSeen.Time), secs(lastSeen.Time)
			if !resolved.IsZero() {
				a.resolvedAt = secs(resolved.Time)
			}
			if ci != nil {
				a.ci = *ci
			}
			if inc != nil {
				a.incident = *inc
			}
			if flapping {
				a.flags |= flagFlapping
			}
			if maint {
				a.flags |= flagMaintenance
			}
			a.held = heldCode(held)
			a.setTransitions(trans)
			if i, ok := p.keys[k]; ok {
				p.alerts[i] = a // the active alert over a newer resolved one
				continue
			}
			p.put(k, a)
		}
		return rows.Err()
	})
	if err != nil {
		return err
	}
	if err := p.loadIncidents(ctx); err != nil {
		return err
	}
	p.loaded = true
	return nil
}

// loadIncidents counts the alerts of open incidents opened from events
// and rebuilds their groups: the incident of each CI with alerts in one,
// and, for incidents begun within the group window, the sibling groups
// behind their CIs' direct providers, dated from when the incident began.
func (p *processor) loadIncidents(ctx context.Context) error {
	rows, err := p.s.DB.Query(ctx, `SELECT id, title, created_at, service_id FROM incidents
		WHERE source = 'event' AND state IN ('new', 'in_progress', 'on_hold')`)
	if err != nil {
		return err
	}
	now, window := secs(p.now()), uint32(p.settings.GroupWindow.D()/time.Second)
	for rows.Next() {
		var id int64
		var title string
		var created store.Time
		var service *int64
		if err := rows.Scan(&id, &title, &created, &service); err != nil {
			rows.Close()
			return err
		}
		first := secs(created.Time)
		p.incGroups[id] = &incGroup{first: first, title: title}
		if service != nil && now-min(first, now) <= window {
			if g, ok := p.svcs[*service]; !ok || g.at < first {
				p.svcs[*service] = groupRef{incident: id, at: first, slot: -1}
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = p.s.DB.Query(ctx, `SELECT a.incident_id, a.state, a.ci_id, a.integration_id, a.dedup_key
		FROM alerts a JOIN incidents i ON i.id = a.incident_id WHERE i.state IN ('new', 'in_progress', 'on_hold')`)
	if err != nil {
		return err
	}
	defer rows.Close()
	recent := map[int64][]int64{}
	for rows.Next() {
		var inc int64
		var state string
		var ci *int64
		var k alertKey
		if err := rows.Scan(&inc, &state, &ci, &k.integration, &k.dedup); err != nil {
			return err
		}
		p.incAlerts[inc]++
		active := state != "resolved"
		if active {
			p.incActive[inc]++
		}
		if ci == nil {
			continue
		}
		slot := int32(-1)
		if j, ok := p.keys[k]; ok && active {
			slot = j
		}
		if g, ok := p.groups[*ci]; !ok || g.slot < 0 && slot >= 0 {
			p.groups[*ci] = groupRef{incident: inc, slot: slot}
		}
		if g := p.incGroups[inc]; g != nil && now-min(g.first, now) <= window {
			recent[inc] = append(recent[inc], *ci)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	for inc, cis := range recent {
		slices.Sort(cis)
		cis = slices.Compact(cis)
		g := p.incGroups[inc]
		behind := map[int64]int{} // direct provider -> members behind it
		for _, ci := range cis {
			parents, near, err := p.parentsOf(ctx, ci)
			if err != nil {
				return err
			}
			for _, x := range parents[:near] {
				behind[x]++
				if _, ok := p.sibs[x]; !ok {
					p.sibs[x] = groupRef{incident: inc, at: g.first, slot: -1}
				}
			}
		}
		for x, n := range behind {
			if _, member := slices.BinarySearch(cis, x); member && !g.down || !member && !g.down && n >= 2 && n > behind[g.parent] {
				g.parent, g.down = x, member
			}
		}
	}
	return nil
}

func (p *processor) useSettings(st Settings, now time.Time) {
	p.settings, p.settingsAt = st, now
	p.seenStep = uint32(seenLag(st) / time.Second)
}

// put stores a in the memory under k and returns its slot.
func (p *processor) put(k alertKey, a alertState) int32 {
	var i int32
	if n := len(p.free); n > 0 {
		i = p.free[n-1]
		p.free = p.free[:n-1]
		p.alerts[i] = a
	} else {
		i = int32(len(p.alerts))
		p.alerts = append(p.alerts, a)
	}
	p.keys[k] = i
	return i
}

func stateCode(s string) uint8 {
	for i, n := range stateNames {
		if n == s {
			return uint8(i)
		}
	}
	return stOpen
}

func heldCode(s string) uint8 {
	for i, n := range heldNames {
		if n == s {
			return uint8(i)
		}
	}
	return heldNone
}

func itoa(n int) string { return strconv.Itoa(n) }
