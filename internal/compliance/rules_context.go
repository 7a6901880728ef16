package compliance

import (
	"context"
	"fmt"
)

// Clause 4: the context of the organisation, its interested parties, the
// scope of the SMS and the SMS's processes.

var (
	_ = Register(Rule{ID: "4.1-issues-reviewed", Clause: "4.1", Title: "Internal and external issues are recorded and reviewed on time",
		Todo: "Record the internal and external issues that bear on the services, give each a review date and review the overdue ones.",
		Eval: issuesReviewed})
	_ = Register(Rule{ID: "4.1-climate", Clause: "4.1", Title: "Whether climate change is relevant has been decided",
		Todo: "Decide whether climate change is a relevant issue for the SMS and record the decision on a context issue.",
		Eval: climateDecided})
	_ = Register(Rule{ID: "4.2-party-requirements", Clause: "4.2", Title: "Every interested party has its requirements recorded",
		Todo: "Record, for each interested party, what it requires of the services or the SMS.",
		Eval: partiesHaveRequirements})
	_ = Register(Rule{ID: "4.2-requirements-traced", Clause: "4.2", Title: "Requirements of interested parties are traced to services",
		Todo: "Link each requirement of an interested party to the service that meets it.",
		Eval: requirementsTraced})
	_ = Register(Rule{ID: "4.3-scope-approved", Clause: "4.3", Title: "An approved scope statement names the services in scope",
		Todo: "Write the scope of the SMS (services, units, locations, parties), name its services and have it approved.",
		Eval: scopeApproved})
	_ = Register(Rule{ID: "4.3-scope-covers-live", Clause: "4.3", Title: "Live services are inside the scope in force or knowingly left out",
		Todo: "Add the live services missing from the scope statement, or state why they are outside it, and approve a new version.",
		Eval: scopeCoversLive})
	_ = Register(Rule{ID: "4.4-process-interfaces", Clause: "4.4", Title: "The process map shows how each process hands work to others",
		Todo: "Record the interfaces between the SMS's processes on the process map.",
		Eval: processInterfaces})
	_ = Register(Rule{ID: "4.4-process-documented", Clause: "4.4", Title: "Each process has an approved process description",
		Todo: "Write and approve a process document for each process of the SMS.",
		Eval: processesDocumented})
)

func issuesReviewed(ctx context.Context, in Input) (Result, error) {
	today := day(in.Now)
	var total, overdue, internal, external int
	err := scan(ctx, in.Q, []*int{&total, &overdue, &internal, &external}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN review_due IS NULL OR review_due < ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN origin = 'internal' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN origin = 'external' THEN 1 ELSE 0 END), 0)
		FROM context_issues WHERE status = 'open'`, today)
	if err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/context", ""), `SELECT id, title FROM context_issues
		WHERE status = 'open' AND (review_due IS NULL OR review_due < ?) ORDER BY review_due, id LIMIT 20`, today)
	if err != nil {
		return Result{}, err
	}
	good := total - overdue
	r := ratio{good: good, total: total, links: links,
		noDataSummary: "No internal or external issues are recorded yet.",
		summary: fmt.Sprintf("%s of the %s open issues (%d internal, %d external) have a review date that has not passed; %s.",
			pct(good, total), num(total), internal, external, thresholds(shareMet, sharePartly)),
		numbers: []Number{countNum("Open issues", total, "/context"), countNum("Without a review date or overdue", overdue, "/context?review=overdue")}}
	res := r.result()
	// An issue register that looks only inwards or only outwards misses half
	// of what the clause asks for.
	if res.Status == Met && (internal == 0 || external == 0) {
		res.Status = PartlyMet
		res.Summary += " Only " + map[bool]string{true: "external", false: "internal"}[internal == 0] + " issues are recorded."
		res.Links = append(res.Links, Link{Label: "Context issues", URL: "/context"})
	}
	return res, nil
}

func climateDecided(ctx context.Context, in Input) (Result, error) {
	var total, decided, relevant int
	err := scan(ctx, in.Q, []*int{&total, &decided, &relevant}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN climate_decision IS NOT NULL THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN climate_decision = 'relevant' THEN 1 ELSE 0 END), 0)
		FROM context_issues`)
	if err != nil {
		return Result{}, err
	}
	nums := []Number{countNum("Issues deciding on climate change", decided, "/context")}
	switch {
	case total == 0:
		return noData("No context issues are recorded yet, so no decision on climate change is either."), nil
	case decided == 0:
		return Result{Status: NotMet, Summary: fmt.Sprintf("None of the %s context issues records whether climate change is relevant.", num(total)), Numbers: nums,
			Links: []Link{{Label: "Context issues", URL: "/context"}}}, nil
	}
	word := "not relevant"
	if relevant > 0 {
		word = "relevant"
	}
	return Result{Status: Met, Summary: "The decision on climate change is recorded: judged " + word + ".", Numbers: nums}, nil
}

func partiesHaveRequirements(ctx context.Context, in Input) (Result, error) {
	var total, with int
	err := scan(ctx, in.Q, []*int{&total, &with}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM party_requirements r WHERE r.party_id = p.id) THEN 1 ELSE 0 END), 0)
		FROM interested_parties p`)
	if err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/parties", ""), `SELECT id, name FROM interested_parties p
		WHERE NOT EXISTS (SELECT 1 FROM party_requirements r WHERE r.party_id = p.id) ORDER BY id LIMIT 20`)
	if err != nil {
		return Result{}, err
	}
	return ratio{good: with, total: total, links: links,
		noDataSummary: "No interested parties are recorded yet.",
		summary:       fmt.Sprintf("%s of the %s interested parties have their requirements recorded; %s.", pct(with, total), num(total), thresholds(shareMet, sharePartly)),
		numbers:       []Number{countNum("Interested parties", total, "/parties"), countNum("Without requirements", total-with, "/parties")}}.result(), nil
}

func requirementsTraced(ctx context.Context, in Input) (Result, error) {
	var total, traced int
	err := scan(ctx, in.Q, []*int{&total, &traced}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN service_id IS NOT NULL THEN 1 ELSE 0 END), 0) FROM party_requirements`)
	if err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/parties", ""), `SELECT DISTINCT p.id, p.name FROM interested_parties p
		JOIN party_requirements r ON r.party_id = p.id WHERE r.service_id IS NULL ORDER BY p.id LIMIT 20`)
	if err != nil {
		return Result{}, err
	}
	return ratio{good: traced, total: total, met: 0.90, partly: 0.60, links: links,
		noDataSummary: "No requirements of interested parties are recorded yet.",
		// Some requirements bear on the SMS as a whole and on no one service,
		// so a few untraced ones are expected.
		summary: fmt.Sprintf("%s of the %s requirements of interested parties are traced to a service; %s.", pct(traced, total), num(total), thresholds(0.90, 0.60)),
		numbers: []Number{countNum("Requirements", total, "/parties"), shareNum("Traced to a service", traced, total, "/parties")}}.result(), nil
}

// scopeInForce finds the newest approved scope statement; 0 when none.
func scopeInForce(ctx context.Context, in Input) (id int64, number int, err error) {
	rows, err := in.Q.Query(ctx, `SELECT id, number FROM scope_statements WHERE approved_at IS NOT NULL ORDER BY number DESC LIMIT 1`)
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	if rows.Next() {
		err = rows.Scan(&id, &number)
	}
	if err == nil {
		err = rows.Err()
	}
	return id, number, err
}

func scopeApproved(ctx context.Context, in Input) (Result, error) {
	var drafts int
	if err := scan(ctx, in.Q, []*int{&drafts}, `SELECT COUNT(*) FROM scope_statements`); err != nil {
		return Result{}, err
	}
	id, number, err := scopeInForce(ctx, in)
	if err != nil {
		return Result{}, err
	}
	switch {
	case drafts == 0:
		return noData("No scope statement is recorded yet."), nil
	case id == 0:
		return Result{Status: NotMet, Summary: fmt.Sprintf("%s %s of the scope statement %s written but none is approved.", num(drafts), plural(drafts, "version", "versions"), plural(drafts, "is", "are")),
			Numbers: []Number{countNum("Versions", drafts, "/scope")}, Links: []Link{{Label: "Scope statement", URL: "/scope"}}}, nil
	}
	var services int
	if err := scan(ctx, in.Q, []*int{&services}, `SELECT COUNT(*) FROM scope_services WHERE scope_id = ?`, id); err != nil {
		return Result{}, err
	}
	res := Result{Status: Met, Summary: fmt.Sprintf("Version %d of the scope statement is approved and names %s %s.", number, num(services), plural(services, "service", "services")),
		Numbers: []Number{countNum("Services in scope", services, "/scope")}, Links: []Link{{Label: fmt.Sprintf("Scope statement, version %d", number), URL: "/scope"}}}
	if services == 0 {
		res.Status, res.Summary = PartlyMet, fmt.Sprintf("Version %d of the scope statement is approved but names no service.", number)
	}
	return res, nil
}

func scopeCoversLive(ctx context.Context, in Input) (Result, error) {
	id, _, err := scopeInForce(ctx, in)
	if err != nil {
		return Result{}, err
	}
	if id == 0 {
		return noData("No approved scope statement is recorded yet."), nil
	}
	var total, in2 int
	if err := scan(ctx, in.Q, []*int{&total, &in2}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM scope_services x WHERE x.scope_id = ? AND x.service_id = s.id) THEN 1 ELSE 0 END), 0)
		FROM services s WHERE s.status = 'live'`, id); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/services", ""), `SELECT s.id, s.name FROM services s WHERE s.status = 'live'
		AND NOT EXISTS (SELECT 1 FROM scope_services x WHERE x.scope_id = ? AND x.service_id = s.id) ORDER BY s.id LIMIT 20`, id)
	if err != nil {
		return Result{}, err
	}
	return ratio{good: in2, total: total, met: 0.90, partly: 0.50, links: links,
		noDataSummary: "There are no live services to compare the scope with.",
		// Some live services may lie outside the SMS on purpose (exclusions),
		// so the bar is lower than for record completeness.
		summary: fmt.Sprintf("%s of the %s live services are in the scope in force; %s.", pct(in2, total), num(total), thresholds(0.90, 0.50)),
		numbers: []Number{countNum("Live services", total, "/services?status=live"), countNum("Outside the scope", total-in2, "/scope")}}.result(), nil
}

func processInterfaces(ctx context.Context, in Input) (Result, error) {
	var total, linked, edges int
	if err := scan(ctx, in.Q, []*int{&total, &linked, &edges}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM process_interfaces i WHERE i.from_id = p.id OR i.to_id = p.id) THEN 1 ELSE 0 END), 0),
		(SELECT COUNT(*) FROM process_interfaces) FROM processes p`); err != nil {
		return Result{}, err
	}
	if edges == 0 {
		return noData("No interfaces between processes are recorded yet."), nil
	}
	links, err := linkRows(ctx, in.Q, to("/processes", ""), `SELECT p.id, p.name FROM processes p
		WHERE NOT EXISTS (SELECT 1 FROM process_interfaces i WHERE i.from_id = p.id OR i.to_id = p.id) ORDER BY p.id LIMIT 20`)
	if err != nil {
		return Result{}, err
	}
	return ratio{good: linked, total: total, links: links,
		summary: fmt.Sprintf("%s of the %d processes have an interface with another process on the map (%s interfaces); %s.", pct(linked, total), total, num(edges), thresholds(shareMet, sharePartly)),
		numbers: []Number{countNum("Processes", total, "/processes"), countNum("Interfaces", edges, "/processes"), countNum("Processes without an interface", total-linked, "/processes")}}.result(), nil
}

func processesDocumented(ctx context.Context, in Input) (Result, error) {
	var total, documented, docs int
	if err := scan(ctx, in.Q, []*int{&total, &documented, &docs}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM documents d WHERE d.process_key = p.key AND d.doc_type IN ('process', 'procedure') AND d.status = 'approved') THEN 1 ELSE 0 END), 0),
		(SELECT COUNT(*) FROM documents WHERE doc_type IN ('process', 'procedure')) FROM processes p`); err != nil {
		return Result{}, err
	}
	if docs == 0 {
		return noData("No process or procedure documents are recorded yet."), nil
	}
	links, err := linkRows(ctx, in.Q, to("/processes", ""), `SELECT p.id, p.name FROM processes p
		WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.process_key = p.key AND d.doc_type IN ('process', 'procedure') AND d.status = 'approved') ORDER BY p.id LIMIT 20`)
	if err != nil {
		return Result{}, err
	}
	return ratio{good: documented, total: total, links: links,
		summary: fmt.Sprintf("%s of the %d processes have an approved process or procedure document; %s.", pct(documented, total), total, thresholds(shareMet, sharePartly)),
		numbers: []Number{countNum("Processes", total, "/processes"), countNum("Without an approved document", total-documented, "/documents?type=process")}}.result(), nil
}
