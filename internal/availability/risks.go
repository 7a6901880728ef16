package availability

import (
	"context"
	"fmt"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/risk"
	"steward/internal/store"
)

// LinkedRisk is a risk of the register linked to a service, not closed.
type LinkedRisk struct {
	ID       int64  `json:"id"`
	Title    string `json:"title"`
	Category string `json:"category"`
	Status   string `json:"status"`
	Score    int    `json:"score"`
}

// LinkedRisks lists the open risks of the register linked to each of the
// services, highest score first.
func LinkedRisks(ctx context.Context, q store.Querier, services []int64) (map[int64][]LinkedRisk, error) {
	out := map[int64][]LinkedRisk{}
	if len(services) == 0 {
		return out, nil
	}
	args := make([]any, len(services))
	marks := ""
	for i, id := range services {
		args[i] = id
		if i > 0 {
			marks += ","
		}
		marks += "?"
	}
	rows, err := q.Query(ctx, `SELECT rs.service_id, r.id, r.title, r.category, r.status, r.likelihood * r.impact FROM risks r
		JOIN risk_services rs ON rs.risk_id = r.id WHERE r.status <> 'closed' AND rs.service_id IN (`+marks+`)
		ORDER BY r.likelihood * r.impact DESC, r.id LIMIT 1000`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var svc int64
		var r LinkedRisk
		if err := rows.Scan(&svc, &r.ID, &r.Title, &r.Category, &r.Status, &r.Score); err != nil {
			return nil, err
		}
		out[svc] = append(out[svc], r)
	}
	return out, rows.Err()
}

// RaiseRisk enters an availability risk for a service in the register,
// prefilled from its figures over [from, to): linked to the service,
// owned by the service's owner (or by whoever raises it), to be assessed
// and treated there.
func (s *Service) RaiseRisk(ctx context.Context, p *auth.Principal, risks *risk.Service, serviceID int64, from, to time.Time) (risk.Risk, error) {
	if !p.Can(PermRead) {
		return risk.Risk{}, domainerr.ErrForbidden
	}
	rep, err := s.Report(ctx, p, ReportQuery{ServiceID: serviceID, From: from, To: to})
	if err != nil {
		return risk.Risk{}, err
	}
	f := rep.Services[0]
	title := fmt.Sprintf("Availability of %s below its target", f.ServiceName)
	desc := fmt.Sprintf("%s was available %s of its agreed hours from %s to %s (%s down in %d outages)",
		f.ServiceName, pct(f.Availability), from.Format(time.DateOnly), to.Format(time.DateOnly), minutes(f.DowntimeMinutes), f.Outages)
	if f.Target != nil {
		desc += fmt.Sprintf(", against a target of %s", pct(f.Target))
	}
	desc += "."
	if f.Target == nil || f.Availability == nil || *f.Availability >= *f.Target {
		title = fmt.Sprintf("Availability of %s may fall below its target", f.ServiceName)
	}
	owner := p.UserID
	if f.OwnerID != nil {
		owner = *f.OwnerID
	}
	kind, cat, process, treat, status := "risk", "Availability", "availability", "undecided", "open"
	likelihood, impact := 3, 3
	if f.Status == Below {
		likelihood = 4
	}
	svcs := []int64{serviceID}
	return risks.Create(ctx, p.Actor(), risk.Input{Title: &title, Description: &desc, Kind: &kind, Category: &cat, ProcessKey: &process,
		OwnerID: &owner, Likelihood: &likelihood, Impact: &impact, Treatment: &treat, Status: &status, ServiceIDs: &svcs})
}

func pct(p *float64) string {
	if p == nil {
		return "—"
	}
	return fmt.Sprintf("%g %%", *p)
}

// minutes says a number of minutes as hours and minutes.
func minutes(m float64) string {
	d := time.Duration(m * float64(time.Minute)).Round(time.Minute)
	if d < time.Hour {
		return fmt.Sprintf("%d min", int(d.Minutes()))
	}
	return fmt.Sprintf("%d h %02d min", int(d.Hours()), int(d.Minutes())%60)
}
