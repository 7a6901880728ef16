package demo

import (
	"context"
	"errors"
	"time"

	"steward/internal/auth"
	"steward/internal/incident"
	"steward/internal/problem"
	"steward/internal/store"
)

// demoProblem is a problem the demo's problem manager has been working:
// the incidents it explains are the latest whose titles match one of
// patterns (SQL LIKE).
type demoProblem struct {
	title, desc, service, category string
	patterns                       []string
	linkAtMost                     int
	state                          problem.State
	cause, causeCategory, fix      string
	weeksAgo                       int // when it was opened
}

var demoProblems = []demoProblem{
	{title: "VPN sessions drop when a gateway certificate expires",
		desc:    "Users on the VPN are cut off every few minutes; it comes back every time one of the gateway certificates runs out.",
		service: "VPN", category: "network", patterns: []string{"VPN drops%"}, linkAtMost: 6, state: problem.KnownError,
		cause:         "The certificates of vpn-gw-1 and vpn-gw-2 are renewed by hand and were let lapse; clients then fail over between gateways every few minutes.",
		causeCategory: "configuration",
		fix:           "Renew the certificate on the affected gateway (Certificates > Gateway > Renew), then ask the user to reconnect. Until then, users can connect through vpn-gw-3 with the \"Backup\" profile.",
		weeksAgo:      5},
	{title: "ERP invoice run times out at night",
		desc:    "The nightly invoice batch stops with a database timeout a few times a week.",
		service: "ERP", category: "application", patterns: []string{"ERP invoice run%"}, linkAtMost: 5, state: problem.Investigating,
		cause: "", weeksAgo: 3},
	{title: "Outlook asks for the password again after a password change",
		desc:    "After a password change, Outlook prompts for credentials over and over until its profile is recreated.",
		service: "E-mail", category: "software", patterns: []string{"Outlook keeps asking%"}, linkAtMost: 4, state: problem.Resolved,
		cause:         "A stale token stays in the credential manager after the change; the desktop policy now clears it at sign-in.",
		causeCategory: "software", weeksAgo: 6},
	{title: "Printers print blank pages after driver updates",
		service: "Laptop & desktop support", category: "hardware", patterns: []string{"%printer prints blank%", "Cannot print%"}, linkAtMost: 3,
		state: problem.New, weeksAgo: 1},
	{title: "Guest Wi-Fi portal unreachable",
		service: "Network", category: "network", patterns: []string{"Guest Wi-Fi%"}, linkAtMost: 2, state: problem.Closed,
		cause: "The portal's certificate had expired; renewed and monitored.", causeCategory: "configuration", weeksAgo: 8},
}

// loadProblems opens the demo's problems as its problem manager would
// have: linked to the incidents they explain, moved on to where they
// stand, one a known error with its workaround.
func loadProblems(ctx context.Context, db *store.DB, incidents *incident.Service) error {
	var n int
	if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM problems").Scan(&n); err != nil || n > 0 {
		return err
	}
	u, err := auth.UserByEmail(ctx, db, "agent@steward.demo")
	if err != nil {
		return err
	}
	p := &auth.Principal{UserID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, GroupIDs: u.GroupIDs}
	svc := problem.NewService(db, incidents)
	now := time.Now().UTC()
	for _, d := range demoProblems {
		if err := loadProblem(ctx, db, svc, p, d, now); err != nil {
			return err
		}
	}
	return nil
}

func loadProblem(ctx context.Context, db *store.DB, svc *problem.Service, p *auth.Principal, d demoProblem, now time.Time) error {
	in := problem.NewProblem{Title: d.title, Description: d.desc, Category: d.category, AssigneeID: &p.UserID}
	var serviceID int64
	err := store.ScanErr(db.QueryRow(ctx, "SELECT id FROM services WHERE name = ?", d.service).Scan(&serviceID))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if serviceID != 0 {
		in.ServiceIDs = []int64{serviceID}
		var ci int64
		err := store.ScanErr(db.QueryRow(ctx, "SELECT id FROM cis WHERE service_id = ? ORDER BY id LIMIT 1", serviceID).Scan(&ci))
		if err == nil {
			in.CIIDs = []int64{ci}
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	for _, pattern := range d.patterns {
		rows, err := db.Query(ctx, "SELECT id FROM incidents WHERE title LIKE ? ORDER BY id DESC LIMIT ?", pattern, d.linkAtMost)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			if len(in.Incidents) < d.linkAtMost {
				in.Incidents = append(in.Incidents, incident.FormatNumber(id))
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	pr, err := svc.Create(ctx, p, in, nil)
	if err != nil {
		return err
	}
	path := map[problem.State][]problem.Patch{
		problem.Investigating: {{State: ptr(problem.Investigating)}},
		problem.KnownError: {{State: ptr(problem.Investigating)}, {State: ptr(problem.KnownError), RootCause: &d.cause,
			Workaround: &d.fix, CauseCategory: &d.causeCategory}},
		problem.Resolved: {{State: ptr(problem.Investigating)}, {State: ptr(problem.Resolved), RootCause: &d.cause, CauseCategory: &d.causeCategory}},
		problem.Closed: {{State: ptr(problem.Investigating)}, {State: ptr(problem.Resolved), RootCause: &d.cause, CauseCategory: &d.causeCategory},
			{State: ptr(problem.Closed)}},
	}
	for _, pt := range path[d.state] {
		if _, err := svc.Update(ctx, p, pr.ID, pt, 0); err != nil {
			return err
		}
	}
	// The problem's life is spread over the weeks since it was opened, so
	// that the overview and the recurrence have a history to show.
	opened := now.AddDate(0, 0, -7*d.weeksAgo)
	mid := opened.Add(now.Sub(opened) / 2)
	for _, u := range []struct {
		q  string
		at time.Time
	}{
		{"UPDATE problems SET created_at = ? WHERE id = ?", opened},
		{"UPDATE problems SET known_error_at = ? WHERE id = ? AND known_error_at IS NOT NULL", mid},
		{"UPDATE problems SET resolved_at = ? WHERE id = ? AND resolved_at IS NOT NULL", mid},
		{"UPDATE problems SET closed_at = ? WHERE id = ? AND closed_at IS NOT NULL", mid.Add(48 * time.Hour)},
	} {
		if _, err = db.Exec(ctx, u.q, store.TS(u.at), pr.ID); err != nil {
			return err
		}
	}
	return err
}

func ptr[T any](v T) *T { return &v }
