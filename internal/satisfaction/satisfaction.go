// Package satisfaction asks requesters how it went once their incident or
// request is resolved: one rating from 1 to 5 and an optional comment,
// once per ticket, by rules that say which tickets are surveyed and for
// how long; low ratings open a follow-up for the team lead.
//
// The follow-up of a low rating is a complaint (CMP-) raised by the
// system, about the ticket, owned by the team lead of the ticket's group
// as the rules name one, else by nobody yet, which tells every active
// administrator. A complaint rather than a task: it has an owner, a
// target date, a response to the customer and closure, and it counts in
// the complaints closed on time.
package satisfaction

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"time"

	"steward/internal/complaint"
	"steward/internal/notify"
	"steward/internal/store"
	"steward/internal/ticket"
)

// Service is satisfaction surveys over one database.
type Service struct {
	DB  *store.DB
	Log *slog.Logger
	// Complaints raises the follow-up of a low rating; without it a low
	// rating is only recorded.
	Complaints *complaint.Service
}

// NewService builds satisfaction surveys.
func NewService(db *store.DB, log *slog.Logger) *Service {
	return &Service{DB: db, Log: log}
}

// ResolvedState is the state in which each kind of ticket is surveyed:
// an incident resolved, a request fulfilled.
func ResolvedState(k ticket.Kind) string {
	if k == ticket.Request {
		return "fulfilled"
	}
	return "resolved"
}

// TicketChanged implements ticket.Observer: a ticket that reaches its
// resolved state is offered for a survey, in the resolving transaction.
// Creation (an import of a ticket already resolved) is not a resolution.
func (s *Service) TicketChanged(ctx context.Context, tx *store.Tx, at time.Time, before, after *ticket.Snapshot) error {
	if before == nil || after == nil {
		return nil
	}
	done := ResolvedState(after.Kind)
	if after.State != done || before.State == done {
		return nil
	}
	rules, err := LoadRules(ctx, tx)
	if err != nil {
		return err
	}
	if !rules.Surveys(after) {
		return nil
	}
	_, err = s.offer(ctx, tx, at, rules, after)
	return err
}

// Surveys reports whether the rules ask about ticket t: its kind is
// surveyed, its service is among those named (when any are) and it falls
// in the sample. The sample is drawn from the ticket's number, so the
// same ticket is always in or out of it.
func (r Rules) Surveys(t *ticket.Snapshot) bool {
	switch {
	case t.Kind == ticket.Incident && !r.Incidents, t.Kind == ticket.Request && !r.Requests:
		return false
	case len(r.ServiceIDs) > 0 && !slices.Contains(r.ServiceIDs, t.ServiceID):
		return false
	}
	return inSample(t.Kind, t.ID, r.SamplePercent)
}

func inSample(k ticket.Kind, id int64, percent int) bool {
	if percent >= 100 {
		return true
	}
	h := fnv.New32a()
	fmt.Fprintf(h, "%s:%d", k, id)
	return int(h.Sum32()%100) < percent
}

// offer creates the survey of t and tells its requester, unless the ticket
// was surveyed before (a reopened ticket resolved again), has no requester
// or was resolved by its own requester. It returns the survey's id, 0 when
// none was sent.
func (s *Service) offer(ctx context.Context, tx *store.Tx, at time.Time, rules Rules, t *ticket.Snapshot) (int64, error) {
	table := "incidents"
	if t.Kind == ticket.Request {
		table = "requests"
	}
	var requester *int64
	if err := store.ScanErr(tx.QueryRow(ctx, "SELECT requester_id FROM "+table+" WHERE id = ?", t.ID).Scan(&requester)); err != nil {
		return 0, err
	}
	if requester == nil || *requester == t.AssigneeID {
		return 0, nil
	}
	var one int
	err := store.ScanErr(tx.QueryRow(ctx, "SELECT 1 FROM satisfaction_surveys WHERE ticket_kind = ? AND ticket_id = ?",
		string(t.Kind), t.ID).Scan(&one))
	if err == nil {
		return 0, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return 0, err
	}
	at = at.UTC().Truncate(time.Microsecond)
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO satisfaction_surveys (ticket_kind, ticket_id, requester_id, customer_id, service_id,
		group_id, agent_id, sent_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		string(t.Kind), t.ID, *requester, orNull(t.CustomerID), orNull(t.ServiceID), orNull(t.GroupID), orNull(t.AssigneeID),
		store.TS(at), store.TS(at.AddDate(0, 0, rules.OpenDays))).Scan(&id)
	if err := store.ScanErr(err); err != nil {
		return 0, err
	}
	return id, notify.AddWith(ctx, tx, []int64{*requester}, "survey", "How did we do? "+t.Number+" "+t.Title,
		"Rate how we handled it, from 1 to 5: one click is enough.", SurveyLink(id),
		map[string]string{"number": t.Number, "title": t.Title})
}

// SurveyLink is the page on which a survey is answered.
func SurveyLink(id int64) string { return fmt.Sprintf("/surveys/%d", id) }

func orNull(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
