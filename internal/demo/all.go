package demo

import (
	"context"
	"time"

	"steward/internal/incident"
	"steward/internal/request"
	"steward/internal/sla"
	"steward/internal/store"
	"steward/internal/ticket"
)

// LoadAll loads the whole demo into an empty database: the organisation,
// its catalogue and incidents (Load), the service levels (LoadSLA), the
// incidents' SLA timers replayed from their journals, the requests, and
// the configuration with the incidents' CIs and the assets, the problems
// behind some of the incidents, the change calendar's freezes and
// maintenance windows, the changes and a release being deployed, and the
// management system: its context, scope, processes and competence, its
// documents, its risks, objectives and improvements, and its internal
// audits, nonconformities and reviews; then the continuity of the
// critical services.
func LoadAll(ctx context.Context, db *store.DB, incidents *incident.Service, slas *sla.Service, requests *request.Service, opts ...Option) error {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if err := Load(ctx, db, incidents); err != nil {
		return err
	}
	if err := LoadSLA(ctx, db, slas); err != nil {
		return err
	}
	if _, err := slas.Backfill(ctx, ticket.Incident); err != nil {
		return err
	}
	if err := LoadRequests(ctx, db, requests); err != nil {
		return err
	}
	if _, err := slas.Backfill(ctx, ticket.Request); err != nil {
		return err
	}
	if err := loadCMDB(ctx, db); err != nil {
		return err
	}
	if err := linkIncidentCIs(ctx, db); err != nil {
		return err
	}
	if err := loadProblems(ctx, db, incidents); err != nil {
		return err
	}
	if err := loadSchedule(ctx, db, slas); err != nil {
		return err
	}
	if err := loadChanges(ctx, db); err != nil {
		return err
	}
	if err := loadReleases(ctx, db); err != nil {
		return err
	}
	if err := loadSMS(ctx, db); err != nil {
		return err
	}
	if err := loadDocuments(ctx, db); err != nil {
		return err
	}
	if err := loadPlanning(ctx, db); err != nil {
		return err
	}
	if err := loadChecking(ctx, db); err != nil {
		return err
	}
	if err := loadEvents(ctx, db); err != nil {
		return err
	}
	if err := loadKnowledge(ctx, db); err != nil {
		return err
	}
	if err := loadSatisfaction(ctx, db, slas); err != nil {
		return err
	}
	if err := loadAvailability(ctx, db); err != nil {
		return err
	}
	if err := loadCosts(ctx, db); err != nil {
		return err
	}
	if err := loadCapacity(ctx, db); err != nil {
		return err
	}
	if err := loadContinuity(ctx, db); err != nil {
		return err
	}
	if err := loadSecurity(ctx, db); err != nil {
		return err
	}
	// Last: the KPI snapshots are computed from everything above.
	if err := loadDashboards(ctx, db, o.loc); err != nil {
		return err
	}
	if err := loadComplianceAssessments(ctx, db); err != nil {
		return err
	}
	// The demo's notices tell of what already happened in its story: they
	// stay in the app and are never mailed, so a demo started with a mail
	// server sends only what happens from then on.
	_, err := db.Exec(ctx, "UPDATE notifications SET mail_state = 'skipped' WHERE mail_state IS NOT NULL")
	return err
}

// Option changes how the demo is loaded.
type Option func(*options)

type options struct {
	loc *time.Location
}

// InZone loads the demo for an organisation in loc: its KPI periods and
// report dates follow that calendar, as the running server's do.
func InZone(loc *time.Location) Option { return func(o *options) { o.loc = loc } }
