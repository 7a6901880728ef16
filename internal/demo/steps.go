package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"steward/internal/incident"
	"steward/internal/request"
	"steward/internal/sla"
	"steward/internal/store"
	"steward/internal/ticket"
)

// Env is what the demo's steps load with: the database, the node's ticket
// services (whose observers start SLA clocks and write the activity feed)
// and the SLA engine, and the organisation's time zone, which the KPI
// periods and report dates follow.
type Env struct {
	DB        *store.DB
	Incidents *incident.Service
	SLA       *sla.Service
	Requests  *request.Service
	Loc       *time.Location
}

// Step is one area's part of the demo story. An area declares its step
// beside its routes and pages; Run loads the steps so that each comes
// after the steps whose records it refers to.
type Step struct {
	Name string
	// After names the steps whose records this one refers to.
	After []string
	// Last marks a step that summarises the others (KPI snapshots, the
	// readiness assessments): it runs once every other step has.
	Last bool
	Load func(context.Context, Env) error
}

// The steps of the demo story, one per area that has demo records.
var (
	// Incidents is the organisation (groups, customers, people), its
	// service catalogue and about 200 incidents over the last 90 days.
	Incidents = Step{Name: "incidents", Load: func(ctx context.Context, e Env) error { return Load(ctx, e.DB, e.Incidents) }}
	// ServiceLevels is the agreements and calendars, with the incidents'
	// SLA timers replayed from their journals.
	ServiceLevels = Step{Name: "service levels", After: []string{"incidents"}, Load: func(ctx context.Context, e Env) error {
		if err := LoadSLA(ctx, e.DB, e.SLA); err != nil {
			return err
		}
		_, err := e.SLA.Backfill(ctx, ticket.Incident)
		return err
	}}
	// Requests is the request catalogue and requests, with their timers.
	Requests = Step{Name: "requests", After: []string{"service levels"}, Load: func(ctx context.Context, e Env) error {
		if err := LoadRequests(ctx, e.DB, e.Requests); err != nil {
			return err
		}
		_, err := e.SLA.Backfill(ctx, ticket.Request)
		return err
	}}
	// Configuration is the CMDB and the assets, with the incidents' CIs.
	Configuration = Step{Name: "configuration", After: []string{"incidents"}, Load: func(ctx context.Context, e Env) error {
		if err := loadCMDB(ctx, e.DB); err != nil {
			return err
		}
		return linkIncidentCIs(ctx, e.DB)
	}}
	// Problems is the problems behind some of the incidents.
	Problems = Step{Name: "problems", After: []string{"configuration"}, Load: func(ctx context.Context, e Env) error {
		return loadProblems(ctx, e.DB, e.Incidents)
	}}
	// ChangeCalendar is the freeze periods and maintenance windows.
	ChangeCalendar = Step{Name: "change calendar", After: []string{"configuration", "service levels"}, Load: func(ctx context.Context, e Env) error {
		return loadSchedule(ctx, e.DB, e.SLA)
	}}
	// Changes is the changes, scheduled against the calendar.
	Changes = Step{Name: "changes", After: []string{"change calendar"}, Load: onDB(loadChanges)}
	// Releases is a release being deployed and its history.
	Releases = Step{Name: "releases", After: []string{"changes"}, Load: onDB(loadReleases)}
	// ManagementSystem is the context, scope, processes and competence.
	ManagementSystem = Step{Name: "management system", After: []string{"incidents"}, Load: onDB(loadSMS)}
	// Documents is the register of documented information.
	Documents = Step{Name: "documents", After: []string{"incidents"}, Load: onDB(loadDocuments)}
	// Planning is the risks, objectives, improvements and service reports.
	Planning = Step{Name: "planning", After: []string{"incidents"}, Load: onDB(loadPlanning)}
	// Checking is the internal audits, nonconformities and reviews.
	Checking = Step{Name: "compliance checking", After: []string{"management system"}, Load: onDB(loadChecking)}
	// Events is the alert console's events from the monitored CIs.
	Events = Step{Name: "events", After: []string{"configuration"}, Load: onDB(loadEvents)}
	// Knowledge is the knowledge base and who read it.
	Knowledge = Step{Name: "knowledge", After: []string{"incidents"}, Load: onDB(loadKnowledge)}
	// Satisfaction is the surveys, complaints and service reviews.
	Satisfaction = Step{Name: "satisfaction", After: []string{"service levels"}, Load: func(ctx context.Context, e Env) error {
		return loadSatisfaction(ctx, e.DB, e.SLA)
	}}
	// Availability is the services' outages against their calendars.
	Availability = Step{Name: "availability", After: []string{"service levels"}, Load: onDB(loadAvailability)}
	// Costs is what the services and their CIs cost.
	Costs = Step{Name: "costs", After: []string{"configuration", "service levels"}, Load: onDB(loadCosts)}
	// Capacity is the utilisation series, forecasts and plans.
	Capacity = Step{Name: "capacity", After: []string{"incidents"}, Load: onDB(loadCapacity)}
	// Continuity is the continuity plans, their tests and an invocation.
	Continuity = Step{Name: "continuity", After: []string{"incidents"}, Load: onDB(loadContinuity)}
	// Security is the security incidents and controls, which cite the
	// documents and risks.
	Security = Step{Name: "security", After: []string{"documents", "planning"}, Load: onDB(loadSecurity)}
	// Dashboards is the KPI snapshots, computed from everything above.
	Dashboards = Step{Name: "dashboards", Last: true, Load: func(ctx context.Context, e Env) error {
		return loadDashboards(ctx, e.DB, e.Loc)
	}}
	// Compliance is the self-assessments against the clauses.
	Compliance = Step{Name: "compliance", Last: true, Load: onDB(loadComplianceAssessments)}
)

func onDB(load func(context.Context, *store.DB) error) func(context.Context, Env) error {
	return func(ctx context.Context, e Env) error { return load(ctx, e.DB) }
}

// Order puts steps in the order they load: each after the steps it names
// in After, the Last ones after all others, and otherwise in the order
// given. A step that follows one not given, or steps that wait on each
// other, are an error.
func Order(steps []Step) ([]Step, error) {
	byName := map[string]bool{}
	for _, s := range steps {
		if byName[s.Name] {
			return nil, fmt.Errorf("two demo steps are named %q", s.Name)
		}
		byName[s.Name] = true
	}
	for _, s := range steps {
		for _, dep := range s.After {
			if !byName[dep] {
				return nil, fmt.Errorf("demo step %q follows %q, which no area loads", s.Name, dep)
			}
		}
	}
	var out []Step
	done := map[string]bool{}
	ready := func(s Step) bool {
		for _, dep := range s.After {
			if !done[dep] {
				return false
			}
		}
		return true
	}
	for _, last := range []bool{false, true} {
		for {
			next := -1
			for i, s := range steps {
				if s.Last == last && !done[s.Name] && ready(s) {
					next = i
					break
				}
			}
			if next < 0 {
				break
			}
			done[steps[next].Name] = true
			out = append(out, steps[next])
		}
	}
	if len(out) < len(steps) {
		var stuck []string
		for _, s := range steps {
			if !done[s.Name] {
				stuck = append(stuck, s.Name)
			}
		}
		return nil, fmt.Errorf("demo steps wait on each other: %s", strings.Join(stuck, ", "))
	}
	return out, nil
}

// Run loads the demo into an empty database, one step after another in
// Order.
func Run(ctx context.Context, e Env, steps []Step) error {
	ordered, err := Order(steps)
	if err != nil {
		return err
	}
	for _, s := range ordered {
		if err := s.Load(ctx, e); err != nil {
			return fmt.Errorf("loading the demo's %s: %w", s.Name, err)
		}
	}
	// The demo's notices tell of what already happened in its story: they
	// stay in the app and are never mailed, so a demo started with a mail
	// server sends only what happens from then on.
	_, err = e.DB.Exec(ctx, "UPDATE notifications SET mail_state = 'skipped' WHERE mail_state IS NOT NULL")
	return err
}
