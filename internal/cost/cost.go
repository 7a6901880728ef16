// Package cost is budgeting and accounting for services (clause 8.4.1):
// what each service costs per period, budgets against actuals, allocation
// to customers, the cost of downtime, and whether the service management
// effort pays for itself.
//
// A service's actual cost in a month is the sum of four parts, each
// converted to the accounting currency: its catalogue cost per month, the
// monthly share of the assets and licences it runs on (from the CMDB), the
// part of its underpinning contracts it bears, and the costs entered by
// hand for it. Budgets, hand-entered costs and rates are kept per month,
// quarter or year; an amount for a quarter or a year counts evenly in
// each of its months, so any period is the sum of its months.
package cost

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"steward/internal/auth"
	"steward/internal/cmdb"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Service is the area's records and computations.
type Service struct {
	DB  *store.DB
	Log *slog.Logger
	// CMDB walks each service's upstream CIs for its asset costs; without
	// it assets count nothing.
	CMDB *cmdb.Service
	// Effort is the time recorded on tickets, when the product records it;
	// nil while it does not (see Effort).
	Effort Effort
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Loc is the organisation's time zone: a month, quarter or year runs
	// from midnight to midnight there, for the downtime and the tickets
	// it counts. UTC when nil.
	Loc *time.Location
}

// NewService builds the service.
func NewService(db *store.DB, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{DB: db, Log: log}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// The permissions of the area, with the roles that hold them by default.
// Service owners are staff: an agent may write the costs of the services
// they own; administrators those of every service.
var (
	PermRead  = auth.Declare("cost:read", "Read service costs, budgets, allocations and the cost of downtime", auth.Admin, auth.Agent, auth.Auditor)
	PermWrite = auth.Declare("cost:write", "Enter budgets, costs, contract costs, the cost of an hour of downtime and the allocation of the services one owns (administrators: of every service)", auth.Admin, auth.Agent)
	PermAdmin = auth.Declare("cost:admin", "Set the accounting currency, exchange rates and the SMS budget, and write the costs of every service", auth.Admin)
)

// Categories of costs entered by hand.
var Categories = []string{"staff", "hardware", "software", "network", "facilities", "external", "other"}

// CategoryLabels name the categories for people.
var CategoryLabels = map[string]string{"staff": "Staff", "hardware": "Hardware", "software": "Software", "network": "Network",
	"facilities": "Facilities", "external": "External services", "other": "Other"}

// Allocation keys.
const (
	Equal   = "equal"
	Tickets = "tickets"
	Fixed   = "fixed"
)

// ErrNoRate is wrapped by the error a missing exchange rate gives.
var ErrNoRate = errors.New("no exchange rate")

// mayWrite checks that p may write the costs of a service: an
// administrator, or its owner holding PermWrite. It returns the service's
// name.
func (s *Service) mayWrite(ctx context.Context, q store.Querier, p *auth.Principal, serviceID int64, field string) (string, error) {
	if !p.Can(PermWrite) && !p.Can(PermAdmin) {
		return "", domainerr.ErrForbidden
	}
	var name string
	var owner *int64
	err := q.QueryRow(ctx, `SELECT name, owner_id FROM services WHERE id = ?`, serviceID).Scan(&name, &owner)
	if errors.Is(store.ScanErr(err), store.ErrNotFound) {
		return "", domainerr.Field(field, "service %d does not exist", serviceID)
	}
	if err != nil {
		return "", err
	}
	if p.Can(PermAdmin) || (owner != nil && *owner == p.UserID) {
		return name, nil
	}
	return "", domainerr.Refusedf("only the owner of %s or an administrator may change its costs", name)
}

// AccountingCurrency is the currency the organisation accounts in.
func AccountingCurrency(ctx context.Context, q store.Querier) (string, error) {
	var c string
	err := q.QueryRow(ctx, `SELECT currency FROM cost_settings WHERE id = 1`).Scan(&c)
	return c, store.ScanErr(err)
}

// Clock is the instant the area reads as now.
func (s *Service) Clock() time.Time { return s.now() }

// Today is the present as the organisation's calendar reads it: the
// period it falls in is PeriodAt(kind, s.Today()).
func (s *Service) Today() time.Time { return s.now().In(s.loc()) }

func (s *Service) loc() *time.Location {
	if s.Loc != nil {
		return s.Loc
	}
	return time.UTC
}

// instant is the moment a period's day (held as a date) begins in the
// organisation's zone.
func (s *Service) instant(day time.Time) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, s.loc())
}
