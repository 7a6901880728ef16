package change

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/record"
	"steward/internal/store"
)

// Update applies pt for p. With ifVersion other than 0 it is refused with
// ErrStale when the change moved on meanwhile. A refused update changes
// nothing.
func (s *Service) Update(ctx context.Context, p *auth.Principal, id int64, pt Patch, ifVersion int) (Change, error) {
	if !p.Can(PermUpdate) {
		return Change{}, domainerr.ErrForbidden
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error { return s.update(ctx, tx, p, id, pt, ifVersion) })
	if err != nil {
		return Change{}, err
	}
	return get(ctx, s.DB, id)
}

func (s *Service) update(ctx context.Context, tx *store.Tx, p *auth.Principal, id int64, pt Patch, ifVersion int) error {
	cur, err := get(ctx, tx, id)
	if err != nil {
		return err
	}
	if ifVersion != 0 && cur.Version != ifVersion {
		return domainerr.ErrStale
	}
	if Machine.Final(cur.State) {
		return conflictf("%s is %s and can no longer be changed", cur.Number, cur.State)
	}
	if pt.State != nil && *pt.State == Implementing && cur.State != Implementing && !cur.Approved() {
		return conflictf("%s has not been approved and cannot be implemented", cur.Number)
	}
	at := now()
	next, err := s.apply(ctx, tx, cur, pt, at)
	if err != nil {
		return err
	}
	if err := s.enter(ctx, tx, p, cur, &next, at); err != nil {
		return err
	}
	ack, err := s.checkSchedule(ctx, tx, cur, next, pt)
	if err != nil {
		return err
	}
	changes := diff(cur, next)
	if len(changes) == 0 {
		return nil
	}
	if err := write(ctx, tx, cur, next, at); err != nil {
		return err
	}
	if _, err := journal.Append(ctx, tx, id, p, "change", "", changes, at); err != nil {
		return err
	}
	if ack != "" {
		if _, err := journal.Append(ctx, tx, id, p, "conflicts", ack, nil, at); err != nil {
			return err
		}
	}
	return audit.Record(ctx, tx, p.Actor(), "update", KindName, id, changes)
}

// locked are the fields a board decided on: once a change has gone to its
// board (or was scheduled from its template) they no longer change.
var locked = []string{"type", "ci_ids", "service_ids", "risk_answers", "implementation_plan", "test_plan", "backout_plan"}

// apply computes the patched change and validates its fields and move.
func (s *Service) apply(ctx context.Context, q store.Querier, cur Change, pt Patch, at time.Time) (Change, error) {
	next := cur
	next.RiskAnswers = map[string]string{}
	for k, a := range cur.RiskAnswers {
		next.RiskAnswers[k] = a
	}
	v := domainerr.NewInvalid()
	text := func(field string, dst *string, src *string, required bool, max int) {
		if src != nil {
			*dst = *src
			if field == "title" {
				*dst = strings.TrimSpace(*src)
			}
			domainerr.Text(v, field, *dst, required, max)
		}
	}
	text("title", &next.Title, pt.Title, true, domainerr.MaxTitle)
	text("description", &next.Description, pt.Description, false, domainerr.MaxText)
	text("justification", &next.Justification, pt.Justification, false, domainerr.MaxText)
	text("implementation_plan", &next.ImplementationPlan, pt.ImplementationPlan, false, domainerr.MaxText)
	text("test_plan", &next.TestPlan, pt.TestPlan, false, domainerr.MaxText)
	text("backout_plan", &next.BackoutPlan, pt.BackoutPlan, false, domainerr.MaxText)
	text("review", &next.Review, pt.Review, false, domainerr.MaxText)
	if pt.Type != nil && *pt.Type != cur.Type {
		next.Type = *pt.Type
		switch {
		case !slices.Contains(Types, next.Type):
			v.Add("type", "must be standard, normal or emergency")
		case next.Type == Standard || cur.Type == Standard:
			v.Add("type", "a standard change comes from a template and stays one; raise a new change instead")
		case cur.State != Draft:
			v.Add("type", "can change only while the change is a draft")
		}
	}
	if pt.CIIDs != nil {
		next.CIIDs = uniq(*pt.CIIDs)
	}
	if pt.ServiceIDs != nil {
		next.ServiceIDs = uniq(*pt.ServiceIDs)
	}
	if pt.AssigneeID.Set {
		next.AssigneeID = pt.AssigneeID.Ptr()
	}
	if pt.GroupID.Set {
		next.GroupID = pt.GroupID.Ptr()
	}
	if pt.RiskAnswers != nil {
		if cur.Type == Standard {
			v.Add("risk_answers", "a standard change takes its risk from its template")
		}
		checkAnswers(pt.RiskAnswers, v)
		for k, a := range pt.RiskAnswers {
			next.RiskAnswers[k] = a
		}
	}
	if pt.PlannedStart.Set {
		next.PlannedStart = pt.PlannedStart.Ptr()
	}
	if pt.PlannedEnd.Set {
		next.PlannedEnd = pt.PlannedEnd.Ptr()
	}
	checkWindow(next.PlannedStart, next.PlannedEnd, "planned_end", v)
	if pt.ActualStart != nil {
		next.ActualStart = pt.ActualStart
	}
	if pt.ActualEnd != nil {
		next.ActualEnd = pt.ActualEnd
	}
	if pt.Outcome != nil {
		next.Outcome = *pt.Outcome
		if !slices.Contains(Outcomes, next.Outcome) {
			v.Add("outcome", "must be successful, successful_with_issues, failed or backed_out")
		}
	}
	if pt.State != nil {
		next.State = *pt.State
	}
	if err := s.checkRefs(ctx, q, changedRefs(cur, next), v); err != nil {
		return next, err
	}
	if err := v.Err(); err != nil {
		return next, err
	}
	if !sameIDs(cur.CIIDs, next.CIIDs) || !maps(cur.RiskAnswers, next.RiskAnswers) {
		if err := s.assess(ctx, &next, at); err != nil {
			return next, err
		}
	}
	if err := checkLocked(cur, next); err != nil {
		return next, err
	}
	return next, transition(cur, &next, at)
}

// changedRefs is next with only the references that changed, to check.
func changedRefs(cur, next Change) Change {
	out := Change{}
	if !sameIDs(cur.CIIDs, next.CIIDs) {
		out.CIIDs = next.CIIDs
	}
	if !sameIDs(cur.ServiceIDs, next.ServiceIDs) {
		out.ServiceIDs = next.ServiceIDs
	}
	if idText(cur.AssigneeID) != idText(next.AssigneeID) {
		out.AssigneeID = next.AssigneeID
	}
	if idText(cur.GroupID) != idText(next.GroupID) {
		out.GroupID = next.GroupID
	}
	return out
}

func maps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// checkLocked refuses to change what the board decided on.
func checkLocked(cur, next Change) error {
	if !slices.Contains([]string{Approval, Scheduled, Implementing, Review}, cur.State) {
		return nil
	}
	for _, f := range diff(cur, next) {
		if slices.Contains(locked, f.Field) {
			return conflictf("%s went to approval with its %s as they stood: they no longer change (cancel it and raise a new change)",
				cur.Number, fieldLabel(f.Field))
		}
	}
	return nil
}

func fieldLabel(f string) string { return strings.ReplaceAll(f, "_", " ") }

// has reports whether c has what a move requires of field.
func has(c Change, field string) bool {
	switch field {
	case "description":
		return strings.TrimSpace(c.Description) != ""
	case "justification":
		return strings.TrimSpace(c.Justification) != ""
	case "ci_ids":
		return len(c.CIIDs)+len(c.ServiceIDs) > 0
	case "planned_start":
		return c.PlannedStart != nil
	case "planned_end":
		return c.PlannedEnd != nil
	case "risk_answers":
		return c.Risk != ""
	case "implementation_plan":
		return strings.TrimSpace(c.ImplementationPlan) != ""
	case "test_plan":
		return strings.TrimSpace(c.TestPlan) != ""
	case "backout_plan":
		return strings.TrimSpace(c.BackoutPlan) != ""
	case "outcome":
		return c.Outcome != ""
	}
	panic("change: the machine requires an unknown field " + field)
}

var requiredText = map[string]string{
	"description":         "is required to move on: what the change does",
	"justification":       "is required to move on: why it is needed",
	"ci_ids":              "name at least one affected CI or service to move on",
	"planned_start":       "is required to move on: when the window starts",
	"planned_end":         "is required to move on: when the window ends",
	"risk_answers":        "answer every question of the risk questionnaire to move on",
	"implementation_plan": "is required to move on",
	"test_plan":           "is required to move on",
	"backout_plan":        "is required to move on: how the change is undone",
	"outcome":             "is required to finish implementing: how it went",
}

// transition checks a move: it is in the table and made by people, its
// guard lets it through, and next has what it requires. It stamps the
// times the move implies.
func transition(cur Change, next *Change, at time.Time) error {
	if next.State == cur.State {
		if next.ActualStart != nil && next.ActualEnd != nil && !next.ActualEnd.After(*next.ActualStart) {
			return domainerr.Field("actual_end", "must be after the actual start")
		}
		return nil
	}
	if !slices.Contains(Machine.States, next.State) {
		return domainerr.Field("state", "must be one of %s", strings.Join(Machine.States, ", "))
	}
	mv, ok := Machine.Move(cur.State, next.State)
	if !ok || mv.By != "" {
		return domainerr.Field("state", "cannot move from %s to %s (allowed: %s)", cur.State, next.State, Machine.Allowed(cur.State))
	}
	if err := Guard(*next, mv); err != nil {
		return err
	}
	v := domainerr.NewInvalid()
	for _, f := range mv.Requires {
		if !has(*next, f) {
			v.Add(f, "%s", requiredText[f])
		}
	}
	switch next.State {
	case Implementing:
		if next.ActualStart == nil {
			next.ActualStart = &at
		}
	case Review:
		if next.ActualEnd == nil {
			next.ActualEnd = &at
		}
	case Closed:
		if next.ReviewRequired() && strings.TrimSpace(next.Review) == "" {
			v.Add("review", "a post-implementation review is required before closing a failed, backed-out or emergency change")
		}
	case Draft:
		next.Risk = RiskLevel(next.RiskAnswers, next.Impact)
	}
	if next.ActualStart != nil && next.ActualEnd != nil && !next.ActualEnd.After(*next.ActualStart) {
		v.Add("actual_end", "must be after the actual start")
	}
	if Machine.Final(next.State) {
		next.ClosedAt = &at
	}
	return v.Err()
}

// checkSchedule asks for an acknowledgement when a change is scheduled, or
// a scheduled change is moved, into a window with conflicts. It returns
// the journal text of the acknowledgement, "" when none was needed.
func (s *Service) checkSchedule(ctx context.Context, q store.Querier, cur, next Change, pt Patch) (string, error) {
	if next.State != Scheduled {
		return "", nil
	}
	moved := cur.State != Scheduled || !sameTime(cur.PlannedStart, next.PlannedStart) || !sameTime(cur.PlannedEnd, next.PlannedEnd) ||
		idText(cur.AssigneeID) != idText(next.AssigneeID)
	if !moved {
		return "", nil
	}
	if next.PlannedStart == nil || next.PlannedEnd == nil {
		return "", domainerr.Field("planned_start", "a scheduled change needs its window")
	}
	cs, err := s.conflicts(ctx, q, next)
	if err != nil || len(cs) == 0 {
		return "", err
	}
	ack := ""
	if pt.AcknowledgeConflicts != nil {
		ack = strings.TrimSpace(*pt.AcknowledgeConflicts)
	}
	if ack == "" {
		return "", &ConflictsError{Number: cur.Number, Items: cs}
	}
	if len(ack) > domainerr.MaxText {
		return "", domainerr.Field("acknowledge_conflicts", "must be at most %d characters", domainerr.MaxText)
	}
	return conflictText("Scheduled despite its conflicts, acknowledged: "+ack+"\nThe conflicts", cs), nil
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func idText(id *int64) string {
	if id == nil {
		return ""
	}
	return fmt.Sprint(*id)
}

func timeText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return store.TS(*t)
}

// diff lists what changed from a to b, for the journal.
func diff(a, b Change) []Field {
	var out []Field
	add := func(field, old, new string) {
		if old != new {
			out = append(out, Field{Field: field, Old: old, New: new})
		}
	}
	add("title", a.Title, b.Title)
	add("type", a.Type, b.Type)
	add("state", a.State, b.State)
	add("description", a.Description, b.Description)
	add("justification", a.Justification, b.Justification)
	add("ci_ids", fmt.Sprint(a.CIIDs), fmt.Sprint(b.CIIDs))
	add("service_ids", fmt.Sprint(a.ServiceIDs), fmt.Sprint(b.ServiceIDs))
	add("assignee_id", idText(a.AssigneeID), idText(b.AssigneeID))
	add("group_id", idText(a.GroupID), idText(b.GroupID))
	add("risk_answers", AnswersText(a.RiskAnswers), AnswersText(b.RiskAnswers))
	add("risk", a.Risk, b.Risk)
	add("implementation_plan", a.ImplementationPlan, b.ImplementationPlan)
	add("test_plan", a.TestPlan, b.TestPlan)
	add("backout_plan", a.BackoutPlan, b.BackoutPlan)
	add("planned_start", timeText(a.PlannedStart), timeText(b.PlannedStart))
	add("planned_end", timeText(a.PlannedEnd), timeText(b.PlannedEnd))
	add("actual_start", timeText(a.ActualStart), timeText(b.ActualStart))
	add("actual_end", timeText(a.ActualEnd), timeText(b.ActualEnd))
	add("outcome", a.Outcome, b.Outcome)
	add("review", a.Review, b.Review)
	add("approval_board", a.ApprovalBoard, b.ApprovalBoard)
	add("approved_at", timeText(a.ApprovedAt), timeText(b.ApprovedAt))
	return out
}

var _ = record.Move{}
