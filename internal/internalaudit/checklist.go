package internalaudit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/clauses"
	"steward/internal/domainerr"
	"steward/internal/nonconformity"
	"steward/internal/sms"
	"steward/internal/store"
)

// Limits on a checklist line.
const (
	MaxEvidence = 20
)

// ScopeClauses lists the leaf clauses an audit covers, in order: those of
// its processes and those named in it (a clause names every leaf under
// it; "all" the whole standard).
func ScopeClauses(std *clauses.Standard, a Audit) []clauses.Clause {
	var named []string
	for _, p := range a.Processes {
		if p.Clause != "" {
			named = append(named, p.Clause)
		}
	}
	named = append(named, a.Clauses...)
	var out []clauses.Clause
	for _, leaf := range std.Leaves() {
		for _, n := range named {
			if n == AllClauses || leaf.Number == n || strings.HasPrefix(leaf.Number, n+".") {
				out = append(out, leaf)
				break
			}
		}
	}
	return out
}

// mayConduct reports whether p conducts this audit: its lead or one of
// its auditors; whoever keeps the management system may too.
func mayConduct(p *auth.Principal, a Audit) bool {
	if !p.Can(sms.PermAudit) {
		return false
	}
	if p.Can(sms.PermWrite) || (a.LeadID != nil && *a.LeadID == p.UserID) {
		return true
	}
	for _, x := range a.Auditors {
		if x.ID == p.UserID {
			return true
		}
	}
	return false
}

// Start begins a planned audit: its checklist is drawn from the clause
// catalogue, one line per leaf clause in scope with the clause's title and
// what an auditor looks for as the question.
func (s *Service) Start(ctx context.Context, p *auth.Principal, id int64, ifVersion int) (Audit, error) {
	now := s.now()
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		a, err := getAudit(ctx, tx, id)
		if err != nil {
			return err
		}
		if !mayConduct(p, a) {
			return domainerr.Refusedf("only the audit's lead or auditors may start it")
		}
		if ifVersion != 0 && ifVersion != a.Version {
			return domainerr.ErrStale
		}
		if a.State != Planned {
			return domainerr.Conflictf("the audit is %s; only a planned audit can be started", strings.ReplaceAll(a.State, "_", " "))
		}
		std, ok := clauses.Get(a.Standard)
		if !ok {
			return domainerr.Field("standard", "is not a standard in the catalogue")
		}
		lines := ScopeClauses(std, a)
		if len(lines) == 0 {
			return domainerr.Field("clauses", "the audit has nothing in scope: choose processes, clauses or the whole standard first")
		}
		for _, c := range lines {
			q := c.Expects
			if q == "" {
				q = "Is " + strings.ToLower(c.Title[:1]) + c.Title[1:] + " planned, carried out and recorded?"
			}
			if _, err := tx.Exec(ctx, `INSERT INTO internal_audit_items (audit_id, clause, title, question) VALUES (?, ?, ?, ?)`,
				id, c.Number, c.Title, q); err != nil {
				return store.Translate(err)
			}
		}
		res, err := tx.Exec(ctx, `UPDATE internal_audits SET state = 'in_progress', started_at = ?, updated_at = ?, version = version + 1
			WHERE id = ? AND version = ?`, store.TS(now), store.TS(now), id, a.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return domainerr.ErrStale
		}
		return audit.Record(ctx, tx, p.Actor(), "start", "internal_audit", id, map[string]any{"lines": len(lines)})
	})
	if err != nil {
		return Audit{}, err
	}
	return getAudit(ctx, s.DB, id)
}

const itemCols = `i.id, i.audit_id, i.clause, i.title, i.question, i.result, i.notes, i.evidence, i.assessed_by, COALESCE(u.name, ''),
	i.assessed_at, (SELECT MIN(n.id) FROM nonconformities n WHERE n.audit_item_id = i.id)`

func scanItem(row interface{ Scan(...any) error }) (Item, error) {
	var it Item
	var ev string
	var at store.Time
	var nc *int64
	if err := row.Scan(&it.ID, &it.AuditID, &it.Clause, &it.Title, &it.Question, &it.Result, &it.Notes, &ev, &it.AssessedBy,
		&it.AssessedName, &at, &nc); err != nil {
		return it, store.ScanErr(err)
	}
	it.AssessedAt = at.Ptr()
	it.Evidence = []nonconformity.Link{}
	_ = json.Unmarshal([]byte(ev), &it.Evidence)
	if nc != nil {
		it.NC = nonconformity.FormatNumber(*nc)
	}
	return it, nil
}

func items(ctx context.Context, q store.Querier, auditID int64) ([]Item, error) {
	rows, err := q.Query(ctx, "SELECT "+itemCols+` FROM internal_audit_items i LEFT JOIN users u ON u.id = i.assessed_by
		WHERE i.audit_id = ? LIMIT 1000`, auditID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Item{}
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	slices.SortFunc(out, func(a, b Item) int {
		if clauses.Less(a.Clause, b.Clause) {
			return -1
		}
		if clauses.Less(b.Clause, a.Clause) {
			return 1
		}
		return 0
	})
	return out, rows.Err()
}

// Items lists an audit's checklist in clause order.
func (s *Service) Items(ctx context.Context, p *auth.Principal, auditID int64) ([]Item, error) {
	if !p.Can(sms.PermRead) {
		return nil, domainerr.ErrForbidden
	}
	return items(ctx, s.DB, auditID)
}

func getItem(ctx context.Context, q store.Querier, auditID, itemID int64) (Item, error) {
	return scanItem(q.QueryRow(ctx, "SELECT "+itemCols+` FROM internal_audit_items i LEFT JOIN users u ON u.id = i.assessed_by
		WHERE i.id = ? AND i.audit_id = ?`, itemID, auditID))
}

// RecordItem records an auditor's finding on a line of a running audit.
// A minor or major nonconformity raises an NC linked to the line at once
// (one per line), owned by the owner of the process the clause belongs
// to, if any.
func (s *Service) RecordItem(ctx context.Context, p *auth.Principal, auditID, itemID int64, in ItemInput) (Item, error) {
	now := s.now()
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		a, err := getAudit(ctx, tx, auditID)
		if err != nil {
			return err
		}
		if !mayConduct(p, a) {
			return domainerr.Refusedf("only the audit's lead or auditors may record results")
		}
		if a.State != InProgress {
			return domainerr.Conflictf("the audit is %s: results are recorded while it is in progress", strings.ReplaceAll(a.State, "_", " "))
		}
		it, err := getItem(ctx, tx, auditID, itemID)
		if err != nil {
			return err
		}
		v := domainerr.NewInvalid()
		if in.Result != nil {
			if !slices.Contains(Results, *in.Result) {
				v.Add("result", "must be one of not assessed, conforming, minor nonconformity, major nonconformity, observation, opportunity for improvement")
			}
			it.Result = *in.Result
		}
		if in.Notes != nil {
			it.Notes = *in.Notes
			domainerr.Text(v, "notes", it.Notes, false, domainerr.MaxText)
		}
		if in.Evidence != nil {
			it.Evidence = []nonconformity.Link{}
			if len(*in.Evidence) > MaxEvidence {
				v.Add("evidence", "at most %d pieces of evidence per line", MaxEvidence)
			}
			for _, ref := range *in.Evidence {
				if strings.TrimSpace(ref) == "" || v.Has("evidence") {
					continue
				}
				l, err := nonconformity.ResolveEvidence(ctx, tx, ref)
				if err != nil {
					if strings.HasPrefix(err.Error(), "is ") || strings.HasPrefix(err.Error(), "there is") {
						v.Add("evidence", "%q %s", strings.TrimSpace(ref), err.Error())
						continue
					}
					return err
				}
				it.Evidence = append(it.Evidence, l)
			}
		}
		if RaisesNC(it.Result) && strings.TrimSpace(it.Notes) == "" {
			v.Add("notes", "say what was found: a nonconformity needs its finding written down")
		}
		if err := v.Err(); err != nil {
			return err
		}
		ev, _ := json.Marshal(it.Evidence)
		var by, at any
		if it.Result != "not_assessed" {
			by, at = p.UserID, store.TS(now)
		}
		if _, err := tx.Exec(ctx, `UPDATE internal_audit_items SET result = ?, notes = ?, evidence = ?, assessed_by = ?, assessed_at = ?
			WHERE id = ?`, it.Result, it.Notes, string(ev), by, at, itemID); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, p.Actor(), "record", "internal_audit_item", itemID, map[string]any{"audit_id": auditID,
			"clause": it.Clause, "result": it.Result, "notes": it.Notes, "evidence": it.Evidence}); err != nil {
			return err
		}
		if RaisesNC(it.Result) && it.NC == "" {
			return s.raiseFromLine(ctx, tx, p, a, it)
		}
		return nil
	})
	if err != nil {
		return Item{}, err
	}
	return getItem(ctx, s.DB, auditID, itemID)
}

// raiseFromLine raises the nonconformity a line found.
func (s *Service) raiseFromLine(ctx context.Context, tx *store.Tx, p *auth.Principal, a Audit, it Item) error {
	sev := "minor"
	if it.Result == "major_nc" {
		sev = "major"
	}
	var owner *int64
	for _, pr := range a.Processes {
		if pr.Clause != "" && (it.Clause == pr.Clause || strings.HasPrefix(it.Clause, pr.Clause+".")) {
			var o *int64
			// The process owner answers for the finding while they are active
			// staff; otherwise the nonconformity waits for an owner.
			err := tx.QueryRow(ctx, `SELECT u.id FROM processes p JOIN users u ON u.id = p.owner_id
				WHERE p.id = ? AND u.active = ? AND u.role <> 'requester'`, pr.ID, true).Scan(&o)
			if err != nil && !errors.Is(store.ScanErr(err), store.ErrNotFound) {
				return err
			}
			owner = o
			break
		}
	}
	title := fmt.Sprintf("%s %s: %s", it.Clause, it.Title, firstLine(it.Notes))
	if r := []rune(title); len(r) > domainerr.MaxTitle {
		title = string(r[:domainerr.MaxTitle-1]) + "…"
	}
	itemID := it.ID
	_, err := s.NCs.Raise(ctx, tx, p, nonconformity.NewNC{Title: title, Description: it.Notes, Source: "audit",
		Clause: it.Clause, Severity: sev, OwnerID: owner, RaisedOn: nonconformity.Today(s.now()), AuditItemID: &itemID})
	return err
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// ReportAudit reports a running audit once every line is assessed.
func (s *Service) ReportAudit(ctx context.Context, p *auth.Principal, id int64, summary *string, ifVersion int) (Audit, error) {
	now := s.now()
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		a, err := getAudit(ctx, tx, id)
		if err != nil {
			return err
		}
		if !mayConduct(p, a) {
			return domainerr.Refusedf("only the audit's lead or auditors may report it")
		}
		if ifVersion != 0 && ifVersion != a.Version {
			return domainerr.ErrStale
		}
		if a.State != InProgress {
			return domainerr.Conflictf("the audit is %s; only an audit in progress can be reported", strings.ReplaceAll(a.State, "_", " "))
		}
		list, err := items(ctx, tx, id)
		if err != nil {
			return err
		}
		var open []string
		for _, it := range list {
			if it.Result == "not_assessed" {
				open = append(open, it.Clause)
			}
		}
		if len(open) > 0 {
			shown := open
			if len(shown) > 10 {
				shown = append(shown[:10:10], "…")
			}
			v := domainerr.NewInvalid()
			v.Message = fmt.Sprintf("%d line(s) are not assessed yet: %s", len(open), strings.Join(shown, ", "))
			v.Add("items", "%d line(s) are not assessed yet: %s", len(open), strings.Join(shown, ", "))
			return v
		}
		sum := a.Summary
		if summary != nil {
			sum = strings.TrimSpace(*summary)
			v := domainerr.NewInvalid()
			domainerr.Text(v, "summary", sum, false, domainerr.MaxText)
			if err := v.Err(); err != nil {
				return err
			}
		}
		res, err := tx.Exec(ctx, `UPDATE internal_audits SET state = 'reported', reported_at = ?, summary = ?, updated_at = ?,
			version = version + 1 WHERE id = ? AND version = ?`, store.TS(now), sum, store.TS(now), id, a.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return domainerr.ErrStale
		}
		return audit.Record(ctx, tx, p.Actor(), "report", "internal_audit", id, map[string]any{"summary": sum})
	})
	if err != nil {
		return Audit{}, err
	}
	return getAudit(ctx, s.DB, id)
}

// Report gathers an audit's report.
func (s *Service) Report(ctx context.Context, p *auth.Principal, id int64) (Report, error) {
	if !p.Can(sms.PermRead) {
		return Report{}, domainerr.ErrForbidden
	}
	a, err := getAudit(ctx, s.DB, id)
	if err != nil {
		return Report{}, err
	}
	r := Report{Audit: a}
	if r.Items, err = items(ctx, s.DB, id); err != nil {
		return r, err
	}
	r.Counts = CountResults(r.Items)
	r.NCs, err = s.NCs.List(ctx, p, nonconformity.Filter{State: "all", AuditID: id, Limit: nonconformity.MaxList})
	return r, err
}

// CountResults counts lines by result, in the order of Results.
func CountResults(list []Item) []Count {
	out := make([]Count, len(Results))
	for i, r := range Results {
		out[i].Result = r
		for _, it := range list {
			if it.Result == r {
				out[i].N++
			}
		}
	}
	return out
}

// Coverage lists every process with the last audit reported in the last
// 12 months that covered it: one that named the process, or whose
// clauses include the process's clause.
func (s *Service) Coverage(ctx context.Context, p *auth.Principal) ([]Coverage, error) {
	if !p.Can(sms.PermRead) {
		return nil, domainerr.ErrForbidden
	}
	since := s.now().AddDate(-1, 0, 0)
	procs, err := Processes(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	rows, err := s.DB.Query(ctx, `SELECT id FROM internal_audits WHERE state = 'reported' AND reported_at >= ?
		ORDER BY reported_at DESC LIMIT 500`, store.TS(since))
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var audits []Audit
	for _, id := range ids {
		a, err := getAudit(ctx, s.DB, id)
		if err != nil {
			return nil, err
		}
		audits = append(audits, a)
	}
	out := make([]Coverage, len(procs))
	for i, pr := range procs {
		out[i].Process = pr
		for _, a := range audits { // newest first
			if covers(a, pr) {
				id := a.ID
				out[i].AuditID, out[i].AuditTitle, out[i].ReportedAt, out[i].Covered = &id, a.Title, a.ReportedAt, true
				break
			}
		}
	}
	return out, nil
}

func covers(a Audit, pr Process) bool {
	for _, x := range a.Processes {
		if x.ID == pr.ID {
			return true
		}
	}
	for _, c := range a.Clauses {
		if c == AllClauses || (pr.Clause != "" && (pr.Clause == c || strings.HasPrefix(pr.Clause, c+"."))) {
			return true
		}
	}
	return false
}

// ReportedIn lists the audits reported in [from, to), for the management
// review's input pack.
func ReportedIn(ctx context.Context, q store.Querier, from, to time.Time) ([]Audit, error) {
	rows, err := q.Query(ctx, "SELECT "+auditCols+auditFrom+` WHERE a.state = 'reported' AND a.reported_at >= ? AND a.reported_at < ?
		ORDER BY a.reported_at LIMIT 200`, store.TS(from), store.TS(to))
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

// ResultCounts counts an audit's lines by result and its NCs raised.
func ResultCounts(ctx context.Context, q store.Querier, auditID int64) ([]Count, int, error) {
	list, err := items(ctx, q, auditID)
	if err != nil {
		return nil, 0, err
	}
	var ncs int
	err = q.QueryRow(ctx, `SELECT COUNT(*) FROM nonconformities n JOIN internal_audit_items i ON i.id = n.audit_item_id
		WHERE i.audit_id = ?`, auditID).Scan(&ncs)
	return CountResults(list), ncs, err
}
