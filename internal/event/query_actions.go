package event

import (
	"context"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
)

// ActOnAlert acknowledges or resolves an alert for an agent. It does not
// change the alert itself: it hands the processor an event with the
// alert's integration and key, as any sender would, so the alert's
// timeline, its incident and flapping follow the same rules whoever
// acted. The change shows once the processor has read the event, within
// seconds.
func (s *Service) ActOnAlert(ctx context.Context, p *auth.Principal, id int64, action Action) (Alert, error) {
	if !p.Can(PermWrite) {
		return Alert{}, domainerr.ErrForbidden
	}
	if action != Acknowledge && action != Resolve {
		return Alert{}, domainerr.Field("action", "must be acknowledge or resolve")
	}
	a, err := scanAlert(s.DB.QueryRow(ctx, `SELECT `+alertCols+` FROM alerts WHERE id = ?`, id))
	if err != nil {
		return Alert{}, err
	}
	if a.State == StateResolved {
		return a, &domainerr.Conflict{Message: "This alert is already resolved."}
	}
	if action == Acknowledge && a.State == StateAcknowledged {
		return a, &domainerr.Conflict{Message: "This alert is already acknowledged."}
	}
	who := p.Name
	if who == "" {
		who = p.Email
	}
	verb := map[Action]string{Acknowledge: "Acknowledged by ", Resolve: "Resolved by "}[action]
	now := time.Now().UTC()
	sev := a.Severity
	if action == Resolve {
		sev = OK
	}
	e := Event{IntegrationID: a.IntegrationID, ReceivedAt: now, OccurredAt: now, DedupKey: a.DedupKey, Action: action,
		Severity: sev, Source: "steward", Device: a.Device, Check: a.Check, Resource: a.Resource, Metric: a.Metric,
		Summary: verb + who}
	if _, err := s.Ingest(ctx, []Event{e}); err != nil {
		return Alert{}, err
	}
	return a, nil
}
