package app

import (
	"context"
	"time"

	"steward/internal/api"
	"steward/internal/auth"
	"steward/internal/change"
	"steward/internal/cmdb"
	"steward/internal/compliance"
	"steward/internal/demo"
	"steward/internal/event"
	"steward/internal/incident"
	"steward/internal/jobs"
	"steward/internal/problem"
	"steward/internal/record"
	"steward/internal/release"
	"steward/internal/request"
	"steward/internal/schedule"
	"steward/internal/sla"
	"steward/internal/sms"
	"steward/internal/web"
)

// area is what one area of the product adds to a node: the ticket-like
// kinds it declares to the record kernel, its background work, its API
// routes, its pages, its links in the top bar and its part of the demo
// story. Its permissions are
// declared in its own package (auth.Declare) and its part of the OpenAPI
// document is a file of its own in api/openapi/. New loops over the
// areas; adding an area adds one entry to the list in areas.
type area struct {
	name  string
	kinds []*record.Kind
	jobs  []job
	api   api.Routes
	pages web.Pages
	nav   []web.NavEntry
	// run is long-running work that goes on while the node serves, such as
	// a stream consumer; each stops when its context ends.
	run []func(context.Context)
	// demo is the area's part of the demo story, when it has one.
	demo *demo.Step
}

// job is one kind of background work: its handler, how many may run at
// once on a node (1 when 0), and its schedule when it is periodic.
type job struct {
	kind        string
	run         jobs.Handler
	concurrency int
	every       time.Duration
}

// areas lists the areas of this node, its services built, in the order
// their links appear in the top bar.
func (a *App) areas() []area {
	return []area{
		// Each person's figures first: the dashboard of their role.
		a.dashboardArea(),
		{name: "incidents", demo: &demo.Incidents, kinds: []*record.Kind{a.Incidents.Kind()},
			jobs: []job{{kind: incident.AutoCloseJob, run: a.Incidents.AutoClose, concurrency: 2}},
			api:  api.IncidentRoutes, pages: web.IncidentPages,
			nav: []web.NavEntry{{Label: "Incidents", Href: "/", Perm: incident.PermRead, Lit: []string{"incidents", "new"}}}},
		{name: "requests", demo: &demo.Requests, kinds: []*record.Kind{a.Requests.Kind()},
			jobs: []job{{kind: request.AutoCloseJob, run: a.Requests.AutoClose, concurrency: 2}},
			api:  api.RequestRoutes, pages: web.RequestPages,
			nav: []web.NavEntry{
				{Menu: "Requests", Label: "Requests", Href: "/requests", Perm: request.PermRead, Lit: []string{"requests"}},
				{Menu: "Requests", Label: "Request catalogue", Href: "/catalog", Perm: request.PermCatalogRead, Lit: []string{"catalog"}},
				{Menu: "Requests", Label: "Approvals", Href: "/approvals", Perm: request.PermApprove, Lit: []string{"approvals"}},
			}},
		// The knowledge base sits beside the tickets it answers.
		a.knowledgeArea(),
		{name: "service catalogue", api: api.ServiceRoutes, pages: web.ServicePages,
			nav: []web.NavEntry{{Label: "Services", Href: "/services", Perm: auth.ServiceRead, Lit: []string{"services"}}}},
		{name: "problems", demo: &demo.Problems, kinds: []*record.Kind{a.Problems.Kind()},
			api: api.ProblemRoutes(a.Problems), pages: web.ProblemPages(a.Problems),
			nav: []web.NavEntry{
				{Menu: "Problems", Label: "Problem queue", Href: "/problems", Perm: problem.PermRead, Lit: []string{"problems"}},
				{Menu: "Problems", Label: "Known errors", Href: "/known-errors", Perm: problem.PermRead, Lit: []string{"known-errors"}},
				{Menu: "Problems", Label: "Trends", Href: "/problems/trends", Perm: problem.PermRead, Lit: []string{"problem-trends"}},
				{Menu: "Problems", Label: "Overview", Href: "/problems/overview", Perm: problem.PermRead, Lit: []string{"problem-overview"}},
			}},
		// Imports run one at a time per node; each writes in short chunks.
		{name: "configuration", demo: &demo.Configuration, jobs: []job{{kind: cmdb.ImportJobKind, run: a.CMDB.RunImportJob}},
			api: api.CMDBRoutes, pages: web.CMDBPages,
			nav: []web.NavEntry{
				{Menu: "Configuration", Label: "Configuration items", Href: "/cis", Perm: auth.CIRead, Lit: []string{"cis"}},
				{Menu: "Configuration", Label: "CI types", Href: "/ci-types", Perm: auth.CIRead, Lit: []string{"ci-types"}},
				{Menu: "Configuration", Label: "Baselines", Href: "/baselines", Perm: auth.CIRead, Lit: []string{"baselines"}},
				{Menu: "Configuration", Label: "Imports", Href: "/cmdb/imports", Perm: auth.CIRead, Lit: []string{"imports"}},
				{Menu: "Configuration", Label: "Assets & licences", Href: "/assets/expiring", Perm: auth.CIRead, Lit: []string{"assets"}},
			}},
		// Change management (8.5.1, 8.5.2): the change calendar and freeze
		// periods join the Changes menu from the schedule's own entry.
		{name: "changes", demo: &demo.Changes, kinds: []*record.Kind{a.Changes.Kind()},
			api: api.ChangeRoutes(a.Changes), pages: web.ChangePages(a.Changes),
			nav: []web.NavEntry{
				{Menu: "Changes", Label: "Changes", Href: "/changes", Perm: change.PermRead, Lit: []string{"changes"}},
				{Menu: "Changes", Label: "Change overview", Href: "/changes/overview", Perm: change.PermRead, Lit: []string{"change-overview"}},
				{Menu: "Changes", Label: "Standard changes", Href: "/change-templates", Perm: change.PermRead, Lit: []string{"change-templates"}},
				{Menu: "Changes", Label: "Approval policy", Href: "/change-policies", Perm: change.PermRead, Lit: []string{"change-policies"}},
			}},
		{name: "change calendar", demo: &demo.ChangeCalendar, api: api.ScheduleRoutes(a.Schedule), pages: web.ChangeCalendarPages(a.Schedule),
			nav: []web.NavEntry{
				{Menu: "Changes", Label: "Change calendar", Href: "/change-calendar", Perm: schedule.PermRead, Lit: []string{"change-calendar"}},
				{Menu: "Changes", Label: "Freeze periods", Href: "/freeze-periods", Perm: schedule.PermRead, Lit: []string{"freeze-periods"}},
			}},
		{name: "releases", demo: &demo.Releases, kinds: []*record.Kind{a.Releases.Kind()},
			api: api.ReleaseRoutes(a.Releases), pages: web.ReleasePages(a.Releases),
			nav: []web.NavEntry{{Menu: "Changes", Label: "Releases", Href: "/releases", Perm: release.PermRead, Lit: []string{"releases"}}}},
		// Escalations come due in bursts at the top of the hour.
		{name: "service levels", demo: &demo.ServiceLevels, jobs: []job{{kind: sla.EscalateJob, run: a.SLA.Escalate, concurrency: 4}},
			api: api.SLARoutes, pages: web.SLAPages,
			nav: []web.NavEntry{
				{Menu: "Service levels", Label: "Breaching soon", Href: "/sla/breaching", Perm: auth.SLARead, Lit: []string{"breaching"}},
				{Menu: "Service levels", Label: "SLA report", Href: "/reports/sla", Perm: auth.ReportRead, Lit: []string{"report"}},
				{Menu: "Service levels", Label: "Agreements", Href: "/agreements", Perm: auth.SLARead, Lit: []string{"slas"}},
				{Menu: "Service levels", Label: "Business calendars", Href: "/calendars", Perm: auth.SLARead, Lit: []string{"calendars"}},
				{Menu: "Service levels", Label: "Without a clock", Href: "/sla/unmeasured", Perm: auth.SLARead, Lit: []string{"unmeasured"}},
			}},
		// Event management (8.6.1, 8.7.1, 8.7.3): integrations take events
		// into the inbox; the processor turns them into alerts and
		// incidents; broker consumers subscribe to MQTT and NATS.
		{name: "events", demo: &demo.Events, jobs: a.eventJobs(), run: a.eventRunners(),
			api: api.EventRoutes(a.Events), pages: web.EventPages(a.Events),
			nav: []web.NavEntry{
				{Menu: "Events", Label: "Alert console", Href: "/alerts", Perm: event.PermRead, Lit: []string{"alerts"}},
				{Menu: "Events", Label: "Unmapped devices", Href: "/alerts/unmapped", Perm: event.PermRead, Lit: []string{"unmapped-devices"}},
				{Menu: "Events", Label: "Integrations", Href: "/integrations", Perm: event.PermRead, Lit: []string{"integrations"}},
				{Menu: "Events", Label: "Processing settings", Href: "/integrations/settings", Perm: event.PermRead, Lit: []string{"event-settings"}},
			}},
		// The management system's own records (4.1-4.4, 5.3, 7.2, 7.3).
		{name: "management system", demo: &demo.ManagementSystem, api: api.SMSRoutes(a.SMS), pages: web.SMSPages(a.SMS),
			nav: []web.NavEntry{
				{Menu: "Management system", Label: "Context & parties", Href: "/context", Perm: sms.PermRead, Lit: []string{"context"}},
				{Menu: "Management system", Label: "Scope", Href: "/scope", Perm: sms.PermRead, Lit: []string{"scope"}},
				{Menu: "Management system", Label: "Processes", Href: "/processes", Perm: sms.PermRead, Lit: []string{"processes"}},
				{Menu: "Management system", Label: "Competence", Href: "/competence", Perm: sms.PermRead, Lit: []string{"competence"}},
			}},
		// The register of documented information (5.2, 6.3, 7.1, 7.3-7.5).
		{name: "documents", demo: &demo.Documents, kinds: []*record.Kind{a.Documents.Kind()}, api: api.DocumentRoutes(a.Documents), pages: web.DocumentPages(a.Documents),
			nav: []web.NavEntry{
				{Menu: "Management system", Label: "Documents", Href: "/documents", Perm: sms.PermRead, Lit: []string{"documents"}},
				{Menu: "Management system", Label: "To acknowledge", Href: "/documents/acknowledge", Perm: sms.PermAcknowledge, Lit: []string{"documents-ack"}},
			}},
		// Planning and improvement (6.1, 6.2, 9.1, 9.4, 10.2): the
		// management system's measures, risks, objectives, reports and
		// improvements.
		{name: "planning", demo: &demo.Planning,
			api: api.PlanningRoutes(api.Planning{Risks: a.Risks, Objectives: a.Objectives, Improvements: a.Improvements, Reports: a.ServiceReports,
				Dashboards: a.Dashboards}),
			pages: web.PlanningPages(web.Planning{Risks: a.Risks, Objectives: a.Objectives, Improvements: a.Improvements, Reports: a.ServiceReports}),
			nav: []web.NavEntry{
				{Menu: "Management system", Label: "Risks", Href: "/risks", Perm: sms.PermRead, Lit: []string{"risks"}},
				{Menu: "Management system", Label: "Objectives", Href: "/objectives", Perm: sms.PermRead, Lit: []string{"objectives"}},
				{Menu: "Management system", Label: "Improvements", Href: "/improvements", Perm: sms.PermRead, Lit: []string{"improvements"}},
				{Menu: "Management system", Label: "Service reports", Href: "/service-reports", Perm: sms.PermRead, Lit: []string{"service-reports"}},
				{Menu: "Management system", Label: "KPIs", Href: "/kpis", Perm: sms.PermRead, Lit: []string{"kpis"}},
				kpiDefinitionsNav,
			}},
		// Readiness against the standards (clauses 4 to 10), the SMS
		// manager's home: evidence evaluated from the records and kept as a
		// daily snapshot, self-assessments, the roadmap and the audit pack.
		{name: "compliance", demo: &demo.Compliance, jobs: []job{{kind: compliance.SnapshotJob, run: compliance.DailySnapshots(a.DB), every: 24 * time.Hour}},
			api: api.ComplianceRoutes, pages: web.CompliancePages,
			nav: []web.NavEntry{
				{Menu: "Compliance", Label: "Readiness", Href: "/compliance", Perm: compliance.PermRead, Lit: []string{"compliance"}},
				{Menu: "Compliance", Label: "Roadmap", Href: "/compliance/roadmap", Perm: compliance.PermRead, Lit: []string{"compliance-roadmap"}},
				{Menu: "Compliance", Label: "Snapshots", Href: "/compliance/snapshots", Perm: compliance.PermRead, Lit: []string{"compliance-snapshots"}},
			}},
		{name: "audit pack", api: api.CompliancePackRoutes},
		// Checking and correcting the management system: internal audits
		// (9.2), management reviews (9.3), nonconformities and the actions
		// they and the reviews raise (10.1).
		{name: "compliance checking", demo: &demo.Checking, api: api.CheckingRoutes(a.Audits, a.Nonconformities, a.Reviews),
			pages: web.CheckingPages(a.Audits, a.Nonconformities, a.Reviews),
			nav: []web.NavEntry{
				{Menu: "Compliance", Label: "Internal audits", Href: "/internal-audits", Perm: sms.PermRead, Lit: []string{"internal-audits"}},
				{Menu: "Compliance", Label: "Nonconformities", Href: "/nonconformities", Perm: sms.PermRead, Lit: []string{"nonconformities"}},
				{Menu: "Compliance", Label: "Management reviews", Href: "/management-reviews", Perm: sms.PermRead, Lit: []string{"management-reviews"}},
				{Menu: "Compliance", Label: "Actions", Href: "/actions", Perm: sms.PermRead, Lit: []string{"actions"}},
			}},
		{name: "organisation", api: api.OrgRoutes, pages: web.OrgPages,
			nav: []web.NavEntry{
				{Menu: "Organisation", Label: "Customers", Href: "/customers", Perm: auth.CustomerRead, Lit: []string{"customers"}},
				{Menu: "Organisation", Label: "Groups", Href: "/groups", Perm: auth.GroupRead, Lit: []string{"groups"}},
				{Menu: "Organisation", Label: "Users", Href: "/users", Perm: auth.UserRead, Lit: []string{"users"}},
				{Menu: "Organisation", Label: "Managers", Href: "/managers", Perm: auth.UserRead, Lit: []string{"managers"}},
			}},
		// The organisation's mail, automation and identity systems.
		a.mailArea(), a.inboundMailArea(), a.webhookArea(), a.identityArea(),
		// What customers feel and what they can read.
		a.satisfactionArea(),
		// Service assurance (8.4, 8.7): the Assurance menu.
		a.availabilityArea(), a.capacityArea(), a.continuityArea(), a.securityArea(), a.costArea(),
		// Housekeeping runs once per interval across all nodes.
		{name: "maintenance", jobs: []job{{kind: MaintenanceJob, run: a.maintain, every: 10 * time.Minute}}},
	}
}

// wired is what the areas add to a node, gathered for the kernel, the
// worker and the HTTP layers.
type wired struct {
	kinds   []*record.Kind
	worker  *jobs.Worker
	api     []api.Routes
	pages   []web.Pages
	nav     []web.NavEntry
	runners []func(context.Context)
	demo    []demo.Step
}

// wireAreas gathers the areas' kinds, jobs, routes, pages, links and
// demo steps.
func (a *App) wireAreas() wired {
	w := wired{worker: &jobs.Worker{DB: a.DB, Handlers: map[string]jobs.Handler{}, Concurrency: map[string]int{}, Log: a.Log}}
	for _, ar := range a.areas() {
		w.kinds = append(w.kinds, ar.kinds...)
		for _, j := range ar.jobs {
			w.worker.Handlers[j.kind] = j.run
			if j.concurrency > 1 {
				w.worker.Concurrency[j.kind] = j.concurrency
			}
			if j.every > 0 {
				w.worker.Periodic = append(w.worker.Periodic, jobs.Periodic{Kind: j.kind, Every: j.every})
			}
		}
		if ar.api != nil {
			w.api = append(w.api, ar.api)
		}
		if ar.pages != nil {
			w.pages = append(w.pages, ar.pages)
		}
		w.nav = append(w.nav, ar.nav...)
		w.runners = append(w.runners, ar.run...)
		if ar.demo != nil {
			w.demo = append(w.demo, *ar.demo)
		}
	}
	return w
}
