package mailin

import (
	"context"
	"errors"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/complaint"
	"steward/internal/domainerr"
	"steward/internal/incident"
	"steward/internal/record"
	"steward/internal/request"
	"steward/internal/store"
)

// noText stands for a reply that quoted and wrote nothing of its own.
const noText = "(The reply has no text of its own; the message is attached.)"

// reply adds a message answering record id of kind k as a public comment
// by its sender. A sender without an account, or who may not see or
// comment on the record, is refused: nothing is opened and the answer
// tells nothing about the record.
func (s *Service) reply(ctx context.Context, d Delivery, m *Message, e Entry, key string, p *auth.Principal, k *record.Kind, id int64) (Result, error) {
	if why, detail := replyRefusal(p, k, id); why != "" {
		e.Outcome, e.Reason, e.Detail = Refused, why, detail
		if p != nil {
			e.UserID = &p.UserID
		}
		return s.settle(ctx, e, key, Result{})
	}
	return s.comment(ctx, d.Raw, m, e, key, p, k, id, nil)
}

// replyRefusal says why p's reply to record id of kind k cannot be
// added, or "" when it can be tried.
func replyRefusal(p *auth.Principal, k *record.Kind, id int64) (reason, detail string) {
	number := k.Number(id)
	switch {
	case p == nil:
		return reasonUnknownReply, "It answers " + number + "."
	case k.Name == complaint.KindName && p.IsStaff():
		return reasonCannotComment, "Replies by e-mail to a complaint are taken from the customer's people; add a note on " + number + "'s page."
	case k.Name == complaint.KindName:
		return "", ""
	case k.Name != "incident" && k.Name != "request":
		return reasonNotVisible, "Replies by e-mail are taken for incidents, service requests and complaints; it answers " + number + "."
	case !p.Can(k.Comment):
		return reasonCannotComment, "It answers " + number + "."
	}
	return "", ""
}

// comment adds the reply as p's public comment. by is the agent
// accepting a held reply (its entry e is settled, and what stops the
// comment is the agent's error), nil for a message just arrived.
func (s *Service) comment(ctx context.Context, raw []byte, m *Message, e Entry, key string, p *auth.Principal, k *record.Kind, id int64, by *auth.Principal) (Result, error) {
	if k.Name == complaint.KindName {
		if s.Complaints == nil {
			return s.refusedWrite(ctx, e, key, k.Number(id), store.ErrNotFound)
		}
		return s.complaintReply(ctx, raw, m, e, key, p, id, by)
	}
	number := k.Number(id)
	e.UserID = &p.UserID
	body := clip(stripNUL(TrimReply(m.Text)), domainerr.MaxText)
	if body == "" {
		body = noText
	}
	e.Outcome, e.RecordKind, e.RecordID, e.FilesPending = Commented, k.Name, &id, true
	hook := func(ctx context.Context, tx *store.Tx, entryID int64) error {
		e.CommentID = &entryID
		return s.keep(ctx, tx, &e, key, raw, by)
	}
	var err error
	if k.Name == "incident" {
		_, err = s.Incidents.AddComment(ctx, p, id, body, true, func(ctx context.Context, tx *store.Tx, je incident.Entry) error {
			return hook(ctx, tx, je.ID)
		})
	} else {
		_, err = s.Requests.AddComment(ctx, p, id, body, true, func(ctx context.Context, tx *store.Tx, je request.Entry) error {
			return hook(ctx, tx, je.ID)
		})
	}
	if err == nil {
		s.Log.Info("incoming mail added as a comment", "record", number, "sender", e.Sender, "log_id", e.ID)
		return s.afterCommit(ctx, Result{Entry: e}), nil
	}
	if by != nil {
		return Result{}, err
	}
	return s.refusedWrite(ctx, e, key, number, err)
}

// refusedWrite turns what stopped a ticket write into a logged refusal;
// a duplicate key is a message another delivery took first, and anything
// else is an error for the caller to retry.
func (s *Service) refusedWrite(ctx context.Context, e Entry, key, number string, err error) (Result, error) {
	var conflict *domainerr.Conflict
	var invalid *domainerr.Invalid
	e.RecordKind, e.RecordID, e.CommentID, e.FilesPending = "", nil, nil, false
	e.Outcome = Refused
	switch {
	case errors.As(err, &conflict):
		e.Reason, e.Detail = reasonClosed, sentence(conflict.Message)
	case errors.Is(err, store.ErrConflict):
		prev, _, err := s.byKey(ctx, key)
		return Result{Entry: prev, Duplicate: true}, err
	case errors.Is(err, store.ErrNotFound):
		e.Reason, e.Detail = reasonNotVisible, "It answers "+number+"."
	case errors.Is(err, domainerr.ErrForbidden):
		e.Reason = reasonCannotComment
	case errors.As(err, &invalid):
		e.Reason, e.Detail = reasonInvalid, sentence(invalid.Error())
	default:
		return Result{}, err
	}
	s.Log.Info("incoming mail refused", "sender", e.Sender, "reason", e.Reason, "record", number)
	return s.settle(ctx, e, key, Result{})
}

// keep writes the entry, the raw message and the job that makes sure
// its files reach the record, inside the transaction that wrote the
// ticket. by is the agent accepting a held message, whose entry e is
// settled rather than written anew; nil for a message just arrived.
func (s *Service) keep(ctx context.Context, tx *store.Tx, e *Entry, key string, raw []byte, by *auth.Principal) error {
	if by != nil {
		if err := settleEntry(ctx, tx, e, by.UserID); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, by.Actor(), "accept", "mail_in_message", e.ID, map[string]any{"requester_id": e.UserID,
			"record_kind": e.RecordKind, "record_id": e.RecordID}); err != nil {
			return err
		}
	} else {
		if err := insertEntry(ctx, tx, e, key); err != nil {
			return err
		}
		if err := saveRaw(ctx, tx, e.ID, raw); err != nil {
			return err
		}
	}
	return enqueueFiles(ctx, tx, e.ID)
}

func stripNUL(s string) string {
	if !containsNUL(s) {
		return s
	}
	b := make([]rune, 0, len(s))
	for _, r := range s {
		if r != 0 {
			b = append(b, r)
		}
	}
	return string(b)
}

func containsNUL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return true
		}
	}
	return false
}
