package release

import (
	"context"
	"time"

	"steward/internal/auth"
	"steward/internal/record"
	"steward/internal/store"
)

const releaseCols = `r.id, r.title, r.description, r.type, r.state, r.planned_start, r.planned_end,
	r.acceptance_criteria, r.test_results, r.created_by, COALESCE(u.name, ''), r.created_at, r.updated_at,
	r.closed_at, r.version`

const selectRelease = "SELECT " + releaseCols + " FROM releases r LEFT JOIN users u ON u.id = r.created_by"

func scanRelease(row interface{ Scan(...any) error }) (Release, error) {
	var r Release
	var start, end, created, updated, closed store.Time
	err := row.Scan(&r.ID, &r.Title, &r.Description, &r.Type, &r.State, &start, &end, &r.AcceptanceCriteria,
		&r.TestResults, &r.CreatedByID, &r.CreatedByName, &created, &updated, &closed, &r.Version)
	if err != nil {
		return r, store.ScanErr(err)
	}
	r.Number = FormatNumber(r.ID)
	r.PlannedStart, r.PlannedEnd, r.ClosedAt = timePtr(start), timePtr(end), timePtr(closed)
	r.CreatedAt, r.UpdatedAt = created.Time, updated.Time
	return r, nil
}

func timePtr(t store.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	v := t.Time
	return &v
}

func get(ctx context.Context, q store.Querier, id int64) (Release, error) {
	return scanRelease(q.QueryRow(ctx, selectRelease+" WHERE r.id = ?", id))
}

func detail(ctx context.Context, q store.Querier, id int64) (Detail, error) {
	r, err := get(ctx, q, id)
	if err != nil {
		return Detail{}, err
	}
	d := Detail{Release: r}
	if d.Changes, err = changes(ctx, q, id); err != nil {
		return d, err
	}
	d.Deployments, err = deployments(ctx, q, id)
	return d, err
}

// changes lists the changes release id groups, by number.
func changes(ctx context.Context, q store.Querier, id int64) ([]Change, error) {
	rows, err := q.Query(ctx, `SELECT c.id, c.title, c.state, c.type FROM release_changes rc
		JOIN changes c ON c.id = rc.change_id WHERE rc.release_id = ? ORDER BY c.id LIMIT 500`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Change{}
	for rows.Next() {
		var c Change
		if err := rows.Scan(&c.ID, &c.Title, &c.State, &c.Type); err != nil {
			return nil, err
		}
		out = append(out, changeOf(c))
	}
	return out, rows.Err()
}

func changeOf(c Change) Change {
	c.Number = ChangeNumber(c.ID)
	c.URL = "/changes/" + c.Number
	return c
}

const deploymentCols = `d.id, d.release_id, r.title, d.environment, d.ci_id, COALESCE(c.name, ''), d.version_label,
	d.deployed_at, COALESCE(ub.name, ''), d.verification, d.verification_notes, d.verified_at, COALESCE(uv.name, ''),
	d.rolled_back_at, d.rollback_reason, COALESCE(ur.name, '')`

const deploymentFrom = ` FROM release_deployments d
	JOIN releases r ON r.id = d.release_id
	LEFT JOIN cis c ON c.id = d.ci_id
	LEFT JOIN users ub ON ub.id = d.deployed_by
	LEFT JOIN users uv ON uv.id = d.verified_by
	LEFT JOIN users ur ON ur.id = d.rolled_back_by`

func scanDeployment(row interface{ Scan(...any) error }) (Deployment, error) {
	var d Deployment
	var deployed, verified, rolled store.Time
	err := row.Scan(&d.ID, &d.ReleaseID, &d.ReleaseTitle, &d.Environment, &d.CIID, &d.CIName, &d.Version, &deployed,
		&d.DeployedByName, &d.Verification, &d.VerificationNotes, &verified, &d.VerifiedByName, &rolled,
		&d.RollbackReason, &d.RolledBackByName)
	if err != nil {
		return d, store.ScanErr(err)
	}
	d.ReleaseNumber = FormatNumber(d.ReleaseID)
	d.DeployedAt, d.VerifiedAt, d.RolledBackAt = deployed.Time, timePtr(verified), timePtr(rolled)
	return d, nil
}

// deployments lists release id's deployments, oldest first.
func deployments(ctx context.Context, q store.Querier, id int64) ([]Deployment, error) {
	return queryDeployments(ctx, q, " WHERE d.release_id = ? ORDER BY d.id LIMIT 1000", id)
}

func queryDeployments(ctx context.Context, q store.Querier, where string, args ...any) ([]Deployment, error) {
	rows, err := q.Query(ctx, "SELECT "+deploymentCols+deploymentFrom+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Deployment{}
	for rows.Next() {
		d, err := scanDeployment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func getDeployment(ctx context.Context, q store.Querier, releaseID, id int64) (Deployment, error) {
	return scanDeployment(q.QueryRow(ctx, "SELECT "+deploymentCols+deploymentFrom+" WHERE d.id = ? AND d.release_id = ?", id, releaseID))
}

// FieldChange is one field's move, as the journal shows it.
type FieldChange = record.Change

// Entry is one line of a release's journal.
type Entry struct {
	ID         int64         `json:"id"`
	Kind       string        `json:"kind"` // created, change, work_note
	AuthorName string        `json:"author_name"`
	Body       string        `json:"body,omitempty"`
	Changes    []FieldChange `json:"changes,omitempty"`
	CreatedAt  time.Time     `json:"created_at"`
}

// journal is the releases' journal.
var journal = record.Journal[Entry]{Table: "release_journal", Column: "release_id", Limit: 2000,
	Entry: func(l record.Line) Entry {
		return Entry{ID: l.ID, Kind: l.Kind, AuthorName: l.AuthorName, Body: l.Body, Changes: l.Changes, CreatedAt: l.CreatedAt}
	}}

func appendJournal(ctx context.Context, tx *store.Tx, id int64, p *auth.Principal, kind, body string, ch []FieldChange, at time.Time) error {
	_, err := journal.Append(ctx, tx, id, p, kind, body, ch, at)
	return err
}

// touch moves a release to its next version after something about it
// changed (a change joined, a deployment recorded), so ETags follow.
func touch(ctx context.Context, tx *store.Tx, id int64, now time.Time) error {
	_, err := tx.Exec(ctx, "UPDATE releases SET version = version + 1, updated_at = ? WHERE id = ?", store.TS(now), id)
	return err
}
