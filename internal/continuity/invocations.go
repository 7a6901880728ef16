package continuity

import (
	"context"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Invocation is a plan used for real: when it started and ended, what
// happened, how much data was lost, and the review held afterwards. Its
// recovery time (start to end) is judged against each service's RTO like
// a test's.
type Invocation struct {
	ID              int64      `json:"id"`
	PlanID          int64      `json:"plan_id"`
	PlanTitle       string     `json:"plan_title"`
	StartedAt       time.Time  `json:"started_at"`
	EndedAt         *time.Time `json:"ended_at"`
	Summary         string     `json:"summary"`
	RecoveryMinutes *int       `json:"recovery_minutes"`
	Recovery        string     `json:"recovery"`
	DataLossMinutes *int       `json:"data_loss_minutes"`
	DataLoss        string     `json:"data_loss"`
	Outcomes        []Outcome  `json:"outcomes"`
	Verdict         string     `json:"verdict"`
	Review          string     `json:"review"`
	ReviewedByID    *int64     `json:"reviewed_by_id"`
	ReviewedByName  string     `json:"reviewed_by_name"`
	ReviewedAt      *time.Time `json:"reviewed_at"`
	AwaitingReview  bool       `json:"awaiting_review"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	Version         int        `json:"version"`
}

// InvocationRef is an invocation as a plan's page lists it.
type InvocationRef struct {
	ID             int64      `json:"id"`
	StartedAt      time.Time  `json:"started_at"`
	EndedAt        *time.Time `json:"ended_at"`
	Verdict        string     `json:"verdict"`
	AwaitingReview bool       `json:"awaiting_review"`
}

// InvocationInput records an invocation or changes one: plan_id,
// started_at and summary are needed to record it. The review can be
// written once the invocation has ended; writing it records who reviewed
// and when. data_loss is a duration as people write it; empty is not
// known.
type InvocationInput struct {
	PlanID    *int64     `json:"plan_id"`
	StartedAt *time.Time `json:"started_at"`
	EndedAt   *time.Time `json:"ended_at"`
	Summary   *string    `json:"summary"`
	DataLoss  *string    `json:"data_loss"`
	Review    *string    `json:"review"`
}

const invCols = `SELECT i.id, i.plan_id, p.title, i.started_at, i.ended_at, i.summary, i.data_loss_minutes, i.review, i.reviewed_by,
	COALESCE(u.name, ''), i.reviewed_at, i.created_at, i.updated_at, i.version
	FROM continuity_invocations i JOIN continuity_plans p ON p.id = i.plan_id LEFT JOIN users u ON u.id = i.reviewed_by`

func scanInvocation(row interface{ Scan(...any) error }) (Invocation, error) {
	var v Invocation
	var started, ended, reviewed, created, updated store.Time
	if err := row.Scan(&v.ID, &v.PlanID, &v.PlanTitle, &started, &ended, &v.Summary, &v.DataLossMinutes, &v.Review, &v.ReviewedByID,
		&v.ReviewedByName, &reviewed, &created, &updated, &v.Version); err != nil {
		return v, store.ScanErr(err)
	}
	v.StartedAt, v.EndedAt, v.ReviewedAt, v.CreatedAt, v.UpdatedAt = started.Time, ended.Ptr(), reviewed.Ptr(), created.Time, updated.Time
	v.derive(nil)
	return v, nil
}

// derive computes the recovery time, the verdicts against services and
// whether a review is awaited.
func (v *Invocation) derive(services []PlanService) {
	v.RecoveryMinutes, v.Recovery = nil, ""
	if v.EndedAt != nil {
		m := int(v.EndedAt.Sub(v.StartedAt).Round(time.Minute) / time.Minute)
		v.RecoveryMinutes, v.Recovery = &m, FormatMinutes(m)
	}
	v.DataLoss = optFormat(v.DataLossMinutes)
	v.Outcomes = outcomes(v.RecoveryMinutes, v.DataLossMinutes, services)
	v.Verdict = overall(v.Outcomes)
	v.AwaitingReview = v.EndedAt != nil && v.ReviewedAt == nil
}

func (s *Service) getInvocation(ctx context.Context, q store.Querier, id int64) (Invocation, error) {
	v, err := scanInvocation(q.QueryRow(ctx, invCols+" WHERE i.id = ?", id))
	if err != nil {
		return v, err
	}
	pl, err := s.getPlan(ctx, q, v.PlanID)
	if err != nil {
		return v, err
	}
	v.derive(pl.Services)
	return v, nil
}

// Invocation loads an invocation.
func (s *Service) Invocation(ctx context.Context, p *auth.Principal, id int64) (Invocation, error) {
	if !p.Can(PermRead) {
		return Invocation{}, domainerr.ErrForbidden
	}
	return s.getInvocation(ctx, s.DB, id)
}

// Invocations lists invocations, latest first; planID 0 for all.
func (s *Service) Invocations(ctx context.Context, p *auth.Principal, planID int64, limit int) ([]Invocation, error) {
	if !p.Can(PermRead) {
		return nil, domainerr.ErrForbidden
	}
	if limit <= 0 {
		limit = 100
	}
	if limit > MaxLimit {
		return nil, domainerr.Field("limit", "must be at most %d", MaxLimit)
	}
	q, args := invCols, []any{}
	if planID != 0 {
		q, args = q+" WHERE i.plan_id = ?", append(args, planID)
	}
	rows, err := s.DB.Query(ctx, q+" ORDER BY i.started_at DESC, i.id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, err
	}
	var list []Invocation
	for rows.Next() {
		v, err := scanInvocation(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		list = append(list, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := []Invocation{}
	plans := map[int64][]PlanService{}
	for _, v := range list {
		svcs, ok := plans[v.PlanID]
		if !ok {
			pl, err := s.getPlan(ctx, s.DB, v.PlanID)
			if err != nil {
				return nil, err
			}
			svcs, plans[v.PlanID] = pl.Services, pl.Services
		}
		v.derive(svcs)
		out = append(out, v)
	}
	return out, nil
}

func (s *Service) invocationRefs(ctx context.Context, planID int64) ([]InvocationRef, error) {
	list, err := s.Invocations(ctx, &auth.Principal{Role: auth.Auditor}, planID, 50)
	if err != nil {
		return nil, err
	}
	out := []InvocationRef{}
	for _, v := range list {
		out = append(out, InvocationRef{ID: v.ID, StartedAt: v.StartedAt, EndedAt: v.EndedAt, Verdict: v.Verdict, AwaitingReview: v.AwaitingReview})
	}
	return out, nil
}

// readInvocation applies the input to v, checking it.
func (s *Service) readInvocation(ctx context.Context, q store.Querier, v *Invocation, in InvocationInput, bad *domainerr.Invalid) error {
	if in.PlanID != nil {
		v.PlanID = *in.PlanID
		var n int
		if err := q.QueryRow(ctx, "SELECT COUNT(*) FROM continuity_plans WHERE id = ?", v.PlanID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			bad.Add("plan_id", "no continuity plan with id %d", v.PlanID)
		}
	}
	now := s.now()
	if in.StartedAt != nil {
		v.StartedAt = in.StartedAt.UTC()
		if v.StartedAt.After(now) {
			bad.Add("started_at", "cannot be in the future: record an invocation once the plan is in use")
		}
	}
	if in.EndedAt != nil {
		e := in.EndedAt.UTC()
		v.EndedAt = &e
		if e.After(now) {
			bad.Add("ended_at", "cannot be in the future")
		}
	}
	if v.EndedAt != nil && v.EndedAt.Before(v.StartedAt) {
		bad.Add("ended_at", "must be after the start")
	}
	if in.Summary != nil {
		v.Summary = strings.TrimSpace(strings.ReplaceAll(*in.Summary, "\r\n", "\n"))
		domainerr.Text(bad, "summary", v.Summary, true, domainerr.MaxText)
	}
	if in.DataLoss != nil {
		v.DataLossMinutes = nil
		if strings.TrimSpace(*in.DataLoss) != "" {
			m, err := ParseDuration(*in.DataLoss)
			if err != nil {
				bad.Add("data_loss", "%s", err.Error())
			} else {
				v.DataLossMinutes = &m
			}
		}
	}
	if in.Review != nil {
		v.Review = strings.TrimSpace(strings.ReplaceAll(*in.Review, "\r\n", "\n"))
		domainerr.Text(bad, "review", v.Review, false, domainerr.MaxText)
		if v.Review != "" && v.EndedAt == nil {
			bad.Add("review", "can be written once the invocation has ended: give its end first")
		}
	}
	return nil
}

// RecordInvocation records that a plan was used for real.
func (s *Service) RecordInvocation(ctx context.Context, p *auth.Principal, in InvocationInput) (Invocation, error) {
	if !p.Can(PermWrite) {
		return Invocation{}, domainerr.ErrForbidden
	}
	bad := domainerr.NewInvalid()
	if in.PlanID == nil {
		bad.Add("plan_id", "choose the plan that was used")
	}
	if in.StartedAt == nil {
		bad.Add("started_at", "is required")
	}
	if in.Summary == nil {
		bad.Add("summary", "is required: say what happened")
	}
	var out Invocation
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var v Invocation
		if err := s.readInvocation(ctx, tx, &v, in, bad); err != nil {
			return err
		}
		if err := bad.Err(); err != nil {
			return err
		}
		now := s.now()
		var reviewedBy, reviewedAt any
		if v.Review != "" {
			reviewedBy, reviewedAt = p.UserID, store.TS(now)
		}
		if err := tx.QueryRow(ctx, `INSERT INTO continuity_invocations (plan_id, started_at, ended_at, summary, data_loss_minutes, review,
			reviewed_by, reviewed_at, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			v.PlanID, store.TS(v.StartedAt), store.OptTS(v.EndedAt), v.Summary, v.DataLossMinutes, v.Review, reviewedBy, reviewedAt,
			p.UserID, store.TS(now), store.TS(now)).Scan(&v.ID); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, p.Actor(), "create", "continuity_invocation", v.ID, in); err != nil {
			return err
		}
		var err error
		out, err = s.getInvocation(ctx, tx, v.ID)
		return err
	})
	return out, err
}

// UpdateInvocation changes an invocation: its end, what happened, the data
// lost and its review. A review written for the first time records who
// reviewed and when.
func (s *Service) UpdateInvocation(ctx context.Context, p *auth.Principal, id int64, in InvocationInput, ifVersion int) (Invocation, error) {
	if !p.Can(PermWrite) {
		return Invocation{}, domainerr.ErrForbidden
	}
	var out Invocation
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		v, err := s.getInvocation(ctx, tx, id)
		if err != nil {
			return err
		}
		if ifVersion != 0 && ifVersion != v.Version {
			return domainerr.ErrStale
		}
		bad := domainerr.NewInvalid()
		if in.PlanID != nil && *in.PlanID != v.PlanID {
			bad.Add("plan_id", "an invocation stays with the plan that was used")
		}
		in.PlanID = nil
		hadReview := v.Review != ""
		if err := s.readInvocation(ctx, tx, &v, in, bad); err != nil {
			return err
		}
		if err := bad.Err(); err != nil {
			return err
		}
		reviewedBy, reviewedAt := any(v.ReviewedByID), store.OptTS(v.ReviewedAt)
		if v.Review != "" && !hadReview {
			reviewedBy, reviewedAt = p.UserID, store.TS(s.now())
		} else if v.Review == "" {
			reviewedBy, reviewedAt = nil, nil
		}
		if _, err := tx.Exec(ctx, `UPDATE continuity_invocations SET started_at = ?, ended_at = ?, summary = ?, data_loss_minutes = ?, review = ?,
			reviewed_by = ?, reviewed_at = ?, updated_at = ?, version = version + 1 WHERE id = ?`, store.TS(v.StartedAt), store.OptTS(v.EndedAt),
			v.Summary, v.DataLossMinutes, v.Review, reviewedBy, reviewedAt, store.TS(s.now()), id); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, p.Actor(), "update", "continuity_invocation", id, in); err != nil {
			return err
		}
		out, err = s.getInvocation(ctx, tx, id)
		return err
	})
	return out, err
}
