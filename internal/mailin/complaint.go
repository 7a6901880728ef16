package mailin

import (
	"context"

	"steward/internal/auth"
	"steward/internal/complaint"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// raiseComplaint raises a complaint from a message sent to a complaints
// address, through the complaints register with source "email": its
// subject is the title, its text the description, its sender the
// requester and their organisation the customer (the address's customer
// for a sender of none, or for staff writing on a customer's behalf). by
// is the agent accepting a held message, nil for one just arrived. The
// original message stays in the log of incoming mail.
func (s *Service) raiseComplaint(ctx context.Context, raw []byte, m *Message, e Entry, key string, p *auth.Principal, target Address, by *auth.Principal) (Result, error) {
	e.UserID = &p.UserID
	title := CleanSubject(m.Subject)
	if title == "" {
		title = "E-mail from " + firstNonEmpty(m.FromName, m.From)
	}
	in := complaint.NewComplaint{Title: clip(title, domainerr.MaxTitle), Description: clip(stripNUL(m.Text), domainerr.MaxText),
		Source: "email", CustomerID: target.CustomerID}
	if !p.IsStaff() {
		uid := p.UserID
		in.RequesterID = &uid
		if p.CustomerID != 0 {
			cust := p.CustomerID
			in.CustomerID = &cust
		}
	}
	e.Outcome, e.RecordKind = Opened, complaint.KindName
	var c complaint.Complaint
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if c, err = s.Complaints.Raise(ctx, tx, p, in); err != nil {
			return err
		}
		id := c.ID
		e.RecordID = &id
		return s.keep(ctx, tx, &e, key, raw, by)
	})
	if err != nil && by != nil {
		return Result{}, err
	}
	if err != nil {
		return s.refusedWrite(ctx, e, key, "", err)
	}
	s.Log.Info("incoming mail raised a complaint", "complaint", c.Number, "sender", e.Sender, "log_id", e.ID)
	return Result{Entry: e}, nil
}

// complaintReply adds a reply to a complaint (CMP-) as its customer's
// words in the complaint's history.
func (s *Service) complaintReply(ctx context.Context, raw []byte, m *Message, e Entry, key string, p *auth.Principal, id int64, by *auth.Principal) (Result, error) {
	number := complaint.FormatNumber(id)
	e.UserID = &p.UserID
	body := clip(stripNUL(TrimReply(m.Text)), domainerr.MaxText)
	if body == "" {
		body = noText
	}
	e.Outcome, e.RecordKind, e.RecordID = Commented, complaint.KindName, &id
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		en, err := s.Complaints.ReplyByEmail(ctx, tx, p, id, body)
		if err != nil {
			return err
		}
		e.CommentID = &en.ID
		return s.keep(ctx, tx, &e, key, raw, by)
	})
	if err == nil {
		s.Log.Info("incoming mail added to a complaint", "complaint", number, "sender", e.Sender, "log_id", e.ID)
		return Result{Entry: e}, nil
	}
	if by != nil {
		return Result{}, err
	}
	return s.refusedWrite(ctx, e, key, number, err)
}
