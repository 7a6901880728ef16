package compliance

import "steward/internal/clauses"

// Phase is one step of the road to certification: clauses that build on
// those of the phases before it.
type Phase struct {
	Number  int
	Title   string
	Purpose string
	Clauses []string
}

// Phases is the order in which an organisation starting out puts its
// service management system in place, for the primary standard: first the
// frame the rest hangs on, then the daily work of the desk, then control
// of what changes, then assurance of the services, and last the checking
// and improving that needs records from all of it. Every leaf clause of
// the outline sits in exactly one phase.
var Phases = []Phase{
	{1, "Foundation", "Decide what the management system covers, who leads it, the policy and roles, and how documents are kept.",
		[]string{"4.1", "4.2", "4.3", "4.4", "5.1", "5.2", "5.3", "6.3", "7.1", "7.2", "7.3", "7.4", "7.5"}},
	{2, "Run the desk", "Handle incidents and requests against agreed service levels, from a published catalogue and a configuration record.",
		[]string{"8.2.1", "8.2.4", "8.2.6", "8.3.2", "8.3.3", "8.6.1", "8.6.2", "7.6"}},
	{3, "Control change", "Assess, approve and review every change and release, find the causes behind incidents, and keep the assets in order.",
		[]string{"8.1", "8.2.2", "8.2.5", "8.5.1", "8.5.2", "8.5.3", "8.6.3"}},
	{4, "Assure the services", "Plan and test availability, continuity, security and capacity, hold suppliers to their targets and budget the services.",
		[]string{"6.1", "8.2.3", "8.3.4", "8.4.1", "8.4.2", "8.4.3", "8.7.1", "8.7.2", "8.7.3"}},
	{5, "Evaluate and improve", "Set measurable objectives, follow the measures, audit, review as management, correct nonconformities and improve.",
		[]string{"6.2", "9.1", "9.2", "9.3", "9.4", "10.1", "10.2"}},
}

// PhaseStep is one clause of a phase as the evidence shows it now.
type PhaseStep struct {
	Clause         string
	Title          string
	Status         Status
	Todo           string
	SelfAssessment *Assessment
}

// PhaseProgress is a phase with its clauses' current statuses.
type PhaseProgress struct {
	Phase
	Steps  []PhaseStep
	Counts map[Status]int
	// Done is true when every clause of the phase is met.
	Done bool
	// Current marks the first phase not done: where to work next.
	Current bool
}

// Next lists the steps of the phase not yet met, the furthest behind first.
func (p PhaseProgress) Next() []PhaseStep {
	var out []PhaseStep
	for _, s := range []Status{NotMet, PartlyMet, NoData} {
		for _, st := range p.Steps {
			if st.Status == s {
				out = append(out, st)
			}
		}
	}
	return out
}

// Met lists the steps of the phase that are met.
func (p PhaseProgress) Met() []PhaseStep {
	var out []PhaseStep
	for _, st := range p.Steps {
		if st.Status == Met {
			out = append(out, st)
		}
	}
	return out
}

// Roadmap lays an evaluation of the primary standard over the phases.
func Roadmap(ev *Evaluation) []PhaseProgress {
	out := make([]PhaseProgress, 0, len(Phases))
	current := false
	std, _ := clauses.Get(clauses.Primary)
	for _, ph := range Phases {
		pp := PhaseProgress{Phase: ph, Counts: map[Status]int{}}
		for _, num := range ph.Clauses {
			st := PhaseStep{Clause: num, Status: NoData}
			cl, _ := std.Clause(num)
			st.Title = cl.Title
			if c, ok := ev.Clause(num); ok {
				st.Title, st.Status, st.Todo, st.SelfAssessment = c.Title, c.Status, TodoFor(cl, *c), c.SelfAssessment
			}
			pp.Steps = append(pp.Steps, st)
			pp.Counts[st.Status]++
		}
		pp.Done = pp.Counts[Met] == len(pp.Steps)
		if !pp.Done && !current {
			pp.Current, current = true, true
		}
		out = append(out, pp)
	}
	return out
}

// Todo is what to do first about a clause: the Todo of its first rule that
// is not met, or, when no rule gathers evidence for it yet, to record it.
func (c ClauseResult) Todo() string {
	for _, s := range []Status{NotMet, PartlyMet, NoData} {
		for _, r := range c.Rules {
			if r.Status == s && r.Todo != "" {
				return r.Todo
			}
		}
	}
	if c.Status != Met && len(c.Rules) == 0 {
		return "No rule gathers evidence for this clause yet: record how it is met and rate it yourself."
	}
	return ""
}

// TodoFor is what to do first about a clause, for a person: the Todo of
// its first rule not met or, when no rule looks at it yet, what an
// auditor expects to see for it.
func TodoFor(cl clauses.Clause, c ClauseResult) string {
	if len(c.Rules) == 0 && c.Status != Met && cl.Expects != "" {
		return "No rule looks at this yet. An auditor expects: " + cl.Expects + "."
	}
	return c.Todo()
}
