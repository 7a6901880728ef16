package complaint

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/notify"
	"steward/internal/patch"
	"steward/internal/record"
	"steward/internal/store"
)

// Create raises a complaint for p in a transaction of its own. A requester
// complains for themselves and their own customer, whatever the input
// names; an agent raises one on a customer's behalf and must name the
// customer.
func (s *Service) Create(ctx context.Context, p *auth.Principal, in NewComplaint) (Complaint, error) {
	if !p.Can(PermCreate) {
		return Complaint{}, domainerr.ErrForbidden
	}
	in.Source = "agent"
	if !p.IsStaff() {
		in.Source = "requester"
		uid := p.UserID
		in.RequesterID, in.OwnerID = &uid, nil
		in.CustomerID = nil
		if p.CustomerID != 0 {
			c := p.CustomerID
			in.CustomerID = &c
		}
		in.TargetOn = ""
	}
	var out Complaint
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		out, err = s.Raise(ctx, tx, p, in)
		return err
	})
	return out, err
}

// Raise records a complaint inside tx: the function every way in uses.
// p is who raises it (nil for the system, as for a low rating); in.Source
// says how it came in ("requester", "agent", "rating", "email"). The
// inbound-mail side raises one from a message with Source "email", p the
// sender's principal (or nil) and RequesterID the sender.
//
// A complaint needs a title and, except one from a rating, a customer.
// Without a target date it is due DefaultTargetDays (or the setting) after
// today. It is journalled, audited, and its owner is told, or every
// active administrator when it has none.
func (s *Service) Raise(ctx context.Context, tx *store.Tx, p *auth.Principal, in NewComplaint) (Complaint, error) {
	in.Title = strings.TrimSpace(in.Title)
	in.TargetOn = strings.TrimSpace(in.TargetOn)
	v := domainerr.NewInvalid()
	domainerr.Text(v, "title", in.Title, true, domainerr.MaxTitle)
	domainerr.Text(v, "description", in.Description, false, domainerr.MaxText)
	if !slices.Contains(Sources, in.Source) {
		v.Add("source", "must be one of %s", strings.Join(Sources, ", "))
	}
	if in.CustomerID == nil && in.Source != "rating" {
		if in.Source == "requester" {
			v.Add("customer_id", "is required: your account belongs to no customer, so ask the service desk to raise the complaint for you")
		} else {
			v.Add("customer_id", "is required: name the customer who complains")
		}
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	if in.TargetOn == "" {
		days, err := TargetDays(ctx, tx)
		if err != nil {
			return Complaint{}, err
		}
		in.TargetOn = now.AddDate(0, 0, days).Format(time.DateOnly)
	} else if _, err := time.Parse(time.DateOnly, in.TargetOn); err != nil {
		v.Add("target_on", "must be a date such as 2026-12-31")
	}
	if err := checkRefs(ctx, tx, v, in.CustomerID, in.RequesterID, in.OwnerID); err != nil {
		return Complaint{}, err
	}
	kind, rid, err := related(ctx, tx, p, in.Related, v)
	if err != nil {
		return Complaint{}, err
	}
	if err := v.Err(); err != nil {
		return Complaint{}, err
	}
	var createdBy *int64
	if p != nil {
		id := p.UserID
		createdBy = &id
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO complaints (title, description, state, source, customer_id, requester_id, owner_id,
		related_kind, related_id, target_on, created_by, created_at, updated_at, version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) RETURNING id`,
		in.Title, in.Description, string(Received), in.Source, in.CustomerID, in.RequesterID, in.OwnerID,
		kind, rid, in.TargetOn, createdBy, store.TS(now), store.TS(now)).Scan(&id)
	if err := store.ScanErr(err); err != nil {
		return Complaint{}, err
	}
	var opened []Change
	if in.Source == "rating" && in.Rating >= 1 && in.Rating <= 5 {
		opened = []Change{{Field: "rating", New: strconv.Itoa(in.Rating)}}
	}
	if _, err := journal.Append(ctx, tx, id, p, "created", "", opened, now); err != nil {
		return Complaint{}, err
	}
	if err := audit.Record(ctx, tx, p.Actor(), "create", "complaint", id, in); err != nil {
		return Complaint{}, err
	}
	c, err := get(ctx, tx, id)
	if err != nil {
		return c, err
	}
	return c, s.tellOwner(ctx, tx, c)
}

// tellOwner notifies the complaint's owner, or the active administrators
// when nobody owns it yet.
func (s *Service) tellOwner(ctx context.Context, tx *store.Tx, c Complaint) error {
	var to []int64
	if c.OwnerID != nil {
		to = []int64{*c.OwnerID}
	} else {
		var err error
		if to, err = store.IDs(ctx, tx, "SELECT id FROM users WHERE role = 'admin' AND active ORDER BY id LIMIT 50"); err != nil {
			return err
		}
	}
	return notify.AddWith(ctx, tx, to, "complaint_raised", "Complaint received: "+c.Number+" "+c.Title,
		"From "+orWord(c.CustomerName, "no customer")+", to close by "+c.TargetOn+".", "/complaints/"+c.Number,
		map[string]string{"number": c.Number, "title": c.Title, "customer": c.CustomerName, "target": c.TargetOn})
}

func orWord(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// checkRefs checks the customer exists, the requester is an active user
// (of that customer when both are named) and the owner an active agent.
func checkRefs(ctx context.Context, q store.Querier, v *domainerr.Invalid, customer, requester, owner *int64) error {
	if customer != nil {
		var one int
		err := store.ScanErr(q.QueryRow(ctx, "SELECT 1 FROM customers WHERE id = ?", *customer).Scan(&one))
		if errors.Is(err, store.ErrNotFound) {
			v.Add("customer_id", "customer %d does not exist", *customer)
		} else if err != nil {
			return err
		}
	}
	if requester != nil {
		var cust *int64
		var active bool
		err := store.ScanErr(q.QueryRow(ctx, "SELECT customer_id, active FROM users WHERE id = ?", *requester).Scan(&cust, &active))
		switch {
		case errors.Is(err, store.ErrNotFound):
			v.Add("requester_id", "user %d does not exist", *requester)
		case err != nil:
			return err
		case customer != nil && cust != nil && *cust != *customer:
			v.Add("requester_id", "user %d belongs to another customer", *requester)
		}
	}
	return auth.CheckWorker(ctx, q, v, "owner_id", owner)
}

// related reads the number of the incident or request a complaint is
// about; a requester may name only the tickets they see.
func related(ctx context.Context, q store.Querier, p *auth.Principal, ref string, v *domainerr.Invalid) (string, *int64, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return "", nil, nil
	}
	kind, table := "incident", "incidents"
	id, ok := record.NumberID("INC-", ref)
	if !ok {
		kind, table = "request", "requests"
		id, ok = record.NumberID("REQ-", ref)
	}
	if !ok {
		v.Add("related", "must be an incident or request number such as INC-000012 or REQ-000045")
		return "", nil, nil
	}
	var cust, requester *int64
	err := store.ScanErr(q.QueryRow(ctx, "SELECT customer_id, requester_id FROM "+table+" WHERE id = ?", id).Scan(&cust, &requester))
	if errors.Is(err, store.ErrNotFound) {
		v.Add("related", "%s does not exist", relatedNumber(kind, id))
		return "", nil, nil
	} else if err != nil {
		return "", nil, err
	}
	if p != nil && !p.IsStaff() {
		mine := (p.CustomerID != 0 && cust != nil && *cust == p.CustomerID) || (p.CustomerID == 0 && requester != nil && *requester == p.UserID)
		if !mine {
			v.Add("related", "%s does not exist", relatedNumber(kind, id))
			return "", nil, nil
		}
	}
	return kind, &id, nil
}

func relatedNumber(kind string, id int64) string {
	prefix := "INC-"
	if kind == "request" {
		prefix = "REQ-"
	}
	s := strconv.FormatInt(id, 10)
	for len(s) < 6 {
		s = "0" + s
	}
	return prefix + s
}

// Get loads a complaint p may see; one p may not see does not exist.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id int64) (Complaint, error) {
	if !p.Can(PermRead) {
		return Complaint{}, domainerr.ErrForbidden
	}
	c, err := get(ctx, s.DB, id)
	if err != nil {
		return c, err
	}
	if !Visible(p, c) {
		return Complaint{}, store.ErrNotFound
	}
	return forReader(p, c), nil
}

// forReader leaves out what stays inside the organisation: requesters do
// not read the investigation notes.
func forReader(p *auth.Principal, c Complaint) Complaint {
	if !p.IsStaff() {
		c.Investigation = ""
	}
	return c
}

// Patch changes some fields of a complaint; absent fields stay. A move is
// a new state; the fields the move needs may come with it.
type Patch struct {
	Title         *string             `json:"title"`
	Description   *string             `json:"description"`
	State         *State              `json:"state"`
	OwnerID       patch.Field[int64]  `json:"owner_id"`
	TargetOn      *string             `json:"target_on"`
	Investigation *string             `json:"investigation"`
	Response      *string             `json:"response"`
	Closure       *string             `json:"closure"`
	Accepted      patch.Field[bool]   `json:"accepted"`
	Related       patch.Field[string] `json:"related"`
}

// Update applies a patch for p. With ifVersion other than 0 the change is
// refused with ErrStale when the complaint moved on meanwhile.
func (s *Service) Update(ctx context.Context, p *auth.Principal, id int64, pt Patch, ifVersion int) (Complaint, error) {
	if !p.Can(PermUpdate) {
		return Complaint{}, domainerr.ErrForbidden
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error { return s.update(ctx, tx, p, id, pt, ifVersion) })
	if err != nil {
		return Complaint{}, err
	}
	return s.Get(ctx, p, id)
}

func (s *Service) update(ctx context.Context, tx *store.Tx, p *auth.Principal, id int64, pt Patch, ifVersion int) error {
	cur, err := get(ctx, tx, id)
	if err != nil {
		return err
	}
	if ifVersion != 0 && cur.Version != ifVersion {
		return domainerr.ErrStale
	}
	if cur.State == Closed {
		return domainerr.Conflictf("%s is closed and can no longer be changed", cur.Number)
	}
	next, err := apply(ctx, tx, p, cur, pt)
	if err != nil {
		return err
	}
	changes := diff(cur, next)
	if len(changes) == 0 {
		return nil
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	if next.State != cur.State {
		switch next.State {
		case Responded:
			next.RespondedAt = &now
		case Closed:
			next.ClosedAt = &now
		}
	}
	res, err := tx.Exec(ctx, `UPDATE complaints SET title = ?, description = ?, state = ?, owner_id = ?, target_on = ?,
		investigation = ?, response = ?, closure = ?, accepted = ?, related_kind = ?, related_id = ?, updated_at = ?,
		responded_at = ?, closed_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
		next.Title, next.Description, string(next.State), next.OwnerID, next.TargetOn, next.Investigation, next.Response,
		next.Closure, next.Accepted, next.RelatedKind, next.RelatedID, store.TS(now), store.OptTS(next.RespondedAt),
		store.OptTS(next.ClosedAt), cur.ID, cur.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domainerr.ErrStale
	}
	if _, err := journal.Append(ctx, tx, id, p, "change", "", changes, now); err != nil {
		return err
	}
	if err := audit.Record(ctx, tx, p.Actor(), "update", "complaint", id, changes); err != nil {
		return err
	}
	if next.State == Responded && cur.State != Responded && next.RequesterID != nil {
		return notify.AddWith(ctx, tx, []int64{*next.RequesterID}, "complaint_responded",
			"Response to your complaint: "+next.Number+" "+next.Title, "Read the response and tell us whether it settles the matter.",
			"/complaints/"+next.Number, map[string]string{"number": next.Number, "title": next.Title})
	}
	if pt.OwnerID.Set && next.OwnerID != nil && (cur.OwnerID == nil || *cur.OwnerID != *next.OwnerID) && *next.OwnerID != p.UserID {
		return notify.AddWith(ctx, tx, []int64{*next.OwnerID}, "assigned", "Assigned to you: "+next.Number+" "+next.Title,
			"Complaint to close by "+next.TargetOn+".", "/complaints/"+next.Number,
			map[string]string{"number": next.Number, "title": next.Title, "priority": "—"})
	}
	return nil
}

// apply computes the patched complaint and checks it with its move.
func apply(ctx context.Context, q store.Querier, p *auth.Principal, cur Complaint, pt Patch) (Complaint, error) {
	next := cur
	v := domainerr.NewInvalid()
	set := func(field string, dst, src *string, required bool, max int) {
		if src == nil {
			return
		}
		*dst = *src
		if field == "title" || field == "target_on" {
			*dst = strings.TrimSpace(*src)
		}
		domainerr.Text(v, field, *dst, required, max)
	}
	set("title", &next.Title, pt.Title, true, domainerr.MaxTitle)
	set("description", &next.Description, pt.Description, false, domainerr.MaxText)
	set("investigation", &next.Investigation, pt.Investigation, false, domainerr.MaxText)
	set("response", &next.Response, pt.Response, false, domainerr.MaxText)
	set("closure", &next.Closure, pt.Closure, false, domainerr.MaxText)
	set("target_on", &next.TargetOn, pt.TargetOn, true, 10)
	if pt.TargetOn != nil && !v.Has("target_on") {
		if _, err := time.Parse(time.DateOnly, next.TargetOn); err != nil {
			v.Add("target_on", "must be a date such as 2026-12-31")
		}
	}
	if pt.OwnerID.Set {
		next.OwnerID = pt.OwnerID.Ptr()
		if err := checkRefs(ctx, q, v, nil, nil, next.OwnerID); err != nil {
			return next, err
		}
	}
	if pt.Accepted.Set {
		next.Accepted = pt.Accepted.Ptr()
	}
	if pt.Related.Set {
		kind, id, err := related(ctx, q, p, pt.Related.V, v)
		if err != nil {
			return next, err
		}
		next.RelatedKind, next.RelatedID, next.Related = kind, id, ""
		if id != nil {
			next.Related = relatedNumber(kind, *id)
		}
	}
	if pt.State != nil {
		next.State = *pt.State
	}
	if next.State != cur.State {
		if !slices.Contains(States, next.State) {
			v.Add("state", "must be one of received, investigating, responded, closed")
			return next, v.Err()
		}
		mv, ok := Machine.Move(string(cur.State), string(next.State))
		if !ok || mv.By != "" {
			return next, domainerr.Conflictf("%s cannot move from %s to %s (allowed: %s)", cur.Number,
				human(string(cur.State)), human(string(next.State)), Machine.Allowed(string(cur.State)))
		}
		for _, f := range mv.Requires {
			switch f {
			case "response":
				if strings.TrimSpace(next.Response) == "" {
					v.Add("response", "is required before the complaint is responded: write what the customer is told")
				}
			case "closure":
				if strings.TrimSpace(next.Closure) == "" {
					v.Add("closure", "is required to close: say how the complaint ended")
				}
			case "accepted":
				if next.Accepted == nil {
					v.Add("accepted", "is required to close: record whether the customer accepted the outcome (yes or no)")
				}
			}
		}
	}
	return next, v.Err()
}

// human turns a code such as received into words.
func human(s string) string { return strings.ReplaceAll(s, "_", " ") }

func diff(a, b Complaint) []Change {
	var out []Change
	add := func(field, old, new string) {
		if old != new {
			out = append(out, Change{Field: field, Old: old, New: new})
		}
	}
	add("title", a.Title, b.Title)
	add("description", a.Description, b.Description)
	add("state", string(a.State), string(b.State))
	add("owner_id", idStr(a.OwnerID), idStr(b.OwnerID))
	add("target_on", a.TargetOn, b.TargetOn)
	add("investigation", a.Investigation, b.Investigation)
	add("response", a.Response, b.Response)
	add("closure", a.Closure, b.Closure)
	add("accepted", boolStr(a.Accepted), boolStr(b.Accepted))
	add("related", a.Related, b.Related)
	return out
}

func idStr(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}

func boolStr(p *bool) string {
	switch {
	case p == nil:
		return ""
	case *p:
		return "yes"
	}
	return "no"
}

// AddNote adds a staff work note to a complaint's journal.
func (s *Service) AddNote(ctx context.Context, p *auth.Principal, id int64, body string) (Entry, error) {
	if !p.Can(PermUpdate) {
		return Entry{}, domainerr.ErrForbidden
	}
	v := domainerr.NewInvalid()
	domainerr.Text(v, "body", body, true, domainerr.MaxText)
	if err := v.Err(); err != nil {
		return Entry{}, err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	aid, name := record.AuthorOf(p)
	e := Entry{ComplaintID: id, Kind: "work_note", AuthorID: aid, AuthorName: name, Body: body, CreatedAt: now, Changes: []Change{}}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := get(ctx, tx, id); err != nil {
			return err
		}
		var err error
		if e.ID, err = journal.Append(ctx, tx, id, p, "work_note", body, nil, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE complaints SET updated_at = ? WHERE id = ?", store.TS(now), id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, p.Actor(), "create", "complaint_note", e.ID, map[string]any{"complaint_id": id})
	})
	return e, err
}

// CustomerWords adds, inside tx, what the customer said after the
// complaint was raised as a public entry of its journal by its author:
// the comment that followed a low rating, or a reply by e-mail. via says
// how it came ("rating" or "email"). A comment that followed the rating
// which opened the complaint is also added to its description, so that
// whoever works it reads it first.
func (s *Service) CustomerWords(ctx context.Context, tx *store.Tx, id, authorID int64, body, via string) (Entry, error) {
	body = strings.TrimSpace(body)
	v := domainerr.NewInvalid()
	domainerr.Text(v, "body", body, true, domainerr.MaxText)
	if err := v.Err(); err != nil {
		return Entry{}, err
	}
	c, err := get(ctx, tx, id)
	if err != nil {
		return Entry{}, err
	}
	var name string
	if err := store.ScanErr(tx.QueryRow(ctx, "SELECT name FROM users WHERE id = ?", authorID).Scan(&name)); err != nil {
		return Entry{}, err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	author := &auth.Principal{UserID: authorID, Name: name}
	e := Entry{ComplaintID: id, Kind: "comment", AuthorID: &authorID, AuthorName: name, Body: body, CreatedAt: now,
		Changes: []Change{{Field: "via", New: via}}}
	if e.ID, err = journal.Append(ctx, tx, id, author, "comment", body, e.Changes, now); err != nil {
		return Entry{}, err
	}
	desc := c.Description
	if via == "rating" && c.Source == "rating" {
		desc = strings.TrimSpace(desc + "\n\nTheir comment: " + body)
		if len([]rune(desc)) > domainerr.MaxText {
			desc = c.Description
		}
	}
	if _, err := tx.Exec(ctx, "UPDATE complaints SET description = ?, updated_at = ? WHERE id = ?", desc, store.TS(now), id); err != nil {
		return Entry{}, err
	}
	if err := audit.Record(ctx, tx, audit.Actor{Type: "user", ID: authorID, Name: name}, "create", "complaint_comment", e.ID,
		map[string]any{"complaint_id": id, "via": via}); err != nil {
		return Entry{}, err
	}
	return e, s.tellOfWords(ctx, tx, c, name)
}

// tellOfWords tells the complaint's owner, or the administrators when
// nobody owns it, that the customer added to it.
func (s *Service) tellOfWords(ctx context.Context, tx *store.Tx, c Complaint, who string) error {
	var to []int64
	if c.OwnerID != nil {
		to = []int64{*c.OwnerID}
	} else {
		var err error
		if to, err = store.IDs(ctx, tx, "SELECT id FROM users WHERE role = 'admin' AND active ORDER BY id LIMIT 50"); err != nil {
			return err
		}
	}
	return notify.AddWith(ctx, tx, to, "complaint_comment", who+" added to "+c.Number+" "+c.Title,
		"The customer's words are in the complaint's history.", "/complaints/"+c.Number,
		map[string]string{"number": c.Number, "title": c.Title, "name": who})
}

// ReplyByEmail adds, inside tx, a customer's reply by e-mail to complaint
// id as their words in its history. Only the customer's people reply
// this way; a complaint p may not see does not exist.
func (s *Service) ReplyByEmail(ctx context.Context, tx *store.Tx, p *auth.Principal, id int64, body string) (Entry, error) {
	if !p.Can(PermRead) || p.IsStaff() {
		return Entry{}, domainerr.ErrForbidden
	}
	c, err := get(ctx, tx, id)
	if err != nil {
		return Entry{}, err
	}
	if !Visible(p, c) {
		return Entry{}, store.ErrNotFound
	}
	return s.CustomerWords(ctx, tx, id, p.UserID, body, "email")
}
