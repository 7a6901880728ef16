package compliance

import (
	"context"
	"fmt"
	"strconv"

	"steward/internal/continuity"
)

// Clause 8.7.2: continuity plans tested against their recovery objectives.

var (
	_ = Register(Rule{ID: "8.7.2-tested", Clause: "8.7.2", Title: "Continuity plans are tested",
		Todo: "Test the continuity plans and record the results against the recovery objectives.",
		Eval: continuityTested})
)

// continuityTested counts the plans in force tested within twelve months
// whose latest measured recovery met the RTO of every service they cover,
// and, as not good, the services with requirements that no plan covers.
// All good is met, half or more partly met.
func continuityTested(ctx context.Context, in Input) (Result, error) {
	st, err := continuity.ComputeStanding(ctx, in.Q, in.Now)
	if err != nil {
		return Result{}, err
	}
	var good, plans, uncovered int
	var links []Link
	for _, p := range st.Plans {
		plans++
		if p.Good {
			good++
		} else if len(links) < MaxLinks {
			links = append(links, Link{Label: p.Title + ": " + p.Reason, URL: "/continuity-plans/" + strconv.FormatInt(p.ID, 10)})
		}
	}
	for _, s := range st.Services {
		for _, f := range s.Flags {
			if f.Code == continuity.FlagNoPlan {
				uncovered++
				if len(links) < MaxLinks {
					links = append(links, Link{Label: s.ServiceName + ": requirements but no plan", URL: "/continuity"})
				}
			}
		}
	}
	total := plans + uncovered
	return ratio{good: good, total: total, met: 1, partly: 0.5, links: links,
		noDataSummary: "No continuity requirements or plans are recorded yet.",
		summary: fmt.Sprintf("%s of the %s continuity %s in force %s tested in the last %d months and recovered within the RTO; %s %s with continuity requirements %s no plan; %s.",
			num(good), num(plans), plural(plans, "plan", "plans"), plural(good, "was", "were"), continuity.TestedWithin,
			num(uncovered), plural(uncovered, "service", "services"), plural(uncovered, "has", "have"), thresholds(1, 0.5)),
		numbers: []Number{countNum("Plans in force", plans, "/continuity-plans"), countNum("Tested and within RTO", good, "/continuity"),
			countNum("Services without a plan", uncovered, "/continuity")}}.result(), nil
}
