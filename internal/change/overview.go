package change

import (
	"context"
	"fmt"
	"strings"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// KPIs are change management's figures over a period.
type KPIs struct {
	Since time.Time `json:"since"`
	// Finished counts changes closed in the period with an outcome.
	Finished   int `json:"finished"`
	Successful int `json:"successful"`
	// FailedOrBackedOut counts finished changes that failed or were backed out.
	FailedOrBackedOut int `json:"failed_or_backed_out"`
	// Raised counts changes raised in the period; Emergency those of them
	// that are emergency changes.
	Raised    int `json:"raised"`
	Emergency int `json:"emergency"`
	// CausedIncidents counts finished changes that an incident names as
	// its cause (a caused_by link).
	CausedIncidents int `json:"caused_incidents"`
	// LeadTimeHours is the mean time from raising to closing a finished change.
	LeadTimeHours float64 `json:"lead_time_hours"`
	// CIChanges counts CI changes in the period; Unauthorised those with no
	// change record named.
	CIChanges    int `json:"ci_changes"`
	Unauthorised int `json:"unauthorised"`
}

// Share is part of whole as a percentage, "—" when there is no whole.
func Share(part, whole int) string {
	if whole == 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", 100*float64(part)/float64(whole))
}

// Overview computes the KPIs since since.
func (s *Service) Overview(ctx context.Context, p *auth.Principal, since time.Time) (KPIs, error) {
	if !p.Can(PermRead) {
		return KPIs{}, domainerr.ErrForbidden
	}
	k := KPIs{Since: since}
	ts := store.TS(since)
	rows, err := s.DB.Query(ctx, `SELECT outcome, created_at, closed_at FROM changes
		WHERE state = 'closed' AND closed_at >= ? AND outcome <> ''`, ts)
	if err != nil {
		return k, err
	}
	var lead time.Duration
	for rows.Next() {
		var outcome string
		var created, closed store.Time
		if err := rows.Scan(&outcome, &created, &closed); err != nil {
			rows.Close()
			return k, err
		}
		k.Finished++
		switch outcome {
		case Successful, SuccessfulWithIssues:
			k.Successful++
		case Failed, BackedOut:
			k.FailedOrBackedOut++
		}
		lead += closed.Sub(created.Time)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return k, err
	}
	if k.Finished > 0 {
		k.LeadTimeHours = lead.Hours() / float64(k.Finished)
	}
	for _, q := range []struct {
		dst   *int
		query string
	}{
		{&k.Raised, `SELECT COUNT(*) FROM changes WHERE created_at >= ?`},
		{&k.Emergency, `SELECT COUNT(*) FROM changes WHERE created_at >= ? AND type = 'emergency'`},
		{&k.CausedIncidents, `SELECT COUNT(*) FROM changes c WHERE c.state = 'closed' AND c.closed_at >= ? AND c.outcome <> ''
			AND EXISTS (SELECT 1 FROM record_links l WHERE l.type = 'caused_by' AND l.to_kind = 'change' AND l.to_id = c.id)`},
		{&k.CIChanges, `SELECT COUNT(*) FROM ci_history WHERE at >= ?`},
		{&k.Unauthorised, `SELECT COUNT(*) FROM ci_history WHERE at >= ? AND change_ref = ''`},
	} {
		if err := s.DB.QueryRow(ctx, q.query, ts).Scan(q.dst); err != nil {
			return k, err
		}
	}
	return k, nil
}

// CIChange is one CMDB change made under a change record.
type CIChange struct {
	Seq       int64     `json:"seq"`
	CIID      int64     `json:"ci_id"`
	CIName    string    `json:"ci_name"`
	At        time.Time `json:"at"`
	ActorName string    `json:"actor_name"`
	Action    string    `json:"action"`
	Field     string    `json:"field"`
	Old       *string   `json:"old"`
	New       *string   `json:"new"`
}

// refForms are the ways people write change id's number in a CMDB change's
// change_ref: CHG-000012, CHG-12, in either case.
func refForms(id int64) []any {
	long, short := Number(id), fmt.Sprintf("%s%d", NumberPrefix, id)
	return []any{long, short, strings.ToLower(long), strings.ToLower(short)}
}

// CIChanges lists the CMDB changes made under change id, newest first.
func (s *Service) CIChanges(ctx context.Context, p *auth.Principal, id int64) ([]CIChange, error) {
	if _, err := s.Get(ctx, p, id); err != nil {
		return nil, err
	}
	rows, err := s.DB.Query(ctx, `SELECT h.seq, h.ci_id, COALESCE(c.name, ''), h.at, h.actor_name, h.action, h.field, h.old_value, h.new_value
		FROM ci_history h LEFT JOIN cis c ON c.id = h.ci_id WHERE h.change_ref <> '' AND h.change_ref IN (?, ?, ?, ?)
		ORDER BY h.seq DESC LIMIT 200`,
		refForms(id)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []CIChange{}
	for rows.Next() {
		var e CIChange
		var at store.Time
		if err := rows.Scan(&e.Seq, &e.CIID, &e.CIName, &at, &e.ActorName, &e.Action, &e.Field, &e.Old, &e.New); err != nil {
			return nil, err
		}
		e.At = at.Time
		out = append(out, e)
	}
	return out, rows.Err()
}

// ChangeRefs resolves the change_ref texts of CMDB changes to the changes
// they name, for links: the result maps each text that names an existing
// change to its number.
func ChangeRefs(ctx context.Context, q store.Querier, refs []string) (map[string]string, error) {
	out := map[string]string{}
	byID := map[int64][]string{}
	for _, r := range refs {
		if id, ok := ParseRef(r); ok && strings.HasPrefix(strings.ToUpper(strings.TrimSpace(r)), "CHG") {
			byID[id] = append(byID[id], r)
		}
	}
	if len(byID) == 0 {
		return out, nil
	}
	var args []any
	for id := range byID {
		args = append(args, id)
	}
	found, err := store.IDs(ctx, q, "SELECT id FROM changes WHERE id IN ("+placeholders(len(args))+")", args...)
	if err != nil {
		return nil, err
	}
	for _, id := range found {
		for _, r := range byID[id] {
			out[r] = Number(id)
		}
	}
	return out, nil
}
