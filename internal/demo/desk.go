package demo

import (
	"context"
	"math/rand/v2"
	"time"

	"steward/internal/audit"
	"steward/internal/incident"
	"steward/internal/org"
	"steward/internal/store"
)

// deskGroups are added to the demo's four groups, so that a desk seed has
// the long tail of small teams a real service desk routes to.
var deskGroups = []string{"Field Services", "Database", "Identity", "Telephony", "ERP", "Web", "Security",
	"Printing", "Facilities", "Storage", "Payroll", "Workplace"}

// SeedDesk bulk-loads n incidents shaped like a desk that has run for a
// year, for the queue benchmarks. About 95% are closed; the open ones are
// mostly from the last weeks, with a tail of long-running ones on hold.
// Incidents go to 16 groups of very different size (the largest takes
// 30%, the twelve smallest about 3% each), and every group has a few dozen
// new, unassigned incidents waiting: most from the last three days, some
// forgotten for months. Like Seed, it loads the demo organisation first
// when the database is empty.
func SeedDesk(ctx context.Context, db *store.DB, svc *incident.Service, n int, progress func(done int)) error {
	empty, err := Empty(ctx, db)
	if err != nil {
		return err
	}
	if empty {
		if err := Load(ctx, db, svc); err != nil {
			return err
		}
		// A used database keeps the groups it has.
		for _, name := range deskGroups {
			if _, err := org.Groups.Create(ctx, db, audit.System, name); err != nil {
				return err
			}
		}
	}
	pp, err := seedPeople(ctx, db, svc)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(uint64(n), 11))
	d := newDesk(pp, rng, n, time.Now().UTC())
	return seedBatches(ctx, db, svc, n, progress, d.incident)
}

// desk draws the incidents of a desk seed in creation order.
type desk struct {
	pp         *people
	rng        *rand.Rand
	now, start time.Time
	step       time.Duration
	weights    []int         // per group, in percent of all incidents
	waiting    map[int]int64 // position -> group of a new, unassigned incident
}

func newDesk(pp *people, rng *rand.Rand, n int, now time.Time) *desk {
	span := 365 * 24 * time.Hour
	d := &desk{pp: pp, rng: rng, now: now, start: now.Add(-span), step: span / time.Duration(n), waiting: map[int]int64{}}
	// The first four groups (the demo's) take 65%; the rest share 35%.
	big := []int{30, 15, 12, 8}
	for i := range pp.groups {
		if i < len(big) {
			d.weights = append(d.weights, big[i]*100)
		} else {
			d.weights = append(d.weights, 3500/max(1, len(pp.groups)-len(big)))
		}
	}
	// A few dozen per group from 100,000 incidents up; proportionally fewer
	// below, so that small seeds are not mostly waiting work.
	recent := max(1, n*3/365)
	for _, g := range pp.groups {
		count := max(1, (24+rng.IntN(37))*min(n, 100_000)/100_000)
		for i := 0; i < count; i++ {
			k := n - 1 - rng.IntN(recent)
			if i%3 == 2 {
				k = rng.IntN(n) // forgotten: any time in the year
			}
			d.waiting[k] = g
		}
	}
	return d
}

func (d *desk) group() int64 {
	total := 0
	for _, w := range d.weights {
		total += w
	}
	r := d.rng.IntN(total)
	for i, w := range d.weights {
		if r < w {
			return d.pp.groups[i]
		}
		r -= w
	}
	return d.pp.groups[0]
}

// state draws the state of an incident raised at created.
func (d *desk) state(created time.Time) incident.State {
	age, r := d.now.Sub(created), d.rng.Float64()
	var open, resolved float64
	switch {
	case age < 14*24*time.Hour:
		open, resolved = 0.40, 0.30
	case age < 90*24*time.Hour:
		open = 0.025
	default:
		open = 0.008
	}
	switch {
	case r < open*0.6:
		return incident.InProgress
	case r < open:
		return incident.OnHold
	case r < open+resolved:
		return incident.Resolved
	}
	return incident.Closed
}

// incident is the k-th incident of the seed. Only its "created" journal
// entry is imported, so the fields carry the life it had.
func (d *desk) incident(k int) (incident.Incident, []incident.Entry) {
	created := d.start.Add(time.Duration(k) * d.step)
	inc, journal := d.pp.incident(d.rng, d.now, created, nil)
	inc.FirstResponseAt, inc.ResolvedAt, inc.ClosedAt = nil, nil, nil
	inc.HoldReason, inc.ResolutionCode, inc.ResolutionNotes = "", "", ""
	inc.AssigneeID, inc.UpdatedAt = nil, created
	if g, ok := d.waiting[k]; ok {
		inc.GroupID, inc.State = &g, incident.New
		return inc, journal
	}
	g := d.group()
	inc.GroupID, inc.State = &g, d.state(created)
	agent := d.pp.agents[d.rng.IntN(len(d.pp.agents))]
	inc.AssigneeID = &agent
	at := d.after(created, time.Minute, 4*time.Hour)
	inc.FirstResponseAt = &at
	switch inc.State {
	case incident.InProgress, incident.OnHold:
		if inc.State == incident.OnHold {
			inc.HoldReason = []string{"awaiting_requester", "awaiting_supplier", "awaiting_change"}[d.rng.IntN(3)]
		}
		// Last touched any time between the first response and now.
		inc.UpdatedAt = d.after(at, 0, d.now.Sub(at))
	default:
		inc.ResolutionCode = []string{"fixed", "fixed", "workaround", "no_fault_found"}[d.rng.IntN(4)]
		inc.ResolutionNotes = "Root cause found and corrected; confirmed with the requester."
		res := d.after(at, time.Hour, 5*24*time.Hour)
		inc.ResolvedAt, inc.UpdatedAt = &res, res
		if inc.State == incident.Closed {
			cl := d.after(res, 7*24*time.Hour, 0)
			inc.ClosedAt, inc.UpdatedAt = &cl, cl
		}
	}
	return inc, journal
}

// after returns a time between from+least and from+least+spread, never
// later than a minute ago.
func (d *desk) after(from time.Time, least, spread time.Duration) time.Time {
	t := from.Add(least)
	if spread > 0 {
		t = t.Add(time.Duration(d.rng.Int64N(int64(spread))))
	}
	if last := d.now.Add(-time.Minute); t.After(last) {
		t = last
	}
	if t.Before(from) {
		t = from
	}
	return t
}
