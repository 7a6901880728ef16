package internalaudit

import (
	"context"
	"errors"
	"slices"
	"strings"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/clauses"
	"steward/internal/domainerr"
	"steward/internal/nonconformity"
	"steward/internal/sms"
	"steward/internal/store"
)

// Limits on one audit.
const (
	MaxAuditors  = 20
	MaxProcesses = 100
	MaxAudits    = 200
)

const auditCols = `a.id, a.programme_id, COALESCE(pg.name, ''), a.title, a.standard, a.scope, a.criteria, a.clauses, a.lead_id,
	COALESCE(u.name, ''), a.state, a.planned_on, a.started_at, a.reported_at, a.summary, a.created_at, a.updated_at, a.version,
	(SELECT COUNT(*) FROM internal_audit_items i WHERE i.audit_id = a.id),
	(SELECT COUNT(*) FROM internal_audit_items i WHERE i.audit_id = a.id AND i.result <> 'not_assessed')`

const auditFrom = ` FROM internal_audits a LEFT JOIN audit_programmes pg ON pg.id = a.programme_id LEFT JOIN users u ON u.id = a.lead_id`

func scanAudit(row interface{ Scan(...any) error }) (Audit, error) {
	var a Audit
	var cl string
	var st, rp, cr, up store.Time
	if err := row.Scan(&a.ID, &a.ProgrammeID, &a.ProgrammeName, &a.Title, &a.Standard, &a.Scope, &a.Criteria, &cl, &a.LeadID, &a.LeadName,
		&a.State, &a.PlannedOn, &st, &rp, &a.Summary, &cr, &up, &a.Version, &a.Lines, &a.Assessed); err != nil {
		return a, store.ScanErr(err)
	}
	a.StartedAt, a.ReportedAt, a.CreatedAt, a.UpdatedAt = st.Ptr(), rp.Ptr(), cr.Time, up.Time
	a.Clauses = splitClauses(cl)
	a.Processes, a.Auditors = []Process{}, []Person{}
	return a, nil
}

func splitClauses(s string) []string {
	out := []string{}
	for _, c := range strings.Split(s, ",") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// getAudit loads an audit with its processes and auditors.
func getAudit(ctx context.Context, q store.Querier, id int64) (Audit, error) {
	a, err := scanAudit(q.QueryRow(ctx, "SELECT "+auditCols+auditFrom+" WHERE a.id = ?", id))
	if err != nil {
		return a, err
	}
	rows, err := q.Query(ctx, `SELECT p.id, p.key, p.name, p.clause FROM internal_audit_processes x JOIN processes p ON p.id = x.process_id
		WHERE x.audit_id = ? ORDER BY p.name, p.id`, id)
	if err != nil {
		return a, err
	}
	for rows.Next() {
		var p Process
		if err := rows.Scan(&p.ID, &p.Key, &p.Name, &p.Clause); err != nil {
			rows.Close()
			return a, err
		}
		a.Processes = append(a.Processes, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return a, err
	}
	rows, err = q.Query(ctx, `SELECT u.id, u.name FROM internal_audit_auditors x JOIN users u ON u.id = x.user_id
		WHERE x.audit_id = ? ORDER BY u.name, u.id`, id)
	if err != nil {
		return a, err
	}
	defer rows.Close()
	for rows.Next() {
		var p Person
		if err := rows.Scan(&p.ID, &p.Name); err != nil {
			return a, err
		}
		a.Auditors = append(a.Auditors, p)
	}
	return a, rows.Err()
}

// Get loads an audit.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id int64) (Audit, error) {
	if !p.Can(sms.PermRead) {
		return Audit{}, domainerr.ErrForbidden
	}
	return getAudit(ctx, s.DB, id)
}

// AuditFilter narrows the list of audits.
type AuditFilter struct {
	ProgrammeID int64
	State       string
	Limit       int
	BeforeID    int64
}

// List lists audits, latest planned first.
func (s *Service) List(ctx context.Context, p *auth.Principal, f AuditFilter) ([]Audit, error) {
	if !p.Can(sms.PermRead) {
		return nil, domainerr.ErrForbidden
	}
	if f.Limit <= 0 || f.Limit > MaxAudits {
		f.Limit = MaxAudits
	}
	where, args := []string{"1 = 1"}, []any{}
	if f.ProgrammeID > 0 {
		where, args = append(where, "a.programme_id = ?"), append(args, f.ProgrammeID)
	}
	if f.State != "" {
		if !slices.Contains([]string{Planned, InProgress, Reported, Cancelled}, f.State) {
			return nil, domainerr.Field("state", "must be planned, in_progress, reported or cancelled")
		}
		where, args = append(where, "a.state = ?"), append(args, f.State)
	}
	if f.BeforeID > 0 {
		where, args = append(where, "a.id < ?"), append(args, f.BeforeID)
	}
	rows, err := s.DB.Query(ctx, "SELECT "+auditCols+auditFrom+" WHERE "+strings.Join(where, " AND ")+
		" ORDER BY a.id DESC LIMIT ?", append(args, f.Limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Audit{}
	for rows.Next() {
		a, err := scanAudit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Save plans an audit (id 0) or changes its plan. A running audit keeps
// its scope (its checklist was drawn from it); a reported or cancelled
// one no longer changes.
func (s *Service) Save(ctx context.Context, p *auth.Principal, id int64, in AuditInput, ifVersion int) (Audit, error) {
	if !p.Can(sms.PermWrite) {
		return Audit{}, domainerr.ErrForbidden
	}
	now := s.now()
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur := Audit{Standard: clauses.Primary, State: Planned, Clauses: []string{}}
		var procIDs, auditorIDs []int64
		if id != 0 {
			var err error
			if cur, err = getAudit(ctx, tx, id); err != nil {
				return err
			}
			if ifVersion != 0 && ifVersion != cur.Version {
				return domainerr.ErrStale
			}
			if cur.State == Reported || cur.State == Cancelled {
				return domainerr.Conflictf("the audit is %s and can no longer be changed", strings.ReplaceAll(cur.State, "_", " "))
			}
			if cur.State == InProgress && (in.ProcessIDs != nil || in.Clauses != nil || in.Standard != nil) {
				return domainerr.Conflictf("the audit has started: its scope and checklist are fixed")
			}
		}
		for _, pr := range cur.Processes {
			procIDs = append(procIDs, pr.ID)
		}
		for _, a := range cur.Auditors {
			auditorIDs = append(auditorIDs, a.ID)
		}
		applyAudit(&cur, in, &procIDs, &auditorIDs)
		if in.State != nil {
			if *in.State != Cancelled || id == 0 {
				return domainerr.Field("state", "may only be set to cancelled here; start and report the audit with their own actions")
			}
			cur.State = Cancelled
		}
		if err := checkAudit(ctx, tx, cur, procIDs, auditorIDs); err != nil {
			return err
		}
		data := map[string]any{"title": cur.Title, "programme_id": cur.ProgrammeID, "scope": cur.Scope, "criteria": cur.Criteria,
			"clauses": cur.Clauses, "process_ids": procIDs, "lead_id": cur.LeadID, "auditor_ids": auditorIDs, "planned_on": cur.PlannedOn,
			"state": cur.State}
		cl := strings.Join(cur.Clauses, ",")
		if id == 0 {
			err := tx.QueryRow(ctx, `INSERT INTO internal_audits (programme_id, title, standard, scope, criteria, clauses, lead_id, state,
				planned_on, summary, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'planned', ?, ?, ?, ?, ?) RETURNING id`,
				cur.ProgrammeID, cur.Title, cur.Standard, cur.Scope, cur.Criteria, cl, cur.LeadID, cur.PlannedOn, cur.Summary, p.UserID,
				store.TS(now), store.TS(now)).Scan(&id)
			if err != nil {
				return store.ScanErr(err)
			}
			if err := audit.Record(ctx, tx, p.Actor(), "create", "internal_audit", id, data); err != nil {
				return err
			}
		} else {
			res, err := tx.Exec(ctx, `UPDATE internal_audits SET programme_id = ?, title = ?, standard = ?, scope = ?, criteria = ?, clauses = ?,
				lead_id = ?, state = ?, planned_on = ?, summary = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
				cur.ProgrammeID, cur.Title, cur.Standard, cur.Scope, cur.Criteria, cl, cur.LeadID, cur.State, cur.PlannedOn, cur.Summary,
				store.TS(now), id, cur.Version)
			if err != nil {
				return store.Translate(err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return domainerr.ErrStale
			}
			if err := audit.Record(ctx, tx, p.Actor(), "update", "internal_audit", id, data); err != nil {
				return err
			}
		}
		return saveScope(ctx, tx, id, procIDs, auditorIDs)
	})
	if err != nil {
		return Audit{}, err
	}
	return getAudit(ctx, s.DB, id)
}

func applyAudit(a *Audit, in AuditInput, procIDs, auditorIDs *[]int64) {
	str := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	str(&a.Title, in.Title)
	str(&a.Standard, in.Standard)
	str(&a.Scope, in.Scope)
	str(&a.Criteria, in.Criteria)
	str(&a.PlannedOn, in.PlannedOn)
	str(&a.Summary, in.Summary)
	if in.ProgrammeID != nil {
		a.ProgrammeID = in.ProgrammeID
		if *in.ProgrammeID == 0 {
			a.ProgrammeID = nil
		}
	}
	if in.LeadID != nil {
		a.LeadID = in.LeadID
		if *in.LeadID == 0 {
			a.LeadID = nil
		}
	}
	if in.Clauses != nil {
		a.Clauses = []string{}
		for _, c := range *in.Clauses {
			if c = strings.TrimSpace(c); c != "" && !slices.Contains(a.Clauses, c) {
				a.Clauses = append(a.Clauses, c)
			}
		}
		if slices.Contains(a.Clauses, AllClauses) {
			a.Clauses = []string{AllClauses}
		}
	}
	if in.ProcessIDs != nil {
		*procIDs = uniq(*in.ProcessIDs)
	}
	if in.AuditorIDs != nil {
		*auditorIDs = uniq(*in.AuditorIDs)
	}
}

func uniq(ids []int64) []int64 {
	out := []int64{}
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// checkAudit validates a plan, naming every field at fault, and checks
// that no auditor audits their own work.
func checkAudit(ctx context.Context, q store.Querier, a Audit, procIDs, auditorIDs []int64) error {
	v := domainerr.NewInvalid()
	domainerr.Text(v, "title", a.Title, true, domainerr.MaxTitle)
	domainerr.Text(v, "scope", a.Scope, false, domainerr.MaxText)
	domainerr.Text(v, "criteria", a.Criteria, false, domainerr.MaxText)
	domainerr.Text(v, "summary", a.Summary, false, domainerr.MaxText)
	nonconformity.CheckDate(v, "planned_on", a.PlannedOn, true)
	std, ok := clauses.Get(a.Standard)
	if !ok {
		v.Add("standard", "is not a standard in the catalogue")
	} else {
		for _, c := range a.Clauses {
			if _, ok := std.Clause(c); !ok && c != AllClauses {
				v.Add("clauses", "%s is not a clause of %s", c, std.Short)
				break
			}
		}
	}
	if a.ProgrammeID != nil {
		if _, err := GetProgramme(ctx, q, *a.ProgrammeID); errors.Is(err, store.ErrNotFound) {
			v.Add("programme_id", "no audit programme with id %d", *a.ProgrammeID)
		} else if err != nil {
			return err
		}
	}
	if len(procIDs) > MaxProcesses {
		v.Add("process_ids", "at most %d processes", MaxProcesses)
	}
	if len(auditorIDs) > MaxAuditors {
		v.Add("auditor_ids", "at most %d auditors", MaxAuditors)
	}
	if err := nonconformity.CheckUser(ctx, q, v, "lead_id", a.LeadID, true); err != nil {
		return err
	}
	for _, id := range auditorIDs {
		id := id
		if err := nonconformity.CheckUser(ctx, q, v, "auditor_ids", &id, true); err != nil {
			return err
		}
	}
	for _, id := range procIDs {
		var one int
		if err := store.ScanErr(q.QueryRow(ctx, "SELECT 1 FROM processes WHERE id = ?", id).Scan(&one)); errors.Is(err, store.ErrNotFound) {
			v.Add("process_ids", "no process with id %d", id)
		} else if err != nil {
			return err
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	return checkIndependence(ctx, q, a.LeadID, auditorIDs, procIDs)
}

// checkIndependence refuses an auditor who owns a process in scope, or is
// Responsible or Accountable for one of its activities: nobody audits
// their own work.
func checkIndependence(ctx context.Context, q store.Querier, lead *int64, auditorIDs, procIDs []int64) error {
	if len(procIDs) == 0 {
		return nil
	}
	people := append([]int64{}, auditorIDs...)
	if lead != nil && !slices.Contains(people, *lead) {
		people = append([]int64{*lead}, people...)
	}
	v := domainerr.NewInvalid()
	for _, uid := range people {
		for _, pid := range procIDs {
			var name, person string
			var owner *int64
			if err := q.QueryRow(ctx, `SELECT p.name, p.owner_id, u.name FROM processes p, users u WHERE p.id = ? AND u.id = ?`,
				pid, uid).Scan(&name, &owner, &person); err != nil {
				return store.ScanErr(err)
			}
			field := "auditor_ids"
			if lead != nil && uid == *lead {
				field = "lead_id"
			}
			if owner != nil && *owner == uid {
				v.Add(field, "%s owns the process %s and may not audit it", person, name)
				continue
			}
			var letter string
			err := q.QueryRow(ctx, `SELECT letter FROM process_raci WHERE process_id = ? AND user_id = ? AND letter IN ('R', 'A')
				ORDER BY letter LIMIT 1`, pid, uid).Scan(&letter)
			if err = store.ScanErr(err); err == nil {
				role := map[string]string{"A": "Accountable", "R": "Responsible"}[letter]
				v.Add(field, "%s is %s in the RACI of the process %s and may not audit it", person, role, name)
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
	}
	if err := v.Err(); err != nil {
		v.Message = "an auditor may not audit a process they own or are responsible or accountable for"
		return v
	}
	return nil
}

func saveScope(ctx context.Context, tx *store.Tx, id int64, procIDs, auditorIDs []int64) error {
	for _, t := range []string{"internal_audit_processes", "internal_audit_auditors"} {
		if _, err := tx.Exec(ctx, "DELETE FROM "+t+" WHERE audit_id = ?", id); err != nil {
			return err
		}
	}
	for _, pid := range procIDs {
		if _, err := tx.Exec(ctx, "INSERT INTO internal_audit_processes (audit_id, process_id) VALUES (?, ?)", id, pid); err != nil {
			return store.Translate(err)
		}
	}
	for _, uid := range auditorIDs {
		if _, err := tx.Exec(ctx, "INSERT INTO internal_audit_auditors (audit_id, user_id) VALUES (?, ?)", id, uid); err != nil {
			return store.Translate(err)
		}
	}
	return nil
}
