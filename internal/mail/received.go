package mail

import (
	"context"
	"errors"
	"time"

	"steward/internal/jobs"
	"steward/internal/notify"
	"steward/internal/store"
	"steward/internal/ticket"
)

// Receipts acknowledges a ticket opened by e-mail: its requester gets a
// notification of kind incident_received or request_received, with the
// number to quote, in the transaction that opened it, and so a message
// they can reply to. It is one of the ticket observers of a node.
//
// Incoming mail marks what it opens after the ticket is written (an
// incident's source, the log entry naming a request), so the check runs
// as the transaction commits.
type Receipts struct{}

// TicketChanged implements ticket.Observer.
func (Receipts) TicketChanged(ctx context.Context, tx *store.Tx, _ time.Time, before, after *ticket.Snapshot) error {
	if before != nil || after == nil || (after.Kind != "incident" && after.Kind != "request") {
		return nil
	}
	tx.Collect("mail.receipts", *after, acknowledge)
	return nil
}

// acknowledge notifies the requester of each ticket just opened from an
// e-mail.
func acknowledge(ctx context.Context, tx *store.Tx, rows []any) error {
	told := false
	for _, row := range rows {
		t := row.(ticket.Snapshot)
		requester, ok, err := openedByMail(ctx, tx, t)
		if err != nil || !ok {
			if err != nil {
				return err
			}
			continue
		}
		link := ""
		if m, ok := ticket.Measured(t.Kind); ok {
			link = m.Path + t.Number
		}
		kind := string(t.Kind) + "_received"
		if err := notify.AddWith(ctx, tx, []int64{requester}, kind, "We received your message: "+t.Number+" "+t.Title,
			"Reply to the e-mail about it to add to it; keep ["+t.Number+"] in the subject.", link,
			map[string]string{"number": t.Number, "title": t.Title}); err != nil {
			return err
		}
		told = true
	}
	if !told {
		return nil
	}
	// The dispatcher's own enqueue may be gathered after this flush began.
	return jobs.EnqueueEarliest(ctx, tx, notify.MailJob, "new", time.Now())
}

// openedByMail reports whether ticket t was opened from an e-mail, and
// its requester: an incident whose source is e-mail, a request the
// incoming-mail log says a message opened.
func openedByMail(ctx context.Context, tx *store.Tx, t ticket.Snapshot) (int64, bool, error) {
	var requester *int64
	var q string
	if t.Kind == "incident" {
		q = "SELECT requester_id FROM incidents WHERE id = ? AND source = 'email'"
	} else {
		// Through the log's index on the sender: the requester's address.
		q = `SELECT r.requester_id FROM requests r JOIN users u ON u.id = r.requester_id WHERE r.id = ? AND EXISTS (
			SELECT 1 FROM mail_in_log l WHERE l.sender = u.email AND l.record_kind = 'request' AND l.record_id = r.id
			AND l.outcome = 'opened')`
	}
	err := store.ScanErr(tx.QueryRow(ctx, q, t.ID).Scan(&requester))
	if errors.Is(err, store.ErrNotFound) || (err == nil && requester == nil) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return *requester, true, nil
}
