package compliance

import (
	"context"
	"fmt"

	"steward/internal/store"
)

// Clauses 8.1 and 8.2: operational control and the service portfolio
// (delivery, planning, other parties, catalogue, assets, configuration).

var (
	_ = Register(Rule{ID: "8.1-operational-controls", Clause: "8.1", Title: "The operational processes of clause 8 are described and owned",
		Todo: "Describe each operational process (its criteria and controls) in an approved document and appoint its owner.",
		Eval: operationalControls})
	_ = Register(Rule{ID: "8.2.1-services-run", Clause: "8.2.1", Title: "Live services have an owner and a support group",
		Todo: "Name an owner and a support group for each live service.",
		Eval: servicesRun})
	_ = Register(Rule{ID: "8.2.2-service-requirements", Clause: "8.2.2", Title: "Live services have requirements recorded",
		Todo: "Record what customers and other parties require of each live service.",
		Eval: serviceRequirements})
	_ = Register(Rule{ID: "8.2.3-parties-controlled", Clause: "8.2.3", Title: "Other parties that run parts of the services are under agreement",
		Todo: "Record an underpinning contract or OLA, with its review date, for each party that runs a process or component.",
		Eval: partiesControlled})
	_ = Register(Rule{ID: "8.2.4-catalogue-complete", Clause: "8.2.4", Title: "Catalogue entries of live services are complete",
		Todo: "Complete the description, owner, support group and service hours of each live service.",
		Eval: catalogueComplete})
	_ = Register(Rule{ID: "8.2.5-assets-owned", Clause: "8.2.5", Title: "Assets in use have an owner",
		Todo: "Name an owner or responsible group for each asset in use.",
		Eval: assetsOwned})
	_ = Register(Rule{ID: "8.2.5-licences-current", Clause: "8.2.5", Title: "Assets in use are within their licence term",
		Todo: "Renew or retire the assets in use whose licence has ended.",
		Eval: licencesCurrent})
	_ = Register(Rule{ID: "8.2.6-cis-owned", Clause: "8.2.6", Title: "Configuration items in use have an owner or group",
		Todo: "Give each CI in use an owner or a responsible group.",
		Eval: cisOwned})
	_ = Register(Rule{ID: "8.2.6-verified", Clause: "8.2.6", Title: "The CMDB was verified against a baseline in the last year",
		Todo: "Verify the CIs against a baseline and resolve the differences found.",
		Eval: cmdbVerified})
	_ = Register(Rule{ID: "8.2.6-changes-traced", Clause: "8.2.6", Title: "Changes to CIs are traced to a change record",
		Todo: "Make CI changes under a change record and name it when editing or importing CIs.",
		Eval: ciChangesTraced})
)

func operationalControls(ctx context.Context, in Input) (Result, error) {
	var total, controlled, docs int
	if err := scan(ctx, in.Q, []*int{&total, &controlled, &docs}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN p.owner_id IS NOT NULL AND EXISTS (SELECT 1 FROM documents d WHERE d.process_key = p.key
			AND d.doc_type IN ('process', 'procedure') AND d.status = 'approved') THEN 1 ELSE 0 END), 0),
		(SELECT COUNT(*) FROM documents WHERE doc_type IN ('process', 'procedure'))
		FROM processes p WHERE p.clause LIKE '8.%'`); err != nil {
		return Result{}, err
	}
	if docs == 0 {
		return noData("No process or procedure documents are recorded yet."), nil
	}
	links, err := linkRows(ctx, in.Q, to("/processes", ""), `SELECT p.id, p.name FROM processes p WHERE p.clause LIKE '8.%'
		AND (p.owner_id IS NULL OR NOT EXISTS (SELECT 1 FROM documents d WHERE d.process_key = p.key
			AND d.doc_type IN ('process', 'procedure') AND d.status = 'approved')) ORDER BY p.id LIMIT 20`)
	if err != nil {
		return Result{}, err
	}
	return ratio{good: controlled, total: total, links: links,
		summary: fmt.Sprintf("%d of the %d operational processes have an owner and an approved description; %s.", controlled, total, thresholds(shareMet, sharePartly)),
		numbers: []Number{countNum("Operational processes", total, "/processes"), countNum("Without owner or description", total-controlled, "/processes")}}.result(), nil
}

func servicesRun(ctx context.Context, in Input) (Result, error) {
	var total, good int
	if err := scan(ctx, in.Q, []*int{&total, &good}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN owner_id IS NOT NULL AND support_group_id IS NOT NULL THEN 1 ELSE 0 END), 0)
		FROM services WHERE status = 'live'`); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/services", ""), `SELECT id, name FROM services WHERE status = 'live'
		AND (owner_id IS NULL OR support_group_id IS NULL) ORDER BY id LIMIT 20`)
	if err != nil {
		return Result{}, err
	}
	return ratio{good: good, total: total, links: links,
		noDataSummary: "No live services are recorded yet.",
		summary:       fmt.Sprintf("%s of the %s live services have an owner and a support group; %s.", pct(good, total), num(total), thresholds(shareMet, sharePartly)),
		numbers:       []Number{countNum("Live services", total, "/services?status=live"), countNum("Without owner or support group", total-good, "/services?status=live")}}.result(), nil
}

func serviceRequirements(ctx context.Context, in Input) (Result, error) {
	var reqs, total, with int
	if err := scan(ctx, in.Q, []*int{&reqs, &total, &with}, `SELECT
		(SELECT COUNT(*) FROM party_requirements WHERE service_id IS NOT NULL),
		COUNT(*),
		COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM party_requirements r WHERE r.service_id = s.id) THEN 1 ELSE 0 END), 0)
		FROM services s WHERE s.status = 'live'`); err != nil {
		return Result{}, err
	}
	if reqs == 0 {
		return noData("No requirements are traced to services yet."), nil
	}
	links, err := linkRows(ctx, in.Q, to("/services", ""), `SELECT s.id, s.name FROM services s WHERE s.status = 'live'
		AND NOT EXISTS (SELECT 1 FROM party_requirements r WHERE r.service_id = s.id) ORDER BY s.id LIMIT 20`)
	if err != nil {
		return Result{}, err
	}
	return ratio{good: with, total: total, links: links,
		noDataSummary: "No live services are recorded yet.",
		summary:       fmt.Sprintf("%s of the %s live services have requirements recorded against them; %s.", pct(with, total), num(total), thresholds(shareMet, sharePartly)),
		numbers:       []Number{countNum("Live services", total, "/services?status=live"), countNum("Without requirements", total-with, "/parties")}}.result(), nil
}

func partiesControlled(ctx context.Context, in Input) (Result, error) {
	today := day(in.Now)
	var total, good int
	if err := scan(ctx, in.Q, []*int{&total, &good}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN (supplier_name <> '' OR group_id IS NOT NULL) AND review_date >= ?
			AND (contract_end IS NULL OR contract_end >= ?) THEN 1 ELSE 0 END), 0)
		FROM agreements WHERE active AND kind IN ('ola', 'uc')`, today, today); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/agreements", ""), `SELECT id, name FROM agreements WHERE active AND kind IN ('ola', 'uc')
		AND NOT ((supplier_name <> '' OR group_id IS NOT NULL) AND review_date >= ? AND (contract_end IS NULL OR contract_end >= ?)) ORDER BY id LIMIT 20`, today, today)
	if err != nil {
		return Result{}, err
	}
	return ratio{good: good, total: total, links: links,
		noDataSummary: "No operational level agreements or underpinning contracts are recorded yet.",
		summary: fmt.Sprintf("%s of the %s active OLAs and underpinning contracts name the other party, are within their term and have a review date not yet passed; %s.",
			pct(good, total), num(total), thresholds(shareMet, sharePartly)),
		numbers: []Number{countNum("Active OLAs and contracts", total, "/agreements"), countNum("Incomplete, ended or overdue for review", total-good, "/agreements")}}.result(), nil
}

func catalogueComplete(ctx context.Context, in Input) (Result, error) {
	var total, good int
	if err := scan(ctx, in.Q, []*int{&total, &good}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN description <> '' AND owner_id IS NOT NULL AND support_group_id IS NOT NULL AND hours <> '' THEN 1 ELSE 0 END), 0)
		FROM services WHERE status = 'live'`); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/services", ""), `SELECT id, name FROM services WHERE status = 'live'
		AND (description = '' OR owner_id IS NULL OR support_group_id IS NULL OR hours = '') ORDER BY id LIMIT 20`)
	if err != nil {
		return Result{}, err
	}
	return ratio{good: good, total: total, links: links,
		noDataSummary: "No live services are recorded yet.",
		summary:       fmt.Sprintf("%s of the %s live services have a description, an owner, a support group and service hours in the catalogue; %s.", pct(good, total), num(total), thresholds(shareMet, sharePartly)),
		numbers:       []Number{countNum("Live services", total, "/services?status=live"), countNum("Incomplete entries", total-good, "/services?status=live")}}.result(), nil
}

func assetsOwned(ctx context.Context, in Input) (Result, error) {
	var total, owned int
	if err := scan(ctx, in.Q, []*int{&total, &owned}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN c.owner_id IS NOT NULL OR c.group_id IS NOT NULL THEN 1 ELSE 0 END), 0)
		FROM assets a CROSS JOIN cis c WHERE c.id = a.ci_id AND c.status = 'in_use'`); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/cis", ""), `SELECT c.id, c.name FROM assets a CROSS JOIN cis c
		WHERE c.id = a.ci_id AND c.status = 'in_use' AND c.owner_id IS NULL AND c.group_id IS NULL ORDER BY c.id LIMIT 20`)
	if err != nil {
		return Result{}, err
	}
	return ratio{good: owned, total: total, links: links,
		noDataSummary: "No asset records (purchase, warranty, licence) are kept on CIs yet.",
		summary:       fmt.Sprintf("%s of the %s assets in use have an owner or a responsible group; %s.", pct(owned, total), num(total), thresholds(shareMet, sharePartly)),
		numbers:       []Number{countNum("Assets in use", total, "/cis?status=in_use"), countNum("Without an owner", total-owned, "/cis?status=in_use")}}.result(), nil
}

func licencesCurrent(ctx context.Context, in Input) (Result, error) {
	today := day(in.Now)
	var total, current int
	if err := scan(ctx, in.Q, []*int{&total, &current}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN a.licence_end >= ? THEN 1 ELSE 0 END), 0)
		FROM assets a CROSS JOIN cis c WHERE c.id = a.ci_id AND c.status = 'in_use' AND a.licence_end IS NOT NULL`, today); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/cis", ""), `SELECT c.id, c.name FROM assets a CROSS JOIN cis c
		WHERE c.id = a.ci_id AND c.status = 'in_use' AND a.licence_end < ? ORDER BY a.licence_end LIMIT 20`, today)
	if err != nil {
		return Result{}, err
	}
	// A lapsed licence on software in use is a breach of contract: the bar
	// is all of them.
	return ratio{good: current, total: total, met: 1, partly: shareMet, links: links,
		noDataSummary: "No licence terms are recorded on assets yet.",
		summary:       fmt.Sprintf("%s of the %s licensed assets in use are within their licence term; met when all are, partly met from 95%%.", pct(current, total), num(total)),
		numbers:       []Number{countNum("Licensed assets in use", total, "/licences"), countNum("Licence ended", total-current, "/licences")}}.result(), nil
}

func cisOwned(ctx context.Context, in Input) (Result, error) {
	// Two counts read from indexes alone: the CIs in use, and the few
	// without owner or group (a partial index holds only those).
	var total, unowned int
	if err := scan(ctx, in.Q, []*int{&total}, `SELECT COUNT(*) FROM cis WHERE status = 'in_use'`); err != nil {
		return Result{}, err
	}
	if err := scan(ctx, in.Q, []*int{&unowned}, `SELECT COUNT(*) FROM cis WHERE status = 'in_use' AND owner_id IS NULL AND group_id IS NULL`); err != nil {
		return Result{}, err
	}
	owned := total - unowned
	links, err := linkRows(ctx, in.Q, to("/cis", ""), `SELECT id, name FROM cis WHERE status = 'in_use'
		AND owner_id IS NULL AND group_id IS NULL ORDER BY id LIMIT 20`)
	if err != nil {
		return Result{}, err
	}
	return ratio{good: owned, total: total, links: links,
		noDataSummary: "No configuration items in use are recorded yet.",
		summary:       fmt.Sprintf("%s of the %s CIs in use have an owner or a responsible group; %s.", pct(owned, total), num(total), thresholds(shareMet, sharePartly)),
		numbers:       []Number{countNum("CIs in use", total, "/cis?status=in_use"), countNum("Without owner or group", unowned, "/cis?status=in_use")}}.result(), nil
}

func cmdbVerified(ctx context.Context, in Input) (Result, error) {
	from, _, p := window(in, year)
	var runs, recent int
	if err := scan(ctx, in.Q, []*int{&runs, &recent}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN created_at >= ? THEN 1 ELSE 0 END), 0) FROM ci_verifications`, store.TS(from)); err != nil {
		return Result{}, err
	}
	if runs == 0 {
		return noData("No verification of CIs against a baseline is recorded yet."), nil
	}
	if recent == 0 {
		return Result{Status: NotMet, Period: p, Summary: "The CMDB was last verified more than a year ago.",
			Numbers: []Number{countNum("Verifications", runs, "/baselines")}, Links: []Link{{Label: "Baselines", URL: "/baselines"}}}, nil
	}
	var id int64
	if err := in.Q.QueryRow(ctx, `SELECT id FROM ci_verifications ORDER BY created_at DESC, id DESC LIMIT 1`).Scan(&id); err != nil {
		return Result{}, err
	}
	var items, ok int
	if err := scan(ctx, in.Q, []*int{&items, &ok}, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN result = 'ok' THEN 1 ELSE 0 END), 0)
		FROM ci_verification_items WHERE verification_id = ?`, id); err != nil {
		return Result{}, err
	}
	res := ratio{good: ok, total: items, period: p,
		noDataSummary: "The last verification checked no CIs.",
		summary: fmt.Sprintf("The CMDB was verified %d %s in the last year; in the latest, %s of the %s CIs checked matched their baseline; %s.",
			recent, plural(recent, "time", "times"), pct(ok, items), num(items), thresholds(shareMet, sharePartly)),
		numbers: []Number{countNum("Verifications in the last year", recent, "/baselines"), shareNum("Matched in the latest", ok, items, "/baselines")},
		links:   []Link{{Label: "Baselines and verifications", URL: "/baselines"}}}.result()
	return res, nil
}

func ciChangesTraced(ctx context.Context, in Input) (Result, error) {
	from, _, p := window(in, quarter)
	var total, traced int
	if err := scan(ctx, in.Q, []*int{&total, &traced}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN change_ref <> '' THEN 1 ELSE 0 END), 0)
		FROM ci_history WHERE at >= ? AND action IN ('update', 'delete', 'relate', 'unrelate')`, store.TS(from)); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, to("/cis", ""), `SELECT h.ci_id, COALESCE(c.name, '') FROM ci_history h LEFT JOIN cis c ON c.id = h.ci_id
		WHERE h.at >= ? AND h.action IN ('update', 'delete', 'relate', 'unrelate') AND h.change_ref = '' ORDER BY h.seq DESC LIMIT 20`, store.TS(from))
	if err != nil {
		return Result{}, err
	}
	// Small corrections (a typo in a name) are often made without a change;
	// the bar is lower than for record completeness.
	return ratio{good: traced, total: total, met: 0.90, partly: 0.60, period: p, links: links,
		noDataSummary: "No CI was changed in the last 90 days.",
		summary:       fmt.Sprintf("%s of the %s CI changes of the last 90 days name the change record behind them; %s.", pct(traced, total), num(total), thresholds(0.90, 0.60)),
		numbers:       []Number{countNum("CI changes", total, "/cis"), shareNum("Traced to a change", traced, total, "/changes")}}.result(), nil
}
