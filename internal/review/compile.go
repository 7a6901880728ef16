package review

import (
	"context"
	"encoding/json"
	"time"

	"steward/internal/internalaudit"
	"steward/internal/kpi"
	"steward/internal/nonconformity"
	"steward/internal/store"
)

// compile reads the records for the review's period [from, to], the to
// day included.
func (s *Service) compile(ctx context.Context, r Review) (Pack, error) {
	from, err1 := time.Parse(nonconformity.DateLayout, r.PeriodFrom)
	to, err2 := time.Parse(nonconformity.DateLayout, r.PeriodTo)
	if err1 != nil || err2 != nil {
		return Pack{}, errNoPeriod
	}
	to = to.AddDate(0, 0, 1)
	now := s.now()
	p := Pack{PeriodFrom: r.PeriodFrom, PeriodTo: r.PeriodTo, Customers: NoData{NoData: true, Note: CustomerNote}}
	steps := []func() error{
		func() error { return s.previousActions(ctx, r.ID, now, &p.PreviousActions) },
		func() error { p.KPIs = kpis(ctx, s.DB, from, to); return nil },
		func() error { return audits(ctx, s.DB, from, to, &p) },
		func() error { return ncFigures(ctx, s.DB, r, now, &p.Nonconformities) },
		func() error { return suppliers(ctx, s.DB, from, to, &p.Suppliers) },
		func() error { return risks(ctx, s.DB, &p.Risks) },
		func() error { return improvements(ctx, s.DB, from, to, &p.Improvements) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return p, err
		}
	}
	return p, nil
}

// previousActions is the state now of the actions earlier reviews decided.
func (s *Service) previousActions(ctx context.Context, id int64, now time.Time, out *PreviousActions) error {
	list, err := nonconformity.ListActions(ctx, s.DB, nonconformity.ActionFilter{SourceKind: nonconformity.FromReview,
		ExceptSourceID: id, Uncancelled: true, Limit: nonconformity.MaxActions}, now)
	if err != nil {
		return err
	}
	out.Items = []nonconformity.Action{}
	for _, a := range list {
		out.Items = append(out.Items, a)
		out.Total++
		switch {
		case a.Status == "done":
			out.Done++
		case a.Overdue:
			out.Open++
			out.Overdue++
		default:
			out.Open++
		}
	}
	return nil
}

// kpis computes every registered measure over the period; one that fails
// says so rather than stopping the pack.
func kpis(ctx context.Context, q store.Querier, from, to time.Time) []KPI {
	out := []KPI{}
	for _, m := range kpi.All() {
		k := KPI{Key: m.Key, Title: m.Title, Unit: m.Unit, Process: m.Process}
		v, err := m.Compute(ctx, q, from, to)
		if err != nil {
			k.Error = "could not be computed"
		} else {
			k.Value, k.N, k.Link = v.Value, v.N, v.Link
		}
		out = append(out, k)
	}
	return out
}

func audits(ctx context.Context, q store.Querier, from, to time.Time, p *Pack) error {
	list, err := internalaudit.ReportedIn(ctx, q, from, to)
	if err != nil {
		return err
	}
	p.Audits = []AuditResult{}
	for _, a := range list {
		counts, ncs, err := internalaudit.ResultCounts(ctx, q, a.ID)
		if err != nil {
			return err
		}
		ar := AuditResult{ID: a.ID, Title: a.Title, Counts: map[string]int{}, NCs: ncs}
		if a.ReportedAt != nil {
			ar.ReportedAt = *a.ReportedAt
		}
		for _, c := range counts {
			ar.Counts[c.Result] = c.N
		}
		p.Audits = append(p.Audits, ar)
	}
	return nil
}

func ncFigures(ctx context.Context, q store.Querier, r Review, now time.Time, out *NCFigures) error {
	to := r.PeriodTo
	for _, c := range []struct {
		dst  *int
		sql  string
		args []any
	}{
		{&out.Opened, "SELECT COUNT(*) FROM nonconformities WHERE raised_on >= ? AND raised_on <= ?", []any{r.PeriodFrom, to}},
		{&out.Closed, "SELECT COUNT(*) FROM nonconformities WHERE state = 'closed' AND closed_at >= ? AND closed_at < ?",
			[]any{r.PeriodFrom + "T00:00:00.000000Z", nextDay(to) + "T00:00:00.000000Z"}},
		{&out.OpenNow, "SELECT COUNT(*) FROM nonconformities WHERE state IN ('open', 'action', 'verifying')", nil},
		{&out.OverdueActions, "SELECT COUNT(*) FROM sms_actions WHERE status = 'open' AND due_on < ?", []any{nonconformity.Today(now)}},
	} {
		if err := q.QueryRow(ctx, c.sql, c.args...).Scan(c.dst); err != nil {
			return err
		}
	}
	return nil
}

func nextDay(d string) string {
	t, err := time.Parse(nonconformity.DateLayout, d)
	if err != nil {
		return d
	}
	return t.AddDate(0, 0, 1).Format(nonconformity.DateLayout)
}

// suppliers counts the timers of operational level agreements and
// underpinning contracts decided in the period, met against breached.
func suppliers(ctx context.Context, q store.Querier, from, to time.Time, out *Suppliers) error {
	rows, err := q.Query(ctx, `SELECT a.id, a.name, a.kind, a.supplier_name,
		SUM(CASE WHEN t.state = 'met' THEN 1 ELSE 0 END), SUM(CASE WHEN t.state = 'breached' THEN 1 ELSE 0 END)
		FROM sla_timers t JOIN agreements a ON a.id = t.agreement_id
		WHERE a.kind IN ('ola', 'uc') AND t.state IN ('met', 'breached') AND t.decided_at >= ? AND t.decided_at < ?
		GROUP BY a.id, a.name, a.kind, a.supplier_name ORDER BY a.name LIMIT 200`, store.TS(from), store.TS(to))
	if err != nil {
		return err
	}
	defer rows.Close()
	out.Agreements = []Supplier{}
	for rows.Next() {
		var s Supplier
		if err := rows.Scan(&s.ID, &s.Name, &s.Kind, &s.Supplier, &s.Met, &s.Breached); err != nil {
			return err
		}
		out.Agreements = append(out.Agreements, s)
	}
	if len(out.Agreements) == 0 {
		out.Note = "no data: no operational level agreement or underpinning contract timer was decided in the period"
	}
	return rows.Err()
}

// risks counts the open risks by the band their score falls in: the
// residual score once a treatment set one, else the inherent score.
func risks(ctx context.Context, q store.Querier, out *Risks) error {
	var bandsJSON string
	err := q.QueryRow(ctx, "SELECT bands, appetite FROM risk_criteria WHERE id = 1").Scan(&bandsJSON, &out.Appetite)
	if err != nil {
		return store.ScanErr(err)
	}
	var bands []struct {
		Name string `json:"name"`
		Max  int    `json:"max"`
	}
	if err := json.Unmarshal([]byte(bandsJSON), &bands); err != nil {
		return err
	}
	out.Bands = make([]Band, len(bands))
	for i, b := range bands {
		out.Bands[i].Name = b.Name
	}
	rows, err := q.Query(ctx, `SELECT likelihood, impact, residual_likelihood, residual_impact FROM risks
		WHERE kind = 'risk' AND status <> 'closed' LIMIT 10000`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var l, i int
		var rl, ri *int
		if err := rows.Scan(&l, &i, &rl, &ri); err != nil {
			return err
		}
		score := l * i
		if rl != nil && ri != nil {
			score = *rl * *ri
		}
		out.Total++
		if score > out.Appetite {
			out.AboveAppetite++
		}
		for k, b := range bands {
			if score <= b.Max {
				out.Bands[k].Count++
				break
			}
		}
	}
	if out.Total == 0 {
		out.Note = "no data: the risk register holds no open risk"
	}
	return rows.Err()
}

func improvements(ctx context.Context, q store.Querier, from, to time.Time, out *Improvements) error {
	for _, c := range []struct {
		dst  *int
		sql  string
		args []any
	}{
		{&out.Proposed, "SELECT COUNT(*) FROM improvements WHERE status = 'proposed'", nil},
		{&out.Approved, "SELECT COUNT(*) FROM improvements WHERE status IN ('approved', 'in_progress')", nil},
		{&out.Done, "SELECT COUNT(*) FROM improvements WHERE status = 'done'", nil},
		{&out.DoneInPeriod, "SELECT COUNT(*) FROM improvements WHERE status = 'done' AND done_at >= ? AND done_at < ?",
			[]any{store.TS(from), store.TS(to)}},
	} {
		if err := q.QueryRow(ctx, c.sql, c.args...).Scan(c.dst); err != nil {
			return err
		}
	}
	return nil
}
