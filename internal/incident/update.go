package incident

import (
	"context"
	"encoding/json"
	"fmt"
	"steward/internal/activity"
	"steward/internal/record"
	"strconv"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/jobs"
	"steward/internal/store"
)

// Update applies a patch for principal p. With ifVersion other than 0 the
// change is refused with ErrStale when the incident moved on meanwhile.
func (s *Service) Update(ctx context.Context, p *auth.Principal, id int64, pt Patch, ifVersion int) (Incident, error) {
	if !p.Can(PermUpdate) {
		return Incident{}, domainerr.ErrForbidden
	}
	matrix, err := s.Matrix(ctx)
	if err != nil {
		return Incident{}, err
	}
	// Changes share commits with creates and comments (see
	// store.InTxShared); a stale If-Match fails only its own change.
	err = s.DB.InTxShared(ctx, func(tx *store.Tx) error {
		return s.update(ctx, tx, p, id, pt, ifVersion, matrix)
	})
	if err != nil {
		return Incident{}, err
	}
	return get(ctx, s.DB, id)
}

// update is Update inside tx, for callers that hold a transaction (bulk
// edits that are all or nothing).
func (s *Service) update(ctx context.Context, tx *store.Tx, p *auth.Principal, id int64, pt Patch, ifVersion int, matrix Matrix) error {
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
	next, err := s.apply(ctx, tx, p, cur, pt, matrix)
	if err != nil {
		return err
	}
	return s.commit(ctx, tx, p, cur, next, "")
}

// commit writes next over cur with everything a change by p brings: the
// journal entry (with body as its note), the search entry, the observer,
// the automatic closure, the notifications and the audit record. It does
// nothing when nothing changed.
func (s *Service) commit(ctx context.Context, tx *store.Tx, p *auth.Principal, cur, next Incident, body string) error {
	changes := diff(cur, next)
	if len(changes) == 0 {
		return nil
	}
	id := cur.ID
	now := time.Now().UTC().Truncate(time.Microsecond)
	stamp(&cur, &next, now)
	if err := write(ctx, tx, cur, next, now); err != nil {
		return err
	}
	if next.Title != cur.Title || next.Description != cur.Description {
		if err := reindexText(ctx, tx, next); err != nil {
			return err
		}
	}
	if err := appendJournal(ctx, tx, id, p, "change", body, changes, now); err != nil {
		return err
	}
	if err := s.observe(ctx, tx, now, &cur, next); err != nil {
		return err
	}
	if next.State == Resolved && cur.State != Resolved && s.AutoCloseAfter > 0 {
		err := jobs.Enqueue(ctx, tx, AutoCloseJob, "incident:"+strconv.FormatInt(id, 10),
			now.Add(s.AutoCloseAfter), map[string]int64{"incident_id": id})
		if err != nil {
			return err
		}
	}
	if err := tellAboutChange(ctx, tx, p, cur, next, body); err != nil {
		return err
	}
	return audit.Record(ctx, tx, p.Actor(), "update", "incident", id, changes)
}

// apply computes the patched incident and validates it, including the state
// transition and what it requires.
func (s *Service) apply(ctx context.Context, q store.Querier, p *auth.Principal, cur Incident, pt Patch, m Matrix) (Incident, error) {
	next := cur
	v := domainerr.NewInvalid()
	setText := func(field string, dst *string, src *string, required bool, max int) {
		if src == nil {
			return
		}
		*dst = strings.TrimSpace(*src)
		if field == "description" || field == "resolution_notes" {
			*dst = *src
		}
		domainerr.Text(v, field, *dst, required, max)
	}
	setText("title", &next.Title, pt.Title, true, domainerr.MaxTitle)
	setText("description", &next.Description, pt.Description, false, domainerr.MaxText)
	setText("category", &next.Category, pt.Category, false, domainerr.MaxShort)
	setText("subcategory", &next.Subcategory, pt.Subcategory, false, domainerr.MaxShort)
	setText("resolution_notes", &next.ResolutionNotes, pt.ResolutionNotes, false, domainerr.MaxText)
	if pt.Impact != nil {
		next.Impact = *pt.Impact
		if !next.Impact.valid() {
			v.Add("impact", "must be high, medium or low")
		}
	}
	if pt.Urgency != nil {
		next.Urgency = *pt.Urgency
		if !next.Urgency.valid() {
			v.Add("urgency", "must be high, medium or low")
		}
	}
	if next.Impact.valid() && next.Urgency.valid() {
		next.Priority = m.Priority(next.Impact, next.Urgency)
	}
	if pt.Major != nil {
		next.Major = *pt.Major
	}
	if pt.RequesterID.Set {
		next.RequesterID = pt.RequesterID.Ptr()
		if next.RequesterID != nil {
			var one int
			if err := store.ScanErr(q.QueryRow(ctx, "SELECT 1 FROM users WHERE id = ?", *next.RequesterID).Scan(&one)); err != nil {
				v.Add("requester_id", "user %d does not exist", *next.RequesterID)
			}
		}
	}
	if pt.CustomerID.Set {
		next.CustomerID = pt.CustomerID.Ptr()
		if err := checkCustomer(ctx, q, next.CustomerID, v, new(string)); err != nil {
			return next, err
		}
	}
	if pt.ServiceID.Set {
		next.ServiceID = pt.ServiceID.Ptr()
		// An unchanged service is not checked again: it may have been
		// retired since, and the incident keeps it.
		if idStr(next.ServiceID) != idStr(cur.ServiceID) {
			if err := checkService(ctx, q, p, next.ServiceID, v); err != nil {
				return next, err
			}
		}
	}
	if pt.GroupID.Set {
		next.GroupID = pt.GroupID.Ptr()
	}
	if pt.AssigneeID.Set {
		next.AssigneeID = pt.AssigneeID.Ptr()
	}
	if pt.GroupID.Set || pt.AssigneeID.Set {
		var g, a *int64
		if pt.GroupID.Set {
			g = next.GroupID
		}
		if pt.AssigneeID.Set {
			a = next.AssigneeID
		}
		if err := s.checkAssignment(ctx, q, g, a, v, &refNames{}); err != nil {
			return next, err
		}
	}
	if pt.ResolutionCode != nil {
		next.ResolutionCode = strings.TrimSpace(*pt.ResolutionCode)
	}
	if pt.HoldReason != nil {
		next.HoldReason = strings.TrimSpace(*pt.HoldReason)
	}
	if pt.State != nil {
		next.State = *pt.State
	}
	transition(cur, &next, pt, v)
	return next, v.Err()
}

// transition validates a state move and the fields it needs.
func transition(cur Incident, next *Incident, pt Patch, v *domainerr.Invalid) {
	if next.State != cur.State {
		if !next.State.valid() {
			v.Add("state", "must be one of new, in_progress, on_hold, resolved, closed")
			return
		}
		if !CanMove(cur.State, next.State) {
			v.Add("state", "cannot move from %s to %s (allowed: %s)", cur.State, next.State, allowedList(cur.State))
			return
		}
	}
	switch {
	case next.State == OnHold:
		if !oneOf(next.HoldReason, HoldReasons) {
			v.Add("hold_reason", "is required on hold: awaiting_requester, awaiting_supplier or awaiting_change")
		}
	case next.State == Closed && cur.State.Open():
		withdrawal(next, pt, v)
	case next.State == Resolved || next.State == Closed:
		noHold(next, pt, v)
		if !oneOf(next.ResolutionCode, ResolutionCodes) {
			v.Add("resolution_code", "is required to resolve: one of %s", strings.Join(ResolutionCodes, ", "))
		}
		if strings.TrimSpace(next.ResolutionNotes) == "" {
			v.Add("resolution_notes", "are required to resolve")
		}
	default:
		noHold(next, pt, v)
		if cur.State == Resolved {
			// Reopen: the old resolution stays in the journal, not on the record.
			next.ResolutionCode, next.ResolutionNotes = "", ""
		} else if (pt.ResolutionCode != nil && *pt.ResolutionCode != "") || (pt.ResolutionNotes != nil && *pt.ResolutionNotes != "") {
			v.Add("resolution_code", "can only be set when resolving")
		}
	}
}

// noHold clears the hold reason outside on_hold: resolving, reopening or
// resuming ends the wait.
func noHold(next *Incident, pt Patch, v *domainerr.Invalid) {
	if pt.HoldReason != nil && *pt.HoldReason != "" {
		v.Add("hold_reason", "only applies on hold")
	}
	next.HoldReason = ""
}

// withdrawal closes an open incident nobody needs any more: its resolution
// code is withdrawn, and its notes say why when someone did.
func withdrawal(next *Incident, pt Patch, v *domainerr.Invalid) {
	noHold(next, pt, v)
	if pt.ResolutionCode != nil && *pt.ResolutionCode != "" && *pt.ResolutionCode != Withdrawn {
		v.Add("resolution_code", "is always withdrawn when an open incident is closed; resolve it first to give another")
	}
	next.ResolutionCode = Withdrawn
	if strings.TrimSpace(next.ResolutionNotes) == "" {
		next.ResolutionNotes = "Withdrawn before it was resolved."
	}
}

func allowedList(s State) string { return Machine.Allowed(string(s)) }

// stamp sets the timestamps and counters a transition implies.
func stamp(cur, next *Incident, now time.Time) {
	next.UpdatedAt = now
	// A withdrawal is no answer from the desk.
	if cur.State == New && next.State != New && next.State != Closed && next.FirstResponseAt == nil {
		next.FirstResponseAt = &now
	}
	switch {
	case next.State == Resolved && cur.State != Resolved:
		next.ResolvedAt = &now
	case cur.State == Resolved && next.State == InProgress:
		next.ReopenCount++
		next.ResolvedAt = nil
	case next.State == Closed:
		next.ClosedAt = &now
	}
}

func write(ctx context.Context, tx *store.Tx, cur, next Incident, now time.Time) error {
	res, err := tx.Exec(ctx, `UPDATE incidents SET title = ?, description = ?, requester_id = ?, customer_id = ?,
		category = ?, subcategory = ?, impact = ?, urgency = ?, priority = ?, state = ?, hold_reason = ?,
		group_id = ?, assignee_id = ?, service_id = ?, major = ?, resolution_code = ?, resolution_notes = ?,
		reopen_count = ?, updated_at = ?, first_response_at = ?, resolved_at = ?, closed_at = ?,
		version = version + 1 WHERE id = ? AND version = ?`,
		next.Title, next.Description, next.RequesterID, next.CustomerID, next.Category, next.Subcategory,
		string(next.Impact), string(next.Urgency), int(next.Priority), string(next.State), next.HoldReason,
		next.GroupID, next.AssigneeID, next.ServiceID, next.Major, next.ResolutionCode, next.ResolutionNotes,
		next.ReopenCount, store.TS(now), store.OptTS(next.FirstResponseAt), store.OptTS(next.ResolvedAt), store.OptTS(next.ClosedAt),
		cur.ID, cur.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domainerr.ErrStale
	}
	return nil
}

// diff lists what changed, with names for references where known.
func diff(a, b Incident) []Change {
	var out []Change
	add := func(field, old, new string) {
		if old != new {
			out = append(out, Change{Field: field, Old: old, New: new})
		}
	}
	add("title", a.Title, b.Title)
	add("description", a.Description, b.Description)
	add("requester_id", idStr(a.RequesterID), idStr(b.RequesterID))
	add("customer_id", idStr(a.CustomerID), idStr(b.CustomerID))
	add("category", a.Category, b.Category)
	add("subcategory", a.Subcategory, b.Subcategory)
	add("impact", string(a.Impact), string(b.Impact))
	add("urgency", string(a.Urgency), string(b.Urgency))
	add("priority", a.Priority.String(), b.Priority.String())
	add("state", string(a.State), string(b.State))
	add("hold_reason", a.HoldReason, b.HoldReason)
	add("group_id", idStr(a.GroupID), idStr(b.GroupID))
	add("assignee_id", idStr(a.AssigneeID), idStr(b.AssigneeID))
	add("service_id", idStr(a.ServiceID), idStr(b.ServiceID))
	add("major", strconv.FormatBool(a.Major), strconv.FormatBool(b.Major))
	add("resolution_code", a.ResolutionCode, b.ResolutionCode)
	add("resolution_notes", a.ResolutionNotes, b.ResolutionNotes)
	return out
}

func idStr(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}

// AddComment appends a public comment or, for staff, a work note. hook,
// when not nil, runs inside the transaction with the new entry.
func (s *Service) AddComment(ctx context.Context, p *auth.Principal, id int64, body string, public bool, hook func(ctx context.Context, tx *store.Tx, e Entry) error) (Entry, error) {
	perm := PermComment
	if !public {
		perm = PermWorkNote
	}
	if !p.Can(perm) {
		return Entry{}, domainerr.ErrForbidden
	}
	v := domainerr.NewInvalid()
	domainerr.Text(v, "body", body, true, domainerr.MaxText)
	if err := v.Err(); err != nil {
		return Entry{}, err
	}
	kind := "comment"
	if !public {
		kind = "work_note"
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	var e Entry
	err := s.DB.InTxShared(ctx, func(tx *store.Tx) error {
		inc, err := get(ctx, tx, id)
		if err != nil {
			return err
		}
		if !Visible(p, inc) {
			return store.ErrNotFound
		}
		if inc.State == Closed {
			return domainerr.Conflictf("%s is closed; raise a new incident instead", inc.Number)
		}
		aid, name := record.AuthorOf(p)
		e = Entry{IncidentID: id, Kind: kind, AuthorID: aid, AuthorName: name, Body: body, CreatedAt: now}
		if e.ID, err = journal.Insert(ctx, tx, e.line()); err != nil {
			return err
		}
		// A comment is not a change of the record: the version (and so the ETag) stays.
		firstResponse := public && p.IsStaff() && inc.FirstResponseAt == nil
		if _, err := tx.Exec(ctx, `UPDATE incidents SET updated_at = ?,
			first_response_at = CASE WHEN ? THEN ? ELSE first_response_at END WHERE id = ?`,
			store.TS(now), firstResponse, store.TS(now), id); err != nil {
			return err
		}
		if public {
			if err := indexComment(ctx, tx, id, body); err != nil {
				return err
			}
			if err := tellAboutComment(ctx, tx, p, inc); err != nil {
				return err
			}
		}
		if err := activity.Commented(ctx, tx, now, "incident", id, inc.Number, name, aid, e.ID, public, body); err != nil {
			return err
		}
		if p.IsStaff() {
			if err := activity.Mention(ctx, tx, p.UserID, name, body, inc.Number, inc.Title, link(inc)+"#journal"); err != nil {
				return err
			}
		}
		after := inc
		after.UpdatedAt = now
		if firstResponse {
			after.FirstResponseAt = &now
		}
		if err := s.observe(ctx, tx, now, &inc, after); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, p.Actor(), "create", "incident_"+kind, e.ID, map[string]any{"incident_id": id, "body": body}); err != nil {
			return err
		}
		if hook != nil {
			return hook(ctx, tx, e)
		}
		return nil
	})
	return e, err
}

// AutoClose is the job handler that closes an incident still resolved
// AutoCloseAfter after its resolution.
func (s *Service) AutoClose(ctx context.Context, j jobs.Job) error {
	var payload struct {
		IncidentID int64 `json:"incident_id"`
	}
	if err := json.Unmarshal(j.Payload, &payload); err != nil {
		return fmt.Errorf("autoclose payload: %w", err)
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		inc, err := get(ctx, tx, payload.IncidentID)
		if err != nil || inc.State != Resolved || inc.ResolvedAt == nil || s.AutoCloseAfter <= 0 {
			return nil // gone, reopened or closed by hand: nothing to do
		}
		due := inc.ResolvedAt.Add(s.AutoCloseAfter)
		now := time.Now().UTC().Truncate(time.Microsecond)
		if now.Before(due) {
			return &jobs.Reschedule{At: due}
		}
		next := inc
		next.State = Closed
		stamp(&inc, &next, now)
		if err := write(ctx, tx, inc, next, now); err != nil {
			return err
		}
		changes := diff(inc, next)
		if err := appendJournal(ctx, tx, inc.ID, nil, "change", "Closed automatically after resolution", changes, now); err != nil {
			return err
		}
		if err := s.observe(ctx, tx, now, &inc, next); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.System, "update", "incident", inc.ID, changes)
	})
}
