package incident

import (
	"context"
	"strings"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/notify"
	"steward/internal/store"
)

// The requester's answers to the desk: confirm a resolution, reopen it,
// or withdraw an incident no longer needed. Requesters make them on the
// incidents they may see (their own, or their organisation's); the
// service desk on any. They are moves of Machine like every other.

// Confirm closes a resolved incident: the requester agrees it is fixed.
func (s *Service) Confirm(ctx context.Context, p *auth.Principal, id int64, ifVersion int) (Incident, error) {
	return s.respond(ctx, p, id, "close", "", ifVersion)
}

// Reopen sends a resolved incident back to work. Requesters say what is
// still wrong; for the service desk the reason is optional.
func (s *Service) Reopen(ctx context.Context, p *auth.Principal, id int64, reason string, ifVersion int) (Incident, error) {
	return s.respond(ctx, p, id, "reopen", reason, ifVersion)
}

// Withdraw closes an open incident that is no longer needed, with the
// resolution code withdrawn and reason, when given, as its notes.
func (s *Service) Withdraw(ctx context.Context, p *auth.Principal, id int64, reason string, ifVersion int) (Incident, error) {
	return s.respond(ctx, p, id, "withdraw", reason, ifVersion)
}

// respond makes the move of Machine named action from where the incident is.
func (s *Service) respond(ctx context.Context, p *auth.Principal, id int64, action, reason string, ifVersion int) (Incident, error) {
	if !p.Can(PermCreate) && !p.Can(PermUpdate) {
		return Incident{}, domainerr.ErrForbidden
	}
	reason = strings.TrimSpace(reason)
	v := domainerr.NewInvalid()
	domainerr.Text(v, "reason", reason, false, domainerr.MaxText)
	matrix, err := s.Matrix(ctx)
	if err != nil {
		return Incident{}, err
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := get(ctx, tx, id)
		if err != nil {
			return err
		}
		if !Visible(p, cur) {
			return store.ErrNotFound
		}
		if ifVersion != 0 && cur.Version != ifVersion {
			return domainerr.ErrStale
		}
		to, err := respondable(cur, action)
		if err != nil {
			return err
		}
		pt := Patch{State: &to}
		switch {
		case action == "reopen" && reason == "" && !p.Can(PermUpdate):
			v.Add("reason", "is required: say what is still wrong, so the service desk can pick it up")
		case action == "withdraw":
			pt.ResolutionNotes = &reason
		}
		if err := v.Err(); err != nil {
			return err
		}
		next, err := s.apply(ctx, tx, p, cur, pt, matrix)
		if err != nil {
			return err
		}
		note := reason
		if action == "close" && note == "" {
			note = "Confirmed the resolution"
		}
		return s.commit(ctx, tx, p, cur, next, note)
	})
	if err != nil {
		return Incident{}, err
	}
	return get(ctx, s.DB, id)
}

// respondable finds where action leads from the incident's state, or
// refuses it saying what would fit.
func respondable(cur Incident, action string) (State, error) {
	for _, mv := range Machine.Moves {
		if mv.From == string(cur.State) && mv.Action == action && mv.By == "" {
			return State(mv.To), nil
		}
	}
	switch {
	case cur.State == Closed:
		return "", domainerr.Conflictf("%s is closed and can no longer be changed; raise a new incident if the problem is back", cur.Number)
	case action == "withdraw":
		return "", domainerr.Conflictf("%s is already resolved: confirm the resolution or reopen the incident instead", cur.Number)
	case action == "reopen":
		return "", domainerr.Conflictf("only a resolved incident can be reopened; %s is %s", cur.Number, label(cur.State))
	}
	return "", domainerr.Conflictf("only a resolved incident can be confirmed; %s is %s", cur.Number, label(cur.State))
}

func label(s State) string { return strings.ReplaceAll(string(s), "_", " ") }

func link(inc Incident) string { return "/incidents/" + inc.Number }

// tellAboutChange lets the other side know of a change that asks
// something of them: the requester hears of a resolution to confirm and
// of a hold that waits for them; the assignee of a reopen or a
// withdrawal. Nobody is told of their own change.
func tellAboutChange(ctx context.Context, tx *store.Tx, p *auth.Principal, cur, next Incident, reason string) error {
	about := next.Number + " " + next.Title
	requester := others(p, next.RequesterID)
	params := map[string]string{"number": next.Number, "title": next.Title}
	switch {
	case next.State == Resolved && cur.State != Resolved:
		return notify.AddWith(ctx, tx, requester, KindResolved, "Resolved: "+about,
			"Confirm the resolution if all works again, or reopen the incident and say what is still wrong.", link(next), params)
	case next.State == OnHold && next.HoldReason == AwaitingRequester && (cur.State != OnHold || cur.HoldReason != AwaitingRequester):
		return notify.AddWith(ctx, tx, requester, "incident_awaiting_you", "Waiting for you: "+about,
			"The service desk needs something from you to go on. Answer with a comment on the incident.", link(next)+"#journal", params)
	case next.State == InProgress && cur.State == Resolved:
		return notify.Add(ctx, tx, others(p, next.AssigneeID), "incident_reopened", "Reopened: "+about,
			because("Reopened by "+who(p), reason), link(next)+"#journal")
	case next.State == Closed && cur.State.Open():
		return notify.Add(ctx, tx, others(p, next.AssigneeID), "incident_withdrawn", "Withdrawn: "+about,
			because("Withdrawn by "+who(p), reason), link(next))
	}
	return nil
}

// KindResolved is the kind of the notification that asks a requester to
// confirm a resolution; the notifications page offers the answers on it.
const KindResolved = "incident_resolved"

// tellAboutComment lets the other side of a public conversation know: the
// requester of a comment by anyone else, the assignee of one by the
// requester's side.
func tellAboutComment(ctx context.Context, tx *store.Tx, p *auth.Principal, inc Incident) error {
	to := others(p, inc.RequesterID)
	if !p.IsStaff() {
		to = append(to, others(p, inc.AssigneeID)...)
	}
	return notify.AddWith(ctx, tx, to, "incident_comment", "New comment on "+inc.Number+" "+inc.Title,
		"From "+who(p)+".", link(inc)+"#journal", map[string]string{"number": inc.Number, "title": inc.Title, "who": who(p)})
}

// others is id as a list of addressees, empty when it is nobody or p.
func others(p *auth.Principal, id *int64) []int64 {
	if id == nil || (p != nil && *id == p.UserID) {
		return nil
	}
	return []int64{*id}
}

func who(p *auth.Principal) string {
	if p == nil {
		return "the system"
	}
	return p.Name
}

func because(what, reason string) string {
	if reason == "" {
		return what + "."
	}
	return what + ": " + reason
}
