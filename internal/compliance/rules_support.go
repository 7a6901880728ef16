package compliance

import (
	"context"
	"fmt"
	"strings"
)

// Clause 7: resources, competence, awareness, communication, documented
// information and knowledge.

var (
	_ = Register(Rule{ID: "7.1-resource-plan", Clause: "7.1", Title: "A resource plan (staff and budget) is approved and current",
		Todo: "Record the staff and budget the SMS needs, planned against actual, in an approved resource plan.",
		Eval: func(ctx context.Context, in Input) (Result, error) {
			return approvedDocument(ctx, in, "resource plan", "doc_type = 'resource_plan'")
		}})
	_ = Register(Rule{ID: "7.2-competence-covered", Clause: "7.2", Title: "People hold the skill levels their job roles need",
		Todo: "Assess the people whose level is below what their role needs and plan training for them.",
		Eval: competenceCovered})
	_ = Register(Rule{ID: "7.2-training-effective", Clause: "7.2", Title: "Training is checked for effectiveness",
		Todo: "Check whether the training of the last year worked and record the result.",
		Eval: trainingEffective})
	_ = Register(Rule{ID: "7.3-awareness", Clause: "7.3", Title: "Staff have an induction or awareness record",
		Todo: "Give the staff without one an induction or awareness session on the SMS and record it.",
		Eval: awareness})
	_ = Register(Rule{ID: "7.4-communication-plan", Clause: "7.4", Title: "A communication plan is approved and current",
		Todo: "Write what is communicated, to whom, when and by whom, and have the plan approved.",
		Eval: func(ctx context.Context, in Input) (Result, error) {
			return approvedDocument(ctx, in, "communication plan", "doc_type = 'communication_plan'")
		}})
	_ = Register(Rule{ID: "7.5-documents-controlled", Clause: "7.5", Title: "Approved documents have an owner, an approver and a review date not passed",
		Todo: "Complete the owner and approver of each approved document and review those whose date has passed.",
		Eval: documentsControlled})
	_ = Register(Rule{ID: "7.5-mandatory-set", Clause: "7.5", Title: "The documents the SMS must have are approved",
		Todo: "Write and approve the missing documents: policy, SMS plan, resource plan, communication plan and process descriptions.",
		Eval: mandatoryDocuments})
	_ = Register(Rule{ID: "7.6-known-errors-workaround", Clause: "7.6", Title: "Known errors carry a workaround for the desk",
		Todo: "Write a workaround on each known error, or say that none exists.",
		Eval: knownErrorsWorkaround})
	_ = Register(Rule{ID: "7.6-known-errors-used", Clause: "7.6", Title: "Known errors are linked to the incidents they explain",
		Todo: "Link incidents to the known errors they match, so the knowledge is seen to be used.",
		Eval: knownErrorsUsed})
)

func competenceCovered(ctx context.Context, in Input) (Result, error) {
	var total, held int
	if err := scan(ctx, in.Q, []*int{&total, &held}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN us.level >= rs.level THEN 1 ELSE 0 END), 0)
		FROM user_job_roles ur
		JOIN job_role_skills rs ON rs.role_id = ur.role_id
		JOIN users u ON u.id = ur.user_id AND u.active
		LEFT JOIN user_skills us ON us.user_id = ur.user_id AND us.skill_id = rs.skill_id`); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/competence", ""), `SELECT DISTINCT u.id, u.name FROM user_job_roles ur
		JOIN job_role_skills rs ON rs.role_id = ur.role_id
		JOIN users u ON u.id = ur.user_id AND u.active
		LEFT JOIN user_skills us ON us.user_id = ur.user_id AND us.skill_id = rs.skill_id
		WHERE us.level IS NULL OR us.level < rs.level ORDER BY u.name LIMIT 20`)
	if err != nil {
		return Result{}, err
	}
	for i := range links {
		links[i].URL = strings.Replace(links[i].URL, "/competence/", "/competence?user=", 1)
	}
	return ratio{good: held, total: total, met: 0.90, partly: 0.70, links: links,
		noDataSummary: "No job roles with required skills are assigned to people yet.",
		// People grow into a role: a few gaps being trained for are normal.
		summary: fmt.Sprintf("%s of the %s skills people's roles need are held at the level needed; %s.", pct(held, total), num(total), thresholds(0.90, 0.70)),
		numbers: []Number{countNum("Skills needed by people's roles", total, "/competence"), countNum("Below the level needed", total-held, "/competence")}}.result(), nil
}

func trainingEffective(ctx context.Context, in Input) (Result, error) {
	from, _, p := window(in, year)
	// Effectiveness can only be judged some weeks after the training.
	until := day(in.Now.AddDate(0, 0, -30))
	var total, checked int
	if err := scan(ctx, in.Q, []*int{&total, &checked}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN effectiveness <> 'pending' THEN 1 ELSE 0 END), 0)
		FROM trainings WHERE kind IN ('training', 'certification') AND completed_on >= ? AND completed_on < ?`, day(from), until); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/competence", ""), `SELECT t.id, t.title FROM trainings t
		WHERE t.kind IN ('training', 'certification') AND t.completed_on >= ? AND t.completed_on < ? AND t.effectiveness = 'pending' ORDER BY t.completed_on, t.id LIMIT 20`, day(from), until)
	if err != nil {
		return Result{}, err
	}
	for i := range links {
		links[i].URL = strings.Replace(links[i].URL, "/competence/", "/competence?training=", 1)
	}
	return ratio{good: checked, total: total, met: 0.90, partly: 0.60, period: p, links: links,
		noDataSummary: "No training completed between a year and a month ago is recorded.",
		summary: fmt.Sprintf("%s of the %s trainings completed in the last year (more than 30 days ago) were checked for effectiveness; %s.",
			pct(checked, total), num(total), thresholds(0.90, 0.60)),
		numbers: []Number{countNum("Trainings", total, "/competence"), countNum("Not yet checked", total-checked, "/competence")}}.result(), nil
}

func awareness(ctx context.Context, in Input) (Result, error) {
	var records, staff, aware int
	if err := scan(ctx, in.Q, []*int{&records, &staff, &aware}, `SELECT
		(SELECT COUNT(*) FROM trainings WHERE kind IN ('induction', 'awareness')),
		COUNT(*),
		COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM trainings t WHERE t.user_id = u.id AND t.kind IN ('induction', 'awareness')) THEN 1 ELSE 0 END), 0)
		FROM users u WHERE u.active AND u.role IN ('admin', 'agent')`); err != nil {
		return Result{}, err
	}
	if records == 0 {
		return noData("No induction or awareness records are kept yet."), nil
	}
	links, err := linkRows(ctx, in.Q, to("/users", ""), `SELECT u.id, u.name FROM users u WHERE u.active AND u.role IN ('admin', 'agent')
		AND NOT EXISTS (SELECT 1 FROM trainings t WHERE t.user_id = u.id AND t.kind IN ('induction', 'awareness')) ORDER BY u.name LIMIT 20`)
	if err != nil {
		return Result{}, err
	}
	return ratio{good: aware, total: staff, links: links,
		noDataSummary: "No active staff are recorded.",
		summary:       fmt.Sprintf("%s of the %s active staff have an induction or awareness record; %s.", pct(aware, staff), num(staff), thresholds(shareMet, sharePartly)),
		numbers:       []Number{countNum("Active staff", staff, "/users"), countNum("Without an awareness record", staff-aware, "/competence")}}.result(), nil
}

func documentsControlled(ctx context.Context, in Input) (Result, error) {
	today := day(in.Now)
	var total, good int
	if err := scan(ctx, in.Q, []*int{&total, &good}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN owner_id IS NOT NULL AND approver_id IS NOT NULL AND next_review >= ? AND current_version_id IS NOT NULL THEN 1 ELSE 0 END), 0)
		FROM documents WHERE status = 'approved'`, today); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/documents", ""), `SELECT id, title FROM documents WHERE status = 'approved'
		AND (owner_id IS NULL OR approver_id IS NULL OR next_review IS NULL OR next_review < ? OR current_version_id IS NULL) ORDER BY next_review, id LIMIT 20`, today)
	if err != nil {
		return Result{}, err
	}
	return ratio{good: good, total: total, links: links,
		noDataSummary: "No approved documents are recorded yet.",
		summary:       fmt.Sprintf("%s of the %s approved documents have an owner, an approver, a version in force and a review date not yet passed; %s.", pct(good, total), num(total), thresholds(shareMet, sharePartly)),
		numbers:       []Number{countNum("Approved documents", total, "/documents"), countNum("Incomplete or overdue for review", total-good, "/documents?review=overdue")}}.result(), nil
}

// mandatoryTypes are the document types an SMS keeps, with how people name them.
var mandatoryTypes = []struct{ docType, words string }{
	{"policy", "service management policy"},
	{"sms_plan", "SMS plan"},
	{"resource_plan", "resource plan"},
	{"communication_plan", "communication plan"},
	{"process", "process descriptions"},
}

func mandatoryDocuments(ctx context.Context, in Input) (Result, error) {
	var docs int
	if err := scan(ctx, in.Q, []*int{&docs}, `SELECT COUNT(*) FROM documents`); err != nil {
		return Result{}, err
	}
	if docs == 0 {
		return noData("No documents are recorded yet."), nil
	}
	var missing []string
	res := Result{}
	for _, t := range mandatoryTypes {
		var n int
		if err := scan(ctx, in.Q, []*int{&n}, `SELECT COUNT(*) FROM documents WHERE doc_type = ? AND status = 'approved'`, t.docType); err != nil {
			return Result{}, err
		}
		if n == 0 {
			missing = append(missing, t.words)
			res.Links = append(res.Links, Link{Label: "Documents: " + t.words, URL: "/documents?type=" + t.docType})
		}
	}
	have := len(mandatoryTypes) - len(missing)
	res.Numbers = []Number{countNum("Kinds of document required", len(mandatoryTypes), "/documents"), countNum("Approved", have, "/documents")}
	switch {
	case len(missing) == 0:
		res.Status, res.Summary = Met, "Every kind of document the SMS must keep has an approved document."
	case have*2 >= len(mandatoryTypes):
		res.Status, res.Summary = PartlyMet, "No approved document yet for: "+strings.Join(missing, ", ")+"."
	default:
		res.Status, res.Summary = NotMet, "No approved document yet for: "+strings.Join(missing, ", ")+"."
	}
	return res, nil
}

func knownErrorsWorkaround(ctx context.Context, in Input) (Result, error) {
	var total, with int
	if err := scan(ctx, in.Q, []*int{&total, &with}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN workaround <> '' THEN 1 ELSE 0 END), 0)
		FROM problems WHERE state = 'known_error'`); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/problems", "PRB-"), `SELECT id, title FROM problems
		WHERE state = 'known_error' AND workaround = '' ORDER BY id LIMIT 20`)
	if err != nil {
		return Result{}, err
	}
	return ratio{good: with, total: total, met: 0.90, partly: 0.70, links: links,
		noDataSummary: "No known errors are recorded yet.",
		// Some known errors honestly have no workaround.
		summary: fmt.Sprintf("%s of the %s known errors carry a workaround; %s.", pct(with, total), num(total), thresholds(0.90, 0.70)),
		numbers: []Number{countNum("Known errors", total, "/known-errors"), countNum("Without a workaround", total-with, "/known-errors")}}.result(), nil
}

func knownErrorsUsed(ctx context.Context, in Input) (Result, error) {
	var total, used int
	if err := scan(ctx, in.Q, []*int{&total, &used}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM record_links l WHERE l.to_kind = 'problem' AND l.to_id = p.id AND l.from_kind = 'incident') THEN 1 ELSE 0 END), 0)
		FROM problems p WHERE p.state = 'known_error'`); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/problems", "PRB-"), `SELECT p.id, p.title FROM problems p WHERE p.state = 'known_error'
		AND NOT EXISTS (SELECT 1 FROM record_links l WHERE l.to_kind = 'problem' AND l.to_id = p.id AND l.from_kind = 'incident') ORDER BY p.id LIMIT 20`)
	if err != nil {
		return Result{}, err
	}
	return ratio{good: used, total: total, met: 0.80, partly: 0.50, links: links,
		noDataSummary: "No known errors are recorded yet.",
		// A known error found by analysis may not have matched an incident yet.
		summary: fmt.Sprintf("%s of the %s known errors are linked to at least one incident; %s.", pct(used, total), num(total), thresholds(0.80, 0.50)),
		numbers: []Number{countNum("Known errors", total, "/known-errors"), countNum("Linked to no incident", total-used, "/known-errors")}}.result(), nil
}
