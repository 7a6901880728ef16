// Package review owns clause 9.3 of ISO/IEC 20000-1: management reviews
// with their chair and attendees (top management's part, 5.1), the input
// pack compiled from the records for the period under review and kept as
// it was then, the minutes and decisions, and the actions decided.
package review

import (
	"time"

	"steward/internal/nonconformity"
)

// States of a review.
const (
	Planned   = "planned"
	Held      = "held"
	Closed    = "closed"
	Cancelled = "cancelled"
)

// Review is one management review.
type Review struct {
	ID         int64   `json:"id"`
	Title      string  `json:"title"`
	PlannedOn  string  `json:"planned_on"`
	HeldOn     *string `json:"held_on"`
	PeriodFrom string  `json:"period_from"`
	PeriodTo   string  `json:"period_to"`
	ChairID    *int64  `json:"chair_id"`
	ChairName  string  `json:"chair_name,omitempty"`
	State      string  `json:"state"`
	// Inputs is the pack compiled from the records; nil until compiled.
	Inputs           *Pack                  `json:"inputs"`
	InputsCompiledAt *time.Time             `json:"inputs_compiled_at"`
	Minutes          string                 `json:"minutes"`
	Decisions        string                 `json:"decisions"`
	Attendees        []Attendee             `json:"attendees"`
	Actions          []nonconformity.Action `json:"actions"`
	CreatedAt        time.Time              `json:"created_at"`
	UpdatedAt        time.Time              `json:"updated_at"`
	Version          int                    `json:"version"`
}

// Attendee is someone at the review and the part they play there ("CEO",
// "Service owner").
type Attendee struct {
	UserID int64  `json:"user_id"`
	Name   string `json:"name,omitempty"`
	Role   string `json:"role"`
}

// Input plans a review or (nil fields left alone) changes one; State
// "held" with HeldOn marks it held, once its inputs are compiled.
type Input struct {
	Title      *string     `json:"title"`
	PlannedOn  *string     `json:"planned_on"`
	HeldOn     *string     `json:"held_on"`
	PeriodFrom *string     `json:"period_from"`
	PeriodTo   *string     `json:"period_to"`
	ChairID    *int64      `json:"chair_id"`
	Attendees  *[]Attendee `json:"attendees"`
	Minutes    *string     `json:"minutes"`
	Decisions  *string     `json:"decisions"`
	State      *string     `json:"state"`
}

// Pack is the input pack: what the records say about the period.
type Pack struct {
	PeriodFrom      string          `json:"period_from"`
	PeriodTo        string          `json:"period_to"`
	PreviousActions PreviousActions `json:"previous_actions"`
	KPIs            []KPI           `json:"kpis"`
	Audits          []AuditResult   `json:"audits"`
	Nonconformities NCFigures       `json:"nonconformities"`
	Customers       NoData          `json:"customers"`
	Suppliers       Suppliers       `json:"suppliers"`
	Risks           Risks           `json:"risks"`
	Improvements    Improvements    `json:"improvements"`
}

// PreviousActions is the state of the actions earlier reviews decided.
type PreviousActions struct {
	Total   int                    `json:"total"`
	Done    int                    `json:"done"`
	Open    int                    `json:"open"`
	Overdue int                    `json:"overdue"`
	Items   []nonconformity.Action `json:"items"`
}

// KPI is one measure over the period; N == 0 is no data.
type KPI struct {
	Key     string  `json:"key"`
	Title   string  `json:"title"`
	Unit    string  `json:"unit"`
	Process string  `json:"process"`
	Value   float64 `json:"value"`
	N       int     `json:"n"`
	Link    string  `json:"link,omitempty"`
	// Error says the figure could not be computed.
	Error string `json:"error,omitempty"`
}

// AuditResult is an audit reported in the period.
type AuditResult struct {
	ID         int64          `json:"id"`
	Title      string         `json:"title"`
	ReportedAt time.Time      `json:"reported_at"`
	Counts     map[string]int `json:"counts"`
	NCs        int            `json:"nonconformities"`
}

// NCFigures are the nonconformities of the period.
type NCFigures struct {
	Opened         int `json:"opened"`
	Closed         int `json:"closed"`
	OpenNow        int `json:"open_now"`
	OverdueActions int `json:"overdue_actions"`
}

// NoData says a kind of input has no records in the product.
type NoData struct {
	NoData bool   `json:"no_data"`
	Note   string `json:"note"`
}

// Suppliers is the performance of operational level agreements and
// underpinning contracts: timers met and breached in the period.
type Suppliers struct {
	Agreements []Supplier `json:"agreements"`
	Note       string     `json:"note,omitempty"`
}

// Supplier is one agreement's timers.
type Supplier struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Supplier string `json:"supplier,omitempty"`
	Met      int    `json:"met"`
	Breached int    `json:"breached"`
}

// Risks counts the open risks by band and above the appetite.
type Risks struct {
	Total         int    `json:"total"`
	Appetite      int    `json:"appetite"`
	AboveAppetite int    `json:"above_appetite"`
	Bands         []Band `json:"bands"`
	Note          string `json:"note,omitempty"`
}

// Band is how many open risks score in one band.
type Band struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// Improvements counts the improvement register's entries.
type Improvements struct {
	Proposed int `json:"proposed"`
	Approved int `json:"approved"`
	Done     int `json:"done"`
	// DoneInPeriod counts those done within the period.
	DoneInPeriod int `json:"done_in_period"`
}

// CustomerNote is what the pack says about customer satisfaction and
// complaints, which the product does not record yet.
const CustomerNote = "no data: satisfaction surveys and complaints are not recorded yet"
