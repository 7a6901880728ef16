package change

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

// Template is one entry of the standard change catalogue: a change done
// often enough, the same way, to be pre-approved once. Only an approved
// template can be used.
type Template struct {
	ID                 int64      `json:"id"`
	Name               string     `json:"name"`
	Description        string     `json:"description"`
	ImplementationPlan string     `json:"implementation_plan"`
	TestPlan           string     `json:"test_plan"`
	BackoutPlan        string     `json:"backout_plan"`
	Risk               string     `json:"risk"`
	Approved           bool       `json:"approved"`
	ApprovedBy         *int64     `json:"approved_by"`
	ApprovedAt         *time.Time `json:"approved_at"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
	Version            int        `json:"version"`
}

// TemplateInput creates or changes a template; absent fields stay as they
// are on a change.
type TemplateInput struct {
	Name               *string `json:"name"`
	Description        *string `json:"description"`
	ImplementationPlan *string `json:"implementation_plan"`
	TestPlan           *string `json:"test_plan"`
	BackoutPlan        *string `json:"backout_plan"`
	Risk               *string `json:"risk"`
	Approved           *bool   `json:"approved"`
}

const templateColumns = `id, name, description, implementation_plan, test_plan, backout_plan, risk, approved, approved_by,
	approved_at, created_at, updated_at, version`

func scanTemplate(r scanner) (Template, error) {
	var t Template
	var appr, created, updated store.Time
	err := r.Scan(&t.ID, &t.Name, &t.Description, &t.ImplementationPlan, &t.TestPlan, &t.BackoutPlan, &t.Risk, &t.Approved,
		&t.ApprovedBy, &appr, &created, &updated, &t.Version)
	t.ApprovedAt, t.CreatedAt, t.UpdatedAt = appr.Ptr(), created.Time, updated.Time
	return t, store.ScanErr(err)
}

// Templates lists the standard change catalogue by name.
func (s *Service) Templates(ctx context.Context, p *auth.Principal) ([]Template, error) {
	if !p.Can(PermRead) {
		return nil, domainerr.ErrForbidden
	}
	rows, err := s.DB.Query(ctx, "SELECT "+templateColumns+" FROM change_templates ORDER BY name, id LIMIT 1000")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Template{}
	for rows.Next() {
		t, err := scanTemplate(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// GetTemplate loads template id.
func (s *Service) GetTemplate(ctx context.Context, p *auth.Principal, id int64) (Template, error) {
	if !p.Can(PermRead) {
		return Template{}, domainerr.ErrForbidden
	}
	return scanTemplate(s.DB.QueryRow(ctx, "SELECT "+templateColumns+" FROM change_templates WHERE id = ?", id))
}

// SaveTemplate creates a template (id 0) or changes one. Approving it
// records who approved it; changing an approved template's plans or risk
// withdraws its approval unless the same request approves it again.
func (s *Service) SaveTemplate(ctx context.Context, p *auth.Principal, id int64, in TemplateInput, ifVersion int) (Template, error) {
	if !p.Can(PermTemplateWrite) {
		return Template{}, domainerr.ErrForbidden
	}
	var cur Template
	if id != 0 {
		var err error
		if cur, err = s.GetTemplate(ctx, p, id); err != nil {
			return Template{}, err
		}
		if ifVersion != 0 && ifVersion != cur.Version {
			return Template{}, domainerr.ErrStale
		}
	} else {
		cur.Risk = "low"
	}
	next := cur
	set := func(dst *string, src *string, trim bool) {
		if src != nil {
			*dst = *src
			if trim {
				*dst = strings.TrimSpace(*src)
			}
		}
	}
	set(&next.Name, in.Name, true)
	set(&next.Description, in.Description, false)
	set(&next.ImplementationPlan, in.ImplementationPlan, false)
	set(&next.TestPlan, in.TestPlan, false)
	set(&next.BackoutPlan, in.BackoutPlan, false)
	set(&next.Risk, in.Risk, true)
	v := domainerr.NewInvalid()
	domainerr.Text(v, "name", next.Name, true, domainerr.MaxTitle)
	domainerr.Text(v, "description", next.Description, false, domainerr.MaxText)
	domainerr.Text(v, "implementation_plan", next.ImplementationPlan, true, domainerr.MaxText)
	domainerr.Text(v, "test_plan", next.TestPlan, true, domainerr.MaxText)
	domainerr.Text(v, "backout_plan", next.BackoutPlan, true, domainerr.MaxText)
	if !slices.Contains(RiskLevels, next.Risk) {
		v.Add("risk", "must be low, medium or high")
	}
	if err := v.Err(); err != nil {
		return Template{}, err
	}
	at := now()
	content := next.ImplementationPlan != cur.ImplementationPlan || next.TestPlan != cur.TestPlan ||
		next.BackoutPlan != cur.BackoutPlan || next.Risk != cur.Risk
	if content && id != 0 {
		next.Approved = false
	}
	if in.Approved != nil {
		next.Approved = *in.Approved
	}
	if next.Approved && (!cur.Approved || content) {
		uid := p.UserID
		next.ApprovedBy, next.ApprovedAt = &uid, &at
	} else if !next.Approved {
		next.ApprovedBy, next.ApprovedAt = nil, nil
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if id == 0 {
			err := tx.QueryRow(ctx, `INSERT INTO change_templates (name, description, implementation_plan, test_plan, backout_plan,
				risk, approved, approved_by, approved_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
				next.Name, next.Description, next.ImplementationPlan, next.TestPlan, next.BackoutPlan, next.Risk, next.Approved,
				next.ApprovedBy, store.OptTS(next.ApprovedAt), store.TS(at), store.TS(at)).Scan(&id)
			if err = store.ScanErr(err); errors.Is(err, store.ErrConflict) {
				return domainerr.Field("name", "another template is called %q", next.Name)
			}
			if err != nil {
				return err
			}
			return audit.Record(ctx, tx, p.Actor(), "create", "change_template", id, next)
		}
		res, err := tx.Exec(ctx, `UPDATE change_templates SET name = ?, description = ?, implementation_plan = ?, test_plan = ?,
			backout_plan = ?, risk = ?, approved = ?, approved_by = ?, approved_at = ?, updated_at = ?, version = version + 1
			WHERE id = ? AND version = ?`, next.Name, next.Description, next.ImplementationPlan, next.TestPlan, next.BackoutPlan,
			next.Risk, next.Approved, next.ApprovedBy, store.OptTS(next.ApprovedAt), store.TS(at), id, cur.Version)
		if err = store.Translate(err); errors.Is(err, store.ErrConflict) {
			return domainerr.Field("name", "another template is called %q", next.Name)
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return domainerr.ErrStale
		}
		return audit.Record(ctx, tx, p.Actor(), "update", "change_template", id, next)
	})
	if err != nil {
		return Template{}, err
	}
	return s.GetTemplate(ctx, p, id)
}

// applyTemplate makes c a standard change from template id: its plans,
// its risk and its pre-approval. A template that is not approved cannot
// be used.
func (s *Service) applyTemplate(ctx context.Context, id int64, c *Change, v *domainerr.Invalid, at time.Time) error {
	t, err := scanTemplate(s.DB.QueryRow(ctx, "SELECT "+templateColumns+" FROM change_templates WHERE id = ?", id))
	if errors.Is(err, store.ErrNotFound) {
		v.Add("template_id", "template %d does not exist", id)
		return nil
	}
	if err != nil {
		return err
	}
	if !t.Approved {
		v.Add("template_id", "the template %q is not approved: an administrator must approve it before changes are raised from it", t.Name)
		return nil
	}
	if c.Type != Standard {
		v.Add("type", "a change from a template is a standard change")
	}
	c.TemplateID = &id
	if strings.TrimSpace(c.Description) == "" {
		c.Description = t.Description
	}
	c.ImplementationPlan, c.TestPlan, c.BackoutPlan, c.Risk = t.ImplementationPlan, t.TestPlan, t.BackoutPlan, t.Risk
	c.ApprovedAt, c.ApprovalBoard = &at, t.Name
	return nil
}
