package continuity

import (
	"context"
	"fmt"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Plan is how one or more services are recovered: ordered steps with
// their owners, the people to call, and (read from the CMDB) what the
// services depend on. A plan is a draft until approved; changing an
// approved plan makes it the draft of its next version.
type Plan struct {
	ID             int64           `json:"id"`
	Title          string          `json:"title"`
	Summary        string          `json:"summary"`
	State          string          `json:"state"`
	PlanVersion    int             `json:"plan_version"`
	OwnerID        *int64          `json:"owner_id"`
	OwnerName      string          `json:"owner_name"`
	ReviewOn       *string         `json:"review_on"`
	ReviewOverdue  bool            `json:"review_overdue"`
	ApprovedByID   *int64          `json:"approved_by_id"`
	ApprovedByName string          `json:"approved_by_name"`
	ApprovedAt     *time.Time      `json:"approved_at"`
	Services       []PlanService   `json:"services"`
	Steps          []Step          `json:"steps"`
	Contacts       []Contact       `json:"contacts"`
	Dependencies   []Dependency    `json:"dependencies"`
	Tests          []TestBrief     `json:"tests"`
	Invocations    []InvocationRef `json:"invocations"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
	Version        int             `json:"version"`
}

// PlanService is a service a plan recovers, with its requirement when it
// has one.
type PlanService struct {
	ID          int64        `json:"id"`
	Name        string       `json:"name"`
	Requirement *Requirement `json:"requirement"`
}

// Step is one step of a plan, in order from 1.
type Step struct {
	Position  int    `json:"position"`
	Title     string `json:"title"`
	Detail    string `json:"detail"`
	OwnerID   *int64 `json:"owner_id"`
	OwnerName string `json:"owner_name"`
}

// Contact is someone to call when the plan is used.
type Contact struct {
	Name  string `json:"name"`
	Role  string `json:"role"`
	Phone string `json:"phone"`
	Email string `json:"email"`
}

// StepInput is a step as a client writes it.
type StepInput struct {
	Title   string `json:"title"`
	Detail  string `json:"detail"`
	OwnerID *int64 `json:"owner_id"`
}

// ContactInput is a contact as a client writes it.
type ContactInput struct {
	Name  string `json:"name"`
	Role  string `json:"role"`
	Phone string `json:"phone"`
	Email string `json:"email"`
}

// PlanInput writes a plan: on create, title and services are required;
// on update, only the fields given change, and steps, contacts and
// services are replaced as a whole. State may be set to retired (or back
// to draft); approval is its own action.
type PlanInput struct {
	Title      *string         `json:"title"`
	Summary    *string         `json:"summary"`
	OwnerID    *int64          `json:"owner_id"`
	ReviewOn   *string         `json:"review_on"`
	ServiceIDs *[]int64        `json:"service_ids"`
	Steps      *[]StepInput    `json:"steps"`
	Contacts   *[]ContactInput `json:"contacts"`
	State      *string         `json:"state"`
}

// PlanFilter narrows the list of plans.
type PlanFilter struct {
	ServiceID int64
	State     string
	Limit     int
}

const planCols = `SELECT p.id, p.title, p.summary, p.state, p.plan_version, p.owner_id, COALESCE(o.name, ''), p.review_on,
	p.approved_by, COALESCE(a.name, ''), p.approved_at, p.created_at, p.updated_at, p.version
	FROM continuity_plans p LEFT JOIN users o ON o.id = p.owner_id LEFT JOIN users a ON a.id = p.approved_by`

func scanPlan(row interface{ Scan(...any) error }, today string) (Plan, error) {
	var p Plan
	var appr, created, updated store.Time
	if err := row.Scan(&p.ID, &p.Title, &p.Summary, &p.State, &p.PlanVersion, &p.OwnerID, &p.OwnerName, &p.ReviewOn,
		&p.ApprovedByID, &p.ApprovedByName, &appr, &created, &updated, &p.Version); err != nil {
		return p, store.ScanErr(err)
	}
	p.ApprovedAt, p.CreatedAt, p.UpdatedAt = appr.Ptr(), created.Time, updated.Time
	p.ReviewOverdue = p.State != Retired && p.ReviewOn != nil && *p.ReviewOn < today
	p.Services, p.Steps, p.Contacts, p.Dependencies = []PlanService{}, []Step{}, []Contact{}, []Dependency{}
	p.Tests, p.Invocations = []TestBrief{}, []InvocationRef{}
	return p, nil
}

// getPlan loads a plan with its services, steps and contacts.
func (s *Service) getPlan(ctx context.Context, q store.Querier, id int64) (Plan, error) {
	p, err := scanPlan(q.QueryRow(ctx, planCols+" WHERE p.id = ?", id), s.today())
	if err != nil {
		return p, err
	}
	reqs, err := requirements(ctx, q, " JOIN continuity_plan_services ps ON ps.service_id = r.service_id WHERE ps.plan_id = ?", []any{id})
	if err != nil {
		return p, err
	}
	byService := map[int64]Requirement{}
	for _, r := range reqs {
		byService[r.ServiceID] = r
	}
	rows, err := q.Query(ctx, `SELECT s.id, s.name FROM continuity_plan_services ps JOIN services s ON s.id = ps.service_id
		WHERE ps.plan_id = ? ORDER BY s.name, s.id`, id)
	if err != nil {
		return p, err
	}
	for rows.Next() {
		var ps PlanService
		if err := rows.Scan(&ps.ID, &ps.Name); err != nil {
			rows.Close()
			return p, err
		}
		if r, ok := byService[ps.ID]; ok {
			ps.Requirement = &r
		}
		p.Services = append(p.Services, ps)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return p, err
	}
	rows, err = q.Query(ctx, `SELECT st.position, st.title, st.detail, st.owner_id, COALESCE(u.name, '')
		FROM continuity_plan_steps st LEFT JOIN users u ON u.id = st.owner_id WHERE st.plan_id = ? ORDER BY st.position`, id)
	if err != nil {
		return p, err
	}
	for rows.Next() {
		var st Step
		if err := rows.Scan(&st.Position, &st.Title, &st.Detail, &st.OwnerID, &st.OwnerName); err != nil {
			rows.Close()
			return p, err
		}
		p.Steps = append(p.Steps, st)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return p, err
	}
	rows, err = q.Query(ctx, `SELECT name, role, phone, email FROM continuity_plan_contacts WHERE plan_id = ? ORDER BY position`, id)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	for rows.Next() {
		var c Contact
		if err := rows.Scan(&c.Name, &c.Role, &c.Phone, &c.Email); err != nil {
			return p, err
		}
		p.Contacts = append(p.Contacts, c)
	}
	return p, rows.Err()
}

func (s *Service) today() string { return s.now().Format(time.DateOnly) }

// Plan loads a plan with its services and their requirements, steps,
// contacts, the CIs its services depend on in their recovery order, its
// tests and its invocations.
func (s *Service) Plan(ctx context.Context, p *auth.Principal, id int64) (Plan, error) {
	if !p.Can(PermRead) {
		return Plan{}, domainerr.ErrForbidden
	}
	pl, err := s.getPlan(ctx, s.DB, id)
	if err != nil {
		return pl, err
	}
	if pl.Dependencies, err = s.Dependencies(ctx, pl.Services); err != nil {
		return pl, err
	}
	if pl.Tests, err = s.testBriefs(ctx, s.DB, id); err != nil {
		return pl, err
	}
	pl.Invocations, err = s.invocationRefs(ctx, id)
	return pl, err
}

// Plans lists plans by title with their services (steps and contacts are
// left to Plan).
func (s *Service) Plans(ctx context.Context, p *auth.Principal, f PlanFilter) ([]Plan, error) {
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
	case Draft, Approved, Retired:
		where, args = append(where, "p.state = ?"), append(args, f.State)
	default:
		return nil, domainerr.Field("state", "must be draft, approved or retired")
	}
	if f.ServiceID != 0 {
		where = append(where, "p.id IN (SELECT plan_id FROM continuity_plan_services WHERE service_id = ?)")
		args = append(args, f.ServiceID)
	}
	q := planCols
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.DB.Query(ctx, q+" ORDER BY CASE WHEN p.state = 'retired' THEN 1 ELSE 0 END, p.title, p.id LIMIT ?", append(args, f.Limit)...)
	if err != nil {
		return nil, err
	}
	out := []Plan{}
	today := s.today()
	for rows.Next() {
		pl, err := scanPlan(rows, today)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, pl)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		full, err := s.getPlan(ctx, s.DB, out[i].ID)
		if err != nil {
			return nil, err
		}
		out[i].Services = full.Services
		if out[i].Tests, err = s.testBriefs(ctx, s.DB, out[i].ID); err != nil {
			return nil, err
		}
		if len(out[i].Tests) > 1 {
			out[i].Tests = out[i].Tests[:1]
		}
	}
	return out, nil
}

// CreatePlan writes a new draft plan.
func (s *Service) CreatePlan(ctx context.Context, p *auth.Principal, in PlanInput) (Plan, error) {
	if !p.Can(PermWrite) {
		return Plan{}, domainerr.ErrForbidden
	}
	v := domainerr.NewInvalid()
	if in.Title == nil {
		v.Add("title", "is required")
	}
	if in.ServiceIDs == nil || len(*in.ServiceIDs) == 0 {
		v.Add("service_ids", "choose at least one service the plan recovers")
	}
	if in.State != nil && *in.State != Draft {
		v.Add("state", "a new plan is a draft; approve it once written")
	}
	var out Plan
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		pl := Plan{State: Draft, PlanVersion: 1}
		if err := s.applyPlan(ctx, tx, &pl, in, v); err != nil {
			return err
		}
		now := store.TS(s.now())
		if err := tx.QueryRow(ctx, `INSERT INTO continuity_plans (title, summary, state, plan_version, owner_id, review_on, created_by, created_at, updated_at)
			VALUES (?, ?, 'draft', 1, ?, ?, ?, ?, ?) RETURNING id`, pl.Title, pl.Summary, pl.OwnerID, optDate(pl.ReviewOn),
			p.UserID, now, now).Scan(&pl.ID); err != nil {
			return err
		}
		if err := writeParts(ctx, tx, pl.ID, in); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, p.Actor(), "create", "continuity_plan", pl.ID, in); err != nil {
			return err
		}
		var err error
		out, err = s.getPlan(ctx, tx, pl.ID)
		return err
	})
	return out, err
}

// UpdatePlan changes the fields given. A change to an approved plan's
// content makes it the draft of its next version.
func (s *Service) UpdatePlan(ctx context.Context, p *auth.Principal, id int64, in PlanInput, ifVersion int) (Plan, error) {
	if !p.Can(PermWrite) {
		return Plan{}, domainerr.ErrForbidden
	}
	var out Plan
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		pl, err := s.getPlan(ctx, tx, id)
		if err != nil {
			return err
		}
		if ifVersion != 0 && ifVersion != pl.Version {
			return domainerr.ErrStale
		}
		was := pl.State
		v := domainerr.NewInvalid()
		if in.State != nil && *in.State != pl.State {
			switch *in.State {
			case Retired:
			case Draft:
				if pl.State != Retired {
					v.Add("state", "only a retired plan can be brought back as a draft")
				}
			case Approved:
				v.Add("state", "approve the plan with its own action, which needs the approve permission")
			default:
				v.Add("state", "must be draft or retired")
			}
		}
		if was == Retired && (in.State == nil || *in.State == Retired) && in.content() {
			return domainerr.Conflictf("the plan %q is retired; bring it back as a draft before changing it", pl.Title)
		}
		if err := s.applyPlan(ctx, tx, &pl, in, v); err != nil {
			return err
		}
		version := pl.PlanVersion
		state := pl.State
		if in.State != nil {
			state = *in.State
		}
		if was == Approved && state == Approved && in.content() {
			state, version = Draft, version+1
		}
		if _, err := tx.Exec(ctx, `UPDATE continuity_plans SET title = ?, summary = ?, owner_id = ?, review_on = ?, state = ?, plan_version = ?,
			updated_at = ?, version = version + 1 WHERE id = ?`, pl.Title, pl.Summary, pl.OwnerID, optDate(pl.ReviewOn), state, version,
			store.TS(s.now()), id); err != nil {
			return err
		}
		if err := writeParts(ctx, tx, id, in); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, p.Actor(), "update", "continuity_plan", id, in); err != nil {
			return err
		}
		out, err = s.getPlan(ctx, tx, id)
		return err
	})
	return out, err
}

// content reports whether the input changes what the plan says (rather
// than only its state or review date).
func (in PlanInput) content() bool {
	return in.Title != nil || in.Summary != nil || in.OwnerID != nil || in.ServiceIDs != nil || in.Steps != nil || in.Contacts != nil
}

// ApprovePlan approves the plan's current version.
func (s *Service) ApprovePlan(ctx context.Context, p *auth.Principal, id int64, ifVersion int) (Plan, error) {
	if !p.Can(PermApprove) {
		return Plan{}, domainerr.ErrForbidden
	}
	var out Plan
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		pl, err := s.getPlan(ctx, tx, id)
		if err != nil {
			return err
		}
		if ifVersion != 0 && ifVersion != pl.Version {
			return domainerr.ErrStale
		}
		switch {
		case pl.State == Approved:
			return domainerr.Conflictf("version %d of %q is already approved", pl.PlanVersion, pl.Title)
		case pl.State == Retired:
			return domainerr.Conflictf("the plan %q is retired", pl.Title)
		case len(pl.Steps) == 0:
			return domainerr.Field("steps", "a plan needs at least one step before it can be approved")
		}
		now := store.TS(s.now())
		if _, err := tx.Exec(ctx, `UPDATE continuity_plans SET state = 'approved', approved_by = ?, approved_at = ?, updated_at = ?,
			version = version + 1 WHERE id = ?`, p.UserID, now, now, id); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, p.Actor(), "approve", "continuity_plan", id, map[string]int{"plan_version": pl.PlanVersion}); err != nil {
			return err
		}
		out, err = s.getPlan(ctx, tx, id)
		return err
	})
	return out, err
}

// DeletePlan removes a plan that was never tested or invoked; one with a
// history is retired instead, so its evidence stays.
func (s *Service) DeletePlan(ctx context.Context, p *auth.Principal, id int64) error {
	if !p.Can(PermWrite) {
		return domainerr.ErrForbidden
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		pl, err := s.getPlan(ctx, tx, id)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM continuity_tests WHERE plan_id = ?) +
			(SELECT COUNT(*) FROM continuity_invocations WHERE plan_id = ?)`, id, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return domainerr.Conflictf("the plan %q has tests or invocations on record; retire it instead of deleting it", pl.Title)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM continuity_plans WHERE id = ?", id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, p.Actor(), "delete", "continuity_plan", id, map[string]string{"title": pl.Title})
	})
}

// applyPlan checks the input against the plan and applies its own fields;
// v may already hold errors found by the caller.
func (s *Service) applyPlan(ctx context.Context, q store.Querier, pl *Plan, in PlanInput, v *domainerr.Invalid) error {
	if in.Title != nil {
		pl.Title = strings.TrimSpace(*in.Title)
		domainerr.Text(v, "title", pl.Title, true, domainerr.MaxTitle)
	}
	if in.Summary != nil {
		pl.Summary = strings.TrimSpace(strings.ReplaceAll(*in.Summary, "\r\n", "\n"))
		domainerr.Text(v, "summary", pl.Summary, false, domainerr.MaxText)
	}
	if in.OwnerID != nil {
		pl.OwnerID = nil
		if *in.OwnerID != 0 {
			id := *in.OwnerID
			pl.OwnerID = &id
			if err := checkStaff(ctx, q, v, "owner_id", id); err != nil {
				return err
			}
		}
	}
	if in.ReviewOn != nil {
		pl.ReviewOn = nil
		if d := strings.TrimSpace(*in.ReviewOn); d != "" {
			if _, err := time.Parse(time.DateOnly, d); err != nil {
				v.Add("review_on", "must be a date such as 2026-12-31")
			}
			pl.ReviewOn = &d
		}
	}
	if in.ServiceIDs != nil {
		ids := *in.ServiceIDs
		if len(ids) == 0 {
			v.Add("service_ids", "choose at least one service the plan recovers")
		}
		if len(ids) > MaxServices {
			v.Add("service_ids", "at most %d services", MaxServices)
		}
		seen := map[int64]bool{}
		for i, id := range ids {
			if seen[id] {
				v.Add(fmt.Sprintf("service_ids[%d]", i), "names service %d twice", id)
				continue
			}
			seen[id] = true
			var n int
			if err := q.QueryRow(ctx, "SELECT COUNT(*) FROM services WHERE id = ?", id).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				v.Add(fmt.Sprintf("service_ids[%d]", i), "no service with id %d", id)
			}
		}
	}
	if in.Steps != nil {
		if len(*in.Steps) > MaxSteps {
			v.Add("steps", "at most %d steps", MaxSteps)
		}
		for i, st := range *in.Steps {
			f := fmt.Sprintf("steps[%d].", i)
			domainerr.Text(v, f+"title", strings.TrimSpace(st.Title), true, domainerr.MaxTitle)
			domainerr.Text(v, f+"detail", st.Detail, false, domainerr.MaxText)
			if st.OwnerID != nil && *st.OwnerID != 0 {
				if err := checkStaff(ctx, q, v, f+"owner_id", *st.OwnerID); err != nil {
					return err
				}
			}
		}
	}
	if in.Contacts != nil {
		if len(*in.Contacts) > MaxContacts {
			v.Add("contacts", "at most %d contacts", MaxContacts)
		}
		for i, c := range *in.Contacts {
			f := fmt.Sprintf("contacts[%d].", i)
			domainerr.Text(v, f+"name", strings.TrimSpace(c.Name), true, domainerr.MaxName)
			domainerr.Text(v, f+"role", c.Role, false, domainerr.MaxName)
			domainerr.Text(v, f+"phone", c.Phone, false, domainerr.MaxShort)
			domainerr.Text(v, f+"email", c.Email, false, domainerr.MaxName)
			if e := strings.TrimSpace(c.Email); e != "" && !strings.Contains(e, "@") {
				v.Add(f+"email", "must be an e-mail address")
			}
			if strings.TrimSpace(c.Phone) == "" && strings.TrimSpace(c.Email) == "" {
				v.Add(f+"phone", "give a phone number or an e-mail address to reach them")
			}
		}
	}
	return v.Err()
}

// checkStaff adds an error when id is not an active member of staff.
func checkStaff(ctx context.Context, q store.Querier, v *domainerr.Invalid, field string, id int64) error {
	var n int
	if err := q.QueryRow(ctx, "SELECT COUNT(*) FROM users WHERE id = ? AND active = ? AND role <> 'requester'", id, true).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		v.Add(field, "no active member of staff with id %d", id)
	}
	return nil
}

// writeParts replaces the services, steps and contacts the input gives.
func writeParts(ctx context.Context, tx *store.Tx, id int64, in PlanInput) error {
	if in.ServiceIDs != nil {
		if _, err := tx.Exec(ctx, "DELETE FROM continuity_plan_services WHERE plan_id = ?", id); err != nil {
			return err
		}
		for _, sid := range *in.ServiceIDs {
			if _, err := tx.Exec(ctx, "INSERT INTO continuity_plan_services (plan_id, service_id) VALUES (?, ?)", id, sid); err != nil {
				return err
			}
		}
	}
	if in.Steps != nil {
		if _, err := tx.Exec(ctx, "DELETE FROM continuity_plan_steps WHERE plan_id = ?", id); err != nil {
			return err
		}
		for i, st := range *in.Steps {
			var owner any
			if st.OwnerID != nil && *st.OwnerID != 0 {
				owner = *st.OwnerID
			}
			if _, err := tx.Exec(ctx, "INSERT INTO continuity_plan_steps (plan_id, position, title, detail, owner_id) VALUES (?, ?, ?, ?, ?)",
				id, i+1, strings.TrimSpace(st.Title), strings.TrimSpace(strings.ReplaceAll(st.Detail, "\r\n", "\n")), owner); err != nil {
				return err
			}
		}
	}
	if in.Contacts != nil {
		if _, err := tx.Exec(ctx, "DELETE FROM continuity_plan_contacts WHERE plan_id = ?", id); err != nil {
			return err
		}
		for i, c := range *in.Contacts {
			if _, err := tx.Exec(ctx, "INSERT INTO continuity_plan_contacts (plan_id, position, name, role, phone, email) VALUES (?, ?, ?, ?, ?, ?)",
				id, i+1, strings.TrimSpace(c.Name), strings.TrimSpace(c.Role), strings.TrimSpace(c.Phone), strings.TrimSpace(c.Email)); err != nil {
				return err
			}
		}
	}
	return nil
}

func optDate(d *string) any {
	if d == nil || *d == "" {
		return nil
	}
	return *d
}

// StepsInput is a plan's steps as inputs, for editing one step at a time.
func (pl Plan) StepsInput() []StepInput {
	out := make([]StepInput, 0, len(pl.Steps))
	for _, st := range pl.Steps {
		out = append(out, StepInput{Title: st.Title, Detail: st.Detail, OwnerID: st.OwnerID})
	}
	return out
}

// ContactsInput is a plan's contacts as inputs.
func (pl Plan) ContactsInput() []ContactInput {
	out := make([]ContactInput, 0, len(pl.Contacts))
	for _, c := range pl.Contacts {
		out = append(out, ContactInput(c))
	}
	return out
}
