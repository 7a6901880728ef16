package mailin

import (
	"context"
	"errors"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/record"
	"steward/internal/store"
)

// Accept opens the ticket of a held message. The requester is the
// account with the address asEmail when it is given (an existing, active
// account), else a new requester account for the sender. The log entry
// becomes the ticket's, as if the message had just arrived.
func (s *Service) Accept(ctx context.Context, p *auth.Principal, logID int64, asEmail string) (Entry, error) {
	if !p.Can(PermRead) {
		return Entry{}, domainerr.ErrForbidden
	}
	e, raw, m, err := s.held(ctx, logID)
	if err != nil {
		return Entry{}, err
	}
	now := time.Now().UTC()
	e.Reason, e.Detail, e.DecidedBy, e.DecidedAt = reasonAccepted, "Accepted by "+p.Name+".", &p.UserID, &now
	if k, id, ok := s.answers(m); ok {
		return s.acceptReply(ctx, p, e, raw, m, asEmail, k, id)
	}
	var requester *auth.Principal
	if asEmail = strings.TrimSpace(asEmail); asEmail != "" {
		if requester, err = s.activeUser(ctx, auth.NormalizeEmail(asEmail)); err != nil {
			return Entry{}, err
		}
		if requester == nil {
			return Entry{}, domainerr.Field("requester", "no active account has the address %s; leave it empty to make one for the sender", asEmail)
		}
	} else {
		if requester, err = s.activeUser(ctx, m.From); err != nil {
			return Entry{}, err
		}
		if requester == nil {
			target, mapped, err := route(ctx, s.DB, recipientsOf(Delivery{}, m))
			if err != nil {
				return Entry{}, err
			}
			var cust *int64
			if mapped {
				cust = target.customerFor(m.From)
			}
			if requester, err = s.createRequester(ctx, m.From, m.FromName, cust); err != nil {
				return Entry{}, err
			}
		}
	}
	target, mapped, err := route(ctx, s.DB, recipientsOf(Delivery{}, m))
	if err != nil {
		return Entry{}, err
	}
	res, err := s.openAs(ctx, raw, m, e, "", requester, target, mapped, p)
	return res.Entry, err
}

// acceptReply adds a held reply as the comment of the account with the
// address asEmail, or of the sender's account: a reply needs an account
// that may comment on the record; none is made for it.
func (s *Service) acceptReply(ctx context.Context, p *auth.Principal, e Entry, raw []byte, m *Message, asEmail string, k *record.Kind, id int64) (Entry, error) {
	email := m.From
	if asEmail = strings.TrimSpace(asEmail); asEmail != "" {
		email = auth.NormalizeEmail(asEmail)
	}
	author, err := s.activeUser(ctx, email)
	if err != nil {
		return Entry{}, err
	}
	if author == nil {
		return Entry{}, domainerr.Field("requester", "no active account has the address %s; give the address of the account whose comment this is", email)
	}
	if why, detail := replyRefusal(author, k, id); why != "" {
		return Entry{}, domainerr.Field("requester", "%s", strings.TrimSuffix(ReasonWords(why)+" "+detail, " "))
	}
	res, err := s.comment(ctx, raw, m, e, "", author, k, id, p)
	return res.Entry, err
}

// Discard throws a held message away; its log entry stays.
func (s *Service) Discard(ctx context.Context, p *auth.Principal, logID int64) error {
	if !p.Can(PermRead) {
		return domainerr.ErrForbidden
	}
	e, _, _, err := s.held(ctx, logID)
	if err != nil {
		return err
	}
	e.Outcome, e.Reason, e.Detail = Discarded, reasonDiscarded, "Discarded by "+p.Name+"."
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := settleEntry(ctx, tx, &e, p.UserID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM mail_in_raw WHERE log_id = ?", logID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, p.Actor(), "discard", "mail_in_message", logID, map[string]string{"sender": e.Sender, "subject": e.Subject})
	})
}

// held loads a held message: its entry, its bytes and what they say.
func (s *Service) held(ctx context.Context, logID int64) (Entry, []byte, *Message, error) {
	e, err := s.scanEntry(s.DB.QueryRow(ctx, "SELECT "+entryCols+" FROM mail_in_log WHERE id = ?", logID))
	if err != nil {
		return Entry{}, nil, nil, err
	}
	if e.Outcome != Held {
		return Entry{}, nil, nil, domainerr.Conflictf("the message is no longer held: it was %s", e.Outcome)
	}
	raw, err := loadRaw(ctx, s.DB, logID)
	if errors.Is(err, store.ErrNotFound) {
		return Entry{}, nil, nil, domainerr.Conflictf("the held message's text is gone; discard it")
	}
	if err != nil {
		return Entry{}, nil, nil, err
	}
	m, err := Parse(raw)
	if err != nil {
		return Entry{}, nil, nil, domainerr.Conflictf("the held message cannot be read; discard it")
	}
	return e, raw, m, nil
}
