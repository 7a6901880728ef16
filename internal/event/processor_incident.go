package event

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"steward/internal/cmdb"
	"steward/internal/incident"
	"steward/internal/store"
)

// parentDepth is how many levels of providers (gateway, site, uplink)
// alerts group behind.
const parentDepth = 3

// stormDevices is how many devices make an incident's impact high.
const stormDevices = 100

// newGroup is an incident to open in this batch and its alerts.
type newGroup struct {
	members []int32
	parent  int64 // the CI the members sit behind, 0 when one CI
	down    bool  // the parent is among the members
}

// How alerts group into incidents. An alert joins, in this order:
//   - the open incident of its own CI (while it is open, the hold-down
//     included);
//   - the incident of its nearest provider (parentDepth levels up) that
//     itself has an active alert in an open incident: when a gateway is
//     down, the alerts of the devices behind it attach to its incident,
//     however long it stays down;
//   - the incident of the CIs directly behind its CI, when those alerted
//     within group_window before (the gateway's own alert joins the storm
//     behind it);
//   - the incident of its siblings, the CIs behind the same direct
//     provider (sensors behind one gateway), when their first alert came
//     within group_window: a storm that begins before the gateway alerts.
//   - with group_by_service on, the incident begun within group_window
//     whose alerts impact the same most critical catalogue service as its
//     CI (only alerts that fit nothing above look their service up; a CI
//     impacting no service groups nothing this way).
//
// Joining never extends the window, and nothing groups through a distant
// provider (a switch, a site) that does not alert itself. Alerts that
// fit none of these open an incident, one per group of this batch.

// decide holds alerts the rules keep from incidents, detaches triggered
// alerts from incidents no longer open, joins the others to a group's
// incident and opens incidents for the rest.
func (p *processor) decide(ctx context.Context, tx *store.Tx, b *batch) error {
	d := &deciding{ctx: ctx, p: p, tx: tx, b: b, now: secs(b.at), window: uint32(p.settings.GroupWindow.D() / time.Second),
		joins: map[int64]*joinSet{}, pendCI: map[int64]*newGroup{}, pendSib: map[int64]*newGroup{}, pendSvc: map[int64]*newGroup{}}
	for _, i := range b.order {
		a := &p.alerts[i]
		c := b.changes[i]
		if a.incident != 0 {
			if !c.triggered {
				p.remember(a, i)
				continue
			}
			open, err := p.isOpen(ctx, tx, b, a.incident)
			if err != nil {
				return err
			}
			if open {
				p.remember(a, i)
				continue
			}
			// Its incident was resolved or closed while it fires: it
			// leaves it (the timeline keeps which it was) for a new one.
			c.log(b.at, "incident_left", incident.FormatNumber(a.incident), 0)
			if a.active() {
				p.incActive[a.incident]--
			}
			p.incAlerts[a.incident]--
			a.incident = 0
		}
		if !a.active() && !c.triggered {
			continue
		}
		held, err := p.holdFor(ctx, a)
		if err != nil {
			return err
		}
		if held != heldNone {
			if held != a.held {
				c.log(b.at, "held", heldNames[held], 0)
			}
			a.held = held
			if held == heldMaintenance {
				a.flags |= flagMaintenance
			}
			continue
		}
		a.held = heldNone
		c.released = true
		if err := d.place(ctx, i); err != nil {
			return err
		}
	}
	for _, ng := range d.groups {
		if err := p.open(ctx, tx, b, ng); err != nil {
			return err
		}
	}
	for inc, js := range d.joins {
		if err := p.join(ctx, tx, b, inc, js); err != nil {
			return err
		}
	}
	return nil
}

// deciding is one batch's grouping.
type deciding struct {
	ctx         context.Context
	p           *processor
	tx          *store.Tx
	b           *batch
	now, window uint32
	joins       map[int64]*joinSet
	groups      []*newGroup
	pendCI      map[int64]*newGroup // CI -> the new group its alerts are in
	pendSib     map[int64]*newGroup // CI -> the new group of the CIs directly behind it
	pendSvc     map[int64]*newGroup // catalogue service -> the new group of alerts impacting it
}

// joinSet is the alerts joining one incident in a batch.
type joinSet struct {
	members []int32
	parent  int64 // the CI they sit behind, when they joined through one
	down    bool  // that CI alerts itself
}

// remember notes an alert with an incident as its CI's group.
func (p *processor) remember(a *alertState, i int32) {
	if a.ci == 0 {
		return
	}
	g, ok := p.groups[a.ci]
	switch {
	case !ok || g.incident != a.incident && (!a.active() || g.slot < 0):
		p.groups[a.ci] = groupRef{incident: a.incident, slot: slotIf(a, i)}
	case g.incident == a.incident && a.active():
		g.slot = i
		p.groups[a.ci] = g
	}
}

func slotIf(a *alertState, i int32) int32 {
	if a.active() {
		return i
	}
	return -1
}

// live reports whether a group's incident is open (and, for sibling
// groups, the window since its first alert has not passed).
func (d *deciding) live(m map[int64]groupRef, ci int64, windowed bool) (int64, error) {
	g, ok := m[ci]
	if !ok {
		return 0, nil
	}
	if windowed && d.now-min(g.at, d.now) > d.window {
		delete(m, ci)
		return 0, nil
	}
	open, err := d.p.isOpen(d.ctx, d.tx, d.b, g.incident)
	if err != nil || !open {
		if err == nil {
			delete(m, ci)
		}
		return 0, err
	}
	return g.incident, nil
}

// alerting reports whether ci has an active alert in its group's incident.
func (d *deciding) alerting(ctx context.Context, ci int64) (bool, error) {
	p := d.p
	g := p.groups[ci]
	if g.slot >= 0 && int(g.slot) < len(p.alerts) {
		if a := &p.alerts[g.slot]; a.active() && a.ci == ci && a.incident == g.incident {
			return true, nil
		}
	}
	if g.slot < 0 {
		return false, nil
	}
	// The alert known resolved: the CI may have another in the incident.
	g.slot = -1
	rows, err := d.tx.Query(ctx, `SELECT integration_id, dedup_key FROM alerts WHERE ci_id = ? AND incident_id = ? AND state <> 'resolved' LIMIT 50`,
		ci, g.incident)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	for rows.Next() {
		var k alertKey
		if err := rows.Scan(&k.integration, &k.dedup); err != nil {
			return false, err
		}
		if j, ok := p.keys[k]; ok {
			if a := &p.alerts[j]; a.active() && a.ci == ci && a.incident == g.incident {
				g.slot = j
				break
			}
		}
	}
	p.groups[ci] = g
	return g.slot >= 0, rows.Err()
}

// place finds alert i its group.
func (d *deciding) place(ctx context.Context, i int32) error {
	p := d.p
	a := &p.alerts[i]
	if a.ci == 0 {
		d.groups = append(d.groups, &newGroup{members: []int32{i}})
		return nil
	}
	ci := a.ci
	parents, near, err := p.parentsOf(ctx, ci)
	if err != nil {
		return err
	}
	// Its own CI's incident.
	if inc, err := d.live(p.groups, ci, false); err != nil || inc != 0 {
		if inc != 0 {
			d.join(inc, i, 0, false)
		}
		return err
	}
	if ng := d.pendCI[ci]; ng != nil {
		d.add(ng, i)
		return nil
	}
	// The nearest provider that alerts itself.
	for _, x := range parents {
		inc, err := d.live(p.groups, x, false)
		if err != nil {
			return err
		}
		if inc != 0 {
			ok, err := d.alerting(ctx, x)
			if err != nil {
				return err
			}
			if ok {
				d.join(inc, i, x, true)
				return nil
			}
		}
		if ng := d.pendCI[x]; ng != nil {
			ng.parent, ng.down = x, true
			d.add(ng, i)
			return nil
		}
	}
	// The storm behind its CI, which it joins as the parent.
	if inc, err := d.live(p.sibs, ci, true); err != nil || inc != 0 {
		if inc != 0 {
			d.join(inc, i, ci, true)
		}
		return err
	}
	if ng := d.pendSib[ci]; ng != nil {
		ng.parent, ng.down = ci, true
		d.add(ng, i)
		return nil
	}
	// Its siblings behind the same direct provider.
	for _, x := range parents[:near] {
		inc, err := d.live(p.sibs, x, true)
		if err != nil {
			return err
		}
		if inc != 0 {
			d.join(inc, i, x, false)
			return nil
		}
		if ng := d.pendSib[x]; ng != nil {
			if ng.parent == 0 {
				ng.parent = x
			}
			d.add(ng, i)
			return nil
		}
	}
	// The incident of the same service.
	var svc int64
	if p.settings.GroupByService {
		if svc, err = p.serviceOf(ctx, ci); err != nil {
			return err
		}
	}
	if svc != 0 {
		if inc, err := d.live(p.svcs, svc, true); err != nil || inc != 0 {
			if inc != 0 {
				d.join(inc, i, 0, false)
			}
			return err
		}
		if ng := d.pendSvc[svc]; ng != nil {
			d.add(ng, i)
			return nil
		}
	}
	ng := &newGroup{}
	d.groups = append(d.groups, ng)
	d.add(ng, i)
	if svc != 0 {
		d.pendSvc[svc] = ng
	}
	return nil
}

// serviceOf is the most critical catalogue service ci impacts, 0 when
// none, looked up once per CI.
func (p *processor) serviceOf(ctx context.Context, ci int64) (int64, error) {
	info := p.cis[ci]
	if info == nil {
		info = &ciInfo{}
		p.cis[ci] = info
	}
	if !info.critLoaded {
		svc, rank, err := p.services(ctx, []int64{ci})
		if err != nil {
			return 0, err
		}
		info.service, info.critRank, info.critLoaded = svc, rank, true
	}
	return info.service, nil
}

// add puts alert i in a new group of this batch.
func (d *deciding) add(ng *newGroup, i int32) {
	ng.members = append(ng.members, i)
	ci := d.p.alerts[i].ci
	if d.pendCI[ci] == nil {
		d.pendCI[ci] = ng
	}
	info := d.p.cis[ci]
	for _, x := range info.parents[:info.near] {
		if d.pendSib[x] == nil {
			d.pendSib[x] = ng
		}
	}
}

// join adds alert i to open incident inc, through parent when not 0.
func (d *deciding) join(inc int64, i int32, parent int64, down bool) {
	js := d.joins[inc]
	if js == nil {
		js = &joinSet{}
		d.joins[inc] = js
	}
	js.members = append(js.members, i)
	if parent != 0 && (js.parent == 0 || down && !js.down) {
		js.parent, js.down = parent, down
	}
	d.p.alerts[i].incident = inc
	d.p.grouped(i, inc, d.now)
}

// grouped registers alert i, now in incident inc, as its CI's group and
// as a sibling group behind its direct providers, unless one is live.
func (p *processor) grouped(i int32, inc int64, now uint32) {
	a := &p.alerts[i]
	if a.ci == 0 {
		return
	}
	p.remember(a, i)
	first := now
	if g := p.incGroups[inc]; g != nil && g.first != 0 {
		first = g.first
	}
	info := p.cis[a.ci]
	if info == nil {
		return
	}
	for _, x := range info.parents[:info.near] {
		if g, ok := p.sibs[x]; !ok || g.incident != inc && now-min(g.at, now) > uint32(p.settings.GroupWindow.D()/time.Second) {
			p.sibs[x] = groupRef{incident: inc, at: first, slot: -1}
		}
	}
}

// holdFor says why an active alert without an incident gets none.
func (p *processor) holdFor(ctx context.Context, a *alertState) (uint8, error) {
	if a.ci != 0 && len(p.maint) > 0 {
		if _, _, err := p.parentsOf(ctx, a.ci); err != nil {
			return 0, err
		}
		if p.maintained(a.ci) {
			return heldMaintenance, nil
		}
	}
	switch {
	case a.flags&flagFlapping != 0:
		return heldFlapping, nil
	}
	sev := Severities[a.sev]
	if slices.Contains(p.settings.IncidentSeverities, sev) {
		return heldNone, nil
	}
	held := heldSeverity
	for _, r := range p.settings.Rules {
		if len(r.Severities) > 0 && !slices.Contains(r.Severities, sev) {
			continue
		}
		if len(r.CITypes) == 0 && r.MinCriticality == "" {
			return heldNone, nil
		}
		if a.ci == 0 {
			held = heldUnmapped
			continue
		}
		info := p.cis[a.ci]
		if info == nil {
			continue
		}
		if len(r.CITypes) > 0 && !slices.ContainsFunc(r.CITypes, func(t string) bool { return strings.EqualFold(t, info.typeName) }) {
			continue
		}
		if r.MinCriticality != "" {
			if _, err := p.serviceOf(ctx, a.ci); err != nil {
				return 0, err
			}
			if info.critRank < criticalityRank(r.MinCriticality) {
				continue
			}
		}
		return heldNone, nil
	}
	return held, nil
}

// parentsOf lists the CIs ci depends on or runs on, nearest first, a few
// levels up, from the CMDB's impact analysis, and how many of them are its
// direct providers.
func (p *processor) parentsOf(ctx context.Context, ci int64) ([]int64, int, error) {
	info := p.cis[ci]
	if info == nil {
		info = &ciInfo{}
		p.cis[ci] = info
	}
	if info.parentsOK {
		return info.parents, info.near, nil
	}
	info.near = 0
	if p.s.CMDB != nil {
		res, err := p.s.CMDB.Impact(ctx, cmdb.ImpactQuery{Failed: []int64{ci}, Direction: cmdb.Up, Depth: parentDepth, Limit: 50})
		if err != nil {
			return nil, 0, err
		}
		items := res.Items
		slices.SortStableFunc(items, func(x, y cmdb.ImpactItem) int { return x.Depth - y.Depth })
		for _, it := range items {
			if it.CIID != ci && it.Depth > 0 {
				info.parents = append(info.parents, it.CIID)
				if it.Depth == 1 {
					info.near++
				}
			}
		}
	}
	info.parentsOK = true
	return info.parents, info.near, nil
}

// services finds the most critical catalogue service the CIs impact.
func (p *processor) services(ctx context.Context, cis []int64) (int64, int, error) {
	if p.s.CMDB == nil || len(cis) == 0 {
		return 0, 0, nil
	}
	res, err := p.s.CMDB.Impact(ctx, cmdb.ImpactQuery{Failed: cis[:min(len(cis), 1000)], Direction: cmdb.Down, Limit: 2000})
	if err != nil {
		return 0, 0, err
	}
	ids := make([]any, 0, len(res.Services)+len(cis))
	for _, it := range res.Services {
		ids = append(ids, it.CIID)
	}
	for _, c := range cis[:min(len(cis), 100)] {
		ids = append(ids, c)
	}
	rows, err := p.s.DB.Query(ctx, `SELECT s.id, s.criticality FROM cis c JOIN services s ON s.id = c.service_id
		WHERE c.id IN (`+placeholders(len(ids))+`)`, ids...)
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	var best int64
	rank := 0
	for rows.Next() {
		var id int64
		var crit string
		if err := rows.Scan(&id, &crit); err != nil {
			return 0, 0, err
		}
		if r := criticalityRank(crit); r > rank {
			best, rank = id, r
		}
	}
	return best, rank, rows.Err()
}

func (p *processor) isOpen(ctx context.Context, tx *store.Tx, b *batch, id int64) (bool, error) {
	if v, ok := b.openInc[id]; ok {
		return v, nil
	}
	// Locked until the batch commits: an incident the automatic
	// resolution is looking at is either resolved before an alert joins
	// it, or sees the alert that joined.
	lock := ""
	if tx.Dialect() == store.Postgres {
		lock = " FOR UPDATE"
	}
	var state string
	if err := store.ScanErr(tx.QueryRow(ctx, `SELECT state FROM incidents WHERE id = ?`+lock, id).Scan(&state)); err != nil {
		return false, err
	}
	open := incident.State(state).Open()
	b.openInc[id] = open
	return open, nil
}

func summaryOf(c *change, a *alertState) string {
	switch {
	case c.summary != "":
		return c.summary
	case c.last != nil && c.last.Summary != "":
		return c.last.Summary
	}
	return fmt.Sprintf("Alert %d", a.id)
}

// open opens one incident for a group of alerts.
func (p *processor) open(ctx context.Context, tx *store.Tx, b *batch, ng *newGroup) error {
	var cis []int64
	worst := uint8(len(Severities))
	var lines []string
	for _, i := range ng.members {
		a := &p.alerts[i]
		worst = min(worst, a.sev)
		if a.ci != 0 && !slices.Contains(cis, a.ci) {
			cis = append(cis, a.ci)
		}
		if len(lines) < 20 {
			lines = append(lines, fmt.Sprintf("- %s: %s", Severities[a.sev], summaryOf(b.changes[i], a)))
		}
	}
	if len(ng.members) > len(lines) {
		lines = append(lines, fmt.Sprintf("- and %d more", len(ng.members)-len(lines)))
	}
	service, crit, err := p.services(ctx, cis)
	if err != nil {
		return err
	}
	summary := summaryOf(b.changes[ng.members[0]], &p.alerts[ng.members[0]])
	g := &incGroup{parent: ng.parent, down: ng.down, first: secs(b.at)}
	in := incident.NewIncident{Title: summary, Impact: impactOf(crit, len(cis)), Urgency: urgencyOf(Severities[worst]), Category: "Event"}
	if service != 0 {
		in.ServiceID = &service
	}
	in.Description = "Opened from alerts:\n" + strings.Join(lines, "\n")
	if ng.parent != 0 {
		behind := len(cis)
		if slices.Contains(cis, ng.parent) {
			behind--
		}
		if t, err := p.groupTitle(ctx, tx, g, behind); err != nil {
			return err
		} else if t != "" {
			in.Title, in.Description = t, t+"\n\n"+in.Description
		}
	}
	inc, err := p.s.Incidents.CreateInTx(ctx, tx, in, incident.SourceEvent)
	if err != nil {
		return err
	}
	g.title = inc.Title
	p.incGroups[inc.ID] = g
	if err := linkCIs(ctx, tx, inc.ID, cis, b.at); err != nil {
		return err
	}
	for _, i := range ng.members {
		a := &p.alerts[i]
		a.incident = inc.ID
		p.incAlerts[inc.ID]++
		if a.active() {
			p.incActive[inc.ID]++
		}
		b.changes[i].log(b.at, "incident_opened", inc.Number, 0)
	}
	b.openInc[inc.ID] = true
	if service != 0 {
		// Later alerts of the same service may join it (group_by_service)
		// while it is within the window: it is that service's incident.
		now := secs(b.at)
		g, ok := p.svcs[service]
		replace := !ok || now-min(g.at, now) > uint32(p.settings.GroupWindow.D()/time.Second)
		if !replace && p.settings.GroupByService {
			open, err := p.isOpen(ctx, tx, b, g.incident)
			if err != nil {
				return err
			}
			replace = !open
		}
		if replace {
			p.svcs[service] = groupRef{incident: inc.ID, at: now, slot: -1}
		}
	}
	for _, i := range ng.members {
		p.grouped(i, inc.ID, secs(b.at))
	}
	return nil
}

// groupTitle is the title of a group behind g.parent with behind devices
// alerting besides the parent, "" when a group title says nothing more
// than the alert's summary.
func (p *processor) groupTitle(ctx context.Context, tx *store.Tx, g *incGroup, behind int) (string, error) {
	if behind < 1 || !g.down && behind < 2 {
		return "", nil
	}
	if g.label == "" {
		var name, typ string
		if err := store.ScanErr(tx.QueryRow(ctx, `SELECT c.name, t.name FROM cis c JOIN ci_types t ON t.id = c.type_id WHERE c.id = ?`,
			g.parent).Scan(&name, &typ)); err != nil {
			return "", err
		}
		g.label = strings.TrimSpace(typ + " " + name)
	}
	devices := thousands(behind) + " devices"
	if behind == 1 {
		devices = "1 device"
	}
	if g.down {
		return fmt.Sprintf("%s down, %s behind it alerting", g.label, devices), nil
	}
	return fmt.Sprintf("%s behind %s alerting", devices, g.label), nil
}

// thousands writes n with thousands separators: 5,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// join adds alerts to an open incident: one journal note per batch,
// however many joined, a title counting the devices behind the group's
// parent, and a higher impact once a storm is large.
func (p *processor) join(ctx context.Context, tx *store.Tx, b *batch, inc int64, js *joinSet) error {
	var cis []int64
	for _, i := range js.members {
		a := &p.alerts[i]
		p.incAlerts[inc]++
		if a.active() {
			p.incActive[inc]++
		}
		b.changes[i].log(b.at, "incident_joined", incident.FormatNumber(inc), 0)
		if a.ci != 0 {
			cis = append(cis, a.ci)
		}
	}
	if err := linkCIs(ctx, tx, inc, cis, b.at); err != nil {
		return err
	}
	note := fmt.Sprintf("%d more alerts joined.", len(js.members))
	if len(js.members) == 1 {
		note = "1 more alert joined: " + summaryOf(b.changes[js.members[0]], &p.alerts[js.members[0]])
	}
	if err := incident.NoteInTx(ctx, tx, inc, note); err != nil {
		return err
	}
	if err := p.retitle(ctx, tx, inc, js); err != nil {
		return err
	}
	if n := p.incAlerts[inc]; n > stormDevices && n-int32(len(js.members)) <= stormDevices {
		return p.s.Incidents.RaiseImpactInTx(ctx, tx, inc, incident.High, fmt.Sprintf("%d alerts grouped: many devices are affected.", n))
	}
	return nil
}

// retitle refreshes a group incident's title with its count of devices,
// once per batch, unless someone changed the title since.
func (p *processor) retitle(ctx context.Context, tx *store.Tx, inc int64, js *joinSet) error {
	g := p.incGroups[inc]
	if g == nil {
		g = &incGroup{}
		p.incGroups[inc] = g
	}
	if js.parent != 0 && (g.parent == 0 || g.parent == js.parent && js.down) {
		if g.parent != js.parent {
			g.label = ""
		}
		g.parent, g.down = js.parent, g.down || js.down
	}
	if g.parent == 0 || g.title == "" {
		return nil
	}
	var behind int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM record_cis WHERE kind = 'incident' AND record_id = ? AND ci_id <> ?`,
		inc, g.parent).Scan(&behind); err != nil {
		return err
	}
	title, err := p.groupTitle(ctx, tx, g, behind)
	if err != nil || title == "" || title == g.title {
		return err
	}
	ok, err := p.s.Incidents.RetitleInTx(ctx, tx, inc, g.title, title)
	if err != nil {
		return err
	}
	if ok {
		g.title = title
	} else {
		g.title = "" // changed by someone: leave it alone
	}
	return nil
}

func linkCIs(ctx context.Context, tx *store.Tx, inc int64, cis []int64, at time.Time) error {
	slices.Sort(cis)
	cis = slices.Compact(cis)
	return inChunks(len(cis), func(from, n int) error {
		args := make([]any, 0, 4*n)
		for _, ci := range cis[from : from+n] {
			args = append(args, "incident", inc, ci, store.TS(at))
		}
		_, err := tx.Exec(ctx, `INSERT INTO record_cis (kind, record_id, ci_id, created_at) VALUES `+rowsOf(4, n)+
			` ON CONFLICT DO NOTHING`, args...)
		return err
	})
}

func impactOf(criticality, devices int) incident.Level {
	switch {
	case devices > stormDevices || criticality >= criticalityRank("high"):
		return incident.High
	case criticality == criticalityRank("medium") || devices > 1:
		return incident.Medium
	case criticality == criticalityRank("low"):
		return incident.Low
	}
	return incident.Medium
}

func urgencyOf(s Severity) incident.Level {
	switch s {
	case Critical:
		return incident.High
	case Major:
		return incident.Medium
	}
	return incident.Low
}
