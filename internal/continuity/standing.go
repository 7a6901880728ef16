package continuity

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Flags a service may carry, each with its reason in words.
const (
	FlagNoPlan        = "no_plan"        // requirements but no plan in force
	FlagUntested      = "untested"       // no test of its plans for twelve months
	FlagMissedRTO     = "missed_rto"     // the last test that measured recovery took longer than the RTO
	FlagMissedRPO     = "missed_rpo"     // the last test that measured data loss lost more than the RPO
	FlagNoRequirement = "no_requirement" // a plan but no RTO or RPO to test it against
)

// Standing is, for every service with continuity requirements or a plan
// in force, what its continuity looks like today; and for every plan in
// force, whether it was tested within twelve months and met its RTO.
type Standing struct {
	Services []ServiceStanding `json:"services"`
	Plans    []PlanStanding    `json:"plans"`
	// Flagged counts the services carrying at least one flag.
	Flagged int `json:"flagged"`
}

// ServiceStanding is one service's continuity at a glance.
type ServiceStanding struct {
	ServiceID   int64        `json:"service_id"`
	ServiceName string       `json:"service_name"`
	OwnerID     *int64       `json:"owner_id"`
	OwnerName   string       `json:"owner_name"`
	Criticality string       `json:"criticality"`
	Requirement *Requirement `json:"requirement"`
	Plans       []PlanRef    `json:"plans"`
	LastTest    *TestRef     `json:"last_test"`
	Flags       []Flag       `json:"flags"`
}

// PlanRef names a plan.
type PlanRef struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
	State string `json:"state"`
}

// TestRef is a test as the standing cites it.
type TestRef struct {
	ID                 int64  `json:"id"`
	PlanID             int64  `json:"plan_id"`
	Kind               string `json:"kind"`
	HeldOn             string `json:"held_on"`
	RTOAchievedMinutes *int   `json:"rto_achieved_minutes"`
	RPOAchievedMinutes *int   `json:"rpo_achieved_minutes"`
}

// Flag is something about a service's continuity that needs attention.
// On is the date it refers to (the last test's), TestID the test.
type Flag struct {
	Code   string `json:"code"`
	Reason string `json:"reason"`
	On     string `json:"on"`
	TestID int64  `json:"test_id"`
	// Achieved and Required are the figures a missed flag compares.
	Achieved string `json:"achieved"`
	Required string `json:"required"`
}

// PlanStanding judges one plan in force: tested within twelve months
// with a measured recovery within the RTO of every service it covers.
type PlanStanding struct {
	ID         int64  `json:"id"`
	Title      string `json:"title"`
	State      string `json:"state"`
	LastTestOn string `json:"last_test_on"`
	Good       bool   `json:"good"`
	Reason     string `json:"reason"`
}

// Standing computes the continuity standing (see Standing) for a viewer.
func (s *Service) Standing(ctx context.Context, p *auth.Principal) (Standing, error) {
	if !p.Can(PermRead) {
		return Standing{}, domainerr.ErrForbidden
	}
	return ComputeStanding(ctx, s.DB, s.now())
}

type planRow struct {
	PlanRef
	services []int64
	tests    []TestRef // latest first
}

// ComputeStanding reads the requirements, the plans in force, their
// services and their tests, and judges them as of now.
func ComputeStanding(ctx context.Context, q store.Querier, now time.Time) (Standing, error) {
	cutoff := now.UTC().AddDate(0, -TestedWithin, 0).Format(time.DateOnly)
	reqs, err := requirements(ctx, q, "", nil)
	if err != nil {
		return Standing{}, err
	}
	plans, order, err := plansInForce(ctx, q)
	if err != nil {
		return Standing{}, err
	}
	svc := map[int64]*ServiceStanding{}
	var ids []int64
	add := func(id int64) *ServiceStanding {
		if st, ok := svc[id]; ok {
			return st
		}
		st := &ServiceStanding{ServiceID: id, Plans: []PlanRef{}, Flags: []Flag{}}
		svc[id], ids = st, append(ids, id)
		return st
	}
	for i := range reqs {
		add(reqs[i].ServiceID).Requirement = &reqs[i]
	}
	for _, pid := range order {
		pl := plans[pid]
		for _, sid := range pl.services {
			add(sid).Plans = append(add(sid).Plans, pl.PlanRef)
		}
	}
	if err := nameServices(ctx, q, svc, ids); err != nil {
		return Standing{}, err
	}
	out := Standing{Services: []ServiceStanding{}, Plans: []PlanStanding{}}
	for _, id := range ids {
		st := svc[id]
		var tests []TestRef
		for _, pr := range st.Plans {
			tests = append(tests, plans[pr.ID].tests...)
		}
		latestFirst(tests)
		st.Flags = serviceFlags(st, tests, cutoff)
		if len(tests) > 0 {
			st.LastTest = &tests[0]
		}
		if len(st.Flags) > 0 {
			out.Flagged++
		}
		out.Services = append(out.Services, *st)
	}
	slices.SortStableFunc(out.Services, func(a, b ServiceStanding) int {
		if fa, fb := len(a.Flags) > 0, len(b.Flags) > 0; fa != fb {
			if fa {
				return -1
			}
			return 1
		}
		return strings.Compare(strings.ToLower(a.ServiceName), strings.ToLower(b.ServiceName))
	})
	for _, pid := range order {
		out.Plans = append(out.Plans, judgePlan(plans[pid], svc, cutoff))
	}
	return out, nil
}

// plansInForce reads the plans not retired, with their services and
// tests.
func plansInForce(ctx context.Context, q store.Querier) (map[int64]*planRow, []int64, error) {
	plans := map[int64]*planRow{}
	var order []int64
	rows, err := q.Query(ctx, `SELECT p.id, p.title, p.state, ps.service_id FROM continuity_plans p
		LEFT JOIN continuity_plan_services ps ON ps.plan_id = p.id WHERE p.state <> 'retired' ORDER BY p.title, p.id`)
	if err != nil {
		return nil, nil, err
	}
	for rows.Next() {
		var r PlanRef
		var sid *int64
		if err := rows.Scan(&r.ID, &r.Title, &r.State, &sid); err != nil {
			rows.Close()
			return nil, nil, err
		}
		pl, ok := plans[r.ID]
		if !ok {
			pl = &planRow{PlanRef: r}
			plans[r.ID], order = pl, append(order, r.ID)
		}
		if sid != nil {
			pl.services = append(pl.services, *sid)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	rows, err = q.Query(ctx, `SELECT t.id, t.plan_id, t.kind, t.held_on, t.rto_achieved_minutes, t.rpo_achieved_minutes
		FROM continuity_tests t JOIN continuity_plans p ON p.id = t.plan_id WHERE p.state <> 'retired' ORDER BY t.held_on DESC, t.id DESC`)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var t TestRef
		if err := rows.Scan(&t.ID, &t.PlanID, &t.Kind, &t.HeldOn, &t.RTOAchievedMinutes, &t.RPOAchievedMinutes); err != nil {
			return nil, nil, err
		}
		if pl := plans[t.PlanID]; pl != nil {
			pl.tests = append(pl.tests, t)
		}
	}
	return plans, order, rows.Err()
}

func nameServices(ctx context.Context, q store.Querier, svc map[int64]*ServiceStanding, ids []int64) error {
	for _, id := range ids {
		st := svc[id]
		if err := q.QueryRow(ctx, `SELECT s.name, s.owner_id, COALESCE(u.name, ''), s.criticality FROM services s
			LEFT JOIN users u ON u.id = s.owner_id WHERE s.id = ?`, id).Scan(&st.ServiceName, &st.OwnerID, &st.OwnerName, &st.Criticality); err != nil {
			return err
		}
	}
	return nil
}

func latestFirst(tests []TestRef) {
	slices.SortStableFunc(tests, func(a, b TestRef) int {
		if a.HeldOn != b.HeldOn {
			return strings.Compare(b.HeldOn, a.HeldOn)
		}
		return int(b.ID - a.ID)
	})
}

// serviceFlags says what needs attention about one service, given the
// tests of its plans latest first.
func serviceFlags(st *ServiceStanding, tests []TestRef, cutoff string) []Flag {
	flags := []Flag{}
	req := st.Requirement
	switch {
	case len(st.Plans) == 0:
		if req != nil {
			flags = append(flags, Flag{Code: FlagNoPlan, Required: req.RTO,
				Reason: fmt.Sprintf("It has an RTO of %s but no continuity plan in force covers it.", req.RTO)})
		}
		return flags
	case len(tests) == 0:
		flags = append(flags, Flag{Code: FlagUntested, Reason: "Its continuity plan has never been tested."})
	case tests[0].HeldOn < cutoff:
		flags = append(flags, Flag{Code: FlagUntested, On: tests[0].HeldOn, TestID: tests[0].ID,
			Reason: fmt.Sprintf("Its continuity plan was last tested on %s, more than %d months ago.", tests[0].HeldOn, TestedWithin)})
	}
	if req == nil {
		return append(flags, Flag{Code: FlagNoRequirement,
			Reason: "It has a continuity plan but no RTO or RPO to test it against."})
	}
	if t := lastMeasured(tests, func(t TestRef) *int { return t.RTOAchievedMinutes }); t != nil && *t.RTOAchievedMinutes > req.RTOMinutes {
		got := FormatMinutes(*t.RTOAchievedMinutes)
		flags = append(flags, Flag{Code: FlagMissedRTO, On: t.HeldOn, TestID: t.ID, Achieved: got, Required: req.RTO,
			Reason: fmt.Sprintf("Its last test measuring recovery (%s) took %s against an RTO of %s.", t.HeldOn, got, req.RTO)})
	}
	if t := lastMeasured(tests, func(t TestRef) *int { return t.RPOAchievedMinutes }); t != nil && *t.RPOAchievedMinutes > req.RPOMinutes {
		got := FormatMinutes(*t.RPOAchievedMinutes)
		flags = append(flags, Flag{Code: FlagMissedRPO, On: t.HeldOn, TestID: t.ID, Achieved: got, Required: req.RPO,
			Reason: fmt.Sprintf("Its last test measuring data loss (%s) lost %s against an RPO of %s.", t.HeldOn, got, req.RPO)})
	}
	return flags
}

// lastMeasured is the latest test that measured the figure fig gives.
func lastMeasured(tests []TestRef, fig func(TestRef) *int) *TestRef {
	for i := range tests {
		if fig(tests[i]) != nil {
			return &tests[i]
		}
	}
	return nil
}

// judgePlan says whether a plan in force was tested within twelve months
// and its latest measured recovery in that time met the RTO of every
// service it covers that has one.
func judgePlan(pl *planRow, svc map[int64]*ServiceStanding, cutoff string) PlanStanding {
	ps := PlanStanding{ID: pl.ID, Title: pl.Title, State: pl.State}
	if len(pl.tests) > 0 {
		ps.LastTestOn = pl.tests[0].HeldOn
	}
	var rtos []int
	for _, sid := range pl.services {
		if st := svc[sid]; st != nil && st.Requirement != nil {
			rtos = append(rtos, st.Requirement.RTOMinutes)
		}
	}
	t := lastMeasured(pl.tests, func(t TestRef) *int { return t.RTOAchievedMinutes })
	switch {
	case len(pl.tests) == 0:
		ps.Reason = "never tested"
	case pl.tests[0].HeldOn < cutoff:
		ps.Reason = fmt.Sprintf("last tested on %s, more than %d months ago", pl.tests[0].HeldOn, TestedWithin)
	case len(rtos) == 0:
		ps.Reason = "none of its services has an RTO to test against"
	case t == nil || t.HeldOn < cutoff:
		ps.Reason = fmt.Sprintf("no test in the last %d months measured the recovery time", TestedWithin)
	case *t.RTOAchievedMinutes > slices.Min(rtos):
		ps.Reason = fmt.Sprintf("its test on %s recovered in %s, beyond the RTO of %s", t.HeldOn,
			FormatMinutes(*t.RTOAchievedMinutes), FormatMinutes(slices.Min(rtos)))
	default:
		ps.Good = true
		ps.Reason = fmt.Sprintf("tested on %s, recovered in %s within the RTO of %s", t.HeldOn,
			FormatMinutes(*t.RTOAchievedMinutes), FormatMinutes(slices.Min(rtos)))
	}
	return ps
}
