// Package demo fills an empty database with a believable organisation (its
// customers, people, service catalogue and incidents), for trying Steward
// out, and bulk-seeds incidents for benchmarks.
package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/incident"
	"steward/internal/org"
	"steward/internal/store"
)

// Password is the password of every demo account.
const Password = "steward-demo"

// Logins are the demo accounts, one per role.
var Logins = []struct{ Email, Role string }{
	{"admin@steward.demo", "admin"},
	{"agent@steward.demo", "agent"},
	{"requester@steward.demo", "requester"},
	{"auditor@steward.demo", "auditor"},
}

// Empty reports whether the database has no accounts yet.
func Empty(ctx context.Context, db *store.DB) (bool, error) {
	var n int
	err := db.QueryRow(ctx, "SELECT COUNT(*) FROM users").Scan(&n)
	return n == 0, err
}

type people struct {
	agents     []int64
	agentNames map[int64]string
	groups     []int64
	members    map[int64][]int64 // group -> its agents
	customers  []int64
	requesters map[int64][]int64 // customer -> requesters
	reqNames   map[int64]string
	services   map[string]demoService // live services by name
}

func newPeople() people {
	return people{agentNames: map[int64]string{}, members: map[int64][]int64{}, requesters: map[int64][]int64{}, reqNames: map[int64]string{},
		services: map[string]demoService{}}
}

// Load creates the demo organisation, its service catalogue and about 200
// incidents over the last 90 days. It expects an empty database.
func Load(ctx context.Context, db *store.DB, svc *incident.Service) error {
	sys := audit.System
	pp := newPeople()
	for _, name := range []string{"Service Desk", "Network", "Applications", "Infrastructure"} {
		g, err := org.Groups.Create(ctx, db, sys, name)
		if err != nil {
			return err
		}
		pp.groups = append(pp.groups, g.ID)
	}
	for _, name := range []string{"Northwind Traders", "Contoso Health", "Fabrikam Logistics"} {
		c, err := org.Customers.Create(ctx, db, sys, name)
		if err != nil {
			return err
		}
		pp.customers = append(pp.customers, c.ID)
	}
	mk := func(email, name string, role auth.Role, cust *int64, groups []int64) (int64, error) {
		u, err := auth.CreateUser(ctx, db, sys, auth.NewUser{Email: email, Name: name, Role: role, CustomerID: cust, Password: Password, GroupIDs: groups})
		return u.ID, err
	}
	adminID, err := mk("admin@steward.demo", "Ada Admin", auth.Admin, nil, pp.groups[:1])
	if err != nil {
		return err
	}
	if _, err := mk("auditor@steward.demo", "Otto Auditor", auth.Auditor, nil, nil); err != nil {
		return err
	}
	agents := []struct {
		email, name string
		groups      []int64
	}{
		{"agent@steward.demo", "Alex Agent", []int64{pp.groups[0], pp.groups[2]}},
		{"sam.patel@steward.demo", "Sam Patel", []int64{pp.groups[0]}},
		{"mei.chen@steward.demo", "Mei Chen", []int64{pp.groups[1]}},
		{"jonas.berg@steward.demo", "Jonas Berg", []int64{pp.groups[1], pp.groups[3]}},
		{"lucia.romero@steward.demo", "Lucía Romero", []int64{pp.groups[2]}},
		{"tom.okafor@steward.demo", "Tom Okafor", []int64{pp.groups[3]}},
	}
	for _, a := range agents {
		id, err := mk(a.email, a.name, auth.Agent, nil, a.groups)
		if err != nil {
			return err
		}
		pp.agents = append(pp.agents, id)
		pp.agentNames[id] = a.name
		for _, g := range a.groups {
			pp.members[g] = append(pp.members[g], id)
		}
	}
	reqs := []struct {
		email, name string
		cust        int
	}{
		{"requester@steward.demo", "Rita Requester", 0},
		{"paul.meyer@northwind.example", "Paul Meyer", 0},
		{"anna.lind@contoso.example", "Anna Lind", 1},
		{"kofi.mensah@contoso.example", "Kofi Mensah", 1},
		{"yuki.tanaka@fabrikam.example", "Yuki Tanaka", 2},
		{"omar.haddad@fabrikam.example", "Omar Haddad", 2},
	}
	for _, r := range reqs {
		cust := pp.customers[r.cust]
		id, err := mk(r.email, r.name, auth.Requester, &cust, nil)
		if err != nil {
			return err
		}
		pp.requesters[cust] = append(pp.requesters[cust], id)
		pp.reqNames[id] = r.name
	}
	admin := &auth.Principal{UserID: adminID, Email: "admin@steward.demo", Name: "Ada Admin", Role: auth.Admin}
	if err := pp.loadCatalogue(ctx, db, admin); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(20, 0))
	now := time.Now().UTC().Truncate(time.Second)
	titles := map[string]bool{}
	return db.InTx(ctx, func(tx *store.Tx) error {
		for i := 0; i < 200; i++ {
			created := now.Add(-time.Duration(rng.Int64N(int64(90 * 24 * time.Hour))))
			inc, journal := pp.incident(rng, now, created, titles)
			if err := svc.Import(ctx, tx, &inc, *inc.RequesterID, journal); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, sys, "create", "incident", inc.ID, map[string]any{"title": inc.Title, "source": "demo"}); err != nil {
				return err
			}
		}
		return nil
	})
}

// incident draws an incident raised at created and the journal of its
// life so far. When titles is not nil and the incident is open, it gets
// a title not in it (as far as its story allows), which is then added.
func (pp *people) incident(rng *rand.Rand, now, created time.Time, titles map[string]bool) (incident.Incident, []incident.Entry) {
	s := stories[rng.IntN(len(stories))]
	title, desc := s.fill(rng)
	cust, service := pp.customerFor(rng, s.service)
	reqs := pp.requesters[cust]
	req := reqs[rng.IntN(len(reqs))]
	levels := []incident.Level{incident.High, incident.Medium, incident.Medium, incident.Low, incident.Low}
	impact, urgency := levels[rng.IntN(5)], levels[rng.IntN(5)]
	group := pp.groupFor(rng, s.service)
	inc := incident.Incident{
		Title: title, Description: desc, RequesterID: &req, CustomerID: &cust, Category: s.category,
		Subcategory: s.sub, Impact: impact, Urgency: urgency,
		Priority: incident.DefaultMatrix().Priority(impact, urgency), ServiceID: service, GroupID: &group,
		CreatedAt: created, UpdatedAt: created, Version: 1, Major: impact == incident.High && urgency == incident.High && rng.IntN(3) == 0,
	}
	reqName := pp.reqNames[req]
	journal := []incident.Entry{{Kind: "created", AuthorID: &req, AuthorName: reqName, CreatedAt: created}}
	age := now.Sub(created)
	// Older incidents are further along; the last week still has open work,
	// and a few from the weeks before drag on past their targets.
	var state incident.State
	switch r := rng.Float64(); {
	case age > 30*24*time.Hour && r < 0.97, age > 10*24*time.Hour && r < 0.8:
		state = incident.Closed
	case age > 3*24*time.Hour && age < 21*24*time.Hour && r >= 0.9:
		state = incident.InProgress // dragging on: past its resolution target
	case age > 3*24*time.Hour && r < 0.6, age > 10*24*time.Hour && r < 0.95:
		state = incident.Resolved
	case r < 0.25:
		state = incident.New
	case r < 0.8:
		state = incident.InProgress
	default:
		state = incident.OnHold
	}
	t := created
	step := func(max time.Duration) time.Time {
		t = t.Add(time.Duration(rng.Int64N(int64(max))) + time.Minute)
		if t.After(now) {
			t = now.Add(-time.Minute)
		}
		return t
	}
	if state != incident.New {
		agent := pp.agentOf(rng, group)
		inc.AssigneeID = &agent
		at := step(4 * time.Hour)
		inc.FirstResponseAt = &at
		note := s.notes[rng.IntN(len(s.notes))]
		by := func(kind, body string, within time.Duration) incident.Entry {
			return incident.Entry{Kind: kind, AuthorID: &agent, AuthorName: pp.agentNames[agent], CreatedAt: step(within), Body: body}
		}
		journal = append(journal,
			incident.Entry{Kind: "change", AuthorID: &agent, AuthorName: pp.agentNames[agent], CreatedAt: at, Changes: []incident.Change{
				{Field: "assignee_id", New: fmt.Sprint(agent)}, {Field: "state", Old: "new", New: "in_progress"}}},
			by("comment", agentReplies[rng.IntN(2)], time.Hour),
			by("work_note", note, 6*time.Hour),
		)
		if len(s.answers) > 0 && rng.IntN(2) == 0 {
			journal = append(journal, by("comment", agentReplies[2+rng.IntN(2)], 4*time.Hour),
				incident.Entry{Kind: "comment", AuthorID: &req, AuthorName: reqName, CreatedAt: step(8 * time.Hour), Body: s.answers[rng.IntN(len(s.answers))]})
		}
		switch state {
		case incident.OnHold:
			inc.HoldReason = []string{"awaiting_requester", "awaiting_supplier", "awaiting_change"}[rng.IntN(3)]
			journal = append(journal, incident.Entry{Kind: "change", AuthorID: &agent, AuthorName: pp.agentNames[agent], CreatedAt: step(4 * time.Hour),
				Changes: []incident.Change{{Field: "state", Old: "in_progress", New: "on_hold"}, {Field: "hold_reason", New: inc.HoldReason}}})
		case incident.Resolved, incident.Closed:
			inc.ResolutionCode = []string{"fixed", "fixed", "workaround", "no_fault_found"}[rng.IntN(4)]
			inc.ResolutionNotes = note + " Confirmed with the requester."
			res := step(48 * time.Hour)
			inc.ResolvedAt = &res
			journal = append(journal, incident.Entry{Kind: "change", AuthorID: &agent, AuthorName: pp.agentNames[agent], CreatedAt: res,
				Changes: []incident.Change{{Field: "state", Old: "in_progress", New: "resolved"}, {Field: "resolution_code", New: inc.ResolutionCode}}})
			if state == incident.Closed {
				cl := res.Add(7 * 24 * time.Hour)
				if cl.After(now) {
					cl = now
				}
				inc.ClosedAt = &cl
				t = cl
				journal = append(journal, incident.Entry{Kind: "change", AuthorName: "system", CreatedAt: cl, Body: "Closed automatically after resolution",
					Changes: []incident.Change{{Field: "state", Old: "resolved", New: "closed"}}})
			}
		}
	}
	if titles != nil && state != incident.Resolved && state != incident.Closed {
		for try := 0; titles[inc.Title] && try < 50; try++ {
			inc.Title, inc.Description = s.fill(rng)
		}
		titles[inc.Title] = true
	}
	inc.State = state
	inc.UpdatedAt = journal[len(journal)-1].CreatedAt
	return inc, journal
}
