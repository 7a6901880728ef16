package demo

import (
	"context"
	"fmt"
	"time"

	"steward/internal/auth"
	"steward/internal/internalaudit"
	"steward/internal/nonconformity"
	"steward/internal/review"
	"steward/internal/store"
)

// loadChecking loads the management system's checking and correcting: this
// year's audit programme with a reported audit of incident and change
// management (conforming lines, a minor nonconformity, an observation and
// an opportunity for improvement) and a planned one; three
// nonconformities (one closed after its effectiveness check, the audit's
// with an overdue action, one from an incident still open); a management
// review held five months ago with its actions and one planned next month.
func loadChecking(ctx context.Context, db *store.DB) error {
	var n int
	if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM internal_audits").Scan(&n); err != nil || n > 0 {
		return err
	}
	people := map[string]*auth.Principal{}
	for _, email := range []string{"admin@steward.demo", "auditor@steward.demo", "jonas.berg@steward.demo", "mei.chen@steward.demo",
		"sam.patel@steward.demo", "tom.okafor@steward.demo"} {
		u, err := auth.UserByEmail(ctx, db, email)
		if err != nil {
			return err
		}
		people[email] = &auth.Principal{UserID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role}
	}
	ada, otto := people["admin@steward.demo"], people["auditor@steward.demo"]
	jonas, mei, sam, tom := people["jonas.berg@steward.demo"], people["mei.chen@steward.demo"], people["sam.patel@steward.demo"], people["tom.okafor@steward.demo"]
	now := time.Now().UTC()
	clock := now
	ncs := nonconformity.NewService(db)
	ncs.Now = func() time.Time { return clock }
	audits := internalaudit.NewService(db, ncs)
	audits.Now = func() time.Time { return clock }
	reviews := review.NewService(db)
	reviews.Now = func() time.Time { return clock }
	day := func(t time.Time) string { return t.Format(nonconformity.DateLayout) }

	year := now.Year()
	prog, err := audits.SaveProgramme(ctx, ada, 0, internalaudit.ProgrammeInput{Name: ptr(fmt.Sprintf("Internal audit programme %d", year)),
		PeriodStart: ptr(fmt.Sprintf("%d-01-01", year)), PeriodEnd: ptr(fmt.Sprintf("%d-12-31", year)), OwnerID: &ada.UserID}, 0)
	if err != nil {
		return err
	}
	var procs []int64
	for _, key := range []string{"incident", "change"} {
		var id int64
		if err := db.QueryRow(ctx, "SELECT id FROM processes WHERE key = ?", key).Scan(&id); err != nil {
			return err
		}
		procs = append(procs, id)
	}

	// The reported audit, about two months ago.
	started := now.AddDate(0, -2, -3)
	clock = started.Add(-14 * 24 * time.Hour)
	a, err := audits.Save(ctx, ada, 0, internalaudit.AuditInput{ProgrammeID: &prog.ID, Title: ptr("Incident and change management"),
		Scope:    ptr("The service desk and the change advisory board, all services, records of the last six months."),
		Criteria: ptr("ISO/IEC 20000-1 clauses in scope, the incident and change management procedures, the SLAs."),
		Clauses:  &[]string{"7.6", "8.6", "9.1"}, ProcessIDs: &procs, LeadID: &otto.UserID, AuditorIDs: &[]int64{}, PlannedOn: ptr(day(started))}, 0)
	if err != nil {
		return err
	}
	clock = started
	if a, err = audits.Start(ctx, otto, a.ID, 0); err != nil {
		return err
	}
	items, err := audits.Items(ctx, otto, a.ID)
	if err != nil {
		return err
	}
	var incs []string
	rows, err := db.Query(ctx, "SELECT id FROM incidents ORDER BY priority, id LIMIT 3")
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		incs = append(incs, fmt.Sprintf("INC-%06d", id))
	}
	rows.Close()
	findings := map[string]internalaudit.ItemInput{
		"7.6": {Result: ptr("ofi"), Notes: ptr("Known errors are recorded and searched from the incident page, but agents rarely link the known error they applied. Linking would show the knowledge base is used."),
			Evidence: &[]string{"/known-errors"}},
		"8.5.1": {Result: ptr("minor_nc"), Notes: ptr("Two of the five emergency changes sampled had no post-implementation review recorded.")},
		"8.6.1": {Result: ptr("conforming"), Notes: ptr("Sampled incidents carry priority and category; major incidents were reviewed."), Evidence: &incs},
		"8.6.2": {Result: ptr("conforming"), Notes: ptr("Requests are kept apart from incidents with their own fulfilment targets."), Evidence: &[]string{"/requests"}},
		"8.6.3": {Result: ptr("conforming"), Notes: ptr("Problems record root cause and workaround; trends are reviewed weekly."), Evidence: &[]string{"/problems/trends"}},
		"9.1":   {Result: ptr("observation"), Notes: ptr("The change KPIs are computed but nobody reviews them on a schedule yet.")},
	}
	var ncFromAudit string
	for i, it := range items {
		in, ok := findings[it.Clause]
		if !ok {
			in = internalaudit.ItemInput{Result: ptr("conforming")}
		}
		clock = started.Add(time.Duration(i+1) * 3 * time.Hour)
		got, err := audits.RecordItem(ctx, otto, a.ID, it.ID, in)
		if err != nil {
			return fmt.Errorf("demo audit line %s: %w", it.Clause, err)
		}
		if got.NC != "" {
			ncFromAudit = got.NC
		}
	}
	clock = started.AddDate(0, 0, 2)
	if _, err := audits.ReportAudit(ctx, otto, a.ID, ptr("Incident handling is sound. Emergency changes need their reviews; the change KPIs need an owner who reviews them."), 0); err != nil {
		return err
	}

	// The audit's nonconformity: under corrective action, one action overdue.
	if id, ok := nonconformity.ParseRef(ncFromAudit); ok {
		clock = started.AddDate(0, 0, 5)
		if _, err := ncs.Update(ctx, ada, id, nonconformity.Patch{OwnerID: &jonas.UserID,
			Reaction:  ptr("The two changes were reviewed after the audit; neither caused an incident."),
			RootCause: ptr("The emergency change form does not ask for a review date, so reviews are forgotten once the change is closed."),
			State:     ptr(nonconformity.InAction)}, 0); err != nil {
			return err
		}
		if _, err := ncs.AddAction(ctx, ada, id, nonconformity.NewAction{Title: "Add a review due date to emergency changes", OwnerID: &jonas.UserID,
			DueOn: day(now.AddDate(0, 0, -12))}); err != nil {
			return err
		}
		if _, err := ncs.AddAction(ctx, ada, id, nonconformity.NewAction{Title: "Brief the change advisory board on post-implementation reviews",
			OwnerID: &mei.UserID, DueOn: day(now.AddDate(0, 0, 20))}); err != nil {
			return err
		}
	}

	// A nonconformity closed after its effectiveness check.
	clock = now.AddDate(0, -4, 0)
	closed, err := ncs.Create(ctx, ada, nonconformity.NewNC{Title: "Backup restores were never tested", Source: "review", Clause: "8.7.2",
		Severity: "major", OwnerID: &tom.UserID, Description: "The continuity plan relies on nightly backups, but no restore had been tried in a year.",
		Reaction: "A restore of the ERP database was tested the same week: it worked."}, nil)
	if err != nil {
		return err
	}
	if _, err := ncs.Update(ctx, ada, closed.ID, nonconformity.Patch{RootCause: ptr("Restore tests had no owner and no schedule."),
		State: ptr(nonconformity.InAction)}, 0); err != nil {
		return err
	}
	act, err := ncs.AddAction(ctx, ada, closed.ID, nonconformity.NewAction{Title: "Schedule a quarterly restore test with an owner", OwnerID: &tom.UserID,
		DueOn: day(now.AddDate(0, -3, 0))})
	if err != nil {
		return err
	}
	clock = now.AddDate(0, -3, -6)
	if _, err := ncs.UpdateAction(ctx, tom, act.ID, nonconformity.ActionPatch{Status: ptr("done"), Note: ptr("Quarterly test booked with Tom as owner.")}, 0); err != nil {
		return err
	}
	clock = now.AddDate(0, -2, -5)
	if _, err := ncs.Update(ctx, ada, closed.ID, nonconformity.Patch{Effectiveness: ptr(nonconformity.Effective)}, 0); err != nil {
		return err
	}

	// A nonconformity from an incident, still open.
	var incID int64
	if err := db.QueryRow(ctx, "SELECT id FROM incidents ORDER BY priority, id DESC LIMIT 1").Scan(&incID); err == nil {
		clock = now.AddDate(0, 0, -6)
		if _, err := ncs.Create(ctx, ada, nonconformity.NewNC{Title: "Major incident handled without the major-incident procedure",
			Source: "incident", SourceRef: fmt.Sprintf("INC-%06d", incID), Clause: "8.6.1", Severity: "minor", OwnerID: &sam.UserID,
			Description: "No major-incident manager was named and customers were not told for two hours.",
			Reaction:    "Customers were informed and the incident was reviewed.", DueOn: ptr(day(now.AddDate(0, 0, 24)))}, nil); err != nil {
			return err
		}
	}

	// The review held five months ago, and the next one.
	heldOn := now.AddDate(0, -5, 0)
	clock = heldOn.AddDate(0, 0, -10)
	rv, err := reviews.Save(ctx, ada, 0, review.Input{Title: ptr("Management review, first half"), PlannedOn: ptr(day(heldOn)),
		PeriodFrom: ptr(day(heldOn.AddDate(0, -6, 0))), PeriodTo: ptr(day(heldOn.AddDate(0, 0, -1))), ChairID: &ada.UserID,
		Attendees: &[]review.Attendee{{UserID: ada.UserID, Role: "Managing director (top management)"}, {UserID: jonas.UserID, Role: "Change manager"},
			{UserID: sam.UserID, Role: "Service desk lead"}, {UserID: otto.UserID, Role: "Internal auditor"}}}, 0)
	if err != nil {
		return err
	}
	clock = heldOn.AddDate(0, 0, -2)
	if _, err := reviews.Compile(ctx, ada, rv.ID); err != nil {
		return err
	}
	clock = heldOn
	if _, err := reviews.Save(ctx, ada, rv.ID, review.Input{State: ptr(review.Held), HeldOn: ptr(day(heldOn)),
		Minutes:   ptr("The pack was walked through. Incident SLA attainment is steady; restore tests were the main gap; no supplier data yet."),
		Decisions: ptr("Fund a second on-call engineer. Plan an internal audit of incident and change management this year.")}, 0); err != nil {
		return err
	}
	done, err := reviews.AddAction(ctx, ada, rv.ID, nonconformity.NewAction{Title: "Plan the internal audit of incident and change management",
		OwnerID: &otto.UserID, DueOn: day(heldOn.AddDate(0, 2, 0))})
	if err != nil {
		return err
	}
	if _, err := reviews.AddAction(ctx, ada, rv.ID, nonconformity.NewAction{Title: "Recruit a second on-call engineer",
		OwnerID: &ada.UserID, DueOn: day(now.AddDate(0, 1, 0))}); err != nil {
		return err
	}
	clock = heldOn.AddDate(0, 1, 0)
	if _, err := ncs.UpdateAction(ctx, otto, done.ID, nonconformity.ActionPatch{Status: ptr("done")}, 0); err != nil {
		return err
	}
	clock = now
	next := now.AddDate(0, 1, 0)
	if _, err := reviews.Save(ctx, ada, 0, review.Input{Title: ptr("Management review, second half"), PlannedOn: ptr(day(next)),
		PeriodFrom: ptr(day(heldOn)), PeriodTo: ptr(day(next.AddDate(0, 0, -1))), ChairID: &ada.UserID,
		Attendees: &[]review.Attendee{{UserID: ada.UserID, Role: "Managing director (top management)"}, {UserID: otto.UserID, Role: "Internal auditor"}}}, 0); err != nil {
		return err
	}

	// The next audit, planned within the programme's year.
	soon := now.AddDate(0, 0, 12)
	if soon.Year() != year {
		soon = time.Date(year, 12, 30, 0, 0, 0, 0, time.UTC)
	}
	var slm, sup int64
	if err := db.QueryRow(ctx, "SELECT id FROM processes WHERE key = 'service_level'").Scan(&slm); err != nil {
		return err
	}
	if err := db.QueryRow(ctx, "SELECT id FROM processes WHERE key = 'supplier'").Scan(&sup); err != nil {
		return err
	}
	_, err = audits.Save(ctx, ada, 0, internalaudit.AuditInput{ProgrammeID: &prog.ID, Title: ptr("Service level and supplier management"),
		Scope: ptr("SLAs, OLAs and underpinning contracts in force; their reviews of the last year."), Criteria: ptr("Clauses 8.3.3 and 8.3.4, the SLA review procedure."),
		ProcessIDs: &[]int64{slm, sup}, LeadID: &otto.UserID, AuditorIDs: &[]int64{}, PlannedOn: ptr(day(soon))}, 0)
	return err
}
