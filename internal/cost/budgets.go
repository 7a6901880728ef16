package cost

import (
	"context"
	"errors"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Budget is what a service (or, without one, the service management
// system) may cost in a period.
type Budget struct {
	ID          int64     `json:"id"`
	ServiceID   *int64    `json:"service_id"`
	ServiceName string    `json:"service_name"`
	Period      string    `json:"period"`
	PeriodKind  string    `json:"period_kind"`
	Amount      int64     `json:"amount"`
	Currency    string    `json:"currency"`
	Note        string    `json:"note"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	Version     int       `json:"version"`
}

// BudgetInput creates a budget; ServiceID nil is the SMS budget.
type BudgetInput struct {
	ServiceID *int64 `json:"service_id"`
	Period    string `json:"period"`
	Amount    *int64 `json:"amount"`
	Currency  string `json:"currency"`
	Note      string `json:"note"`
}

// BudgetPatch changes a budget; absent fields stay as they are.
type BudgetPatch struct {
	Period   *string `json:"period"`
	Amount   *int64  `json:"amount"`
	Currency *string `json:"currency"`
	Note     *string `json:"note"`
}

const budgetCols = `SELECT b.id, b.service_id, COALESCE(s.name, ''), b.period, b.amount, b.currency, b.note, b.created_at, b.updated_at, b.version
	FROM budgets b LEFT JOIN services s ON s.id = b.service_id`

func scanBudget(row interface{ Scan(...any) error }) (Budget, error) {
	var b Budget
	var created, updated store.Time
	if err := row.Scan(&b.ID, &b.ServiceID, &b.ServiceName, &b.Period, &b.Amount, &b.Currency, &b.Note, &created, &updated, &b.Version); err != nil {
		return b, store.ScanErr(err)
	}
	b.CreatedAt, b.UpdatedAt = created.Time, updated.Time
	if p, err := ParsePeriod(b.Period); err == nil {
		b.PeriodKind = p.Kind
	}
	return b, nil
}

func getBudget(ctx context.Context, q store.Querier, id int64) (Budget, error) {
	return scanBudget(q.QueryRow(ctx, budgetCols+" WHERE b.id = ?", id))
}

// GetBudget loads one budget.
func (s *Service) GetBudget(ctx context.Context, p *auth.Principal, id int64) (Budget, error) {
	if !p.Can(PermRead) {
		return Budget{}, domainerr.ErrForbidden
	}
	return getBudget(ctx, s.DB, id)
}

// BudgetFilter narrows the list of budgets.
type BudgetFilter struct {
	ServiceID int64 // 0: every service
	SMS       bool  // only the SMS budget
	From, To  *Period
	Limit     int
}

// MaxList caps one list.
const MaxList = 500

// ListBudgets lists budgets, latest period first.
func (s *Service) ListBudgets(ctx context.Context, p *auth.Principal, f BudgetFilter) ([]Budget, error) {
	if !p.Can(PermRead) {
		return nil, domainerr.ErrForbidden
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Limit > MaxList {
		return nil, domainerr.Field("limit", "must be at most %d", MaxList)
	}
	var where []string
	var args []any
	switch {
	case f.SMS:
		where = append(where, "b.service_id IS NULL")
	case f.ServiceID != 0:
		where, args = append(where, "b.service_id = ?"), append(args, f.ServiceID)
	}
	if f.From != nil {
		where, args = append(where, "b.ends_on >= ?"), append(args, f.From.startsOn())
	}
	if f.To != nil {
		where, args = append(where, "b.starts_on <= ?"), append(args, f.To.endsOn())
	}
	q := budgetCols
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.DB.Query(ctx, q+" ORDER BY b.starts_on DESC, b.ends_on, COALESCE(s.name, ''), b.id LIMIT ?", append(args, f.Limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Budget{}
	for rows.Next() {
		b, err := scanBudget(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// checkAmount validates an amount in minor units and its currency.
func checkAmount(v *domainerr.Invalid, amount *int64, cur string, amountField, curField string) string {
	if amount == nil {
		v.Add(amountField, "is required: the amount in minor units of the currency (cents for EUR)")
	} else if *amount < 0 || *amount > MaxAmount {
		v.Add(amountField, "must be from 0 to %d minor units", MaxAmount)
	}
	code, err := CheckCurrency(cur)
	if err != nil {
		v.Add(curField, "%s", err)
	}
	return code
}

// writeAccess checks who may write a budget for serviceID (nil: the SMS
// budget, an administrator's).
func (s *Service) writeAccess(ctx context.Context, q store.Querier, p *auth.Principal, serviceID *int64) error {
	if serviceID == nil {
		if !p.Can(PermAdmin) {
			if p.Can(PermWrite) {
				return domainerr.Refusedf("only an administrator may set the budget of the service management system")
			}
			return domainerr.ErrForbidden
		}
		return nil
	}
	_, err := s.mayWrite(ctx, q, p, *serviceID, "service_id")
	return err
}

// overlapping names the budget of the same service (or the SMS) that
// already covers part of per, if any.
func overlapping(ctx context.Context, q store.Querier, serviceID *int64, per Period, except int64) (string, error) {
	var label string
	whose, args := "service_id IS NULL", []any{}
	if serviceID != nil {
		whose, args = "service_id = ?", []any{*serviceID}
	}
	err := q.QueryRow(ctx, `SELECT period FROM budgets WHERE `+whose+`
		AND starts_on <= ? AND ends_on >= ? AND id <> ? ORDER BY starts_on LIMIT 1`,
		append(args, per.endsOn(), per.startsOn(), except)...).Scan(&label)
	if errors.Is(store.ScanErr(err), store.ErrNotFound) {
		return "", nil
	}
	return label, err
}

// CreateBudget records a budget. Budgets of one service do not overlap:
// a year's budget and a budget for one of its months would say two things
// about that month.
func (s *Service) CreateBudget(ctx context.Context, p *auth.Principal, in BudgetInput) (Budget, error) {
	if !p.Can(PermWrite) && !p.Can(PermAdmin) {
		return Budget{}, domainerr.ErrForbidden
	}
	v := domainerr.NewInvalid()
	per, err := ParsePeriod(in.Period)
	if err != nil {
		v.Add("period", "%s", err)
	}
	code := checkAmount(v, in.Amount, in.Currency, "amount", "currency")
	domainerr.Text(v, "note", in.Note, false, domainerr.MaxText)
	if in.ServiceID != nil && *in.ServiceID <= 0 {
		v.Add("service_id", "must be a service's id, or null for the SMS budget")
	}
	if err := v.Err(); err != nil {
		return Budget{}, err
	}
	var out Budget
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := s.writeAccess(ctx, tx, p, in.ServiceID); err != nil {
			return err
		}
		if other, err := overlapping(ctx, tx, in.ServiceID, per, 0); err != nil {
			return err
		} else if other != "" {
			return domainerr.Field("period", "the budget for %s already covers part of %s; change that one instead", other, per.Label)
		}
		now := store.TS(s.now())
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO budgets (service_id, period, starts_on, ends_on, amount, currency, note, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, in.ServiceID, per.Label, per.startsOn(), per.endsOn(), *in.Amount, code,
			strings.TrimSpace(in.Note), userID(p), now, now).Scan(&id); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, p.Actor(), "create", "budget", id, in); err != nil {
			return err
		}
		out, err = getBudget(ctx, tx, id)
		return err
	})
	return out, err
}

// UpdateBudget changes a budget; version 0 skips the check of the version
// the caller last read.
func (s *Service) UpdateBudget(ctx context.Context, p *auth.Principal, id int64, pt BudgetPatch, version int) (Budget, error) {
	if !p.Can(PermWrite) && !p.Can(PermAdmin) {
		return Budget{}, domainerr.ErrForbidden
	}
	var out Budget
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		b, err := getBudget(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.writeAccess(ctx, tx, p, b.ServiceID); err != nil {
			return err
		}
		if version != 0 && version != b.Version {
			return domainerr.ErrStale
		}
		v := domainerr.NewInvalid()
		per, _ := ParsePeriod(b.Period)
		if pt.Period != nil {
			if per, err = ParsePeriod(*pt.Period); err != nil {
				v.Add("period", "%s", err)
			}
		}
		amount, cur, note := b.Amount, b.Currency, b.Note
		if pt.Amount != nil {
			amount = *pt.Amount
		}
		if pt.Currency != nil {
			cur = *pt.Currency
		}
		if pt.Note != nil {
			note = strings.TrimSpace(*pt.Note)
			domainerr.Text(v, "note", note, false, domainerr.MaxText)
		}
		cur = checkAmount(v, &amount, cur, "amount", "currency")
		if err := v.Err(); err != nil {
			return err
		}
		if other, err := overlapping(ctx, tx, b.ServiceID, per, id); err != nil {
			return err
		} else if other != "" {
			return domainerr.Field("period", "the budget for %s already covers part of %s; change that one instead", other, per.Label)
		}
		res, err := tx.Exec(ctx, `UPDATE budgets SET period = ?, starts_on = ?, ends_on = ?, amount = ?, currency = ?, note = ?,
			updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
			per.Label, per.startsOn(), per.endsOn(), amount, cur, note, store.TS(s.now()), id, b.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domainerr.ErrStale
		}
		if err := audit.Record(ctx, tx, p.Actor(), "update", "budget", id, pt); err != nil {
			return err
		}
		out, err = getBudget(ctx, tx, id)
		return err
	})
	return out, err
}

// DeleteBudget removes a budget.
func (s *Service) DeleteBudget(ctx context.Context, p *auth.Principal, id int64) error {
	if !p.Can(PermWrite) && !p.Can(PermAdmin) {
		return domainerr.ErrForbidden
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		b, err := getBudget(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.writeAccess(ctx, tx, p, b.ServiceID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM budgets WHERE id = ?`, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, p.Actor(), "delete", "budget", id, b)
	})
}

func userID(p *auth.Principal) *int64 {
	if p == nil || p.UserID == 0 {
		return nil
	}
	id := p.UserID
	return &id
}
