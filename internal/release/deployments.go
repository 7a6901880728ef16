package release

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/record"
	"steward/internal/store"
)

// NewDeployment records that a release was deployed to a CI in an
// environment. DeployedAt defaults to now.
type NewDeployment struct {
	Environment string     `json:"environment"`
	CIID        int64      `json:"ci_id"`
	Version     string     `json:"version"`
	DeployedAt  *time.Time `json:"deployed_at"`
}

// DeploymentPatch records a deployment's verification, its rollback, or
// both. Verification goes from pending to passed or failed once. A
// rollback needs its reason; RolledBackAt defaults to now. A deployment
// rolled back no longer changes.
type DeploymentPatch struct {
	Verification      *Verification `json:"verification"`
	VerificationNotes *string       `json:"verification_notes"`
	RollbackReason    *string       `json:"rollback_reason"`
	RolledBackAt      *time.Time    `json:"rolled_back_at"`
}

// DeploymentHook runs inside the writing transaction with the stored deployment.
type DeploymentHook = func(ctx context.Context, tx *store.Tx, d Deployment) error

// clockSkew is how far in the future a reported instant may lie, for
// clocks that run a little ahead.
const clockSkew = 5 * time.Minute

// RecordDeployment adds a deployment to release id, pending verification.
func (s *Service) RecordDeployment(ctx context.Context, p *auth.Principal, id int64, in NewDeployment, hook DeploymentHook) (Deployment, error) {
	if !p.Can(PermWrite) {
		return Deployment{}, domainerr.ErrForbidden
	}
	in.Environment = strings.TrimSpace(in.Environment)
	in.Version = strings.TrimSpace(in.Version)
	at := now()
	v := domainerr.NewInvalid()
	if !ValidEnvironment(in.Environment) {
		v.Add("environment", "must be a short lower-case name such as test, staging or production (letters, digits and dashes)")
	}
	domainerr.Text(v, "version", in.Version, true, domainerr.MaxShort)
	if in.DeployedAt == nil {
		in.DeployedAt = &at
	} else if in.DeployedAt.After(at.Add(clockSkew)) {
		v.Add("deployed_at", "cannot be in the future")
	}
	if err := checkCI(ctx, s.DB, in.CIID, v); err != nil {
		return Deployment{}, err
	}
	if err := v.Err(); err != nil {
		return Deployment{}, err
	}
	var out Deployment
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := writable(ctx, tx, id, 0)
		if err != nil {
			return err
		}
		if !cur.State.in(deploysIn) {
			return domainerr.Conflictf("%s is %s: deployments are recorded while a release is testing, deploying or deployed", cur.Number, cur.State)
		}
		var did int64
		err = store.ScanErr(tx.QueryRow(ctx, `INSERT INTO release_deployments (release_id, environment, ci_id, version_label,
			deployed_at, deployed_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			id, in.Environment, in.CIID, in.Version, store.TS(*in.DeployedAt), p.UserID, store.TS(at), store.TS(at)).Scan(&did))
		if err != nil {
			return err
		}
		if out, err = getDeployment(ctx, tx, id, did); err != nil {
			return err
		}
		if err := note(ctx, tx, p, id, "deployment", "", fmt.Sprintf("%s to %s on %s", out.Version, out.Environment, out.CIName)); err != nil {
			return err
		}
		if err := touch(ctx, tx, id, at); err != nil {
			return err
		}
		if hook != nil {
			return hook(ctx, tx, out)
		}
		return nil
	})
	return out, err
}

// checkCI refuses a CI that does not exist or is retired.
func checkCI(ctx context.Context, q store.Querier, id int64, v *domainerr.Invalid) error {
	if id <= 0 {
		v.Add("ci_id", "is required: the CI deployed to")
		return nil
	}
	var status string
	err := store.ScanErr(q.QueryRow(ctx, "SELECT status FROM cis WHERE id = ?", id).Scan(&status))
	switch {
	case errors.Is(err, store.ErrNotFound):
		v.Add("ci_id", "CI %d does not exist", id)
	case err != nil:
		return err
	case status == "retired":
		v.Add("ci_id", "CI %d is retired", id)
	}
	return nil
}

// UpdateDeployment records deployment did's verification or rollback.
func (s *Service) UpdateDeployment(ctx context.Context, p *auth.Principal, id, did int64, pt DeploymentPatch) (Deployment, error) {
	if !p.Can(PermWrite) {
		return Deployment{}, domainerr.ErrForbidden
	}
	at := now()
	var out Deployment
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := writable(ctx, tx, id, 0)
		if err != nil {
			return err
		}
		d, err := getDeployment(ctx, tx, id, did)
		if err != nil {
			return err
		}
		if !cur.State.in(deploysIn) {
			return domainerr.Conflictf("%s is %s: deployments are verified and rolled back while a release is testing, deploying or deployed", cur.Number, cur.State)
		}
		if d.RolledBack() {
			return domainerr.Conflictf("this deployment was rolled back and no longer changes: record a new deployment")
		}
		sets, args, lines, err := deploymentChanges(d, pt, p, at)
		if err != nil {
			return err
		}
		args = append(args, store.TS(at), did)
		if _, err := tx.Exec(ctx, "UPDATE release_deployments SET "+strings.Join(sets, ", ")+", updated_at = ? WHERE id = ?", args...); err != nil {
			return err
		}
		for _, l := range lines {
			if err := note(ctx, tx, p, id, "deployment", "", l); err != nil {
				return err
			}
		}
		if err := touch(ctx, tx, id, at); err != nil {
			return err
		}
		out, err = getDeployment(ctx, tx, id, did)
		return err
	})
	return out, err
}

// deploymentChanges validates a deployment patch and returns the columns
// it sets and the journal lines that tell it.
func deploymentChanges(d Deployment, pt DeploymentPatch, p *auth.Principal, at time.Time) ([]string, []any, []string, error) {
	v := domainerr.NewInvalid()
	var sets, lines []string
	var args []any
	what := fmt.Sprintf("%s to %s on %s", d.Version, d.Environment, d.CIName)
	if pt.Verification != nil {
		switch {
		case *pt.Verification != Passed && *pt.Verification != Failed:
			v.Add("verification", "must be passed or failed")
		case d.Verification != Pending:
			return nil, nil, nil, domainerr.Conflictf("this deployment was already verified as %s; a verification is given once", d.Verification)
		default:
			sets = append(sets, "verification = ?", "verified_at = ?", "verified_by = ?")
			args = append(args, string(*pt.Verification), store.TS(at), p.UserID)
			lines = append(lines, what+": verification "+string(*pt.Verification))
		}
	}
	if pt.VerificationNotes != nil {
		domainerr.Text(v, "verification_notes", *pt.VerificationNotes, false, domainerr.MaxText)
		sets, args = append(sets, "verification_notes = ?"), append(args, *pt.VerificationNotes)
	}
	if pt.RollbackReason != nil || pt.RolledBackAt != nil {
		reason := ""
		if pt.RollbackReason != nil {
			reason = strings.TrimSpace(*pt.RollbackReason)
		}
		domainerr.Text(v, "rollback_reason", reason, true, domainerr.MaxText)
		when := at
		if pt.RolledBackAt != nil {
			when = pt.RolledBackAt.UTC()
		}
		switch {
		case when.Before(d.DeployedAt):
			v.Add("rolled_back_at", "cannot be before the deployment")
		case when.After(at.Add(clockSkew)):
			v.Add("rolled_back_at", "cannot be in the future")
		}
		sets = append(sets, "rolled_back_at = ?", "rollback_reason = ?", "rolled_back_by = ?")
		args = append(args, store.TS(when), reason, p.UserID)
		lines = append(lines, what+": rolled back ("+reason+")")
	}
	if len(sets) == 0 && len(v.Fields) == 0 {
		v.Add("verification", "give a verification (passed or failed) or a rollback reason")
	}
	return sets, args, lines, v.Err()
}

// CIPage is one page of a CI's deployments, newest first.
type CIPage = record.Page[Deployment]

// deploymentSorts is the one order of a CI's deployments, newest first;
// its cursors carry "-id".
var deploymentSorts = &record.Sorts[Deployment]{ID: "d.id", IDOf: func(d Deployment) int64 { return d.ID }, Names: "id",
	Keys: map[string]record.SortKey[Deployment]{"id": {Col: "d.id"}}}

var deploymentsNewestFirst = deploymentSorts.MustParse("-id")

// CIDeployments lists the deployments made to CI ciID, newest first: which
// release put which version on it, where, and how it went. cursor is the
// next_cursor of the page before.
func (s *Service) CIDeployments(ctx context.Context, p *auth.Principal, ciID int64, limit int, cursor string) (CIPage, error) {
	if !p.Can(PermRead) {
		return CIPage{}, domainerr.ErrForbidden
	}
	return CIDeployments(ctx, s.DB, ciID, limit, cursor)
}

// CIDeployments is the query behind Service.CIDeployments, for pages that
// show a CI and have checked the reader's permission themselves.
func CIDeployments(ctx context.Context, q store.Querier, ciID int64, limit int, cursor string) (CIPage, error) {
	var one int
	if err := store.ScanErr(q.QueryRow(ctx, "SELECT 1 FROM cis WHERE id = ?", ciID).Scan(&one)); err != nil {
		return CIPage{}, err
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	return deploymentsNewestFirst.Read(ctx, q, "SELECT "+deploymentCols+deploymentFrom, []string{"d.ci_id = ?"}, []any{ciID},
		cursor, limit, scanDeployment)
}
