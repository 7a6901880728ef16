package compliance

import (
	"context"
	"fmt"

	"steward/internal/infosec"
	"steward/internal/store"
)

// Clause 8.7.3: the controls register (ISO/IEC 27001:2022 Annex A) and
// breach notifications. The breach rule counts and never links: security
// incidents are read by the security group only, and readiness and the
// audit pack go to others.

var (
	_ = Register(Rule{ID: "8.7.3-soa", Clause: "8.7.3", Title: "Every Annex A control has an applicability decision",
		Todo: "Decide for each control of the controls register whether it applies, with the justification of those that do not.",
		Eval: controlsDecided})
	_ = Register(Rule{ID: "8.7.3-controls", Clause: "8.7.3", Title: "Applicable security controls are implemented",
		Todo: "Implement the applicable controls of the controls register and record their status and evidence.",
		Eval: controlsImplemented})
	_ = Register(Rule{ID: "8.7.3-breach-notice", Clause: "8.7.3", Title: "Personal-data breaches are notified on time",
		Todo: "Notify the supervisory authority within 72 hours of becoming aware of a personal-data breach, and the people concerned without undue delay.",
		Eval: breachNotices})
)

func controlsDecided(ctx context.Context, in Input) (Result, error) {
	var decided, rows int
	if err := scan(ctx, in.Q, []*int{&rows, &decided}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN applicability <> 'undecided' THEN 1 ELSE 0 END), 0) FROM security_controls`); err != nil {
		return Result{}, err
	}
	total := len(infosec.AnnexA)
	if decided == 0 {
		total = 0
	}
	return ratio{good: decided, total: total, met: 1, partly: sharePartly,
		noDataSummary: "No control of the controls register has an applicability decision yet.",
		summary: fmt.Sprintf("%s of the %s Annex A controls have an applicability decision; %s.",
			num(decided), num(len(infosec.AnnexA)), thresholds(1, sharePartly)),
		numbers: []Number{countNum("Controls decided", decided, "/controls"), countNum("Undecided", len(infosec.AnnexA)-decided, "/controls?applicability=undecided")},
		links:   []Link{{Label: "Statement of Applicability", URL: "/controls"}}}.result(), nil
}

func controlsImplemented(ctx context.Context, in Input) (Result, error) {
	var total, good int
	if err := scan(ctx, in.Q, []*int{&total, &good}, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN status = 'implemented' THEN 1 ELSE 0 END), 0)
		FROM security_controls WHERE applicability = 'applicable'`); err != nil {
		return Result{}, err
	}
	links, err := linkRows(ctx, in.Q, func(_ int64, ref string) Link {
		return Link{Label: "A." + ref, URL: "/controls/A." + ref}
	}, `SELECT 0, ref FROM security_controls WHERE applicability = 'applicable' AND status <> 'implemented' ORDER BY ref LIMIT 20`)
	if err != nil {
		return Result{}, err
	}
	return ratio{good: good, total: total, links: links,
		noDataSummary: "No control of the controls register is marked applicable yet.",
		summary: fmt.Sprintf("%s of the %s applicable controls are implemented; %s.",
			pct(good, total), num(total), thresholds(shareMet, sharePartly)),
		numbers: []Number{countNum("Applicable controls", total, "/controls?applicability=applicable"), countNum("Not yet implemented", total-good, "/controls?status=open")}}.result(), nil
}

// breachNotices judges the notification deadlines that fell due in the
// last year: each one met when the notice went out by its deadline.
func breachNotices(ctx context.Context, in Input) (Result, error) {
	from := in.Now.AddDate(0, 0, -year)
	rows, err := in.Q.Query(ctx, `SELECT personal_data, breach, breach_decided_at, aware_at, authority_notified_at, subjects_notified_at
		FROM security_incidents WHERE aware_at >= ? AND personal_data <> 'no' AND breach <> 'not_notifiable'`, store.TS(from.Add(-infosec.AuthorityWithin)))
	if err != nil {
		return Result{}, err
	}
	defer rows.Close()
	var total, good, overdue int
	for rows.Next() {
		var x infosec.Incident
		var decided, aware, authority, subjects store.Time
		if err := rows.Scan(&x.PersonalData, &x.Breach, &decided, &aware, &authority, &subjects); err != nil {
			return Result{}, err
		}
		x.BreachDecidedAt, x.AwareAt, x.AuthorityNotifiedAt, x.SubjectsNotifiedAt = decided.Ptr(), aware.Time, authority.Ptr(), subjects.Ptr()
		for _, c := range infosec.Clocks(x, in.Now) {
			if c.Due.Before(from) || c.State == infosec.ClockRunning {
				continue
			}
			total++
			switch c.State {
			case infosec.ClockOnTime:
				good++
			case infosec.ClockOverdue:
				overdue++
			}
		}
	}
	if err := rows.Err(); err != nil {
		return Result{}, err
	}
	_, _, period := window(in, year)
	return ratio{good: good, total: total, met: 1, partly: sharePartly, period: period,
		noDataSummary: "No breach notification fell due in the last 12 months.",
		summary: fmt.Sprintf("%s of the %s breach notifications due in the last 12 months went out by their deadline (%s still not sent); %s.",
			num(good), num(total), num(overdue), thresholds(1, sharePartly)),
		numbers: []Number{countNum("Notifications due", total, ""), countNum("Sent late or not yet", total-good, "")},
		// One link to the list, which only the security group can open.
		links: []Link{{Label: "Security incidents (security group only)", URL: "/security-incidents?state=all"}}}.result(), nil
}
