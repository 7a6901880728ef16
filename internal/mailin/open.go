package mailin

import (
	"context"
	"errors"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/incident"
	"steward/internal/request"
	"steward/internal/store"
)

// SourceEmail marks an incident opened from an e-mail.
const SourceEmail = "email"

// newMessage opens a ticket for a message that answers no record, as its
// sender; a sender without an account is refused, held or given one as
// the settings say.
func (s *Service) newMessage(ctx context.Context, d Delivery, m *Message, e Entry, key string, p *auth.Principal, st Settings) (Result, error) {
	target, mapped, err := route(ctx, s.DB, recipientsOf(d, m))
	if err != nil {
		return Result{}, err
	}
	if p == nil {
		switch st.UnknownSender {
		case UnknownHold:
			return s.hold(ctx, d, e, key, reasonHeld)
		case UnknownCreate:
			var cust *int64
			if mapped {
				cust = target.customerFor(m.From)
			}
			if p, err = s.createRequester(ctx, m.From, m.FromName, cust); err != nil {
				var invalid *domainerr.Invalid
				if errors.As(err, &invalid) {
					e.Outcome, e.Reason, e.Detail = Refused, reasonUnknownSender, "No account could be made: "+sentence(invalid.Error())
					return s.settle(ctx, e, key, Result{})
				}
				return Result{}, err
			}
		default:
			e.Outcome, e.Reason = Refused, reasonUnknownSender
			s.Log.Info("incoming mail refused: unknown sender", "sender", e.Sender)
			return s.settle(ctx, e, key, Result{})
		}
	}
	return s.openAs(ctx, d.Raw, m, e, key, p, target, mapped, nil)
}

// recipientsOf lists where a message was sent, the most telling first:
// SMTP's envelope, Delivered-To, To, Cc.
func recipientsOf(d Delivery, m *Message) []string {
	out := make([]string, 0, len(d.Recipients)+len(m.Delivered)+len(m.To)+len(m.Cc))
	for _, a := range d.Recipients {
		out = append(out, strings.ToLower(strings.Trim(a, "<> ")))
	}
	out = append(out, m.Delivered...)
	out = append(out, m.To...)
	return append(out, m.Cc...)
}

// openAs opens the ticket as p: a service request when the address leads
// to a catalogue item that needs no answers, else an incident. by is the
// agent accepting a held message (its entry e is settled, not written
// anew), nil for a message just arrived.
func (s *Service) openAs(ctx context.Context, raw []byte, m *Message, e Entry, key string, p *auth.Principal, target Address, mapped bool, by *auth.Principal) (Result, error) {
	if mapped && target.Complaints() && s.Complaints != nil {
		return s.raiseComplaint(ctx, raw, m, e, key, p, target, by)
	}
	e.UserID, e.FilesPending = &p.UserID, true
	title := CleanSubject(m.Subject)
	if title == "" {
		title = "E-mail from " + firstNonEmpty(m.FromName, m.From)
	}
	title = clip(title, domainerr.MaxTitle)
	text := clip(stripNUL(m.Text), domainerr.MaxText)
	var note string
	if mapped && target.ItemID != nil {
		res, why, err := s.submitRequest(ctx, raw, e, key, p, *target.ItemID, title, text, by)
		if why == "" {
			return res, err
		}
		e.Reason, note = why, ReasonWords(why)+" The message was sent to "+target.Address+"."
	}
	in := incident.NewIncident{Title: title, Description: text}
	var routeGroup *int64
	if mapped {
		if p.IsStaff() {
			in.CustomerID, in.GroupID = target.CustomerID, target.GroupID
		} else {
			routeGroup = target.GroupID
		}
	}
	if p.IsStaff() {
		in.RequesterID = &p.UserID
	}
	e.Outcome, e.RecordKind = Opened, "incident"
	inc, err := s.Incidents.Create(ctx, p, in, func(ctx context.Context, tx *store.Tx, inc incident.Incident) error {
		if _, err := tx.Exec(ctx, "UPDATE incidents SET source = ? WHERE id = ?", SourceEmail, inc.ID); err != nil {
			return err
		}
		if routeGroup != nil {
			if err := s.routeToGroup(ctx, tx, inc, *routeGroup, target); err != nil {
				return err
			}
		}
		if note != "" {
			if err := incident.NoteInTx(ctx, tx, inc.ID, note); err != nil {
				return err
			}
		}
		id := inc.ID
		e.RecordID = &id
		return s.keep(ctx, tx, &e, key, raw, by)
	})
	if err != nil && by != nil {
		return Result{}, err
	}
	if err != nil {
		return s.refusedWrite(ctx, e, key, "", err)
	}
	s.Log.Info("incoming mail opened an incident", "incident", inc.Number, "sender", e.Sender, "log_id", e.ID)
	return s.afterCommit(ctx, Result{Entry: e}), nil
}

// routeToGroup gives a requester's new incident to the support group its
// address leads to, inside the transaction that opened it, and tells the
// incident's observers (service levels) so that its clocks see the group.
func (s *Service) routeToGroup(ctx context.Context, tx *store.Tx, inc incident.Incident, groupID int64, target Address) error {
	if _, err := tx.Exec(ctx, "UPDATE incidents SET group_id = ? WHERE id = ?", groupID, inc.ID); err != nil {
		return err
	}
	if s.Incidents.Observer != nil {
		before, after := inc.Snapshot(), inc.Snapshot()
		after.GroupID = groupID
		if err := s.Incidents.Observer.TicketChanged(ctx, tx, time.Now().UTC(), &before, &after); err != nil {
			return err
		}
	}
	return incident.NoteInTx(ctx, tx, inc.ID, "Given to the support group "+target.GroupName+": the message was sent to "+target.Address+".")
}

// submitRequest raises a service request for item itemID. why is not ""
// when the item cannot be requested this way (its form needs answers, or
// it is not offered to the sender): the caller opens an incident instead.
func (s *Service) submitRequest(ctx context.Context, raw []byte, e Entry, key string, p *auth.Principal, itemID int64, title, text string, by *auth.Principal) (Result, string, error) {
	item, err := s.Requests.GetItem(ctx, p, itemID)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, domainerr.ErrForbidden) || (err == nil && !item.Active) {
		return Result{}, reasonItemNotOffered, nil
	}
	if err != nil {
		return Result{}, "", err
	}
	for _, f := range item.Form.Fields {
		if f.Required {
			return Result{}, reasonFormNeeded, nil
		}
	}
	e.Outcome, e.RecordKind = Opened, "request"
	_, err = s.Requests.Submit(ctx, p, request.NewRequest{ItemID: itemID, Title: title, Description: text},
		func(ctx context.Context, tx *store.Tx, r request.Request) error {
			id := r.ID
			e.RecordID = &id
			return s.keep(ctx, tx, &e, key, raw, by)
		})
	var invalid *domainerr.Invalid
	if errors.As(err, &invalid) && invalid.Fields["item_id"] != "" {
		return Result{}, reasonItemNotOffered, nil
	}
	if err != nil && by != nil {
		return Result{}, "", err
	}
	if err != nil {
		res, err := s.refusedWrite(ctx, e, key, "", err)
		return res, "", err
	}
	s.Log.Info("incoming mail raised a service request", "sender", e.Sender, "log_id", e.ID)
	return s.afterCommit(ctx, Result{Entry: e}), "", nil
}

// createRequester makes an active requester account without a password
// for an unknown sender, named as their mail client names them; the
// person signs in once a password is set for them.
func (s *Service) createRequester(ctx context.Context, email, name string, customerID *int64) (*auth.Principal, error) {
	email = auth.NormalizeEmail(email)
	name = clip(strings.TrimSpace(strings.Trim(oneLine(name), `"'`)), domainerr.MaxName)
	if name == "" {
		name, _, _ = strings.Cut(email, "@")
	}
	v := domainerr.NewInvalid()
	if email == "" || len(email) > 254 || !strings.Contains(email, "@") {
		v.Add("email", "the sender's address is not usable for an account")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := time.Now()
	var id int64
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		err := store.ScanErr(tx.QueryRow(ctx, `INSERT INTO users (email, name, role, customer_id, password_hash, active, created_at, updated_at)
			VALUES (?, ?, 'requester', ?, '', TRUE, ?, ?) RETURNING id`, email, name, customerID, store.TS(now), store.TS(now)).Scan(&id))
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Actor{Type: "system", Name: "incoming mail"}, "create", "user", id,
			map[string]any{"email": email, "name": name, "role": auth.Requester, "customer_id": customerID, "why": "first message by e-mail"})
	})
	if errors.Is(err, store.ErrConflict) {
		// Another message from the same sender made the account first.
		p, err := s.activeUser(ctx, email)
		if err == nil && p == nil {
			err = domainerr.Field("email", "an account with this address exists but is disabled")
		}
		return p, err
	}
	if err != nil {
		return nil, err
	}
	u, err := auth.GetUser(ctx, s.DB, id)
	if err != nil {
		return nil, err
	}
	s.Log.Info("requester account made for an incoming message", "email", email, "user_id", id)
	return principalOf(u), nil
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
