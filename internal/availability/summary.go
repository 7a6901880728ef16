package availability

import (
	"context"
	"fmt"
	"strings"
	"time"

	"steward/internal/sla"
	"steward/internal/store"
)

// Measure is the availability of every service over [from, to), read
// from q with no one's permissions: for the compliance rules and the
// service review pack. Agreed hours are compiled from the calendars;
// maintenance on CIs counts for the services those CIs stand for.
func Measure(ctx context.Context, q store.Querier, from, to time.Time) (Report, error) {
	s := &Service{Calendars: sla.NewService(nil, nil)}
	return s.measureAll(ctx, q, ReportQuery{From: from, To: to})
}

// NotMeasuredFigure is the pack's figure when none of the services
// reviewed has a target (servicereview.NotMeasured).
const NotMeasuredFigure = "not measured"

// PackFigure is the availability line of a service review's pack: each
// of the customer's services with a target (every service with one when
// customerID is nil), its availability over the period against it.
func (s *Service) PackFigure(ctx context.Context, q store.Querier, customerID *int64, from, to time.Time) (string, error) {
	rep, err := s.measureAll(ctx, q, ReportQuery{From: from, To: to})
	if err != nil {
		return "", err
	}
	mine := map[int64]bool{}
	if customerID != nil {
		ids, err := idsOf(ctx, q, "SELECT service_id FROM service_customers WHERE customer_id = ?", *customerID)
		if err != nil {
			return "", err
		}
		for _, id := range ids {
			mine[id] = true
		}
	}
	var parts []string
	for _, f := range rep.Services {
		if f.Target == nil || (customerID != nil && !mine[f.ServiceID]) {
			continue
		}
		word := map[string]string{Met: "met", Below: "below target", NotMeasured: "no agreed hours in the period"}[f.Status]
		parts = append(parts, fmt.Sprintf("%s %s against %s (%s; %s down in %d %s)", f.ServiceName, pct(f.Availability), pct(f.Target),
			word, minutes(f.DowntimeMinutes), f.Outages, plural(f.Outages, "outage", "outages")))
	}
	if len(parts) == 0 {
		return NotMeasuredFigure, nil
	}
	return strings.Join(parts, "; "), nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
