package cost

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Entry is a cost entered by hand for a service and a period.
type Entry struct {
	ID          int64     `json:"id"`
	ServiceID   int64     `json:"service_id"`
	ServiceName string    `json:"service_name"`
	Period      string    `json:"period"`
	Category    string    `json:"category"`
	Amount      int64     `json:"amount"`
	Currency    string    `json:"currency"`
	Note        string    `json:"note"`
	CreatedAt   time.Time `json:"created_at"`
}

// EntryInput records a cost.
type EntryInput struct {
	ServiceID int64  `json:"service_id"`
	Period    string `json:"period"`
	Category  string `json:"category"`
	Amount    *int64 `json:"amount"`
	Currency  string `json:"currency"`
	Note      string `json:"note"`
}

const entryCols = `SELECT e.id, e.service_id, s.name, e.period, e.category, e.amount, e.currency, e.note, e.created_at
	FROM service_costs e JOIN services s ON s.id = e.service_id`

func scanEntry(row interface{ Scan(...any) error }) (Entry, error) {
	var e Entry
	var created store.Time
	err := row.Scan(&e.ID, &e.ServiceID, &e.ServiceName, &e.Period, &e.Category, &e.Amount, &e.Currency, &e.Note, &created)
	e.CreatedAt = created.Time
	return e, store.ScanErr(err)
}

// ListEntries lists the costs entered for a service (0: every service)
// overlapping [from, to], latest first.
func (s *Service) ListEntries(ctx context.Context, p *auth.Principal, serviceID int64, from, to *Period, limit int) ([]Entry, error) {
	if !p.Can(PermRead) {
		return nil, domainerr.ErrForbidden
	}
	if limit <= 0 {
		limit = 100
	}
	if limit > MaxList {
		return nil, domainerr.Field("limit", "must be at most %d", MaxList)
	}
	var where []string
	var args []any
	if serviceID != 0 {
		where, args = append(where, "e.service_id = ?"), append(args, serviceID)
	}
	if from != nil {
		where, args = append(where, "e.ends_on >= ?"), append(args, from.startsOn())
	}
	if to != nil {
		where, args = append(where, "e.starts_on <= ?"), append(args, to.endsOn())
	}
	q := entryCols
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.DB.Query(ctx, q+" ORDER BY e.starts_on DESC, e.id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// AddEntry records a cost entered by hand.
func (s *Service) AddEntry(ctx context.Context, p *auth.Principal, in EntryInput) (Entry, error) {
	if !p.Can(PermWrite) && !p.Can(PermAdmin) {
		return Entry{}, domainerr.ErrForbidden
	}
	v := domainerr.NewInvalid()
	per, err := ParsePeriod(in.Period)
	if err != nil {
		v.Add("period", "%s", err)
	}
	if !slices.Contains(Categories, in.Category) {
		v.Add("category", "must be one of %s", strings.Join(Categories, ", "))
	}
	if in.ServiceID <= 0 {
		v.Add("service_id", "is required: the service the cost is for")
	}
	code := checkAmount(v, in.Amount, in.Currency, "amount", "currency")
	domainerr.Text(v, "note", in.Note, false, domainerr.MaxText)
	if err := v.Err(); err != nil {
		return Entry{}, err
	}
	var out Entry
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := s.mayWrite(ctx, tx, p, in.ServiceID, "service_id"); err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO service_costs (service_id, period, starts_on, ends_on, category, amount, currency, note, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, in.ServiceID, per.Label, per.startsOn(), per.endsOn(), in.Category,
			*in.Amount, code, strings.TrimSpace(in.Note), userID(p), store.TS(s.now())).Scan(&id); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, p.Actor(), "create", "service_cost", id, in); err != nil {
			return err
		}
		out, err = scanEntry(tx.QueryRow(ctx, entryCols+" WHERE e.id = ?", id))
		return err
	})
	return out, err
}

// DeleteEntry removes a cost entered by hand.
func (s *Service) DeleteEntry(ctx context.Context, p *auth.Principal, id int64) error {
	if !p.Can(PermWrite) && !p.Can(PermAdmin) {
		return domainerr.ErrForbidden
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		e, err := scanEntry(tx.QueryRow(ctx, entryCols+" WHERE e.id = ?", id))
		if err != nil {
			return err
		}
		if _, err := s.mayWrite(ctx, tx, p, e.ServiceID, "service_id"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM service_costs WHERE id = ?`, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, p.Actor(), "delete", "service_cost", id, e)
	})
}

// ContractCost is the part of an underpinning contract's price a service
// bears each month of the contract's term.
type ContractCost struct {
	ID             int64   `json:"id"`
	AgreementID    int64   `json:"agreement_id"`
	AgreementName  string  `json:"agreement_name"`
	Supplier       string  `json:"supplier"`
	ContractStart  *string `json:"contract_start"`
	ContractEnd    *string `json:"contract_end"`
	Active         bool    `json:"active"`
	ServiceID      int64   `json:"service_id"`
	ServiceName    string  `json:"service_name"`
	AmountPerMonth int64   `json:"amount_per_month"`
	Currency       string  `json:"currency"`
}

// ContractCostInput sets a contract's monthly cost to a service.
type ContractCostInput struct {
	AgreementID    int64  `json:"agreement_id"`
	ServiceID      int64  `json:"service_id"`
	AmountPerMonth *int64 `json:"amount_per_month"`
	Currency       string `json:"currency"`
}

const contractCols = `SELECT c.id, c.agreement_id, a.name, a.supplier_name, a.contract_start, a.contract_end, a.active, c.service_id, s.name,
	c.amount_per_month, c.currency FROM contract_costs c JOIN agreements a ON a.id = c.agreement_id JOIN services s ON s.id = c.service_id`

func scanContract(row interface{ Scan(...any) error }) (ContractCost, error) {
	var c ContractCost
	err := row.Scan(&c.ID, &c.AgreementID, &c.AgreementName, &c.Supplier, &c.ContractStart, &c.ContractEnd, &c.Active, &c.ServiceID,
		&c.ServiceName, &c.AmountPerMonth, &c.Currency)
	return c, store.ScanErr(err)
}

func listContracts(ctx context.Context, q store.Querier, serviceID int64) ([]ContractCost, error) {
	query, args := contractCols, []any{}
	if serviceID != 0 {
		query, args = query+" WHERE c.service_id = ?", append(args, serviceID)
	}
	rows, err := q.Query(ctx, query+" ORDER BY a.name, s.name LIMIT 1000", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []ContractCost{}
	for rows.Next() {
		c, err := scanContract(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ListContractCosts lists the underpinning contracts' costs of a service
// (0: of every service).
func (s *Service) ListContractCosts(ctx context.Context, p *auth.Principal, serviceID int64) ([]ContractCost, error) {
	if !p.Can(PermRead) {
		return nil, domainerr.ErrForbidden
	}
	return listContracts(ctx, s.DB, serviceID)
}

// SetContractCost sets (or replaces) what an underpinning contract costs
// a service per month.
func (s *Service) SetContractCost(ctx context.Context, p *auth.Principal, in ContractCostInput) (ContractCost, error) {
	if !p.Can(PermWrite) && !p.Can(PermAdmin) {
		return ContractCost{}, domainerr.ErrForbidden
	}
	v := domainerr.NewInvalid()
	code := checkAmount(v, in.AmountPerMonth, in.Currency, "amount_per_month", "currency")
	if in.ServiceID <= 0 {
		v.Add("service_id", "is required: the service the contract underpins")
	}
	var kind string
	if in.AgreementID <= 0 {
		v.Add("agreement_id", "is required: the underpinning contract")
	} else {
		err := s.DB.QueryRow(ctx, `SELECT kind FROM agreements WHERE id = ?`, in.AgreementID).Scan(&kind)
		switch {
		case errors.Is(store.ScanErr(err), store.ErrNotFound):
			v.Add("agreement_id", "agreement %d does not exist", in.AgreementID)
		case err != nil:
			return ContractCost{}, err
		case kind != "uc":
			v.Add("agreement_id", "is not an underpinning contract; only contracts with suppliers carry a cost here")
		}
	}
	if err := v.Err(); err != nil {
		return ContractCost{}, err
	}
	var out ContractCost
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := s.mayWrite(ctx, tx, p, in.ServiceID, "service_id"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM contract_costs WHERE agreement_id = ? AND service_id = ?`, in.AgreementID, in.ServiceID); err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO contract_costs (agreement_id, service_id, amount_per_month, currency, created_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`, in.AgreementID, in.ServiceID, *in.AmountPerMonth, code, store.TS(s.now())).Scan(&id); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, p.Actor(), "update", "contract_cost", id, in); err != nil {
			return err
		}
		var err error
		out, err = scanContract(tx.QueryRow(ctx, contractCols+" WHERE c.id = ?", id))
		return err
	})
	return out, err
}

// DeleteContractCost removes a contract's cost to a service.
func (s *Service) DeleteContractCost(ctx context.Context, p *auth.Principal, id int64) error {
	if !p.Can(PermWrite) && !p.Can(PermAdmin) {
		return domainerr.ErrForbidden
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		c, err := scanContract(tx.QueryRow(ctx, contractCols+" WHERE c.id = ?", id))
		if err != nil {
			return err
		}
		if _, err := s.mayWrite(ctx, tx, p, c.ServiceID, "service_id"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM contract_costs WHERE id = ?`, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, p.Actor(), "delete", "contract_cost", id, c)
	})
}
