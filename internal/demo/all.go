package demo

import (
	"bytes"
	"context"

	"steward/internal/audit"
	"steward/internal/cmdb"
	"steward/internal/incident"
	"steward/internal/request"
	"steward/internal/sla"
	"steward/internal/store"
	"steward/internal/ticket"
)

// LoadAll loads the whole demo into an empty database: the organisation,
// its catalogue and incidents (Load), the service levels (LoadSLA), the
// incidents' SLA timers replayed from their journals, and the requests.
func LoadAll(ctx context.Context, db *store.DB, incidents *incident.Service, slas *sla.Service, requests *request.Service) error {
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
	return loadCMDB(ctx, db)
}

// loadCMDB adds a small configuration: business services on applications,
// databases and clusters of servers, and sites with gateways and sensors
// grouped into fleets, as the fleet generator makes them.
func loadCMDB(ctx context.Context, db *store.DB) error {
	var cis, rels bytes.Buffer
	if _, err := cmdb.GenerateFleet(cmdb.FleetSpec{CIs: 600, Seed: 7}, &cis, &rels); err != nil {
		return err
	}
	_, err := cmdb.NewService(db, nil).Import(ctx, audit.System, cmdb.ImportOptions{CIs: &cis, Relationships: &rels})
	return err
}
