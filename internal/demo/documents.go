package demo

import (
	"context"
	"strconv"
	"time"

	"steward/internal/auth"
	"steward/internal/document"
	"steward/internal/store"
)

// loadDocuments fills the register of documented information the way a
// small provider a year into its SMS might have it: an approved policy
// most staff acknowledged (two have not read the new version yet), an SMS
// plan, a resource plan running over budget, a communication plan,
// process documents for some processes (not all), one overdue for review,
// one draft awaiting approval and a retired policy it superseded.
func loadDocuments(ctx context.Context, db *store.DB) error {
	people := map[string]*auth.Principal{}
	for _, email := range []string{"admin@steward.demo", "agent@steward.demo", "auditor@steward.demo", "sam.patel@steward.demo",
		"mei.chen@steward.demo", "jonas.berg@steward.demo", "lucia.romero@steward.demo", "tom.okafor@steward.demo"} {
		u, err := auth.UserByEmail(ctx, db, email)
		if err != nil {
			return err
		}
		people[email] = &auth.Principal{UserID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role}
	}
	ada, mei, sam := people["admin@steward.demo"], people["mei.chen@steward.demo"], people["sam.patel@steward.demo"]
	now := time.Now().UTC()
	at := now
	svc := &document.Service{DB: db, Now: func() time.Time { return at }}
	d := demoDocs{ctx: ctx, svc: svc, at: &at}

	// The retired policy first, so the new one can supersede it.
	at = now.AddDate(-3, 0, 0)
	old := d.doc(ada, "Information security policy (2023)", document.Policy, "security", ada, nil, "7 years after superseded", false, nil)
	d.version(ada, old, oldSecurityPolicy, "")
	d.approve(ada, old, 1, "")
	at = now.AddDate(0, -5, 0)
	sec := d.doc(ada, "Information security policy", document.Policy, "security", ada, nil, "7 years after superseded", false, nil)
	d.version(ada, sec, securityPolicy, "")
	d.approve(ada, sec, 1, "")
	d.update(ada, old, document.Input{SupersededBy: &sec.ID, Status: ptrTo(document.Retired)})

	// The service management policy: version 1 a year and a half ago,
	// acknowledged by all; version 2 three months ago, by most.
	at = now.AddDate(0, -18, 0)
	pol := d.doc(ada, "Service management policy", document.Policy, "", ada, &mei.UserID, "Life of the SMS plus 7 years", true, nil)
	d.version(ada, pol, policyV1, "")
	d.approve(mei, pol, 1, "")
	staff := []string{"admin@steward.demo", "mei.chen@steward.demo", "sam.patel@steward.demo", "jonas.berg@steward.demo",
		"lucia.romero@steward.demo", "auditor@steward.demo", "agent@steward.demo", "tom.okafor@steward.demo"}
	for i, email := range staff {
		at = now.AddDate(0, -18, i+1)
		d.ack(people[email], pol)
	}
	at = now.AddDate(0, -3, 0)
	d.version(ada, pol, policyV2, "Customer satisfaction and supplier performance added to the commitments; review yearly.")
	d.approve(mei, pol, 2, now.AddDate(0, 9, 0).Format(document.DateLayout))
	for i, email := range staff[:6] { // Alex Agent and Tom Okafor have not read version 2 yet
		at = now.AddDate(0, -3, i+1)
		d.ack(people[email], pol)
	}

	at = now.AddDate(0, -2, 0)
	year := now.Year()
	plan := d.doc(ada, "SMS plan "+itoa(year), document.SMSPlan, "", ada, nil, "5 years", false, map[string]any{
		"period_start": itoa(year) + "-01-01", "period_end": itoa(year) + "-12-31",
		"scope_summary": "Managed workplace, hosting and ERP services for our customers, delivered from the Hamburg head office and the Frankfurt data centre."})
	d.version(ada, plan, smsPlan, "")
	d.approve(ada, plan, 1, "")
	res := d.doc(ada, "Resource plan "+itoa(year), document.ResourcePlan, "budgeting", ada, nil, "5 years", false, map[string]any{
		"period_start": itoa(year) + "-01-01", "period_end": itoa(year) + "-12-31",
		"staff_planned": 9.0, "staff_actual": 8.0, "budget_planned": 1200000.0, "budget_actual": 1264500.0, "currency": "EUR"})
	d.version(ada, res, resourcePlan, "")
	d.approve(ada, res, 1, "")
	com := d.doc(ada, "Communication plan", document.CommunicationPlan, "", mei, nil, "3 years", false, map[string]any{
		"lines": []any{
			map[string]any{"what": "Service review", "audience": "Customer contacts", "channel": "Meeting", "frequency": "Quarterly", "owner": "Mei Chen"},
			map[string]any{"what": "Planned maintenance notice", "audience": "All users of the service", "channel": "E-mail and status page", "frequency": "5 days ahead", "owner": "Jonas Berg"},
			map[string]any{"what": "Major incident update", "audience": "Affected customers", "channel": "Status page", "frequency": "Every hour until resolved", "owner": "Service desk lead"},
			map[string]any{"what": "SMS performance summary", "audience": "Top management", "channel": "Management review", "frequency": "Twice a year", "owner": "Ada Admin"},
		}})
	d.version(mei, com, commsPlan, "")
	d.approve(ada, com, 1, "")

	// Process documents: some processes, not all.
	for _, p := range []struct{ key, title, body string }{
		{"incident", "Incident management process", incidentProcess},
		{"problem", "Problem management process", problemProcess},
		{"service_level", "Service level management process", slmProcess},
	} {
		at = now.AddDate(0, -4, 0)
		x := d.doc(ada, p.title, document.Process, p.key, mei, nil, "3 years after superseded", false, nil)
		d.version(mei, x, p.body, "")
		d.approve(ada, x, 1, "")
	}
	// Approved fourteen months ago and due for review two months ago.
	at = now.AddDate(0, -14, 0)
	chg := d.doc(ada, "Change management process", document.Process, "change", people["jonas.berg@steward.demo"], nil, "3 years after superseded", false, nil)
	d.version(people["jonas.berg@steward.demo"], chg, changeProcess, "")
	d.approve(ada, chg, 1, now.AddDate(0, -2, 0).Format(document.DateLayout))
	// Written last week, waiting for Ada's approval.
	at = now.AddDate(0, 0, -6)
	req := d.doc(ada, "Service request fulfilment procedure", document.Procedure, "request", sam, &ada.UserID, "3 years after superseded", false, nil)
	d.version(sam, req, requestProcedure, "")
	return d.err
}

// demoDocs writes demo documents, keeping the first error.
type demoDocs struct {
	ctx context.Context
	svc *document.Service
	at  *time.Time
	err error
}

func (d *demoDocs) doc(by *auth.Principal, title string, t document.Type, process string, owner *auth.Principal, approver *int64,
	retention string, ack bool, attrs map[string]any) document.Document {
	if d.err != nil {
		return document.Document{}
	}
	in := document.Input{Title: &title, Type: &t, ProcessKey: &process, OwnerID: &owner.UserID, ApproverID: approver,
		Retention: &retention, RequiresAck: &ack}
	if attrs != nil {
		in.Attributes = &attrs
	}
	var out document.Document
	out, d.err = d.svc.Create(d.ctx, by.Actor(), in, nil)
	return out
}

func (d *demoDocs) version(by *auth.Principal, doc document.Document, body, note string) {
	if d.err == nil {
		_, d.err = d.svc.AddVersion(d.ctx, by.Actor(), doc.ID, document.NewVersion{Body: &body, ChangeNote: &note}, 0)
	}
}

func (d *demoDocs) approve(by *auth.Principal, doc document.Document, n int, review string) {
	if d.err == nil {
		_, d.err = d.svc.Approve(d.ctx, by, doc.ID, n, document.Approval{NextReview: &review}, 0)
	}
}

func (d *demoDocs) ack(by *auth.Principal, doc document.Document) {
	if d.err == nil {
		_, d.err = d.svc.Acknowledge(d.ctx, by, doc.ID)
	}
}

func (d *demoDocs) update(by *auth.Principal, doc document.Document, in document.Input) {
	if d.err == nil {
		_, d.err = d.svc.Update(d.ctx, by.Actor(), doc.ID, in, 0)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

const policyV1 = policyHead + policyTail

const policyV2 = policyHead + `- We measure customer satisfaction twice a year and act on what we hear.
- We hold our suppliers to targets that support our own service levels.
` + policyTail + `
## Review

This policy is reviewed at least once a year at management review, and whenever the scope of the SMS changes.
`

const policyHead = `# Service management policy

We run our IT services so that customers can rely on them and know what to expect.

## Our commitments

- We agree service levels with each customer and report against them every month.
- We restore service after an incident as fast as the agreed priority asks, and we look for the cause of repeated incidents.
- We change live services only through assessed and approved changes.
- We keep the service management system under review and improve it where our measures show the need.
`

const policyTail = `
## Responsibilities

Top management owns this policy and provides the people and budget the SMS plan calls for. Every process has a named owner.
`

const oldSecurityPolicy = `# Information security policy (2023)

Access to customer systems is granted per person and reviewed every year. Passwords are at least 10 characters long.
`

const securityPolicy = `# Information security policy

We protect the confidentiality, integrity and availability of the information we hold for our customers.

- Access is granted per person, on the least privilege needed, and reviewed every quarter.
- Multi-factor sign-in is required for every administrative account.
- Security incidents are handled as incidents of priority 1 or 2 and reported to the customer within 24 hours.
`

const smsPlan = `# SMS plan

## Objectives
Raise first-time resolution on the service desk and halve failed changes (see the objectives register).

## Resources and roles
Nine full-time staff across the service desk, operations and service management; see the resource plan.

## Schedule
- Q1: internal audit of incident, change and service level management.
- Q2: management review; supplier reviews.
- Q3: internal audit of the remaining processes.
- Q4: certification audit.
`

const resourcePlan = `# Resource plan

Staffing and budget for the year, planned and actual. The budget runs over plan because of the ERP hosting migration (approved in change CHG-000004).
`

const commsPlan = `# Communication plan

Who we tell what, how and when. Every member of staff reads the service management policy and confirms it in Steward.
`

const incidentProcess = `# Incident management

1. Log every incident with priority and category.
2. Assign it to the support group of the affected service.
3. Resolve within the target of its priority; escalate at 75 % of the target.
4. Confirm the resolution with the requester before closing.
`

const problemProcess = `# Problem management

Open a problem for any incident that recurs three times in 30 days or any major incident. Record the root cause and a workaround as a known error, and close the problem once the fixing change is in place.
`

const slmProcess = `# Service level management

Agree an SLA per customer and service. Report attainment monthly; review each SLA with the customer once a year.
`

const changeProcess = `# Change management

Every change to a live service is raised, assessed for risk and impact, approved by the change advisory board (or by the standard change template) and reviewed after implementation.
`

const requestProcedure = `# Service request fulfilment

1. Requests come in through the request catalogue.
2. Items that need approval wait for the requester's manager.
3. Fulfil within the catalogue item's target and confirm with the requester.
`
