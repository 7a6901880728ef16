package review

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/nonconformity"
	"steward/internal/sms"
	"steward/internal/store"
)

// Service keeps management reviews over one database.
type Service struct {
	DB  *store.DB
	Now func() time.Time
}

// NewService builds a Service.
func NewService(db *store.DB) *Service { return &Service{DB: db} }

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return time.Now().UTC().Truncate(time.Microsecond)
}

// Limits.
const (
	MaxReviews   = 200
	MaxAttendees = 50
)

const reviewCols = `r.id, r.title, r.planned_on, r.held_on, r.period_from, r.period_to, r.chair_id, COALESCE(u.name, ''), r.state,
	r.inputs, r.inputs_compiled_at, r.minutes, r.decisions, r.created_at, r.updated_at, r.version`
const reviewFrom = ` FROM management_reviews r LEFT JOIN users u ON u.id = r.chair_id`

func scanReview(row interface{ Scan(...any) error }) (Review, error) {
	var r Review
	var inputs string
	var comp, cr, up store.Time
	if err := row.Scan(&r.ID, &r.Title, &r.PlannedOn, &r.HeldOn, &r.PeriodFrom, &r.PeriodTo, &r.ChairID, &r.ChairName, &r.State,
		&inputs, &comp, &r.Minutes, &r.Decisions, &cr, &up, &r.Version); err != nil {
		return r, store.ScanErr(err)
	}
	r.InputsCompiledAt, r.CreatedAt, r.UpdatedAt = comp.Ptr(), cr.Time, up.Time
	if r.InputsCompiledAt != nil {
		var p Pack
		if err := json.Unmarshal([]byte(inputs), &p); err == nil {
			r.Inputs = &p
		}
	}
	r.Attendees, r.Actions = []Attendee{}, []nonconformity.Action{}
	return r, nil
}

func (s *Service) get(ctx context.Context, q store.Querier, id int64) (Review, error) {
	r, err := scanReview(q.QueryRow(ctx, "SELECT "+reviewCols+reviewFrom+" WHERE r.id = ?", id))
	if err != nil {
		return r, err
	}
	rows, err := q.Query(ctx, `SELECT a.user_id, u.name, a.role FROM management_review_attendees a JOIN users u ON u.id = a.user_id
		WHERE a.review_id = ? ORDER BY u.name, u.id`, id)
	if err != nil {
		return r, err
	}
	for rows.Next() {
		var a Attendee
		if err := rows.Scan(&a.UserID, &a.Name, &a.Role); err != nil {
			rows.Close()
			return r, err
		}
		r.Attendees = append(r.Attendees, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return r, err
	}
	r.Actions, err = nonconformity.ListActions(ctx, q, nonconformity.ActionFilter{SourceKind: nonconformity.FromReview, SourceID: id,
		Limit: nonconformity.MaxActions}, s.now())
	return r, err
}

// Get loads a review with its attendees and actions.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id int64) (Review, error) {
	if !p.Can(sms.PermRead) {
		return Review{}, domainerr.ErrForbidden
	}
	return s.get(ctx, s.DB, id)
}

// List lists reviews, latest planned first, at most MaxReviews.
func (s *Service) List(ctx context.Context, p *auth.Principal, limit int) ([]Review, error) {
	if !p.Can(sms.PermRead) {
		return nil, domainerr.ErrForbidden
	}
	if limit <= 0 || limit > MaxReviews {
		limit = MaxReviews
	}
	rows, err := s.DB.Query(ctx, "SELECT "+reviewCols+reviewFrom+" ORDER BY r.planned_on DESC, r.id DESC LIMIT ?", limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Review{}
	for rows.Next() {
		r, err := scanReview(rows)
		if err != nil {
			return nil, err
		}
		r.Inputs = nil // the list does not carry the packs
		out = append(out, r)
	}
	return out, rows.Err()
}

// Save plans a review (id 0) or changes one. Marking it held needs its
// inputs compiled and the day it was held.
func (s *Service) Save(ctx context.Context, p *auth.Principal, id int64, in Input, ifVersion int) (Review, error) {
	if !p.Can(sms.PermWrite) {
		return Review{}, domainerr.ErrForbidden
	}
	now := s.now()
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur := Review{State: Planned}
		if id != 0 {
			var err error
			if cur, err = s.get(ctx, tx, id); err != nil {
				return err
			}
			if ifVersion != 0 && ifVersion != cur.Version {
				return domainerr.ErrStale
			}
			if cur.State == Closed || cur.State == Cancelled {
				return domainerr.Conflictf("the review is %s and can no longer be changed", cur.State)
			}
		}
		v := domainerr.NewInvalid()
		apply(&cur, in)
		if err := check(ctx, tx, v, cur, in); err != nil {
			return err
		}
		if in.State != nil && *in.State != cur.State {
			switch *in.State {
			case Held:
				if cur.InputsCompiledAt == nil {
					v.Add("state", "compile the inputs first: a review is held on its input pack")
				}
				if cur.HeldOn == nil {
					v.Add("held_on", "is required to mark the review held")
				}
			case Closed:
				if cur.State != Held {
					v.Add("state", "a review is closed after it was held")
				}
			case Cancelled:
				if cur.State != Planned {
					v.Add("state", "only a planned review can be cancelled")
				}
			case Planned:
				v.Add("state", "a review goes back to planned by no action")
			default:
				v.Add("state", "must be held, closed or cancelled")
			}
			cur.State = *in.State
		}
		if err := v.Err(); err != nil {
			return err
		}
		data := map[string]any{"title": cur.Title, "planned_on": cur.PlannedOn, "held_on": cur.HeldOn, "period_from": cur.PeriodFrom,
			"period_to": cur.PeriodTo, "chair_id": cur.ChairID, "state": cur.State, "attendees": cur.Attendees}
		if id == 0 {
			err := tx.QueryRow(ctx, `INSERT INTO management_reviews (title, planned_on, held_on, period_from, period_to, chair_id, state,
				minutes, decisions, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'planned', ?, ?, ?, ?, ?) RETURNING id`,
				cur.Title, cur.PlannedOn, cur.HeldOn, cur.PeriodFrom, cur.PeriodTo, cur.ChairID, cur.Minutes, cur.Decisions, p.UserID,
				store.TS(now), store.TS(now)).Scan(&id)
			if err != nil {
				return store.ScanErr(err)
			}
			if err := audit.Record(ctx, tx, p.Actor(), "create", "management_review", id, data); err != nil {
				return err
			}
		} else {
			data["minutes"], data["decisions"] = cur.Minutes, cur.Decisions
			res, err := tx.Exec(ctx, `UPDATE management_reviews SET title = ?, planned_on = ?, held_on = ?, period_from = ?, period_to = ?,
				chair_id = ?, state = ?, minutes = ?, decisions = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
				cur.Title, cur.PlannedOn, cur.HeldOn, cur.PeriodFrom, cur.PeriodTo, cur.ChairID, cur.State, cur.Minutes, cur.Decisions,
				store.TS(now), id, cur.Version)
			if err != nil {
				return store.Translate(err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return domainerr.ErrStale
			}
			if err := audit.Record(ctx, tx, p.Actor(), "update", "management_review", id, data); err != nil {
				return err
			}
		}
		if in.Attendees == nil && id != 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, "DELETE FROM management_review_attendees WHERE review_id = ?", id); err != nil {
			return err
		}
		for _, a := range cur.Attendees {
			if _, err := tx.Exec(ctx, "INSERT INTO management_review_attendees (review_id, user_id, role) VALUES (?, ?, ?)",
				id, a.UserID, a.Role); err != nil {
				return store.Translate(err)
			}
		}
		return nil
	})
	if err != nil {
		return Review{}, err
	}
	return s.get(ctx, s.DB, id)
}

func apply(r *Review, in Input) {
	str := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	str(&r.Title, in.Title)
	str(&r.PlannedOn, in.PlannedOn)
	str(&r.PeriodFrom, in.PeriodFrom)
	str(&r.PeriodTo, in.PeriodTo)
	if in.Minutes != nil {
		r.Minutes = *in.Minutes
	}
	if in.Decisions != nil {
		r.Decisions = *in.Decisions
	}
	if in.HeldOn != nil {
		h := strings.TrimSpace(*in.HeldOn)
		r.HeldOn = &h
		if h == "" {
			r.HeldOn = nil
		}
	}
	if in.ChairID != nil {
		r.ChairID = in.ChairID
		if *in.ChairID == 0 {
			r.ChairID = nil
		}
	}
	if in.Attendees != nil {
		r.Attendees = []Attendee{}
		seen := map[int64]bool{}
		for _, a := range *in.Attendees {
			if !seen[a.UserID] {
				seen[a.UserID] = true
				a.Role = strings.TrimSpace(a.Role)
				r.Attendees = append(r.Attendees, a)
			}
		}
	}
}

func check(ctx context.Context, q store.Querier, v *domainerr.Invalid, r Review, in Input) error {
	domainerr.Text(v, "title", r.Title, true, domainerr.MaxTitle)
	domainerr.Text(v, "minutes", r.Minutes, false, domainerr.MaxText)
	domainerr.Text(v, "decisions", r.Decisions, false, domainerr.MaxText)
	nonconformity.CheckDate(v, "planned_on", r.PlannedOn, true)
	nonconformity.CheckDate(v, "period_from", r.PeriodFrom, true)
	nonconformity.CheckDate(v, "period_to", r.PeriodTo, true)
	if r.HeldOn != nil {
		nonconformity.CheckDate(v, "held_on", *r.HeldOn, false)
	}
	if !v.Has("period_from") && !v.Has("period_to") && r.PeriodTo <= r.PeriodFrom {
		v.Add("period_to", "must be after the start of the period")
	}
	if err := nonconformity.CheckUser(ctx, q, v, "chair_id", r.ChairID, false); err != nil {
		return err
	}
	if len(r.Attendees) > MaxAttendees {
		v.Add("attendees", "at most %d attendees", MaxAttendees)
		return nil
	}
	for _, a := range r.Attendees {
		id := a.UserID
		if err := nonconformity.CheckUser(ctx, q, v, "attendees", &id, true); err != nil {
			return err
		}
		if len([]rune(a.Role)) > domainerr.MaxShort {
			v.Add("attendees", "a role must be at most %d characters", domainerr.MaxShort)
		}
	}
	return nil
}

// AddAction records an action the review decided: a title, an owner and
// a due date.
func (s *Service) AddAction(ctx context.Context, p *auth.Principal, id int64, in nonconformity.NewAction) (nonconformity.Action, error) {
	if !p.Can(sms.PermWrite) {
		return nonconformity.Action{}, domainerr.ErrForbidden
	}
	now := s.now()
	var aid int64
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		r, err := s.get(ctx, tx, id)
		if err != nil {
			return err
		}
		if r.State == Cancelled || r.State == Closed {
			return domainerr.Conflictf("the review is %s: no more actions may be added", r.State)
		}
		aid, err = nonconformity.InsertAction(ctx, tx, p, nonconformity.FromReview, id, in, now)
		return err
	})
	if err != nil {
		return nonconformity.Action{}, err
	}
	return nonconformity.GetAction(ctx, s.DB, aid, now)
}

// Compile builds the review's input pack from the records for its period
// and keeps it with the review.
func (s *Service) Compile(ctx context.Context, p *auth.Principal, id int64) (Review, error) {
	if !p.Can(sms.PermWrite) {
		return Review{}, domainerr.ErrForbidden
	}
	r, err := s.get(ctx, s.DB, id)
	if err != nil {
		return r, err
	}
	if r.State != Planned {
		return r, domainerr.Conflictf("the review was %s: its inputs stay as they were compiled", r.State)
	}
	pack, err := s.compile(ctx, r)
	if err != nil {
		return r, err
	}
	raw, err := json.Marshal(pack)
	if err != nil {
		return r, err
	}
	now := s.now()
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE management_reviews SET inputs = ?, inputs_compiled_at = ?, updated_at = ?, version = version + 1
			WHERE id = ? AND version = ?`, string(raw), store.TS(now), store.TS(now), id, r.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return domainerr.ErrStale
		}
		return audit.Record(ctx, tx, p.Actor(), "compile", "management_review", id, map[string]any{"period_from": r.PeriodFrom, "period_to": r.PeriodTo})
	})
	if err != nil {
		return Review{}, err
	}
	return s.get(ctx, s.DB, id)
}

var errNoPeriod = errors.New("review: the period does not parse")
