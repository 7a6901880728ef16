package continuity

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/improvement"
	"steward/internal/sms"
	"steward/internal/store"
)

// Test is one test or exercise of a plan and what it showed: how long
// recovery took (RTO achieved) and how much data was lost (RPO achieved),
// each judged against the requirement of every service the plan covers.
// A tabletop exercise may measure neither.
type Test struct {
	ID                 int64     `json:"id"`
	PlanID             int64     `json:"plan_id"`
	PlanTitle          string    `json:"plan_title"`
	Kind               string    `json:"kind"`
	HeldOn             string    `json:"held_on"`
	Scenario           string    `json:"scenario"`
	RTOAchievedMinutes *int      `json:"rto_achieved_minutes"`
	RTOAchieved        string    `json:"rto_achieved"`
	RPOAchievedMinutes *int      `json:"rpo_achieved_minutes"`
	RPOAchieved        string    `json:"rpo_achieved"`
	Issues             string    `json:"issues"`
	Notes              string    `json:"notes"`
	Outcomes           []Outcome `json:"outcomes"`
	Verdict            string    `json:"verdict"`
	Actions            []Action  `json:"actions"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at"`
	Version            int       `json:"version"`
}

// Outcome is a test's result for one service: each figure met, missed,
// not measured, or without a requirement to judge it by.
type Outcome struct {
	ServiceID   int64  `json:"service_id"`
	ServiceName string `json:"service_name"`
	RTO         string `json:"rto"`
	RPO         string `json:"rpo"`
	RTOVerdict  string `json:"rto_verdict"`
	RPOVerdict  string `json:"rpo_verdict"`
}

// TestBrief is a test as a plan's page lists it.
type TestBrief struct {
	ID          int64  `json:"id"`
	Kind        string `json:"kind"`
	HeldOn      string `json:"held_on"`
	RTOAchieved string `json:"rto_achieved"`
	RPOAchieved string `json:"rpo_achieved"`
	Verdict     string `json:"verdict"`
}

// Action is something a test found to do, with its owner and due date;
// it may be raised as an improvement, whose number it then keeps.
type Action struct {
	ID            int64      `json:"id"`
	TestID        int64      `json:"test_id"`
	Title         string     `json:"title"`
	OwnerID       *int64     `json:"owner_id"`
	OwnerName     string     `json:"owner_name"`
	DueOn         *string    `json:"due_on"`
	DoneAt        *time.Time `json:"done_at"`
	ImprovementID *int64     `json:"improvement_id"`
	Overdue       bool       `json:"overdue"`
	CreatedAt     time.Time  `json:"created_at"`
}

// TestInput records a test or changes one: on create, plan_id, kind and
// held_on are required. The achieved figures are durations as people
// write them ("3h 20m"); empty means not measured.
type TestInput struct {
	PlanID      *int64  `json:"plan_id"`
	Kind        *string `json:"kind"`
	HeldOn      *string `json:"held_on"`
	Scenario    *string `json:"scenario"`
	RTOAchieved *string `json:"rto_achieved"`
	RPOAchieved *string `json:"rpo_achieved"`
	Issues      *string `json:"issues"`
	Notes       *string `json:"notes"`
}

// NewAction is an action found by a test.
type NewAction struct {
	Title   string `json:"title"`
	OwnerID *int64 `json:"owner_id"`
	DueOn   string `json:"due_on"`
}

// TestFilter narrows the list of tests.
type TestFilter struct {
	PlanID    int64
	ServiceID int64
	Limit     int
}

// Judge is a figure achieved against the one required: met when within
// it, missed when beyond; not measured or without requirement otherwise.
func Judge(achieved, required *int) string {
	switch {
	case required == nil:
		return NoRequirement
	case achieved == nil:
		return NotMeasured
	case *achieved <= *required:
		return Met
	}
	return Missed
}

// overall is a test's verdict from its outcomes: missed when any figure
// was missed, met when any was met, otherwise not measured (or without
// requirement when no service has one).
func overall(outs []Outcome) string {
	var all []string
	for _, o := range outs {
		all = append(all, o.RTOVerdict, o.RPOVerdict)
	}
	switch {
	case slices.Contains(all, Missed):
		return Missed
	case slices.Contains(all, Met):
		return Met
	case slices.Contains(all, NotMeasured):
		return NotMeasured
	}
	return NoRequirement
}

// outcomes judges a test's figures against each service's requirement.
func outcomes(rto, rpo *int, services []PlanService) []Outcome {
	out := []Outcome{}
	for _, s := range services {
		o := Outcome{ServiceID: s.ID, ServiceName: s.Name}
		var reqRTO, reqRPO *int
		if r := s.Requirement; r != nil {
			reqRTO, reqRPO, o.RTO, o.RPO = &r.RTOMinutes, &r.RPOMinutes, r.RTO, r.RPO
		}
		o.RTOVerdict, o.RPOVerdict = Judge(rto, reqRTO), Judge(rpo, reqRPO)
		out = append(out, o)
	}
	return out
}

const testCols = `SELECT t.id, t.plan_id, p.title, t.kind, t.held_on, t.scenario, t.rto_achieved_minutes, t.rpo_achieved_minutes,
	t.issues, t.notes, t.created_at, t.updated_at, t.version FROM continuity_tests t JOIN continuity_plans p ON p.id = t.plan_id`

func scanTest(row interface{ Scan(...any) error }) (Test, error) {
	var t Test
	var created, updated store.Time
	if err := row.Scan(&t.ID, &t.PlanID, &t.PlanTitle, &t.Kind, &t.HeldOn, &t.Scenario, &t.RTOAchievedMinutes, &t.RPOAchievedMinutes,
		&t.Issues, &t.Notes, &created, &updated, &t.Version); err != nil {
		return t, store.ScanErr(err)
	}
	t.CreatedAt, t.UpdatedAt = created.Time, updated.Time
	t.RTOAchieved, t.RPOAchieved = optFormat(t.RTOAchievedMinutes), optFormat(t.RPOAchievedMinutes)
	t.Actions, t.Outcomes = []Action{}, []Outcome{}
	return t, nil
}

func optFormat(m *int) string {
	if m == nil {
		return ""
	}
	return FormatMinutes(*m)
}

func (s *Service) getTest(ctx context.Context, q store.Querier, id int64) (Test, error) {
	t, err := scanTest(q.QueryRow(ctx, testCols+" WHERE t.id = ?", id))
	if err != nil {
		return t, err
	}
	held, err := heldRequirements(ctx, q, " WHERE tr.test_id = ?", id)
	if err != nil {
		return t, err
	}
	t.Outcomes = outcomes(t.RTOAchievedMinutes, t.RPOAchievedMinutes, held[id])
	t.Verdict = overall(t.Outcomes)
	rows, err := q.Query(ctx, `SELECT a.id, a.test_id, a.title, a.owner_id, COALESCE(u.name, ''), a.due_on, a.done_at, a.improvement_id, a.created_at
		FROM continuity_test_actions a LEFT JOIN users u ON u.id = a.owner_id WHERE a.test_id = ? ORDER BY a.id LIMIT 500`, id)
	if err != nil {
		return t, err
	}
	defer rows.Close()
	today := s.today()
	for rows.Next() {
		var a Action
		var done, created store.Time
		if err := rows.Scan(&a.ID, &a.TestID, &a.Title, &a.OwnerID, &a.OwnerName, &a.DueOn, &done, &a.ImprovementID, &created); err != nil {
			return t, err
		}
		a.DoneAt, a.CreatedAt = done.Ptr(), created.Time
		a.Overdue = a.DoneAt == nil && a.DueOn != nil && *a.DueOn < today
		t.Actions = append(t.Actions, a)
	}
	return t, rows.Err()
}

// Test loads a test with its outcomes and actions.
func (s *Service) Test(ctx context.Context, p *auth.Principal, id int64) (Test, error) {
	if !p.Can(PermRead) {
		return Test{}, domainerr.ErrForbidden
	}
	return s.getTest(ctx, s.DB, id)
}

// Tests lists tests, latest first, each judged against its plan's
// requirements.
func (s *Service) Tests(ctx context.Context, p *auth.Principal, f TestFilter) ([]Test, error) {
	if !p.Can(PermRead) {
		return nil, domainerr.ErrForbidden
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Limit > MaxLimit {
		return nil, domainerr.Field("limit", "must be at most %d", MaxLimit)
	}
	q, args := testCols+" WHERE 1 = 1", []any{}
	if f.PlanID != 0 {
		q, args = q+" AND t.plan_id = ?", append(args, f.PlanID)
	}
	if f.ServiceID != 0 {
		q, args = q+" AND t.plan_id IN (SELECT plan_id FROM continuity_plan_services WHERE service_id = ?)", append(args, f.ServiceID)
	}
	rows, err := s.DB.Query(ctx, q+" ORDER BY t.held_on DESC, t.id DESC LIMIT ?", append(args, f.Limit)...)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		t, err := scanTest(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, t.ID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := []Test{}
	for _, id := range ids {
		t, err := s.getTest(ctx, s.DB, id)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// heldRequirements reads, per test, the services its plan covered when
// it was recorded and the requirement each had then (see
// snapshotRequirements); where narrows continuity_test_requirements tr.
func heldRequirements(ctx context.Context, q store.Querier, where string, args ...any) (map[int64][]PlanService, error) {
	rows, err := q.Query(ctx, `SELECT tr.test_id, s.id, s.name, tr.rto_minutes, tr.rpo_minutes
		FROM continuity_test_requirements tr JOIN services s ON s.id = tr.service_id`+where+` ORDER BY tr.test_id, s.name, s.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64][]PlanService{}
	for rows.Next() {
		var testID int64
		var ps PlanService
		var rto, rpo *int
		if err := rows.Scan(&testID, &ps.ID, &ps.Name, &rto, &rpo); err != nil {
			return nil, err
		}
		if rto != nil && rpo != nil {
			ps.Requirement = &Requirement{ServiceID: ps.ID, ServiceName: ps.Name, RTOMinutes: *rto, RTO: FormatMinutes(*rto),
				RPOMinutes: *rpo, RPO: FormatMinutes(*rpo)}
		}
		out[testID] = append(out[testID], ps)
	}
	return out, rows.Err()
}

// snapshotRequirements keeps, with a test just recorded, the services its
// plan covers and their requirements now, so that the test is judged
// against what was required when it was held even after the requirements
// change.
func snapshotRequirements(ctx context.Context, tx *store.Tx, testID, planID int64) error {
	_, err := tx.Exec(ctx, `INSERT INTO continuity_test_requirements (test_id, service_id, rto_minutes, rpo_minutes)
		SELECT ?, ps.service_id, r.rto_minutes, r.rpo_minutes FROM continuity_plan_services ps
		LEFT JOIN continuity_requirements r ON r.service_id = ps.service_id WHERE ps.plan_id = ?`, testID, planID)
	return err
}

// testBriefs lists a plan's tests, latest first, each judged against the
// requirements in force when it was recorded.
func (s *Service) testBriefs(ctx context.Context, q store.Querier, planID int64) ([]TestBrief, error) {
	held, err := heldRequirements(ctx, q, " WHERE tr.test_id IN (SELECT id FROM continuity_tests WHERE plan_id = ?)", planID)
	if err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, testCols+" WHERE t.plan_id = ? ORDER BY t.held_on DESC, t.id DESC LIMIT 100", planID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []TestBrief{}
	for rows.Next() {
		t, err := scanTest(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, TestBrief{ID: t.ID, Kind: t.Kind, HeldOn: t.HeldOn, RTOAchieved: t.RTOAchieved, RPOAchieved: t.RPOAchieved,
			Verdict: overall(outcomes(t.RTOAchievedMinutes, t.RPOAchievedMinutes, held[t.ID]))})
	}
	return out, rows.Err()
}

// readTest checks a test's fields as given, into t.
func (s *Service) readTest(ctx context.Context, q store.Querier, t *Test, in TestInput, v *domainerr.Invalid) error {
	if in.PlanID != nil {
		t.PlanID = *in.PlanID
		var state string
		err := store.ScanErr(q.QueryRow(ctx, "SELECT state FROM continuity_plans WHERE id = ?", t.PlanID).Scan(&state))
		switch {
		case errors.Is(err, store.ErrNotFound):
			v.Add("plan_id", "no continuity plan with id %d", t.PlanID)
		case err != nil:
			return err
		}
	}
	if in.Kind != nil {
		t.Kind = strings.TrimSpace(*in.Kind)
		if !slices.Contains(Kinds, t.Kind) {
			v.Add("kind", "must be tabletop, simulation or full_failover")
		}
	}
	if in.HeldOn != nil {
		t.HeldOn = strings.TrimSpace(*in.HeldOn)
		if d, err := time.Parse(time.DateOnly, t.HeldOn); err != nil {
			v.Add("held_on", "must be a date such as 2026-03-31")
		} else if d.Format(time.DateOnly) > s.today() {
			v.Add("held_on", "cannot be in the future: record a test once it was held")
		}
	}
	text := func(dst *string, src *string, field string, max int) {
		if src != nil {
			*dst = strings.TrimSpace(strings.ReplaceAll(*src, "\r\n", "\n"))
			domainerr.Text(v, field, *dst, false, max)
		}
	}
	text(&t.Scenario, in.Scenario, "scenario", domainerr.MaxText)
	text(&t.Issues, in.Issues, "issues", domainerr.MaxText)
	text(&t.Notes, in.Notes, "notes", domainerr.MaxText)
	figure := func(dst **int, src *string, field string) {
		if src == nil {
			return
		}
		*dst = nil
		if strings.TrimSpace(*src) == "" {
			return
		}
		m, err := ParseDuration(*src)
		if err != nil {
			v.Add(field, "%s", err.Error())
			return
		}
		*dst = &m
	}
	figure(&t.RTOAchievedMinutes, in.RTOAchieved, "rto_achieved")
	figure(&t.RPOAchievedMinutes, in.RPOAchieved, "rpo_achieved")
	return nil
}

// RecordTest records a test or exercise of a plan.
func (s *Service) RecordTest(ctx context.Context, p *auth.Principal, in TestInput) (Test, error) {
	if !p.Can(PermWrite) {
		return Test{}, domainerr.ErrForbidden
	}
	v := domainerr.NewInvalid()
	if in.PlanID == nil {
		v.Add("plan_id", "choose the plan that was tested")
	}
	if in.Kind == nil {
		v.Add("kind", "is required: tabletop, simulation or full_failover")
	}
	if in.HeldOn == nil {
		v.Add("held_on", "is required")
	}
	var out Test
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var t Test
		if err := s.readTest(ctx, tx, &t, in, v); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		now := store.TS(s.now())
		if err := tx.QueryRow(ctx, `INSERT INTO continuity_tests (plan_id, kind, held_on, scenario, rto_achieved_minutes, rpo_achieved_minutes,
			issues, notes, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, t.PlanID, t.Kind, t.HeldOn,
			t.Scenario, t.RTOAchievedMinutes, t.RPOAchievedMinutes, t.Issues, t.Notes, p.UserID, now, now).Scan(&t.ID); err != nil {
			return err
		}
		if err := snapshotRequirements(ctx, tx, t.ID, t.PlanID); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, p.Actor(), "create", "continuity_test", t.ID, in); err != nil {
			return err
		}
		var err error
		out, err = s.getTest(ctx, tx, t.ID)
		return err
	})
	return out, err
}

// UpdateTest changes a test's fields given; its plan stays.
func (s *Service) UpdateTest(ctx context.Context, p *auth.Principal, id int64, in TestInput, ifVersion int) (Test, error) {
	if !p.Can(PermWrite) {
		return Test{}, domainerr.ErrForbidden
	}
	var out Test
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		t, err := s.getTest(ctx, tx, id)
		if err != nil {
			return err
		}
		if ifVersion != 0 && ifVersion != t.Version {
			return domainerr.ErrStale
		}
		v := domainerr.NewInvalid()
		if in.PlanID != nil && *in.PlanID != t.PlanID {
			v.Add("plan_id", "a test stays with the plan it tested; record a new test for another plan")
		}
		in.PlanID = nil
		if err := s.readTest(ctx, tx, &t, in, v); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE continuity_tests SET kind = ?, held_on = ?, scenario = ?, rto_achieved_minutes = ?, rpo_achieved_minutes = ?,
			issues = ?, notes = ?, updated_at = ?, version = version + 1 WHERE id = ?`, t.Kind, t.HeldOn, t.Scenario, t.RTOAchievedMinutes,
			t.RPOAchievedMinutes, t.Issues, t.Notes, store.TS(s.now()), id); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, p.Actor(), "update", "continuity_test", id, in); err != nil {
			return err
		}
		out, err = s.getTest(ctx, tx, id)
		return err
	})
	return out, err
}

// DeleteTest removes a test recorded by mistake, with its actions; one
// whose actions were raised as improvements stays.
func (s *Service) DeleteTest(ctx context.Context, p *auth.Principal, id int64) error {
	if !p.Can(PermWrite) {
		return domainerr.ErrForbidden
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		t, err := s.getTest(ctx, tx, id)
		if err != nil {
			return err
		}
		for _, a := range t.Actions {
			if a.ImprovementID != nil {
				return domainerr.Conflictf("an action of this test was raised as improvement %d; the test stays as its source", *a.ImprovementID)
			}
		}
		if _, err := tx.Exec(ctx, "DELETE FROM continuity_tests WHERE id = ?", id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, p.Actor(), "delete", "continuity_test", id, map[string]string{"plan": t.PlanTitle, "held_on": t.HeldOn})
	})
}

// AddAction records an action a test found.
func (s *Service) AddAction(ctx context.Context, p *auth.Principal, testID int64, in NewAction) (Action, error) {
	if !p.Can(PermWrite) {
		return Action{}, domainerr.ErrForbidden
	}
	in.Title, in.DueOn = strings.TrimSpace(in.Title), strings.TrimSpace(in.DueOn)
	v := domainerr.NewInvalid()
	domainerr.Text(v, "title", in.Title, true, domainerr.MaxTitle)
	if in.DueOn != "" {
		if _, err := time.Parse(time.DateOnly, in.DueOn); err != nil {
			v.Add("due_on", "must be a date such as 2026-12-31")
		}
	}
	var out Action
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := scanTest(tx.QueryRow(ctx, testCols+" WHERE t.id = ?", testID)); err != nil {
			return err
		}
		if in.OwnerID != nil && *in.OwnerID != 0 {
			if err := checkStaff(ctx, tx, v, "owner_id", *in.OwnerID); err != nil {
				return err
			} else if !v.Has("owner_id") {
				out.OwnerID = in.OwnerID
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		var aid int64
		if err := tx.QueryRow(ctx, `INSERT INTO continuity_test_actions (test_id, title, owner_id, due_on, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			testID, in.Title, out.OwnerID, store.OptDate(in.DueOn), store.TS(s.now())).Scan(&aid); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, p.Actor(), "create", "continuity_test_action", aid, in); err != nil {
			return err
		}
		t, err := s.getTest(ctx, tx, testID)
		for _, a := range t.Actions {
			if a.ID == aid {
				out = a
			}
		}
		return err
	})
	return out, err
}

// DoneAction marks a test's action done.
func (s *Service) DoneAction(ctx context.Context, p *auth.Principal, testID, actionID int64) error {
	if !p.Can(PermWrite) {
		return domainerr.ErrForbidden
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, "UPDATE continuity_test_actions SET done_at = ? WHERE id = ? AND test_id = ? AND done_at IS NULL",
			store.TS(s.now()), actionID, testID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return audit.Record(ctx, tx, p.Actor(), "update", "continuity_test_action", actionID, map[string]string{"done": "yes"})
	})
}

// RaiseImprovement raises a test's action as an improvement (10.2) with
// the action's owner and due date, and keeps its id on the action.
func (s *Service) RaiseImprovement(ctx context.Context, p *auth.Principal, testID, actionID int64) (Action, error) {
	if !p.Can(PermWrite) || !p.Can(sms.PermWrite) {
		return Action{}, domainerr.ErrForbidden
	}
	if s.Improvements == nil {
		return Action{}, domainerr.Conflictf("improvements are not kept on this node")
	}
	t, err := s.getTest(ctx, s.DB, testID)
	if err != nil {
		return Action{}, err
	}
	i := slices.IndexFunc(t.Actions, func(a Action) bool { return a.ID == actionID })
	if i < 0 {
		return Action{}, store.ErrNotFound
	}
	a := t.Actions[i]
	if a.ImprovementID != nil {
		return Action{}, domainerr.Conflictf("this action was already raised as improvement %d", *a.ImprovementID)
	}
	source, ref := "suggestion", fmt.Sprintf("Continuity test %d (%s, %s)", t.ID, t.PlanTitle, t.HeldOn)
	desc := "Found by the " + strings.ReplaceAll(t.Kind, "_", " ") + " of " + t.PlanTitle + " held on " + t.HeldOn + "."
	if t.Issues != "" {
		desc += "\n\nIssues found:\n" + t.Issues
	}
	in := improvement.Input{Title: &a.Title, Description: &desc, Source: &source, SourceRef: &ref, OwnerID: a.OwnerID, DueOn: a.DueOn}
	imp, err := s.Improvements.Create(ctx, p.Actor(), in)
	if err != nil {
		return Action{}, err
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE continuity_test_actions SET improvement_id = ? WHERE id = ? AND improvement_id IS NULL", imp.ID, actionID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, p.Actor(), "update", "continuity_test_action", actionID, map[string]int64{"improvement_id": imp.ID})
	})
	a.ImprovementID = &imp.ID
	return a, err
}
