package demo

import (
	"context"
	"errors"
	"time"

	"steward/internal/auth"
	"steward/internal/release"
	"steward/internal/store"
)

// demoChangeTitle names the change the demo release groups when the demo
// has no change of its own by the time releases are loaded.
const demoChangeTitle = "Demo change: upgrade the customer portal to version 4.2"

// loadReleases adds a release of the customer portal in deployment: it
// groups a change, has its acceptance criteria and test results, and was
// deployed to test (verified) and to production (pending verification).
func loadReleases(ctx context.Context, db *store.DB) error {
	var adminID int64
	if err := db.QueryRow(ctx, "SELECT id FROM users WHERE email = 'admin@steward.demo'").Scan(&adminID); err != nil {
		return err
	}
	admin := &auth.Principal{UserID: adminID, Email: "admin@steward.demo", Name: "Ada Admin", Role: auth.Admin}
	changeID, err := demoChange(ctx, db, adminID)
	if err != nil {
		return err
	}
	var testCI, prodCI int64
	err = db.QueryRow(ctx, `SELECT MIN(c.id), MAX(c.id) FROM cis c JOIN ci_types t ON t.id = c.type_id
		WHERE t.name = 'Application' AND c.status <> 'retired'`).Scan(&testCI, &prodCI)
	if err != nil {
		return err
	}
	svc := release.NewService(db)
	now := time.Now().UTC().Truncate(time.Minute)
	start, end := now.Add(-26*time.Hour), now.Add(6*time.Hour)
	rel, err := svc.Create(ctx, admin, release.NewRelease{
		Title: "Customer portal 4.2", Type: release.Minor, PlannedStart: &start, PlannedEnd: &end,
		Description:        "Faster search and the new invoice download for customers.",
		AcceptanceCriteria: "Search answers within a second for the 20 most common queries.\nInvoices download as PDF for every customer.",
		ChangeIDs:          []int64{changeID},
	}, nil)
	if err != nil {
		return err
	}
	for _, st := range []release.State{release.Building, release.Testing} {
		if _, err := svc.Update(ctx, admin, rel.ID, release.Patch{State: &st}, 0); err != nil {
			return err
		}
	}
	onTest := now.Add(-20 * time.Hour)
	dep, err := svc.RecordDeployment(ctx, admin, rel.ID, release.NewDeployment{Environment: "test", CIID: testCI, Version: "4.2.0-rc1", DeployedAt: &onTest}, nil)
	if err != nil {
		return err
	}
	passed, notes := release.Passed, "Smoke tests and the invoice download checked on test."
	if _, err := svc.UpdateDeployment(ctx, admin, rel.ID, dep.ID, release.DeploymentPatch{Verification: &passed, VerificationNotes: &notes}); err != nil {
		return err
	}
	results, deploying := "All 42 acceptance tests passed on test; search answered in 0.4 s at the 95th percentile.", release.Deploying
	if _, err := svc.Update(ctx, admin, rel.ID, release.Patch{TestResults: &results, State: &deploying}, 0); err != nil {
		return err
	}
	onProd := now.Add(-time.Hour)
	_, err = svc.RecordDeployment(ctx, admin, rel.ID, release.NewDeployment{Environment: "production", CIID: prodCI, Version: "4.2.0", DeployedAt: &onProd}, nil)
	return err
}

// demoChange returns a change for the demo release: the demo's own first
// open change when there is one, else the demo change by its title, else
// a plain change row created for the release.
func demoChange(ctx context.Context, db *store.DB, adminID int64) (int64, error) {
	var id int64
	err := store.ScanErr(db.QueryRow(ctx, `SELECT id FROM changes WHERE state NOT IN ('rejected', 'cancelled')
		ORDER BY CASE WHEN title = ? THEN 0 ELSE 1 END, id LIMIT 1`, demoChangeTitle).Scan(&id))
	if !errors.Is(err, store.ErrNotFound) {
		return id, err
	}
	at := store.TS(time.Now())
	err = db.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO changes (title, type, state, description, requester_id, created_by,
			created_at, updated_at) VALUES (?, 'normal', 'scheduled', ?, ?, ?, ?, ?) RETURNING id`, demoChangeTitle,
			"Upgrade the customer portal's application servers to version 4.2.", adminID, adminID, at, at).Scan(&id)
	})
	return id, err
}
