// Package servicereview schedules reviews of each service agreement with
// its customer, compiles the pack from the records (SLA attainment,
// satisfaction, complaints, major incidents, changes coming) and keeps
// the minutes and the actions agreed.
//
// A review is planned for a date and looks back on the period since the
// one before it (every_months long). Holding it keeps its pack as it was
// compiled and plans the next one, every_months later.
package servicereview

import (
	"context"
	"log/slog"
	"time"

	"steward/internal/auth"
	"steward/internal/sla"
	"steward/internal/store"
)

// Service is customer service reviews over one database.
type Service struct {
	DB  *store.DB
	Log *slog.Logger
	// SLA computes the attainment a pack shows.
	SLA *sla.Service
	// Availability says a pack's availability figure for the customer's
	// services over the period; the pack says NotMeasured without it.
	Availability func(ctx context.Context, q store.Querier, customerID *int64, from, to time.Time) (string, error)
}

// NewService builds customer service reviews.
func NewService(db *store.DB, log *slog.Logger) *Service {
	return &Service{DB: db, Log: log}
}

// The permissions service reviews declare, with the roles that hold them
// by default: agents and administrators plan, prepare and minute reviews
// with customers; auditors read them.
var (
	PermRead  = auth.Declare("service_review:read", "Read service reviews with customers, their packs, minutes and actions", auth.Admin, auth.Agent, auth.Auditor)
	PermWrite = auth.Declare("service_review:write", "Plan service reviews, compile their packs, record minutes and actions", auth.Admin, auth.Agent)
)

// States of a review.
const (
	Planned   = "planned"
	Held      = "held"
	Cancelled = "cancelled"
)

// Review is one review of an agreement with its customer.
type Review struct {
	ID            int64      `json:"id"`
	AgreementID   int64      `json:"agreement_id"`
	AgreementName string     `json:"agreement_name"`
	CustomerID    *int64     `json:"customer_id"`
	CustomerName  string     `json:"customer_name"`
	EveryMonths   int        `json:"every_months"`
	PlannedOn     string     `json:"planned_on"`
	PeriodStart   string     `json:"period_start"`
	PeriodEnd     string     `json:"period_end"`
	State         string     `json:"state"`
	HeldOn        *string    `json:"held_on"`
	Attendees     string     `json:"attendees"`
	Minutes       string     `json:"minutes"`
	Pack          *Pack      `json:"pack"`
	NextID        *int64     `json:"next_id"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	Version       int        `json:"version"`
	Overdue       bool       `json:"overdue"`
	Actions       []Action   `json:"actions"`
	CreatedByID   *int64     `json:"created_by_id"`
	PackAt        *time.Time `json:"pack_compiled_at"`
}

// Action is one thing agreed at a review, with its owner and due date.
type Action struct {
	ID        int64      `json:"id"`
	ReviewID  int64      `json:"review_id"`
	Title     string     `json:"title"`
	OwnerID   *int64     `json:"owner_id"`
	OwnerName string     `json:"owner_name"`
	DueOn     *string    `json:"due_on"`
	DoneAt    *time.Time `json:"done_at"`
	CreatedAt time.Time  `json:"created_at"`
	Overdue   bool       `json:"overdue"`
}

// NewReview plans a review of an agreement.
type NewReview struct {
	AgreementID int64  `json:"agreement_id"`
	PlannedOn   string `json:"planned_on"`
	// EveryMonths is how often the agreement is reviewed; 3 when 0.
	EveryMonths int `json:"every_months"`
}

// Patch changes a review. State "held" holds it (minutes required) and
// plans the next; "cancelled" cancels it.
type Patch struct {
	PlannedOn *string `json:"planned_on"`
	Attendees *string `json:"attendees"`
	Minutes   *string `json:"minutes"`
	State     *string `json:"state"`
	HeldOn    *string `json:"held_on"`
}

// NewAction is an action agreed at a review.
type NewAction struct {
	Title   string `json:"title"`
	OwnerID *int64 `json:"owner_id"`
	DueOn   string `json:"due_on"`
}
