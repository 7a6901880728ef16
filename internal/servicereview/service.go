package servicereview

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/sla"
	"steward/internal/store"
)

const selectCols = `SELECT r.id, r.agreement_id, a.name, r.customer_id, COALESCE(c.name, ''), r.every_months, r.planned_on,
	r.period_start, r.period_end, r.state, r.held_on, r.attendees, r.minutes, r.pack, r.pack_at, r.next_id, r.created_by,
	r.created_at, r.updated_at, r.version
	FROM service_reviews r
	JOIN agreements a ON a.id = r.agreement_id
	LEFT JOIN customers c ON c.id = r.customer_id`

func scan(row interface{ Scan(...any) error }, today string) (Review, error) {
	var r Review
	var pack string
	var packAt, created, updated store.Time
	err := row.Scan(&r.ID, &r.AgreementID, &r.AgreementName, &r.CustomerID, &r.CustomerName, &r.EveryMonths, &r.PlannedOn,
		&r.PeriodStart, &r.PeriodEnd, &r.State, &r.HeldOn, &r.Attendees, &r.Minutes, &pack, &packAt, &r.NextID, &r.CreatedByID,
		&created, &updated, &r.Version)
	if err != nil {
		return r, store.ScanErr(err)
	}
	r.PackAt, r.CreatedAt, r.UpdatedAt = packAt.Ptr(), created.Time, updated.Time
	if pack != "" {
		r.Pack = &Pack{}
		if err := json.Unmarshal([]byte(pack), r.Pack); err != nil {
			return r, err
		}
	}
	r.Overdue = r.State == Planned && r.PlannedOn < today
	r.Actions = []Action{}
	return r, nil
}

func today() string { return time.Now().UTC().Format(time.DateOnly) }

func get(ctx context.Context, q store.Querier, id int64) (Review, error) {
	r, err := scan(q.QueryRow(ctx, selectCols+" WHERE r.id = ?", id), today())
	if err != nil {
		return r, err
	}
	rows, err := q.Query(ctx, `SELECT x.id, x.review_id, x.title, x.owner_id, COALESCE(u.name, ''), x.due_on, x.done_at, x.created_at
		FROM service_review_actions x LEFT JOIN users u ON u.id = x.owner_id WHERE x.review_id = ? ORDER BY x.id LIMIT 500`, id)
	if err != nil {
		return r, err
	}
	defer rows.Close()
	for rows.Next() {
		var a Action
		var done, created store.Time
		if err := rows.Scan(&a.ID, &a.ReviewID, &a.Title, &a.OwnerID, &a.OwnerName, &a.DueOn, &done, &created); err != nil {
			return r, err
		}
		a.DoneAt, a.CreatedAt = done.Ptr(), created.Time
		a.Overdue = a.DoneAt == nil && a.DueOn != nil && *a.DueOn < today()
		r.Actions = append(r.Actions, a)
	}
	return r, rows.Err()
}

// Get loads a review with its actions.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id int64) (Review, error) {
	if !p.Can(PermRead) {
		return Review{}, domainerr.ErrForbidden
	}
	return get(ctx, s.DB, id)
}

// Filter narrows the list of reviews.
type Filter struct {
	State       string // planned, held, cancelled; "" for all
	AgreementID int64
	Overdue     bool
	Limit       int
}

// MaxLimit caps one list.
const MaxLimit = 200

// List returns reviews: planned ones soonest first, then the others
// latest first.
func (s *Service) List(ctx context.Context, p *auth.Principal, f Filter) ([]Review, error) {
	if !p.Can(PermRead) {
		return nil, domainerr.ErrForbidden
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Limit > MaxLimit {
		return nil, domainerr.Field("limit", "must be at most %d", MaxLimit)
	}
	var where []string
	var args []any
	switch f.State {
	case "":
	case Planned, Held, Cancelled:
		where, args = append(where, "r.state = ?"), append(args, f.State)
	default:
		return nil, domainerr.Field("state", "must be planned, held or cancelled")
	}
	if f.AgreementID != 0 {
		where, args = append(where, "r.agreement_id = ?"), append(args, f.AgreementID)
	}
	if f.Overdue {
		where, args = append(where, "r.state = 'planned' AND r.planned_on < ?"), append(args, today())
	}
	sql := selectCols
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += ` ORDER BY CASE WHEN r.state = 'planned' THEN 0 ELSE 1 END,
		CASE WHEN r.state = 'planned' THEN r.planned_on ELSE '' END, r.planned_on DESC, r.id LIMIT ?`
	rows, err := s.DB.Query(ctx, sql, append(args, f.Limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Review{}
	now := today()
	for rows.Next() {
		r, err := scan(rows, now)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Schedule plans a review of an agreement with its customer. The review
// looks back on the every_months before its date.
func (s *Service) Schedule(ctx context.Context, p *auth.Principal, in NewReview) (Review, error) {
	if !p.Can(PermWrite) {
		return Review{}, domainerr.ErrForbidden
	}
	if in.EveryMonths == 0 {
		in.EveryMonths = 3
	}
	v := domainerr.NewInvalid()
	planned, err := time.Parse(time.DateOnly, strings.TrimSpace(in.PlannedOn))
	if err != nil {
		v.Add("planned_on", "must be a date such as 2026-12-31")
	}
	if in.EveryMonths < 1 || in.EveryMonths > 24 {
		v.Add("every_months", "must be from 1 to 24 months")
	}
	var agr sla.Agreement
	if in.AgreementID <= 0 {
		v.Add("agreement_id", "is required: choose the agreement to review")
	} else {
		agr, err = sla.GetAgreement(ctx, s.DB, in.AgreementID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			v.Add("agreement_id", "agreement %d does not exist", in.AgreementID)
		case err != nil:
			return Review{}, err
		case agr.Kind != sla.SLA:
			v.Add("agreement_id", "%s is not a service level agreement with a customer; reviews with customers are held on SLAs", agr.Name)
		}
	}
	if err := v.Err(); err != nil {
		return Review{}, err
	}
	var out Review
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		id, err := insert(ctx, tx, p, agr, planned, planned.AddDate(0, -in.EveryMonths, 0), in.EveryMonths)
		if err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, p.Actor(), "create", "service_review", id, in); err != nil {
			return err
		}
		out, err = get(ctx, tx, id)
		return err
	})
	return out, err
}

func insert(ctx context.Context, tx *store.Tx, p *auth.Principal, agr sla.Agreement, planned, from time.Time, every int) (int64, error) {
	now := store.TS(time.Now())
	var by *int64
	if p != nil {
		id := p.UserID
		by = &id
	}
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO service_reviews (agreement_id, customer_id, every_months, planned_on, period_start,
		period_end, state, created_by, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, 'planned', ?, ?, ?, 1) RETURNING id`,
		agr.ID, agr.CustomerID, every, planned.Format(time.DateOnly), from.Format(time.DateOnly), planned.Format(time.DateOnly),
		by, now, now).Scan(&id)
	return id, store.ScanErr(err)
}

// Compile gathers the pack of a planned review from the records now. A
// held review keeps the pack it was held with.
func (s *Service) Compile(ctx context.Context, p *auth.Principal, id int64) (Review, error) {
	if !p.Can(PermWrite) {
		return Review{}, domainerr.ErrForbidden
	}
	var out Review
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		r, err := get(ctx, tx, id)
		if err != nil {
			return err
		}
		if r.State != Planned {
			return domainerr.Conflictf("the review of %s on %s is %s; its pack stays as it was", r.AgreementName, r.PlannedOn, r.State)
		}
		if err := s.storePack(ctx, tx, r); err != nil {
			return err
		}
		out, err = get(ctx, tx, id)
		return err
	})
	return out, err
}

func (s *Service) storePack(ctx context.Context, tx *store.Tx, r Review) error {
	pk, err := s.compile(ctx, tx, r, time.Now())
	if err != nil {
		return err
	}
	raw, err := json.Marshal(pk)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, "UPDATE service_reviews SET pack = ?, pack_at = ?, updated_at = ?, version = version + 1 WHERE id = ?",
		string(raw), store.TS(pk.CompiledAt), store.TS(time.Now()), r.ID)
	return err
}

// Update changes a planned review: its date, attendees and minutes, or
// holds or cancels it. Holding needs minutes, compiles the pack if it
// was not, and plans the next review every_months after this one.
func (s *Service) Update(ctx context.Context, p *auth.Principal, id int64, pt Patch, ifVersion int) (Review, error) {
	if !p.Can(PermWrite) {
		return Review{}, domainerr.ErrForbidden
	}
	var out Review
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := get(ctx, tx, id)
		if err != nil {
			return err
		}
		if ifVersion != 0 && ifVersion != cur.Version {
			return domainerr.ErrStale
		}
		if cur.State != Planned {
			return domainerr.Conflictf("the review of %s on %s is %s and can no longer be changed", cur.AgreementName, cur.PlannedOn, cur.State)
		}
		next, err := apply(cur, pt)
		if err != nil {
			return err
		}
		if next.State == Held && cur.Pack == nil {
			if err := s.storePack(ctx, tx, next); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE service_reviews SET planned_on = ?, period_end = ?, attendees = ?, minutes = ?, state = ?,
			held_on = ?, updated_at = ?, version = version + 1 WHERE id = ?`, next.PlannedOn, next.PeriodEnd, next.Attendees,
			next.Minutes, next.State, next.HeldOn, store.TS(time.Now()), id); err != nil {
			return err
		}
		if next.State == Held {
			if err := s.planNext(ctx, tx, p, next); err != nil {
				return err
			}
		}
		if err := audit.Record(ctx, tx, p.Actor(), "update", "service_review", id, pt); err != nil {
			return err
		}
		out, err = get(ctx, tx, id)
		return err
	})
	return out, err
}

func apply(cur Review, pt Patch) (Review, error) {
	next := cur
	v := domainerr.NewInvalid()
	if pt.PlannedOn != nil {
		if d, err := time.Parse(time.DateOnly, strings.TrimSpace(*pt.PlannedOn)); err != nil {
			v.Add("planned_on", "must be a date such as 2026-12-31")
		} else {
			next.PlannedOn = d.Format(time.DateOnly)
			if next.PlannedOn <= next.PeriodStart {
				v.Add("planned_on", "must be after %s, the start of the period the review looks back on", next.PeriodStart)
			}
			next.PeriodEnd = next.PlannedOn
		}
	}
	if pt.Attendees != nil {
		next.Attendees = strings.TrimSpace(*pt.Attendees)
		domainerr.Text(v, "attendees", next.Attendees, false, 2000)
	}
	if pt.Minutes != nil {
		next.Minutes = *pt.Minutes
		domainerr.Text(v, "minutes", next.Minutes, false, domainerr.MaxText)
	}
	if pt.State != nil && *pt.State != cur.State {
		switch *pt.State {
		case Held:
			if strings.TrimSpace(next.Minutes) == "" {
				v.Add("minutes", "are required to hold the review: record what was discussed and agreed")
			}
			held := time.Now().UTC().Format(time.DateOnly)
			if pt.HeldOn != nil && strings.TrimSpace(*pt.HeldOn) != "" {
				if d, err := time.Parse(time.DateOnly, strings.TrimSpace(*pt.HeldOn)); err != nil {
					v.Add("held_on", "must be a date such as 2026-12-31")
				} else {
					held = d.Format(time.DateOnly)
				}
			}
			next.HeldOn = &held
		case Cancelled:
		default:
			v.Add("state", "must be held or cancelled")
		}
		next.State = *pt.State
	}
	return next, v.Err()
}

// planNext plans the review that follows r, looking back on the period
// since r's.
func (s *Service) planNext(ctx context.Context, tx *store.Tx, p *auth.Principal, r Review) error {
	agr, err := sla.GetAgreement(ctx, tx, r.AgreementID)
	if err != nil {
		return err
	}
	planned, _ := time.Parse(time.DateOnly, r.PlannedOn)
	id, err := insert(ctx, tx, p, agr, planned.AddDate(0, r.EveryMonths, 0), planned, r.EveryMonths)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, "UPDATE service_reviews SET next_id = ? WHERE id = ?", id, r.ID)
	return err
}

// AddAction records an action agreed at a review.
func (s *Service) AddAction(ctx context.Context, p *auth.Principal, id int64, in NewAction) (Action, error) {
	if !p.Can(PermWrite) {
		return Action{}, domainerr.ErrForbidden
	}
	in.Title = strings.TrimSpace(in.Title)
	in.DueOn = strings.TrimSpace(in.DueOn)
	v := domainerr.NewInvalid()
	domainerr.Text(v, "title", in.Title, true, domainerr.MaxTitle)
	if in.DueOn != "" {
		if _, err := time.Parse(time.DateOnly, in.DueOn); err != nil {
			v.Add("due_on", "must be a date such as 2026-12-31")
		}
	}
	var out Action
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		r, err := get(ctx, tx, id)
		if err != nil {
			return err
		}
		if r.State == Cancelled {
			return domainerr.Conflictf("the review of %s on %s is cancelled", r.AgreementName, r.PlannedOn)
		}
		if in.OwnerID != nil {
			var active bool
			err := store.ScanErr(tx.QueryRow(ctx, "SELECT active FROM users WHERE id = ?", *in.OwnerID).Scan(&active))
			if errors.Is(err, store.ErrNotFound) || (err == nil && !active) {
				v.Add("owner_id", "user %d does not exist or is disabled", *in.OwnerID)
			} else if err != nil {
				return err
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		var due any
		if in.DueOn != "" {
			due = in.DueOn
		}
		var aid int64
		if err := tx.QueryRow(ctx, `INSERT INTO service_review_actions (review_id, title, owner_id, due_on, created_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`, id, in.Title, in.OwnerID, due, store.TS(time.Now())).Scan(&aid); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, p.Actor(), "create", "service_review_action", aid, in); err != nil {
			return err
		}
		r, err = get(ctx, tx, id)
		for _, a := range r.Actions {
			if a.ID == aid {
				out = a
			}
		}
		return err
	})
	return out, err
}

// DoneAction marks an action of a review done.
func (s *Service) DoneAction(ctx context.Context, p *auth.Principal, id, actionID int64) error {
	if !p.Can(PermWrite) {
		return domainerr.ErrForbidden
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, "UPDATE service_review_actions SET done_at = ? WHERE id = ? AND review_id = ? AND done_at IS NULL",
			store.TS(time.Now()), actionID, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return audit.Record(ctx, tx, p.Actor(), "update", "service_review_action", actionID, map[string]string{"done": "yes"})
	})
}
