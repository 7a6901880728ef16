// Package internalaudit owns clause 9.2 of ISO/IEC 20000-1: the audit
// programme, internal audits with their scope (processes and clauses),
// criteria and independent auditors, the checklist generated from the
// clause catalogue with a result, notes and evidence per line, the
// nonconformities its lines raise, the report, and which processes the
// programme has covered.
package internalaudit

import (
	"time"

	"steward/internal/nonconformity"
)

// States of an audit.
const (
	Planned    = "planned"
	InProgress = "in_progress"
	Reported   = "reported"
	Cancelled  = "cancelled"
)

// Results a checklist line may have, in the order the report lists them.
var Results = []string{"not_assessed", "conforming", "minor_nc", "major_nc", "observation", "ofi"}

// RaisesNC reports whether a result is a nonconformity, which raises an NC.
func RaisesNC(result string) bool { return result == "minor_nc" || result == "major_nc" }

// AllClauses in an audit's clause scope means the whole standard.
const AllClauses = "all"

// Programme is the audit programme for a period.
type Programme struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	PeriodStart string    `json:"period_start"`
	PeriodEnd   string    `json:"period_end"`
	OwnerID     *int64    `json:"owner_id"`
	OwnerName   string    `json:"owner_name,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	Version     int       `json:"version"`
}

// ProgrammeInput creates a programme or (nil fields left alone) changes one.
type ProgrammeInput struct {
	Name        *string `json:"name"`
	PeriodStart *string `json:"period_start"`
	PeriodEnd   *string `json:"period_end"`
	OwnerID     *int64  `json:"owner_id"`
}

// Process is a process of the SMS as an audit names it.
type Process struct {
	ID     int64  `json:"id"`
	Key    string `json:"key"`
	Name   string `json:"name"`
	Clause string `json:"clause"`
}

// Person is someone named on an audit.
type Person struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Audit is one internal audit.
type Audit struct {
	ID            int64  `json:"id"`
	ProgrammeID   *int64 `json:"programme_id"`
	ProgrammeName string `json:"programme_name,omitempty"`
	Title         string `json:"title"`
	Standard      string `json:"standard"`
	Scope         string `json:"scope"`
	Criteria      string `json:"criteria"`
	// Clauses are the clauses named in the audit besides its processes':
	// ["all"] for the whole standard.
	Clauses    []string   `json:"clauses"`
	LeadID     *int64     `json:"lead_id"`
	LeadName   string     `json:"lead_name,omitempty"`
	State      string     `json:"state"`
	PlannedOn  string     `json:"planned_on"`
	StartedAt  *time.Time `json:"started_at"`
	ReportedAt *time.Time `json:"reported_at"`
	Summary    string     `json:"summary"`
	Processes  []Process  `json:"processes"`
	Auditors   []Person   `json:"auditors"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	Version    int        `json:"version"`
	// Lines and Assessed count the checklist lines and those assessed.
	Lines    int `json:"lines"`
	Assessed int `json:"assessed"`
}

// WholeStandard reports whether the audit covers every clause.
func (a Audit) WholeStandard() bool { return len(a.Clauses) == 1 && a.Clauses[0] == AllClauses }

// AuditInput plans an audit or (nil fields left alone) changes one.
type AuditInput struct {
	ProgrammeID *int64    `json:"programme_id"`
	Title       *string   `json:"title"`
	Standard    *string   `json:"standard"`
	Scope       *string   `json:"scope"`
	Criteria    *string   `json:"criteria"`
	Clauses     *[]string `json:"clauses"`
	ProcessIDs  *[]int64  `json:"process_ids"`
	LeadID      *int64    `json:"lead_id"`
	AuditorIDs  *[]int64  `json:"auditor_ids"`
	PlannedOn   *string   `json:"planned_on"`
	Summary     *string   `json:"summary"`
	// State cancels a planned or running audit ("cancelled").
	State *string `json:"state"`
}

// Item is one line of an audit's checklist.
type Item struct {
	ID           int64                `json:"id"`
	AuditID      int64                `json:"audit_id"`
	Clause       string               `json:"clause"`
	Title        string               `json:"title"`
	Question     string               `json:"question"`
	Result       string               `json:"result"`
	Notes        string               `json:"notes"`
	Evidence     []nonconformity.Link `json:"evidence"`
	AssessedBy   *int64               `json:"assessed_by"`
	AssessedName string               `json:"assessed_by_name,omitempty"`
	AssessedAt   *time.Time           `json:"assessed_at"`
	// NC is the number of the nonconformity the line raised, "" if none.
	NC string `json:"nonconformity,omitempty"`
}

// ItemInput records an auditor's finding on a line. Evidence lists record
// numbers (INC-000123) or addresses of pages in Steward.
type ItemInput struct {
	Result   *string   `json:"result"`
	Notes    *string   `json:"notes"`
	Evidence *[]string `json:"evidence"`
}

// Report is the audit's report: its scope, auditors, lines, counts by
// result and the nonconformities raised.
type Report struct {
	Audit  Audit              `json:"audit"`
	Items  []Item             `json:"items"`
	Counts []Count            `json:"counts"`
	NCs    []nonconformity.NC `json:"nonconformities"`
}

// Count is how many lines have a result.
type Count struct {
	Result string `json:"result"`
	N      int    `json:"n"`
}

// Coverage is one process and the last reported audit that covered it.
type Coverage struct {
	Process    Process    `json:"process"`
	AuditID    *int64     `json:"audit_id"`
	AuditTitle string     `json:"audit_title,omitempty"`
	ReportedAt *time.Time `json:"reported_at"`
	// Covered is true when that audit was reported in the last 12 months.
	Covered bool `json:"covered"`
}
