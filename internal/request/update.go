package request

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
	"steward/internal/notify"
	"steward/internal/patch"
	"steward/internal/store"
)

// Patch changes some fields of a request; absent fields stay. It is the
// service desk's tool: requesters cancel and reopen through their own calls.
type Patch struct {
	Title       *string            `json:"title"`
	Description *string            `json:"description"`
	Priority    *Priority          `json:"priority"`
	GroupID     patch.Field[int64] `json:"group_id"`
	AssigneeID  patch.Field[int64] `json:"assignee_id"`
	State       *State             `json:"state"`
}

// finalConflict is the refusal to change a request that is over.
func finalConflict(r Request) error {
	return domainerr.Conflictf("%s is %s and can no longer be changed", r.Number, r.State)
}

// Update applies a patch for principal p. With ifVersion other than 0 the
// change is refused with ErrStale when the request moved on meanwhile.
func (s *Service) Update(ctx context.Context, p *auth.Principal, id int64, pt Patch, ifVersion int) (Request, error) {
	if !p.Can(PermUpdate) {
		return Request{}, domainerr.ErrForbidden
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		return s.update(ctx, tx, p, id, pt, ifVersion)
	})
	if err != nil {
		return Request{}, err
	}
	return get(ctx, s.DB, id)
}

// update is Update inside tx, for callers that hold a transaction (bulk
// edits that are all or nothing).
func (s *Service) update(ctx context.Context, tx *store.Tx, p *auth.Principal, id int64, pt Patch, ifVersion int) error {
	cur, err := getLocked(ctx, tx, id)
	if err != nil {
		return err
	}
	if ifVersion != 0 && cur.Version != ifVersion {
		return domainerr.ErrStale
	}
	if cur.State.Final() {
		return finalConflict(cur)
	}
	next, err := s.apply(ctx, tx, cur, pt)
	if err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	if next.FirstResponseAt == nil && (next.State != cur.State || (next.AssigneeID != nil && idStr(next.AssigneeID) != idStr(cur.AssigneeID))) {
		// The desk taking the request on is its first response.
		next.FirstResponseAt = &now
	}
	return s.commit(ctx, tx, p, cur, &next, "", now)
}

// apply computes the patched request and validates it, including the state
// transition and what it requires.
func (s *Service) apply(ctx context.Context, tx *store.Tx, cur Request, pt Patch) (Request, error) {
	next := cur
	v := domainerr.NewInvalid()
	if pt.Title != nil {
		next.Title = strings.TrimSpace(*pt.Title)
		domainerr.Text(v, "title", next.Title, true, domainerr.MaxTitle)
	}
	if pt.Description != nil {
		next.Description = *pt.Description
		domainerr.Text(v, "description", next.Description, false, domainerr.MaxText)
	}
	if pt.Priority != nil {
		next.Priority = *pt.Priority
		if next.Priority < 1 || next.Priority > 5 {
			v.Add("priority", "must be P1 to P5")
		}
	}
	if pt.GroupID.Set {
		next.GroupID = pt.GroupID.Ptr()
		if err := s.checkGroup(ctx, "group_id", next.GroupID, v); err != nil {
			return next, err
		}
	}
	if pt.AssigneeID.Set {
		next.AssigneeID = pt.AssigneeID.Ptr()
		if err := auth.CheckWorker(ctx, tx, v, "assignee_id", next.AssigneeID); err != nil {
			return next, err
		}
	}
	if pt.State != nil && *pt.State != cur.State {
		next.State = *pt.State
		if err := s.checkMove(ctx, tx, cur, next.State, v); err != nil {
			return next, err
		}
	}
	return next, v.Err()
}

// checkMove validates a state change asked for by hand.
func (s *Service) checkMove(ctx context.Context, tx *store.Tx, cur Request, to State, v *domainerr.Invalid) error {
	switch {
	case !to.Valid():
		v.Add("state", "must be one of %s", joinStates(States))
	case to == Submitted || to == AwaitingApproval || to == Rejected || (cur.State == AwaitingApproval && to == InFulfilment):
		v.Add("state", "cannot be set by hand: the approvals decide whether %s moves to %s", cur.Number, to)
	case !CanMove(cur.State, to):
		v.Add("state", "cannot move from %s to %s (allowed: %s)", cur.State, to, allowedList(cur.State))
	case to == Fulfilled:
		n, err := unfinishedTasks(ctx, tx, cur.ID)
		if err != nil {
			return err
		}
		if n > 0 {
			v.Add("state", "%d tasks are not finished yet: complete or cancel them first", n)
		}
	}
	return nil
}

func joinStates(ss []State) string {
	parts := make([]string, len(ss))
	for i, x := range ss {
		parts[i] = string(x)
	}
	return strings.Join(parts, ", ")
}

func allowedList(s State) string {
	n := NextStates(s)
	if len(n) == 0 {
		return "none, it is final"
	}
	return joinStates(n)
}

// stamp sets the timestamps and counters a transition implies.
func stamp(cur, next *Request, now time.Time) {
	next.UpdatedAt = now
	switch {
	case next.State == Fulfilled && cur.State != Fulfilled:
		next.FulfilledAt = &now
		if next.FirstResponseAt == nil {
			next.FirstResponseAt = &now
		}
	case cur.State == Fulfilled && next.State == InFulfilment:
		next.ReopenCount++
		next.FulfilledAt = nil
	}
	if next.State.Final() && !cur.State.Final() {
		next.ClosedAt = &now
	}
}

// commit writes next over cur with everything a change brings: the journal
// entry (by p, nil for the system, with body as its note), the audit
// record, what a final state closes out, notifications, the auto-close job
// and the observer. It does nothing when nothing changed.
func (s *Service) commit(ctx context.Context, tx *store.Tx, p *auth.Principal, cur Request, next *Request, body string, now time.Time) error {
	stamp(&cur, next, now)
	changes := diff(cur, *next)
	responded := cur.FirstResponseAt == nil && next.FirstResponseAt != nil
	if len(changes) == 0 && body == "" && !responded {
		return nil
	}
	if err := write(ctx, tx, cur, *next); err != nil {
		return err
	}
	next.Version = cur.Version + 1
	if len(changes) > 0 || body != "" {
		if err := appendJournal(ctx, tx, cur.ID, p, "change", body, changes, now); err != nil {
			return err
		}
	}
	if err := audit.Record(ctx, tx, actorOf(p), "update", "request", cur.ID, map[string]any{"changes": changes, "note": body}); err != nil {
		return err
	}
	if next.State != cur.State {
		if err := s.afterMove(ctx, tx, p, cur, *next, now); err != nil {
			return err
		}
	}
	return s.observe(ctx, tx, now, &cur, *next)
}

// afterMove does what entering a state brings with it.
func (s *Service) afterMove(ctx context.Context, tx *store.Tx, p *auth.Principal, cur, next Request, now time.Time) error {
	switch next.State {
	case Cancelled, Rejected:
		// Decisions and work nobody needs any more.
		if err := approvals.Withdraw(ctx, tx, cur.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE request_tasks SET state = 'cancelled', updated_at = ?, finished_at = ?, version = version + 1
			WHERE request_id = ? AND state IN ('pending', 'open')`, store.TS(now), store.TS(now), cur.ID); err != nil {
			return err
		}
	case Fulfilled:
		if err := notify.AddWith(ctx, tx, []int64{next.RequesterID}, "request_fulfilled", "Fulfilled: "+next.Number+" "+next.Title,
			"Your request has been fulfilled. If something is missing, reopen it from the request page.", link(next),
			map[string]string{"number": next.Number, "title": next.Title}); err != nil {
			return err
		}
		if s.AutoCloseAfter > 0 {
			return jobs.Enqueue(ctx, tx, AutoCloseJob, "request:"+strconv.FormatInt(next.ID, 10),
				now.Add(s.AutoCloseAfter), map[string]int64{"request_id": next.ID})
		}
	case InFulfilment:
		if cur.State == Fulfilled {
			return notify.Add(ctx, tx, s.workers(ctx, tx, next, p), "request_reopened", "Reopened: "+next.Number+" "+next.Title,
				"The request came back after fulfilment.", link(next))
		}
	}
	return nil
}

// workers are who should hear about a request's work: its assignee, else
// the members of its group; never the one who caused the news.
func (s *Service) workers(ctx context.Context, q store.Querier, r Request, except *auth.Principal) []int64 {
	var out []int64
	if r.AssigneeID != nil {
		out = []int64{*r.AssigneeID}
	} else if r.GroupID != nil {
		out, _ = auth.GroupMemberIDs(ctx, q, *r.GroupID)
	}
	if except == nil {
		return out
	}
	kept := out[:0]
	for _, id := range out {
		if id != except.UserID {
			kept = append(kept, id)
		}
	}
	return kept
}

// Cancel withdraws a request that is not fulfilled yet. Requesters cancel
// their own requests; the service desk any. reason goes into the journal.
func (s *Service) Cancel(ctx context.Context, p *auth.Principal, id int64, reason string, ifVersion int) (Request, error) {
	return s.requesterMove(ctx, p, id, Cancelled, reason, ifVersion)
}

// Reopen sends a fulfilled request back into fulfilment, until it is
// closed. Requesters reopen their own requests; the service desk any.
func (s *Service) Reopen(ctx context.Context, p *auth.Principal, id int64, reason string, ifVersion int) (Request, error) {
	return s.requesterMove(ctx, p, id, InFulfilment, reason, ifVersion)
}

func (s *Service) requesterMove(ctx context.Context, p *auth.Principal, id int64, to State, reason string, ifVersion int) (Request, error) {
	if !p.Can(PermCreate) && !p.Can(PermUpdate) {
		return Request{}, domainerr.ErrForbidden
	}
	reason = strings.TrimSpace(reason)
	v := domainerr.NewInvalid()
	domainerr.Text(v, "reason", reason, false, domainerr.MaxText)
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := getLocked(ctx, tx, id)
		if err != nil {
			return err
		}
		if ok, err := visible(ctx, tx, p, cur); err != nil || !ok {
			return cmpErr(err, store.ErrNotFound)
		}
		if p.IsStaff() && !p.Can(PermUpdate) || !p.IsStaff() && cur.RequesterID != p.UserID {
			return domainerr.ErrForbidden
		}
		if ifVersion != 0 && cur.Version != ifVersion {
			return domainerr.ErrStale
		}
		switch {
		case cur.State.Final():
			return finalConflict(cur)
		case to == Cancelled && cur.State == Fulfilled:
			return domainerr.Conflictf("%s is fulfilled and can no longer be cancelled; reopen it if something is missing", cur.Number)
		case to == InFulfilment && cur.State != Fulfilled:
			return domainerr.Conflictf("only a fulfilled request can be reopened; %s is %s", cur.Number, cur.State)
		}
		if err := v.Err(); err != nil {
			return err
		}
		next := cur
		next.State = to
		return s.commit(ctx, tx, p, cur, &next, reason, time.Now().UTC().Truncate(time.Microsecond))
	})
	if err != nil {
		return Request{}, err
	}
	return get(ctx, s.DB, id)
}

// AddComment appends a public comment or, for staff, a work note. hook,
// when not nil, runs inside the transaction with the new entry.
func (s *Service) AddComment(ctx context.Context, p *auth.Principal, id int64, body string, public bool, hook func(ctx context.Context, tx *store.Tx, e Entry) error) (Entry, error) {
	perm, kind := PermComment, "comment"
	if !public {
		perm, kind = PermWorkNote, "work_note"
	}
	if !p.Can(perm) {
		return Entry{}, domainerr.ErrForbidden
	}
	v := domainerr.NewInvalid()
	domainerr.Text(v, "body", body, true, domainerr.MaxText)
	if err := v.Err(); err != nil {
		return Entry{}, err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	var e Entry
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := getLocked(ctx, tx, id)
		if err != nil {
			return err
		}
		if ok, err := visible(ctx, tx, p, cur); err != nil || !ok {
			return cmpErr(err, store.ErrNotFound)
		}
		if cur.State.Final() {
			return domainerr.Conflictf("%s is %s; submit a new request instead", cur.Number, cur.State)
		}
		aid, name := record.AuthorOf(p)
		e = Entry{RequestID: id, Kind: kind, AuthorID: aid, AuthorName: name, Body: body, CreatedAt: now}
		if e.ID, err = journal.Insert(ctx, tx, e.line()); err != nil {
			return err
		}
		// A comment is not a change of the record: the version (and so the ETag) stays.
		responds := public && p.IsStaff() && cur.FirstResponseAt == nil
		if _, err := tx.Exec(ctx, `UPDATE requests SET updated_at = ?,
			first_response_at = CASE WHEN ? THEN ? ELSE first_response_at END WHERE id = ?`,
			store.TS(now), responds, store.TS(now), id); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, p.Actor(), "create", "request_"+kind, e.ID, map[string]any{"request_id": id, "body": body}); err != nil {
			return err
		}
		if err := s.tellAboutComment(ctx, tx, p, cur, public); err != nil {
			return err
		}
		if err := activity.Commented(ctx, tx, now, "request", id, cur.Number, name, aid, e.ID, public, body); err != nil {
			return err
		}
		if p.IsStaff() {
			if err := activity.Mention(ctx, tx, p.UserID, name, body, cur.Number, cur.Title, link(cur)+"#journal"); err != nil {
				return err
			}
		}
		if responds {
			after := cur
			after.FirstResponseAt, after.UpdatedAt = &now, now
			if err := s.observe(ctx, tx, now, &cur, after); err != nil {
				return err
			}
		}
		if hook != nil {
			return hook(ctx, tx, e)
		}
		return nil
	})
	return e, err
}

// tellAboutComment lets the other side of a public conversation know.
func (s *Service) tellAboutComment(ctx context.Context, tx *store.Tx, p *auth.Principal, r Request, public bool) error {
	if !public {
		return nil
	}
	to := s.workers(ctx, tx, r, p)
	if p.UserID != r.RequesterID && p.IsStaff() {
		to = []int64{r.RequesterID}
	}
	return notify.AddWith(ctx, tx, to, "request_comment", "New comment on "+r.Number+" "+r.Title, "From "+p.Name+".", link(r)+"#journal",
		map[string]string{"number": r.Number, "title": r.Title, "who": p.Name})
}

// AutoClose is the job handler that closes a request still fulfilled
// AutoCloseAfter after its fulfilment.
func (s *Service) AutoClose(ctx context.Context, j jobs.Job) error {
	var payload struct {
		RequestID int64 `json:"request_id"`
	}
	if err := json.Unmarshal(j.Payload, &payload); err != nil {
		return fmt.Errorf("autoclose payload: %w", err)
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		r, err := getLocked(ctx, tx, payload.RequestID)
		if err != nil || r.State != Fulfilled || r.FulfilledAt == nil || s.AutoCloseAfter <= 0 {
			return nil // gone, reopened or closed by hand: nothing to do
		}
		due := r.FulfilledAt.Add(s.AutoCloseAfter)
		now := time.Now().UTC().Truncate(time.Microsecond)
		if now.Before(due) {
			return &jobs.Reschedule{At: due}
		}
		next := r
		next.State = Closed
		return s.commit(ctx, tx, nil, r, &next, "Closed automatically after fulfilment", now)
	})
}
