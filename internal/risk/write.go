package risk

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Create adds a risk or opportunity to the register.
func (s *Service) Create(ctx context.Context, actor audit.Actor, in Input) (Risk, error) {
	r := Risk{Kind: "risk", Treatment: "undecided", Status: "open", ServiceIDs: []int64{}, CIIDs: []int64{}}
	apply(&r, in) // check names every field missing or wrong at once
	now := s.now()
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := check(ctx, tx, r); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `INSERT INTO risks (title, description, kind, category, process_key, owner_id, likelihood, impact,
			treatment, treatment_plan, residual_likelihood, residual_impact, status, review_due, reviewed_on, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, r.Title, r.Description, r.Kind, r.Category,
			r.ProcessKey, r.OwnerID, r.Likelihood, r.Impact, r.Treatment, r.TreatmentPlan, r.ResidualLikelihood, r.ResidualImpact,
			r.Status, store.OptDate(r.ReviewDue), store.OptDate(r.ReviewedOn), actor.UserID(), store.TS(now), store.TS(now)).Scan(&r.ID)
		if err != nil {
			return store.Translate(store.ScanErr(err))
		}
		if err := saveScope(ctx, tx, r); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "create", "risk", r.ID, auditOf(r))
	})
	if err != nil {
		return Risk{}, err
	}
	return s.Get(ctx, s.DB, r.ID)
}

// Update changes the fields in given; ifVersion, when not 0, must be the
// version the caller saw.
func (s *Service) Update(ctx context.Context, actor audit.Actor, id int64, in Input, ifVersion int) (Risk, error) {
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		r, err := s.Get(ctx, tx, id)
		if err != nil {
			return err
		}
		if ifVersion != 0 && ifVersion != r.Version {
			return domainerr.ErrStale
		}
		apply(&r, in)
		if err := check(ctx, tx, r); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE risks SET title = ?, description = ?, kind = ?, category = ?, process_key = ?, owner_id = ?,
			likelihood = ?, impact = ?, treatment = ?, treatment_plan = ?, residual_likelihood = ?, residual_impact = ?, status = ?,
			review_due = ?, reviewed_on = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
			r.Title, r.Description, r.Kind, r.Category, r.ProcessKey, r.OwnerID, r.Likelihood, r.Impact, r.Treatment, r.TreatmentPlan,
			r.ResidualLikelihood, r.ResidualImpact, r.Status, store.OptDate(r.ReviewDue), store.OptDate(r.ReviewedOn), store.TS(s.now()), id, r.Version)
		if err != nil {
			return store.Translate(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return domainerr.ErrStale
		}
		if in.ServiceIDs != nil || in.CIIDs != nil {
			for _, t := range []string{"risk_services", "risk_cis"} {
				if _, err := tx.Exec(ctx, "DELETE FROM "+t+" WHERE risk_id = ?", id); err != nil {
					return err
				}
			}
			if err := saveScope(ctx, tx, r); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, actor, "update", "risk", id, auditOf(r))
	})
	if err != nil {
		return Risk{}, err
	}
	return s.Get(ctx, s.DB, id)
}

func apply(r *Risk, in Input) {
	text := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	text(&r.Title, in.Title)
	text(&r.Description, in.Description)
	text(&r.Kind, in.Kind)
	text(&r.Category, in.Category)
	text(&r.ProcessKey, in.ProcessKey)
	text(&r.Treatment, in.Treatment)
	text(&r.TreatmentPlan, in.TreatmentPlan)
	text(&r.Status, in.Status)
	text(&r.ReviewDue, in.ReviewDue)
	text(&r.ReviewedOn, in.ReviewedOn)
	if in.OwnerID != nil {
		r.OwnerID = nil
		if *in.OwnerID != 0 {
			id := *in.OwnerID
			r.OwnerID = &id
		}
	}
	if in.Likelihood != nil {
		r.Likelihood = *in.Likelihood
	}
	if in.Impact != nil {
		r.Impact = *in.Impact
	}
	level := func(dst **int, src *int) {
		if src != nil {
			*dst = nil
			if *src != 0 {
				n := *src
				*dst = &n
			}
		}
	}
	level(&r.ResidualLikelihood, in.ResidualLikelihood)
	level(&r.ResidualImpact, in.ResidualImpact)
	if in.ServiceIDs != nil {
		r.ServiceIDs = uniq(*in.ServiceIDs)
	}
	if in.CIIDs != nil {
		r.CIIDs = uniq(*in.CIIDs)
	}
}

// check names every fault of r.
func check(ctx context.Context, q store.Querier, r Risk) error {
	v := domainerr.NewInvalid()
	domainerr.Text(v, "title", r.Title, true, domainerr.MaxTitle)
	domainerr.Text(v, "description", r.Description, false, domainerr.MaxText)
	domainerr.Text(v, "category", r.Category, false, domainerr.MaxShort)
	domainerr.Text(v, "process_key", r.ProcessKey, false, domainerr.MaxShort)
	domainerr.Text(v, "treatment_plan", r.TreatmentPlan, false, domainerr.MaxText)
	if !slices.Contains(Kinds, r.Kind) {
		v.Add("kind", "must be risk or opportunity")
	}
	if !slices.Contains(Statuses, r.Status) {
		v.Add("status", "must be one of %s", strings.Join(Statuses, ", "))
	}
	switch {
	case !slices.Contains(Treatments, r.Treatment):
		v.Add("treatment", "must be one of %s", strings.Join(Treatments, ", "))
	case r.Kind == "risk" && !slices.Contains(RiskTreat, r.Treatment):
		v.Add("treatment", "a risk is reduced, accepted, avoided or transferred")
	case r.Kind == "opportunity" && !slices.Contains(OppTreat, r.Treatment):
		v.Add("treatment", "an opportunity is exploited, enhanced, shared or accepted")
	}
	if r.Status == "treating" && r.Treatment == "undecided" {
		v.Add("treatment", "choose a treatment before treating the risk")
	}
	for _, x := range []struct {
		field string
		n     int
	}{{"likelihood", r.Likelihood}, {"impact", r.Impact}} {
		if x.n < 1 || x.n > 5 {
			v.Add(x.field, "must be a level from 1 to 5")
		}
	}
	switch {
	case (r.ResidualLikelihood == nil) != (r.ResidualImpact == nil):
		if r.ResidualLikelihood == nil {
			v.Add("residual_likelihood", "give both residual levels, or neither")
		} else {
			v.Add("residual_impact", "give both residual levels, or neither")
		}
	case r.ResidualLikelihood != nil:
		if *r.ResidualLikelihood < 1 || *r.ResidualLikelihood > 5 {
			v.Add("residual_likelihood", "must be a level from 1 to 5")
		}
		if *r.ResidualImpact < 1 || *r.ResidualImpact > 5 {
			v.Add("residual_impact", "must be a level from 1 to 5")
		}
	}
	for _, d := range []struct{ field, val string }{{"review_due", r.ReviewDue}, {"reviewed_on", r.ReviewedOn}} {
		if d.val != "" {
			if _, err := time.Parse(dateOnly, d.val); err != nil {
				v.Add(d.field, "must be a date such as 2026-12-31")
			}
		}
	}
	if r.OwnerID == nil {
		v.Add("owner_id", "is required: every risk has an owner")
	} else if ok, err := activeUser(ctx, q, *r.OwnerID); err != nil {
		return err
	} else if !ok {
		v.Add("owner_id", "no active member of staff with id %d", *r.OwnerID)
	}
	for _, sc := range []struct {
		field, table, what string
		ids                []int64
	}{{"service_ids", "services", "service", r.ServiceIDs}, {"ci_ids", "cis", "CI", r.CIIDs}} {
		if len(sc.ids) > maxScopeList {
			v.Add(sc.field, "at most %d", maxScopeList)
			continue
		}
		for _, id := range sc.ids {
			var one int
			err := store.ScanErr(q.QueryRow(ctx, "SELECT 1 FROM "+sc.table+" WHERE id = ?", id).Scan(&one))
			if err == store.ErrNotFound {
				v.Add(sc.field, "no %s with id %d", sc.what, id)
				break
			} else if err != nil {
				return err
			}
		}
	}
	return v.Err()
}

// activeUser reports whether id is an active member of staff.
func activeUser(ctx context.Context, q store.Querier, id int64) (bool, error) {
	var n int
	err := q.QueryRow(ctx, "SELECT COUNT(*) FROM users WHERE id = ? AND active = ? AND role IN ('admin', 'agent', 'auditor')", id, true).Scan(&n)
	return n == 1, err
}

func saveScope(ctx context.Context, tx *store.Tx, r Risk) error {
	for _, id := range r.ServiceIDs {
		if _, err := tx.Exec(ctx, "INSERT INTO risk_services (risk_id, service_id) VALUES (?, ?)", r.ID, id); err != nil {
			return store.Translate(err)
		}
	}
	for _, id := range r.CIIDs {
		if _, err := tx.Exec(ctx, "INSERT INTO risk_cis (risk_id, ci_id) VALUES (?, ?)", r.ID, id); err != nil {
			return store.Translate(err)
		}
	}
	return nil
}

func auditOf(r Risk) map[string]any {
	return map[string]any{"title": r.Title, "kind": r.Kind, "owner_id": r.OwnerID, "likelihood": r.Likelihood, "impact": r.Impact,
		"treatment": r.Treatment, "residual_likelihood": r.ResidualLikelihood, "residual_impact": r.ResidualImpact,
		"status": r.Status, "review_due": r.ReviewDue, "reviewed_on": r.ReviewedOn, "service_ids": r.ServiceIDs, "ci_ids": r.CIIDs}
}

func uniq(ids []int64) []int64 {
	out := append([]int64{}, ids...)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return slices.Compact(out)
}

func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }
