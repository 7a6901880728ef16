package demo

import (
	"context"

	"steward/internal/audit"
	"steward/internal/clauses"
	"steward/internal/compliance"
	"steward/internal/store"
)

// loadComplianceAssessments has the SMS manager rate a few clauses
// herself, beside whatever the evidence says: some she is sure of, some
// she knows are short, one she has not started.
func loadComplianceAssessments(ctx context.Context, db *store.DB) error {
	var id int64
	var email string
	if err := db.QueryRow(ctx, "SELECT id, email FROM users WHERE email = ?", "admin@steward.demo").Scan(&id, &email); err != nil {
		return store.ScanErr(err)
	}
	actor := audit.Actor{Type: "user", ID: id, Name: email}
	for _, a := range []struct {
		clause string
		in     compliance.AssessInput
	}{
		{"4.3", compliance.AssessInput{Rating: "met", Comment: "Scope statement approved by the board in March; covers all managed services.", Evidence: []string{"/services"}}},
		{"8.6.1", compliance.AssessInput{Rating: "partly_met", Comment: "Priorities and categories are set, but two major incidents this quarter have no review yet.", Evidence: []string{"INC-000001", "/?view=all"}}},
		{"8.5.1", compliance.AssessInput{Rating: "met", Comment: "Every normal change goes through the CAB; emergency changes are reviewed the week after.", Evidence: []string{"/changes"}}},
		{"9.2", compliance.AssessInput{Rating: "not_met", Comment: "Only incident and change management have been audited this year; the other processes wait for next year's programme."}},
		{"7.2", compliance.AssessInput{Rating: "partly_met", Comment: "Competence matrix exists for the desk only."}},
	} {
		if _, err := compliance.Assess(ctx, db, actor, clauses.Primary, a.clause, a.in); err != nil {
			return err
		}
	}
	return nil
}
