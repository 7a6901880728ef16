package cost

import (
	"context"
	"math"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Effort is where the time people spend on tickets would come from. The
// product does not record time on tickets today, so the cost-benefit view
// says the figure is not recorded; a time-recording feature sets
// Service.Effort and the view shows the hours.
type Effort interface {
	// TimeOnTickets is the time recorded on tickets in [from, to).
	TimeOnTickets(ctx context.Context, q store.Querier, from, to time.Time) (time.Duration, error)
}

// Quarter is one quarter of the cost-benefit view, in minor units of the
// accounting currency.
type BenefitQuarter struct {
	Period string `json:"period"`
	// DowntimeSeconds is every service's measured downtime; DowntimeCost
	// prices it for the services with a cost per hour, PricedServices of
	// them, UnpricedDowntimeSeconds the downtime of the others.
	DowntimeSeconds         int64 `json:"downtime_seconds"`
	DowntimeCost            int64 `json:"downtime_cost"`
	UnpricedDowntimeSeconds int64 `json:"unpriced_downtime_seconds"`
	// DowntimeChange is the change of the downtime cost against the
	// quarter before, in percent; nil for the first quarter or when the
	// one before cost nothing.
	DowntimeChange *float64 `json:"downtime_change_percent"`
	ServiceCost    int64    `json:"service_cost"`
	// SMSBudget is the budget of the service management system for the
	// quarter; nil when none is entered.
	SMSBudget *int64 `json:"sms_budget"`
	// TicketSeconds is the time recorded on tickets; nil while the product
	// does not record it (EffortRecorded false).
	TicketSeconds *int64 `json:"ticket_seconds"`
}

// Benefit is the cost-benefit view: what downtime cost quarter by quarter
// against what the services and their management cost.
type Benefit struct {
	Currency       string           `json:"currency"`
	Quarters       []BenefitQuarter `json:"quarters"`
	PricedServices int              `json:"priced_services"`
	Services       int              `json:"services"`
	EffortRecorded bool             `json:"effort_recorded"`
}

// Benefit computes the view for the quarters from..to.
func (s *Service) Benefit(ctx context.Context, p *auth.Principal, from, to Period) (Benefit, error) {
	if !p.Can(PermRead) {
		return Benefit{}, domainerr.ErrForbidden
	}
	if from.Kind != Quarter || to.Kind != Quarter {
		return Benefit{}, domainerr.Field("from", "must be a quarter such as 2026-Q1")
	}
	periods, err := Span(from, to)
	if err != nil {
		return Benefit{}, domainerr.Field("to", "%s", err)
	}
	var out Benefit
	err = s.DB.InReadTx(ctx, func(rt *store.ReadTx) error {
		rep, err := s.report(ctx, rt, 0, periods)
		if err != nil {
			return err
		}
		out = Benefit{Currency: rep.Currency, Services: len(rep.Services), EffortRecorded: s.Effort != nil}
		for _, sc := range rep.Services {
			if sc.DowntimePerHour != nil {
				out.PricedServices++
			}
		}
		sms, err := smsBudgets(ctx, rt, periods)
		if err != nil {
			return err
		}
		for i, per := range periods {
			q := BenefitQuarter{Period: per.Label, ServiceCost: rep.Totals[i].Actual, SMSBudget: sms[i]}
			for _, sc := range rep.Services {
				r := sc.Rows[i]
				q.DowntimeSeconds += r.DowntimeSeconds
				if r.DowntimeCost != nil {
					q.DowntimeCost += *r.DowntimeCost
				} else {
					q.UnpricedDowntimeSeconds += r.DowntimeSeconds
				}
			}
			if i > 0 && out.Quarters[i-1].DowntimeCost > 0 {
				prev := float64(out.Quarters[i-1].DowntimeCost)
				ch := math.Round((float64(q.DowntimeCost)-prev)/prev*1000) / 10
				q.DowntimeChange = &ch
			}
			if s.Effort != nil {
				d, err := s.Effort.TimeOnTickets(ctx, rt, s.instant(per.Start), s.instant(per.End))
				if err != nil {
					return err
				}
				secs := int64(d / time.Second)
				q.TicketSeconds = &secs
			}
			out.Quarters = append(out.Quarters, q)
		}
		return nil
	})
	return out, err
}

// smsBudgets is the SMS budget of each period, spread by month and
// converted; nil for a period no SMS budget covers.
func smsBudgets(ctx context.Context, q store.Querier, periods []Period) ([]*int64, error) {
	rt, err := loadRates(ctx, q)
	if err != nil {
		return nil, err
	}
	span := Period{Start: periods[0].Start, End: periods[len(periods)-1].End}
	byMonth, err := spreadRows(ctx, q, `SELECT period, amount, currency FROM budgets WHERE service_id IS NULL AND ends_on >= ? AND starts_on <= ?`,
		span.startsOn(), span.endsOn())
	if err != nil {
		return nil, err
	}
	out := make([]*int64, len(periods))
	for i, per := range periods {
		for _, m := range per.Months() {
			for _, x := range byMonth[m.Label] {
				v := deref64(out[i]) + rt.in(x.Amount, x.Currency, m)
				out[i] = &v
			}
		}
	}
	if rt.err != nil {
		return nil, rateError(rt.err)
	}
	return out, nil
}
