package event

import (
	"context"
	"fmt"
	"slices"
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
}

// decide holds alerts the rules keep from incidents, joins the others to
// the incident of their CI or of a CI they sit behind, and opens
// incidents for the rest, one per group.
func (p *processor) decide(ctx context.Context, tx *store.Tx, b *batch) error {
	window := secs(b.at) - uint32(p.settings.GroupWindow.D()/time.Second)
	joins := map[int64][]int32{}
	var groups []*newGroup
	pending := map[int64]*newGroup{}
	for _, i := range b.order {
		a := &p.alerts[i]
		if !a.active() || a.incident != 0 {
			continue
		}
		c := b.changes[i]
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
		if a.ci == 0 {
			groups = append(groups, &newGroup{members: []int32{i}})
			continue
		}
		parents, err := p.parentsOf(ctx, a.ci)
		if err != nil {
			return err
		}
		cands := append([]int64{a.ci}, parents...)
		var target int64
		var ng *newGroup
		for _, x := range cands {
			if g, ok := p.groups[x]; ok && g.at >= window {
				open, err := p.isOpen(ctx, tx, b, g.incident)
				if err != nil {
					return err
				}
				if open {
					target = g.incident
					break
				}
			}
			if ng = pending[x]; ng != nil {
				if x != a.ci {
					ng.parent = x
				}
				break
			}
		}
		switch {
		case target != 0:
			a.incident = target
			joins[target] = append(joins[target], i)
			for _, x := range cands {
				p.groups[x] = groupRef{incident: target, at: secs(b.at)}
			}
			continue
		case ng != nil:
			ng.members = append(ng.members, i)
		default:
			ng = &newGroup{members: []int32{i}}
			groups = append(groups, ng)
		}
		for _, x := range cands {
			if pending[x] == nil {
				pending[x] = ng
			}
		}
	}
	for _, ng := range groups {
		if err := p.open(ctx, tx, b, ng); err != nil {
			return err
		}
	}
	for inc, members := range joins {
		if err := p.join(ctx, tx, b, inc, members); err != nil {
			return err
		}
	}
	return nil
}

// holdFor says why an active alert without an incident gets none.
func (p *processor) holdFor(ctx context.Context, a *alertState) (uint8, error) {
	switch {
	case a.ci != 0 && p.maint[a.ci]:
		return heldMaintenance, nil
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
			if !info.critLoaded {
				_, rank, err := p.services(ctx, []int64{a.ci})
				if err != nil {
					return 0, err
				}
				info.critRank, info.critLoaded = rank, true
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
// levels up, from the CMDB's impact analysis.
func (p *processor) parentsOf(ctx context.Context, ci int64) ([]int64, error) {
	info := p.cis[ci]
	if info == nil {
		info = &ciInfo{}
		p.cis[ci] = info
	}
	if info.parentsOK {
		return info.parents, nil
	}
	if p.s.CMDB != nil {
		res, err := p.s.CMDB.Impact(ctx, cmdb.ImpactQuery{Failed: []int64{ci}, Direction: cmdb.Up, Depth: parentDepth, Limit: 50})
		if err != nil {
			return nil, err
		}
		items := res.Items
		slices.SortStableFunc(items, func(x, y cmdb.ImpactItem) int { return x.Depth - y.Depth })
		for _, it := range items {
			if it.CIID != ci && it.Depth > 0 {
				info.parents = append(info.parents, it.CIID)
			}
		}
	}
	info.parentsOK = true
	return info.parents, nil
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
	in := incident.NewIncident{Title: summaryOf(b.changes[ng.members[0]], &p.alerts[ng.members[0]]),
		Impact: impactOf(crit, len(cis)), Urgency: urgencyOf(Severities[worst]), Category: "Event"}
	if service != 0 {
		in.ServiceID = &service
	}
	if len(cis) > 1 && ng.parent != 0 {
		var name string
		tx.QueryRow(ctx, `SELECT name FROM cis WHERE id = ?`, ng.parent).Scan(&name)
		in.Title = fmt.Sprintf("%d devices behind %s alerting", len(cis), name)
	}
	in.Description = "Opened from alerts:\n" + strings.Join(lines, "\n")
	inc, err := p.s.Incidents.CreateInTx(ctx, tx, in, incident.SourceEvent)
	if err != nil {
		return err
	}
	if err := linkCIs(ctx, tx, inc.ID, cis, b.at); err != nil {
		return err
	}
	at := secs(b.at)
	for _, i := range ng.members {
		a := &p.alerts[i]
		a.incident = inc.ID
		p.incAlerts[inc.ID]++
		p.incActive[inc.ID]++
		b.changes[i].log(b.at, "incident_opened", inc.Number, 0)
		if a.ci != 0 {
			p.groups[a.ci] = groupRef{incident: inc.ID, at: at}
			parents, _ := p.parentsOf(ctx, a.ci)
			for _, x := range parents {
				p.groups[x] = groupRef{incident: inc.ID, at: at}
			}
		}
	}
	b.openInc[inc.ID] = true
	return nil
}

// join adds alerts to an open incident: one journal note per batch,
// however many joined, and a higher impact once a storm is large.
func (p *processor) join(ctx context.Context, tx *store.Tx, b *batch, inc int64, members []int32) error {
	var cis []int64
	for _, i := range members {
		a := &p.alerts[i]
		p.incAlerts[inc]++
		p.incActive[inc]++
		b.changes[i].log(b.at, "incident_joined", incident.FormatNumber(inc), 0)
		if a.ci != 0 {
			cis = append(cis, a.ci)
		}
	}
	if err := linkCIs(ctx, tx, inc, cis, b.at); err != nil {
		return err
	}
	note := fmt.Sprintf("%d more alerts joined.", len(members))
	if len(members) == 1 {
		note = "1 more alert joined: " + summaryOf(b.changes[members[0]], &p.alerts[members[0]])
	}
	if err := incident.NoteInTx(ctx, tx, inc, note); err != nil {
		return err
	}
	if n := p.incAlerts[inc]; n > stormDevices && n-int32(len(members)) <= stormDevices {
		return p.s.Incidents.RaiseImpactInTx(ctx, tx, inc, incident.High, fmt.Sprintf("%d alerts grouped: many devices are affected.", n))
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
