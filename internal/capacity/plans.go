package capacity

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

// Plan is a service's capacity plan: the document, the demand it expects
// and the series it watches.
type Plan struct {
	ID           int64     `json:"id"`
	ServiceID    int64     `json:"service_id"`
	ServiceName  string    `json:"service_name"`
	Title        string    `json:"title"`
	Body         string    `json:"body"`
	Demand       string    `json:"demand"`
	OwnerID      *int64    `json:"owner_id"`
	OwnerName    string    `json:"owner_name"`
	ReviewedOn   *string   `json:"reviewed_on"`
	NextReviewOn *string   `json:"next_review_on"`
	SeriesIDs    []int64   `json:"series_ids"`
	Series       []Series  `json:"series"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	Version      int       `json:"version"`
	// ReviewDue is true when the next review's date has passed.
	ReviewDue bool `json:"review_due"`
}

// PlanIn creates a plan or, as a patch, changes one: nil leaves a field
// as it is.
type PlanIn struct {
	ServiceID    *int64   `json:"service_id"`
	Title        *string  `json:"title"`
	Body         *string  `json:"body"`
	Demand       *string  `json:"demand"`
	OwnerID      *int64   `json:"owner_id"`
	ReviewedOn   *string  `json:"reviewed_on"`
	NextReviewOn *string  `json:"next_review_on"`
	SeriesIDs    *[]int64 `json:"series_ids"`
}

// MaxPlanSeries caps the series one plan watches.
const MaxPlanSeries = 100

const planCols = `SELECT p.id, p.service_id, v.name, p.title, p.body, p.demand, p.owner_id, COALESCE(u.name, ''),
	p.reviewed_on, p.next_review_on, p.created_at, p.updated_at, p.version
	FROM capacity_plans p JOIN services v ON v.id = p.service_id LEFT JOIN users u ON u.id = p.owner_id`

func scanPlan(row interface{ Scan(...any) error }, today string) (Plan, error) {
	var p Plan
	var created, updated store.Time
	err := row.Scan(&p.ID, &p.ServiceID, &p.ServiceName, &p.Title, &p.Body, &p.Demand, &p.OwnerID, &p.OwnerName,
		&p.ReviewedOn, &p.NextReviewOn, &created, &updated, &p.Version)
	if err != nil {
		return p, store.ScanErr(err)
	}
	p.CreatedAt, p.UpdatedAt = created.Time, updated.Time
	p.ReviewDue = p.NextReviewOn != nil && *p.NextReviewOn < today
	p.SeriesIDs, p.Series = []int64{}, []Series{}
	return p, nil
}

func (s *Service) getPlan(ctx context.Context, q store.Querier, id int64) (Plan, error) {
	p, err := scanPlan(q.QueryRow(ctx, planCols+" WHERE p.id = ?", id), s.now().Format(time.DateOnly))
	if err != nil {
		return p, err
	}
	rows, err := q.Query(ctx, seriesCols+` JOIN capacity_plan_series ps ON ps.series_id = s.id WHERE ps.plan_id = ? ORDER BY s.id`, id)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	for rows.Next() {
		sr, err := scanSeries(rows)
		if err != nil {
			return p, err
		}
		p.Series, p.SeriesIDs = append(p.Series, sr), append(p.SeriesIDs, sr.ID)
	}
	return p, rows.Err()
}

// GetPlan loads a plan with the series it watches.
func (s *Service) GetPlan(ctx context.Context, p *auth.Principal, id int64) (Plan, error) {
	if !p.Can(PermRead) {
		return Plan{}, domainerr.ErrForbidden
	}
	return s.getPlan(ctx, s.DB, id)
}

// PlanForService is a service's plan, or store.ErrNotFound.
func (s *Service) PlanForService(ctx context.Context, p *auth.Principal, serviceID int64) (Plan, error) {
	if !p.Can(PermRead) {
		return Plan{}, domainerr.ErrForbidden
	}
	var id int64
	if err := s.DB.QueryRow(ctx, `SELECT id FROM capacity_plans WHERE service_id = ?`, serviceID).Scan(&id); err != nil {
		return Plan{}, store.Translate(err)
	}
	return s.getPlan(ctx, s.DB, id)
}

// Plans lists every plan by service name, without their series.
func (s *Service) Plans(ctx context.Context, p *auth.Principal) ([]Plan, error) {
	if !p.Can(PermRead) {
		return nil, domainerr.ErrForbidden
	}
	rows, err := s.DB.Query(ctx, planCols+` ORDER BY v.name, p.id LIMIT 1000`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Plan{}
	today := s.now().Format(time.DateOnly)
	for rows.Next() {
		pl, err := scanPlan(rows, today)
		if err != nil {
			return nil, err
		}
		out = append(out, pl)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Each plan's count of series, in one query.
	counts, err := s.DB.Query(ctx, `SELECT plan_id, series_id FROM capacity_plan_series ORDER BY plan_id, series_id`)
	if err != nil {
		return nil, err
	}
	defer counts.Close()
	at := map[int64]int{}
	for i, pl := range out {
		at[pl.ID] = i
	}
	for counts.Next() {
		var pid, sid int64
		if err := counts.Scan(&pid, &sid); err != nil {
			return nil, err
		}
		if i, ok := at[pid]; ok {
			out[i].SeriesIDs = append(out[i].SeriesIDs, sid)
		}
	}
	return out, counts.Err()
}

// CreatePlan writes a service's capacity plan; a service has one.
func (s *Service) CreatePlan(ctx context.Context, p *auth.Principal, in PlanIn) (Plan, error) {
	if !p.Can(PermWrite) {
		return Plan{}, domainerr.ErrForbidden
	}
	var out Plan
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur := Plan{}
		v := domainerr.NewInvalid()
		if in.ServiceID == nil || *in.ServiceID <= 0 {
			v.Add("service_id", "is required: choose the service the plan is for")
		} else if !exists(ctx, tx, "services", *in.ServiceID) {
			v.Add("service_id", "service %d does not exist", *in.ServiceID)
		} else {
			cur.ServiceID = *in.ServiceID
			var other int64
			if err := tx.QueryRow(ctx, `SELECT id FROM capacity_plans WHERE service_id = ?`, cur.ServiceID).Scan(&other); err == nil {
				v.Add("service_id", "this service already has a capacity plan (plan %d): change that one", other)
			}
		}
		if in.Title == nil {
			v.Add("title", "is required")
		}
		if err := checkPlan(ctx, tx, v, &cur, in); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		now := store.TS(s.now())
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO capacity_plans (service_id, title, body, demand, owner_id, reviewed_on, next_review_on,
			created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, cur.ServiceID, cur.Title, cur.Body, cur.Demand,
			cur.OwnerID, cur.ReviewedOn, cur.NextReviewOn, now, now).Scan(&id)
		if errors.Is(store.Translate(err), store.ErrConflict) {
			return domainerr.Field("service_id", "this service already has a capacity plan")
		}
		if err != nil {
			return err
		}
		if err := setPlanSeries(ctx, tx, id, cur.SeriesIDs); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, p.Actor(), "create", "capacity_plan", id, in); err != nil {
			return err
		}
		out, err = s.getPlan(ctx, tx, id)
		return err
	})
	return out, err
}

// UpdatePlan changes a plan; version, when not 0, must be its current one.
func (s *Service) UpdatePlan(ctx context.Context, p *auth.Principal, id int64, in PlanIn, version int) (Plan, error) {
	if !p.Can(PermWrite) {
		return Plan{}, domainerr.ErrForbidden
	}
	var out Plan
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := s.getPlan(ctx, tx, id)
		if err != nil {
			return err
		}
		if version != 0 && version != cur.Version {
			return domainerr.ErrStale
		}
		v := domainerr.NewInvalid()
		if in.ServiceID != nil && *in.ServiceID != cur.ServiceID {
			v.Add("service_id", "a plan stays with its service; write a new plan for another service")
		}
		if err := checkPlan(ctx, tx, v, &cur, in); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE capacity_plans SET title = ?, body = ?, demand = ?, owner_id = ?, reviewed_on = ?,
			next_review_on = ?, updated_at = ?, version = version + 1 WHERE id = ?`, cur.Title, cur.Body, cur.Demand, cur.OwnerID,
			cur.ReviewedOn, cur.NextReviewOn, store.TS(s.now()), id)
		if err != nil {
			return err
		}
		if in.SeriesIDs != nil {
			if _, err := tx.Exec(ctx, `DELETE FROM capacity_plan_series WHERE plan_id = ?`, id); err != nil {
				return err
			}
			if err := setPlanSeries(ctx, tx, id, cur.SeriesIDs); err != nil {
				return err
			}
		}
		if err := audit.Record(ctx, tx, p.Actor(), "update", "capacity_plan", id, in); err != nil {
			return err
		}
		out, err = s.getPlan(ctx, tx, id)
		return err
	})
	return out, err
}

// DeletePlan removes a plan.
func (s *Service) DeletePlan(ctx context.Context, p *auth.Principal, id int64) error {
	if !p.Can(PermWrite) {
		return domainerr.ErrForbidden
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM capacity_plans WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return audit.Record(ctx, tx, p.Actor(), "delete", "capacity_plan", id, nil)
	})
}

// checkPlan applies in to cur, recording what is wrong in v; the error is
// one of reading the database.
func checkPlan(ctx context.Context, tx *store.Tx, v *domainerr.Invalid, cur *Plan, in PlanIn) error {
	if in.Title != nil {
		cur.Title = strings.TrimSpace(*in.Title)
		domainerr.Text(v, "title", cur.Title, true, domainerr.MaxTitle)
	}
	if in.Body != nil {
		cur.Body = *in.Body
		domainerr.Text(v, "body", cur.Body, false, domainerr.MaxText)
	}
	if in.Demand != nil {
		cur.Demand = strings.TrimSpace(*in.Demand)
		domainerr.Text(v, "demand", cur.Demand, false, domainerr.MaxText)
	}
	if in.OwnerID != nil {
		if *in.OwnerID == 0 {
			cur.OwnerID = nil
		} else if cur.OwnerID == nil || *cur.OwnerID != *in.OwnerID {
			// The owner a plan already has is kept, whatever their role now.
			id := *in.OwnerID
			if err := auth.CheckWorker(ctx, tx, v, "owner_id", &id); err != nil {
				return err
			}
			cur.OwnerID = &id
		}
	}
	date := func(field string, in *string, dst **string) {
		if in == nil {
			return
		}
		d := strings.TrimSpace(*in)
		if d == "" {
			*dst = nil
			return
		}
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			v.Add(field, "must be a date such as 2026-12-31")
			return
		}
		*dst = &d
	}
	date("reviewed_on", in.ReviewedOn, &cur.ReviewedOn)
	date("next_review_on", in.NextReviewOn, &cur.NextReviewOn)
	if cur.ReviewedOn != nil && cur.NextReviewOn != nil && *cur.NextReviewOn <= *cur.ReviewedOn && !v.Has("next_review_on") {
		v.Add("next_review_on", "must be after the last review (%s)", *cur.ReviewedOn)
	}
	if in.SeriesIDs != nil {
		ids := *in.SeriesIDs
		if len(ids) > MaxPlanSeries {
			v.Add("series_ids", "a plan watches at most %d series", MaxPlanSeries)
			return nil
		}
		seen := map[int64]bool{}
		cur.SeriesIDs = cur.SeriesIDs[:0:0]
		for _, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			if !exists(ctx, tx, "capacity_series", id) {
				v.Add("series_ids", "series %d does not exist", id)
			}
			cur.SeriesIDs = append(cur.SeriesIDs, id)
		}
	}
	return nil
}

func setPlanSeries(ctx context.Context, tx *store.Tx, plan int64, ids []int64) error {
	for _, id := range ids {
		if _, err := tx.Exec(ctx, `INSERT INTO capacity_plan_series (plan_id, series_id) VALUES (?, ?)`, plan, id); err != nil {
			return err
		}
	}
	return nil
}

// Named is a record's id and name, for choices on forms.
type Named struct {
	ID   int64
	Name string
}

// Services are the services not retired, by name, for forms.
func (s *Service) Services(ctx context.Context) ([]Named, error) {
	rows, err := s.DB.Query(ctx, `SELECT id, name FROM services WHERE status <> 'retired' ORDER BY name, id LIMIT 1000`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Named
	for rows.Next() {
		var n Named
		if err := rows.Scan(&n.ID, &n.Name); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
