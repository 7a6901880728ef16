package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"steward/internal/auth"
	"steward/internal/org"
	"steward/internal/patch"
	"steward/internal/request"
	"steward/internal/store"
)

// demoItem is a catalogue item of the demo, on a service named by name.
type demoItem struct {
	service string
	item    request.NewItem
}

func demoItems(groups map[string]int64, users map[string]int64) []demoItem {
	g := func(name string) *int64 {
		if id, ok := groups[name]; ok {
			return &id
		}
		return nil
	}
	mei := users["mei.chen@steward.demo"]
	return []demoItem{
		{"Laptop & desktop support", request.NewItem{Name: "New laptop",
			Description: "A company laptop with the standard image, for a new starter or to replace one at the end of its life.",
			Approval:    &request.Approval{Rule: request.ManagerApproval},
			GroupID:     g("Service Desk"),
			Tasks: []request.TaskTemplate{{Name: "Prepare and enrol the laptop", GroupID: g("Service Desk"), Order: 1},
				{Name: "Hand the laptop over", GroupID: g("Service Desk"), Order: 2}},
			Form: &request.Form{Fields: []request.Field{
				{Key: "model", Label: "Model", Type: request.ChoiceField, Required: true, Options: []string{"13 inch, light", "15 inch, performance"}},
				{Key: "for_whom", Label: "Who is it for?", Type: request.UserField, Help: "Leave empty if it is for you."},
				{Key: "dock", Label: "Docking station with two screens?", Type: request.YesNoField},
				{Key: "dock_place", Label: "Where should the docking station go?", Type: request.TextField, Required: true,
					Help: "Building, floor and desk.", ShowWhen: &request.Condition{Field: "dock", Equals: "true"}},
				{Key: "needed_by", Label: "Needed by", Type: request.DateField, Required: true},
			}}}},
		{"Laptop & desktop support", request.NewItem{Name: "Software installation",
			Description: "Install licensed software from the approved list on your company laptop.",
			Approval:    &request.Approval{Rule: request.GroupApproval, GroupID: g("Applications"), Mode: request.AnyMember},
			Tasks:       []request.TaskTemplate{{Name: "Install the software", GroupID: g("Applications"), Order: 1}},
			Form: &request.Form{Fields: []request.Field{
				{Key: "software", Label: "Software and version", Type: request.TextField, Required: true},
				{Key: "licence", Label: "Do you already have a licence?", Type: request.YesNoField, Required: true},
				{Key: "seats", Label: "How many licences?", Type: request.NumberField, Required: true,
					ShowWhen: &request.Condition{Field: "licence", Equals: "false"}},
			}}}},
		{"VPN", request.NewItem{Name: "VPN access",
			Description: "Remote access to office systems from home and on the road.",
			Approval:    &request.Approval{Rule: request.UserApproval, UserID: &mei},
			Tasks:       []request.TaskTemplate{{Name: "Create the VPN profile", GroupID: g("Network"), Order: 1}},
			Form: &request.Form{Fields: []request.Field{
				{Key: "reason", Label: "What do you need remote access for?", Type: request.TextField, Required: true},
				{Key: "until", Label: "Until", Type: request.DateField, Help: "Leave empty for permanent access."},
			}}}},
		{"E-mail", request.NewItem{Name: "Mailbox",
			Description: "A new personal or shared mailbox.",
			Tasks:       []request.TaskTemplate{{Name: "Create the mailbox", GroupID: g("Infrastructure"), Order: 1}},
			Form: &request.Form{Fields: []request.Field{
				{Key: "kind", Label: "Kind of mailbox", Type: request.ChoiceField, Required: true, Options: []string{"personal", "shared"}},
				{Key: "address", Label: "Address", Type: request.TextField, Required: true, Help: "e.g. sales@example.com"},
				{Key: "members", Label: "Who should have access?", Type: request.TextField, Required: true,
					ShowWhen: &request.Condition{Field: "kind", Equals: "shared"}},
			}}}},
		{"Identity & access", request.NewItem{Name: "Access to an application",
			Description: "Access to a business application for yourself or a colleague.",
			Approval:    &request.Approval{Rule: request.ManagerApproval},
			GroupID:     g("Infrastructure"),
			Form: &request.Form{Fields: []request.Field{
				{Key: "application", Label: "Application", Type: request.ChoiceField, Required: true, Options: []string{"ERP", "Payroll", "CRM"}},
				{Key: "role", Label: "Role needed", Type: request.TextField, Required: true},
			}}}},
	}
}

// demoRequest is a request of the demo and how far it got.
type demoRequest struct {
	requester, item string
	answers         map[string]any
	decide          string // approver's e-mail; "" when the item needs none
	reject          bool
	finish          int    // tasks to complete, in order
	then            string // cancel, close, reopen
}

var demoRequests = []demoRequest{
	{"requester@steward.demo", "New laptop", map[string]any{"model": "13 inch, light", "dock": true, "dock_place": "Building A, 3rd floor, desk 12", "needed_by": inTwoWeeks()}, "", false, 0, ""},
	{"anna.lind@contoso.example", "Software installation", map[string]any{"software": "Visio 2024", "licence": false, "seats": 2}, "lucia.romero@steward.demo", false, 0, ""},
	{"kofi.mensah@contoso.example", "VPN access", map[string]any{"reason": "On call for the warehouse systems", "until": "2026-12-31"}, "mei.chen@steward.demo", false, 1, ""},
	{"yuki.tanaka@fabrikam.example", "Mailbox", map[string]any{"kind": "shared", "address": "dispatch@fabrikam.example", "members": "Yuki, Omar"}, "", false, 1, "close"},
	{"omar.haddad@fabrikam.example", "VPN access", map[string]any{"reason": "Working from home on Fridays"}, "mei.chen@steward.demo", true, 0, ""},
	{"paul.meyer@northwind.example", "Mailbox", map[string]any{"kind": "personal", "address": "p.meyer@northwind.example"}, "", false, 0, ""},
	{"anna.lind@contoso.example", "Access to an application", map[string]any{"application": "Payroll", "role": "Payroll clerk"}, "", false, 0, "cancel"},
	{"requester@steward.demo", "VPN access", map[string]any{"reason": "Travelling to the Lyon office"}, "mei.chen@steward.demo", false, 1, "reopen"},
}

// inTwoWeeks is a needed-by date that has not passed whenever the demo loads.
func inTwoWeeks() string { return time.Now().AddDate(0, 0, 14).Format(time.DateOnly) }

// demoWorkers names, by item, the agent of the group its tasks go to who
// works its requests.
var demoWorkers = map[string]string{
	"New laptop":               "agent@steward.demo",
	"Software installation":    "lucia.romero@steward.demo",
	"VPN access":               "mei.chen@steward.demo",
	"Mailbox":                  "tom.okafor@steward.demo",
	"Access to an application": "jonas.berg@steward.demo",
}

// demoManagers says who manages whom, by e-mail.
var demoManagers = [][2]string{
	{"requester@steward.demo", "paul.meyer@northwind.example"},
	{"anna.lind@contoso.example", "kofi.mensah@contoso.example"},
	{"yuki.tanaka@fabrikam.example", "omar.haddad@fabrikam.example"},
	{"paul.meyer@northwind.example", "admin@steward.demo"},
}

// LoadRequests adds the demo's request catalogue, managers and a few
// requests in every state to a database that Load filled. It does nothing
// when the catalogue already has items, so it is safe to call twice.
func LoadRequests(ctx context.Context, db *store.DB, svc *request.Service) error {
	var n int
	if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM catalog_items").Scan(&n); err != nil || n > 0 {
		return err
	}
	people := map[string]*auth.Principal{}
	who := func(email string) (*auth.Principal, error) {
		if p, ok := people[email]; ok {
			return p, nil
		}
		u, err := auth.UserByEmail(ctx, db, email)
		if err != nil {
			return nil, fmt.Errorf("demo user %s: %w", email, err)
		}
		p := &auth.Principal{UserID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, GroupIDs: u.GroupIDs}
		if u.CustomerID != nil {
			p.CustomerID = *u.CustomerID
		}
		people[email] = p
		return p, nil
	}
	admin, err := who("admin@steward.demo")
	if err != nil {
		return err
	}
	for _, m := range demoManagers {
		u, err := who(m[0])
		if err != nil {
			return err
		}
		boss, err := who(m[1])
		if err != nil {
			return err
		}
		if _, err := request.SetManager(ctx, db, admin, u.UserID, &boss.UserID); err != nil {
			return err
		}
	}
	groups, err := org.Groups.Names(ctx, db)
	if err != nil {
		return err
	}
	byName := map[string]int64{}
	for id, name := range groups {
		byName[name] = id
	}
	mei, err := who("mei.chen@steward.demo")
	if err != nil {
		return err
	}
	items := map[string]int64{}
	for _, d := range demoItems(byName, map[string]int64{mei.Email: mei.UserID}) {
		var service int64
		err := store.ScanErr(db.QueryRow(ctx, "SELECT id FROM services WHERE name = ? AND status = 'live'", d.service).Scan(&service))
		if errors.Is(err, store.ErrNotFound) {
			continue // a catalogue without this service: leave its items out
		}
		if err != nil {
			return err
		}
		d.item.ServiceID = service
		it, err := svc.CreateItem(ctx, admin, d.item)
		if err != nil {
			return fmt.Errorf("demo item %s: %w", d.item.Name, err)
		}
		items[it.Name] = it.ID
	}
	for _, d := range demoRequests {
		if err := playRequest(ctx, svc, who, items, d); err != nil {
			return err
		}
	}
	return nil
}

// playRequest submits a demo request and takes it as far as d says, the way
// the people involved would.
func playRequest(ctx context.Context, svc *request.Service, who func(string) (*auth.Principal, error), items map[string]int64, d demoRequest) error {
	item, ok := items[d.item]
	if !ok {
		return nil
	}
	p, err := who(d.requester)
	if err != nil {
		return err
	}
	r, err := svc.Submit(ctx, p, request.NewRequest{ItemID: item, Answers: d.answers}, nil)
	if err != nil {
		return fmt.Errorf("demo request %s for %s: %w", d.item, d.requester, err)
	}
	if d.decide != "" {
		approver, err := who(d.decide)
		if err != nil {
			return err
		}
		approvals, err := svc.Approvals(ctx, approver, r.ID)
		if err != nil {
			return err
		}
		comment := "Fine by me."
		if d.reject {
			comment = "Not needed for this role; use the office systems instead."
		}
		if _, err := svc.Decide(ctx, approver, r.ID, approvals[0].ID, !d.reject, comment); err != nil {
			return fmt.Errorf("demo decision on %s: %w", r.Number, err)
		}
	}
	agent, err := who(demoWorkers[d.item])
	if err != nil {
		return err
	}
	if d.finish > 0 {
		if _, err := svc.Update(ctx, agent, r.ID, request.Patch{AssigneeID: patch.Of(agent.UserID)}, 0); err != nil {
			return err
		}
		if _, err := svc.AddComment(ctx, agent, r.ID, "Picked up; we will let you know when it is ready.", true, nil); err != nil {
			return err
		}
	}
	done := request.TaskDone
	for i := 0; i < d.finish; i++ {
		tasks, err := svc.Tasks(ctx, agent, r.ID)
		if err != nil {
			return err
		}
		for _, t := range tasks {
			if t.State == request.TaskOpen {
				if _, err := svc.UpdateTask(ctx, agent, r.ID, t.ID, request.TaskPatch{State: &done}, 0); err != nil {
					return err
				}
				break
			}
		}
	}
	switch d.then {
	case "cancel":
		_, err = svc.Cancel(ctx, p, r.ID, "Found out I already have access.", 0)
	case "close":
		closed := request.Closed
		_, err = svc.Update(ctx, agent, r.ID, request.Patch{State: &closed}, 0)
	case "reopen":
		_, err = svc.Reopen(ctx, p, r.ID, "The profile does not connect from the hotel network.", 0)
	}
	if err != nil {
		return fmt.Errorf("demo request %s: %s: %w", r.Number, d.then, err)
	}
	return nil
}
