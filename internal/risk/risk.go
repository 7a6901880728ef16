package risk

import (
	"context"
	"slices"
	"strings"
	"time"

	"steward/internal/domainerr"
	"steward/internal/store"
)

// Service keeps the register.
type Service struct {
	DB  *store.DB
	Now func() time.Time // the clock; time.Now when nil
}

// NewService builds the register on db.
func NewService(db *store.DB) *Service { return &Service{DB: db} }

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// The kinds, treatments and statuses of a risk, as stored.
var (
	Kinds        = []string{"risk", "opportunity"}
	Treatments   = []string{"undecided", "reduce", "accept", "avoid", "transfer", "exploit", "enhance", "share"}
	RiskTreat    = []string{"undecided", "reduce", "accept", "avoid", "transfer"}
	OppTreat     = []string{"undecided", "exploit", "enhance", "share", "accept"}
	Statuses     = []string{"open", "treating", "accepted", "closed"}
	dateOnly     = "2006-01-02"
	maxScopeList = 200
)

// Risk is one entry of the register. Score, Band and the flags are
// computed from the criteria in force when it is read.
type Risk struct {
	ID                 int64     `json:"id"`
	Title              string    `json:"title"`
	Description        string    `json:"description"`
	Kind               string    `json:"kind"`
	Category           string    `json:"category"`
	ProcessKey         string    `json:"process_key"`
	OwnerID            *int64    `json:"owner_id"`
	OwnerName          string    `json:"owner_name"`
	Likelihood         int       `json:"likelihood"`
	Impact             int       `json:"impact"`
	Score              int       `json:"score"`
	Band               string    `json:"band"`
	Treatment          string    `json:"treatment"`
	TreatmentPlan      string    `json:"treatment_plan"`
	ResidualLikelihood *int      `json:"residual_likelihood"`
	ResidualImpact     *int      `json:"residual_impact"`
	ResidualScore      *int      `json:"residual_score"`
	ResidualBand       string    `json:"residual_band"`
	Status             string    `json:"status"`
	ReviewDue          string    `json:"review_due"`
	ReviewedOn         string    `json:"reviewed_on"`
	ServiceIDs         []int64   `json:"service_ids"`
	CIIDs              []int64   `json:"ci_ids"`
	ReviewOverdue      bool      `json:"review_overdue"`
	AboveAppetite      bool      `json:"above_appetite"`
	Untreated          bool      `json:"untreated"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at"`
	Version            int       `json:"version"`
}

// Input creates a risk or, with nil fields left alone, changes one. An
// owner id of 0, a residual level of 0 and an empty date clear the field.
type Input struct {
	Title              *string  `json:"title"`
	Description        *string  `json:"description"`
	Kind               *string  `json:"kind"`
	Category           *string  `json:"category"`
	ProcessKey         *string  `json:"process_key"`
	OwnerID            *int64   `json:"owner_id"`
	Likelihood         *int     `json:"likelihood"`
	Impact             *int     `json:"impact"`
	Treatment          *string  `json:"treatment"`
	TreatmentPlan      *string  `json:"treatment_plan"`
	ResidualLikelihood *int     `json:"residual_likelihood"`
	ResidualImpact     *int     `json:"residual_impact"`
	Status             *string  `json:"status"`
	ReviewDue          *string  `json:"review_due"`
	ReviewedOn         *string  `json:"reviewed_on"`
	ServiceIDs         *[]int64 `json:"service_ids"`
	CIIDs              *[]int64 `json:"ci_ids"`
}

const riskCols = `r.id, r.title, r.description, r.kind, r.category, r.process_key, r.owner_id, COALESCE(u.name, ''),
	r.likelihood, r.impact, r.treatment, r.treatment_plan, r.residual_likelihood, r.residual_impact, r.status,
	r.review_due, r.reviewed_on, r.created_at, r.updated_at, r.version`

const riskFrom = ` FROM risks r LEFT JOIN users u ON u.id = r.owner_id`

func scanRisk(row interface{ Scan(...any) error }) (Risk, error) {
	var r Risk
	var owner, rl, ri *int64
	var due, rev *string
	var cr, up store.Time
	err := row.Scan(&r.ID, &r.Title, &r.Description, &r.Kind, &r.Category, &r.ProcessKey, &owner, &r.OwnerName,
		&r.Likelihood, &r.Impact, &r.Treatment, &r.TreatmentPlan, &rl, &ri, &r.Status, &due, &rev, &cr, &up, &r.Version)
	if err != nil {
		return r, store.ScanErr(err)
	}
	r.OwnerID = owner
	if rl != nil && ri != nil {
		a, b := int(*rl), int(*ri)
		r.ResidualLikelihood, r.ResidualImpact = &a, &b
	}
	if due != nil {
		r.ReviewDue = *due
	}
	if rev != nil {
		r.ReviewedOn = *rev
	}
	r.CreatedAt, r.UpdatedAt = cr.Time, up.Time
	r.ServiceIDs, r.CIIDs = []int64{}, []int64{}
	return r, nil
}

// score fills in what the criteria and today say of r.
func (c Criteria) score(r *Risk, today string) {
	r.Score = r.Likelihood * r.Impact
	r.Band = c.BandOf(r.Score)
	if r.ResidualLikelihood != nil {
		n := *r.ResidualLikelihood * *r.ResidualImpact
		r.ResidualScore, r.ResidualBand = &n, c.BandOf(n)
	}
	open := r.Status != "closed"
	r.ReviewOverdue = open && r.ReviewDue != "" && r.ReviewDue < today
	r.AboveAppetite = open && r.Kind == "risk" && r.Score > c.Appetite
	r.Untreated = r.AboveAppetite && r.Treatment == "undecided"
}

// Get loads one risk with its services and CIs.
func (s *Service) Get(ctx context.Context, q store.Querier, id int64) (Risk, error) {
	r, err := scanRisk(q.QueryRow(ctx, "SELECT "+riskCols+riskFrom+" WHERE r.id = ?", id))
	if err != nil {
		return r, err
	}
	list := []Risk{r}
	if err := s.finish(ctx, q, list); err != nil {
		return r, err
	}
	return list[0], nil
}

func (s *Service) finish(ctx context.Context, q store.Querier, list []Risk) error {
	c, err := GetCriteria(ctx, q)
	if err != nil {
		return err
	}
	today := s.now().Format(dateOnly)
	at := map[int64]*Risk{}
	for i := range list {
		c.score(&list[i], today)
		at[list[i].ID] = &list[i]
	}
	if len(list) == 0 {
		return nil
	}
	for _, t := range []struct{ table, col string }{{"risk_services", "service_id"}, {"risk_cis", "ci_id"}} {
		ids := make([]any, 0, len(list))
		for _, r := range list {
			ids = append(ids, r.ID)
		}
		rows, err := q.Query(ctx, "SELECT risk_id, "+t.col+" FROM "+t.table+" WHERE risk_id IN ("+marks(len(ids))+") ORDER BY risk_id, "+t.col, ids...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var rid, x int64
			if err := rows.Scan(&rid, &x); err != nil {
				rows.Close()
				return err
			}
			if t.col == "service_id" {
				at[rid].ServiceIDs = append(at[rid].ServiceIDs, x)
			} else {
				at[rid].CIIDs = append(at[rid].CIIDs, x)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// Filter narrows the register. Zero values do not narrow.
type Filter struct {
	Status     string // a status, or "active" for all but closed
	Kind       string
	Likelihood int // with Impact: one cell of the inherent matrix
	Impact     int
	Residual   bool // Likelihood and Impact name a cell of the residual matrix
	OwnerID    int64
	Overdue    bool // reviews overdue only
	Untreated  bool // above appetite without treatment only
	Limit      int
}

// MaxList bounds a list of risks.
const MaxList = 500

// List lists the risks, highest score first.
func (s *Service) List(ctx context.Context, f Filter) ([]Risk, error) {
	where, args := []string{"1 = 1"}, []any{}
	switch f.Status {
	case "":
	case "active":
		where = append(where, "r.status <> 'closed'")
	default:
		if !slices.Contains(Statuses, f.Status) {
			return nil, domainerr.Field("status", "must be one of %s, or active", strings.Join(Statuses, ", "))
		}
		where, args = append(where, "r.status = ?"), append(args, f.Status)
	}
	if f.Kind != "" {
		if !slices.Contains(Kinds, f.Kind) {
			return nil, domainerr.Field("kind", "must be risk or opportunity")
		}
		where, args = append(where, "r.kind = ?"), append(args, f.Kind)
	}
	lcol, icol := "r.likelihood", "r.impact"
	if f.Residual {
		lcol, icol = "r.residual_likelihood", "r.residual_impact"
	}
	for _, x := range []struct {
		field, col string
		n          int
	}{{"likelihood", lcol, f.Likelihood}, {"impact", icol, f.Impact}} {
		if x.n == 0 {
			continue
		}
		if x.n < 1 || x.n > 5 {
			return nil, domainerr.Field(x.field, "must be from 1 to 5")
		}
		where, args = append(where, x.col+" = ?"), append(args, x.n)
	}
	if f.OwnerID != 0 {
		where, args = append(where, "r.owner_id = ?"), append(args, f.OwnerID)
	}
	if f.Overdue {
		where, args = append(where, "r.status <> 'closed' AND r.review_due < ?"), append(args, s.now().Format(dateOnly))
	}
	if f.Untreated {
		// The same test as score's, in the query, so that the limit counts
		// only the risks it keeps.
		where = append(where, `r.status <> 'closed' AND r.kind = 'risk' AND r.treatment = 'undecided'
			AND r.likelihood * r.impact > (SELECT appetite FROM risk_criteria WHERE id = 1)`)
	}
	if f.Limit <= 0 || f.Limit > MaxList {
		f.Limit = MaxList
	}
	rows, err := s.DB.Query(ctx, "SELECT "+riskCols+riskFrom+" WHERE "+strings.Join(where, " AND ")+
		" ORDER BY r.likelihood * r.impact DESC, r.id LIMIT ?", append(args, f.Limit)...)
	if err != nil {
		return nil, err
	}
	out := []Risk{}
	for rows.Next() {
		r, err := scanRisk(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := s.finish(ctx, s.DB, out); err != nil {
		return nil, err
	}
	return out, nil
}

// HeatMap counts the risks not closed in each cell of the matrix:
// Cells[likelihood-1][impact-1].
type HeatMap struct {
	Cells [5][5]int `json:"cells"`
	Total int       `json:"total"`
}

// HeatMaps counts the open risks (not opportunities) by their inherent
// and by their residual likelihood and impact; risks without a residual
// assessment are left out of the second.
func (s *Service) HeatMaps(ctx context.Context) (inherent, residual HeatMap, err error) {
	for _, m := range []struct {
		dst        *HeatMap
		lcol, icol string
	}{{&inherent, "likelihood", "impact"}, {&residual, "residual_likelihood", "residual_impact"}} {
		rows, err := s.DB.Query(ctx, `SELECT `+m.lcol+`, `+m.icol+`, COUNT(*) FROM risks WHERE status <> 'closed' AND kind = 'risk'
			AND `+m.lcol+` IS NOT NULL AND `+m.icol+` IS NOT NULL GROUP BY `+m.lcol+`, `+m.icol)
		if err != nil {
			return inherent, residual, err
		}
		for rows.Next() {
			var l, i, n int
			if err := rows.Scan(&l, &i, &n); err != nil {
				rows.Close()
				return inherent, residual, err
			}
			if l >= 1 && l <= 5 && i >= 1 && i <= 5 {
				m.dst.Cells[l-1][i-1] = n
				m.dst.Total += n
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return inherent, residual, err
		}
	}
	return inherent, residual, nil
}
