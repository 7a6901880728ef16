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
	customers  []int64
	requesters map[int64][]int64 // customer -> requesters
	reqNames   map[int64]string
	services   map[string]demoService // live services by name
}

func newPeople() people {
	return people{agentNames: map[int64]string{}, requesters: map[int64][]int64{}, reqNames: map[int64]string{},
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
	return db.InTx(ctx, func(tx *store.Tx) error {
		for i := 0; i < 200; i++ {
			created := now.Add(-time.Duration(rng.Int64N(int64(90 * 24 * time.Hour))))
			inc, journal := pp.incident(rng, now, created)
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

var subjects = []struct{ title, desc, category, sub, service string }{
	{"VPN drops every few minutes", "Since this morning the VPN client disconnects every 5-10 minutes. Reconnecting works for a while.", "network", "vpn", "VPN"},
	{"Cannot print to 3rd floor printer", "Jobs sit in the queue and never print. Other printers work.", "hardware", "printer", "Laptop & desktop support"},
	{"Outlook keeps asking for password", "After the password change Outlook prompts for credentials again and again.", "software", "email", "E-mail"},
	{"ERP invoice run fails with timeout", "The nightly invoice batch stops with a database timeout after about 40 minutes.", "application", "erp", "ERP"},
	{"Wi-Fi slow in meeting rooms", "Video calls freeze in rooms B1-B4; throughput tests show under 2 Mbit/s.", "network", "wifi", "Network"},
	{"Laptop will not boot after update", "Black screen with a blinking cursor after last night's updates.", "hardware", "laptop", "Laptop & desktop support"},
	{"Shared drive not mapped", "The S: drive is missing after login for the whole finance team.", "infrastructure", "file share", "File shares"},
	{"Web shop checkout returns error 502", "Customers report a 502 at the payment step; about one in five orders fails.", "application", "web shop", "Website"},
	{"Badge reader at main entrance offline", "The reader shows a red light and does not open the door.", "facilities", "access control", ""},
	{"Teams calls have no audio", "Joining any call gives no audio in either direction; chat works.", "software", "collaboration", "Telephony"},
	{"Disk almost full on file server FS02", "Monitoring warns at 93% used on volume D:.", "infrastructure", "storage", "File shares"},
	{"New starter has no account", "Maria starts Monday and cannot log in; HR submitted the form last week.", "access", "accounts", "Identity & access"},
	{"Payslip missing in the self-service portal", "This month's payslip is not in the portal; last month's is.", "application", "payroll", "Payroll"},
}

var comments = []string{
	"Thanks for reporting this. We are looking into it now.",
	"Could you send a screenshot of the error, please?",
	"Screenshot attached in the e-mail I just sent.",
	"We have found the cause and are applying a fix.",
	"It works again on my side, thank you!",
	"Still happening this morning, unfortunately.",
}

var workNotes = []string{
	"Checked the logs: certificate on the gateway expired at 02:00.",
	"Escalated to the network team; link flapping on switch SW-3-2.",
	"Workaround: restart the print spooler service.",
	"Vendor ticket opened, reference 448213.",
}

func (pp *people) incident(rng *rand.Rand, now, created time.Time) (incident.Incident, []incident.Entry) {
	s := subjects[rng.IntN(len(subjects))]
	cust, service := pp.customerFor(rng, s.service)
	reqs := pp.requesters[cust]
	req := reqs[rng.IntN(len(reqs))]
	levels := []incident.Level{incident.High, incident.Medium, incident.Medium, incident.Low, incident.Low}
	impact, urgency := levels[rng.IntN(5)], levels[rng.IntN(5)]
	group := pp.groups[rng.IntN(len(pp.groups))]
	inc := incident.Incident{
		Title: s.title, Description: s.desc, RequesterID: &req, CustomerID: &cust, Category: s.category,
		Subcategory: s.sub, Impact: impact, Urgency: urgency,
		Priority: incident.DefaultMatrix().Priority(impact, urgency), ServiceID: service, GroupID: &group,
		CreatedAt: created, UpdatedAt: created, Version: 1, Major: impact == incident.High && urgency == incident.High && rng.IntN(3) == 0,
	}
	reqName := pp.reqNames[req]
	journal := []incident.Entry{{Kind: "created", AuthorID: &req, AuthorName: reqName, CreatedAt: created}}
	age := now.Sub(created)
	// Older incidents are further along; the last week still has open work.
	var state incident.State
	switch r := rng.Float64(); {
	case age > 30*24*time.Hour && r < 0.97, age > 10*24*time.Hour && r < 0.8:
		state = incident.Closed
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
		agent := pp.agents[rng.IntN(len(pp.agents))]
		inc.AssigneeID = &agent
		at := step(4 * time.Hour)
		inc.FirstResponseAt = &at
		journal = append(journal,
			incident.Entry{Kind: "change", AuthorID: &agent, AuthorName: pp.agentNames[agent], CreatedAt: at, Changes: []incident.Change{
				{Field: "assignee_id", New: fmt.Sprint(agent)}, {Field: "state", Old: "new", New: "in_progress"}}},
			incident.Entry{Kind: "comment", AuthorID: &agent, AuthorName: pp.agentNames[agent], CreatedAt: step(time.Hour), Body: comments[0]},
			incident.Entry{Kind: "work_note", AuthorID: &agent, AuthorName: pp.agentNames[agent], CreatedAt: step(6 * time.Hour), Body: workNotes[rng.IntN(len(workNotes))]},
		)
		if rng.IntN(2) == 0 {
			journal = append(journal, incident.Entry{Kind: "comment", AuthorID: &req, AuthorName: reqName, CreatedAt: step(8 * time.Hour), Body: comments[1+rng.IntN(len(comments)-1)]})
		}
		switch state {
		case incident.OnHold:
			inc.HoldReason = []string{"awaiting_requester", "awaiting_supplier", "awaiting_change"}[rng.IntN(3)]
			journal = append(journal, incident.Entry{Kind: "change", AuthorID: &agent, AuthorName: pp.agentNames[agent], CreatedAt: step(4 * time.Hour),
				Changes: []incident.Change{{Field: "state", Old: "in_progress", New: "on_hold"}, {Field: "hold_reason", New: inc.HoldReason}}})
		case incident.Resolved, incident.Closed:
			inc.ResolutionCode = []string{"fixed", "fixed", "workaround", "no_fault_found"}[rng.IntN(4)]
			inc.ResolutionNotes = "Root cause found and corrected; confirmed with the requester."
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
	inc.State = state
	inc.UpdatedAt = journal[len(journal)-1].CreatedAt
	return inc, journal
}
