package sms

import (
	"context"
	"sort"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Training is a record of training, induction, awareness or a
// certification a person completed (7.2, 7.3), with its expiry and whether
// it was checked to have worked.
type Training struct {
	ID                     int64     `json:"id"`
	UserID                 int64     `json:"user_id"`
	UserName               string    `json:"user_name"`
	Kind                   string    `json:"kind"`
	Title                  string    `json:"title"`
	SkillID                int64     `json:"skill_id,omitempty"`
	SkillName              string    `json:"skill_name,omitempty"`
	Provider               string    `json:"provider"`
	CompletedOn            string    `json:"completed_on"`
	ExpiresOn              string    `json:"expires_on,omitempty"`
	Effectiveness          string    `json:"effectiveness"`
	EffectivenessCheckedOn string    `json:"effectiveness_checked_on,omitempty"`
	Notes                  string    `json:"notes"`
	Expired                bool      `json:"expired"`
	CheckOverdue           bool      `json:"check_overdue"`
	CreatedAt              time.Time `json:"created_at"`
	Version                int       `json:"version"`
}

// TrainingInput creates a record or, with nil fields left alone, changes one.
type TrainingInput struct {
	UserID                 *int64  `json:"user_id"`
	Kind                   *string `json:"kind"`
	Title                  *string `json:"title"`
	SkillID                *int64  `json:"skill_id"`
	Provider               *string `json:"provider"`
	CompletedOn            *string `json:"completed_on"`
	ExpiresOn              *string `json:"expires_on"`
	Effectiveness          *string `json:"effectiveness"`
	EffectivenessCheckedOn *string `json:"effectiveness_checked_on"`
	Notes                  *string `json:"notes"`
}

// Training kinds and effectiveness outcomes.
var (
	TrainingKinds   = []string{"training", "induction", "awareness", "certification"}
	Effectivenesses = []string{"pending", "effective", "not_effective"}
)

// CheckWithinDays is how long after a training its effectiveness check
// may stay pending before it counts as a gap.
const CheckWithinDays = 90

const trainingCols = `t.id, t.user_id, u.name, t.kind, t.title, t.skill_id, COALESCE(k.name, ''), t.provider, t.completed_on, t.expires_on,
	t.effectiveness, t.effectiveness_checked_on, t.notes, t.created_at, t.version`

const trainingFrom = " FROM trainings t JOIN users u ON u.id = t.user_id LEFT JOIN skills k ON k.id = t.skill_id"

func (s *Service) scanTraining(row interface{ Scan(...any) error }) (Training, error) {
	var t Training
	var cr store.Time
	err := row.Scan(&t.ID, &t.UserID, &t.UserName, &t.Kind, &t.Title, nullID{&t.SkillID}, &t.SkillName, &t.Provider, &t.CompletedOn,
		nullStr{&t.ExpiresOn}, &t.Effectiveness, nullStr{&t.EffectivenessCheckedOn}, &t.Notes, &cr, &t.Version)
	if err != nil {
		return t, store.ScanErr(err)
	}
	t.CreatedAt = cr.Time
	today := s.Today()
	t.Expired = t.ExpiresOn != "" && t.ExpiresOn < today
	if c, err := time.Parse(DateLayout, t.CompletedOn); err == nil && t.Effectiveness == "pending" {
		t.CheckOverdue = c.AddDate(0, 0, CheckWithinDays).Format(DateLayout) < today
	}
	return t, nil
}

// Training loads one record.
func (s *Service) Training(ctx context.Context, q store.Querier, id int64) (Training, error) {
	return s.scanTraining(q.QueryRow(ctx, "SELECT "+trainingCols+trainingFrom+" WHERE t.id = ?", id))
}

// TrainingFilter narrows the records to one person, and pages by id.
type TrainingFilter struct {
	UserID  int64
	AfterID int64
	Limit   int
}

// Trainings lists records in the order they were entered, so pages follow
// each other; at most Limit (MaxList).
func (s *Service) Trainings(ctx context.Context, f TrainingFilter) ([]Training, error) {
	if f.Limit <= 0 || f.Limit > MaxList {
		f.Limit = MaxList
	}
	where, args := "t.id > ?", []any{f.AfterID}
	if f.UserID != 0 {
		where, args = where+" AND t.user_id = ?", append(args, f.UserID)
	}
	rows, err := s.DB.Query(ctx, "SELECT "+trainingCols+trainingFrom+" WHERE "+where+" ORDER BY t.id LIMIT ?", append(args, f.Limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Training{}
	for rows.Next() {
		t, err := s.scanTraining(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func applyTraining(t *Training, in TrainingInput) {
	for _, f := range []struct{ dst, src *string }{{&t.Kind, in.Kind}, {&t.Title, in.Title}, {&t.Provider, in.Provider},
		{&t.CompletedOn, in.CompletedOn}, {&t.ExpiresOn, in.ExpiresOn}, {&t.Effectiveness, in.Effectiveness},
		{&t.EffectivenessCheckedOn, in.EffectivenessCheckedOn}, {&t.Notes, in.Notes}} {
		if f.src != nil {
			*f.dst = strings.TrimSpace(*f.src)
		}
	}
	if in.UserID != nil {
		t.UserID = *in.UserID
	}
	if in.SkillID != nil {
		t.SkillID = *in.SkillID
	}
}

func (s *Service) checkTraining(ctx context.Context, q store.Querier, t Training) error {
	v := domainerr.NewInvalid()
	domainerr.Text(v, "title", t.Title, true, domainerr.MaxTitle)
	domainerr.Text(v, "provider", t.Provider, false, domainerr.MaxName)
	domainerr.Text(v, "notes", t.Notes, false, domainerr.MaxText)
	if !oneOf(t.Kind, TrainingKinds) {
		v.Add("kind", "must be training, induction, awareness or certification")
	}
	if !oneOf(t.Effectiveness, Effectivenesses) {
		v.Add("effectiveness", "must be pending, effective or not_effective")
	}
	checkDate(v, "completed_on", t.CompletedOn, true)
	checkDate(v, "expires_on", t.ExpiresOn, false)
	checkDate(v, "effectiveness_checked_on", t.EffectivenessCheckedOn, false)
	today := s.Today()
	if validDate(t.CompletedOn) {
		if t.CompletedOn > today {
			v.Add("completed_on", "must not be in the future: record training once it is done")
		}
		if validDate(t.ExpiresOn) && t.ExpiresOn <= t.CompletedOn {
			v.Add("expires_on", "must be after the date it was completed")
		}
		if validDate(t.EffectivenessCheckedOn) && t.EffectivenessCheckedOn < t.CompletedOn {
			v.Add("effectiveness_checked_on", "must not be before the date it was completed")
		}
	}
	if validDate(t.EffectivenessCheckedOn) && t.EffectivenessCheckedOn > today {
		v.Add("effectiveness_checked_on", "must not be in the future")
	}
	switch {
	case t.Effectiveness == "pending" && t.EffectivenessCheckedOn != "":
		v.Add("effectiveness", "say whether it was effective, or clear the date checked")
	case t.Effectiveness != "pending" && t.Effectiveness != "" && t.EffectivenessCheckedOn == "" && !v.Has("effectiveness"):
		v.Add("effectiveness_checked_on", "is required once effectiveness was checked")
	}
	if t.UserID == 0 {
		v.Add("user_id", "is required")
	} else if err := userRef(ctx, q, v, "user_id", t.UserID); err != nil {
		return err
	}
	if err := exists(ctx, q, v, "skill_id", "skills", "skill", t.SkillID); err != nil {
		return err
	}
	return v.Err()
}

func trainingAudit(t Training) map[string]any {
	return map[string]any{"user_id": t.UserID, "kind": t.Kind, "title": t.Title, "skill_id": t.SkillID, "provider": t.Provider,
		"completed_on": t.CompletedOn, "expires_on": t.ExpiresOn, "effectiveness": t.Effectiveness, "effectiveness_checked_on": t.EffectivenessCheckedOn}
}

// CreateTraining records a completed training.
func (s *Service) CreateTraining(ctx context.Context, actor audit.Actor, in TrainingInput) (Training, error) {
	t := Training{Kind: "training", Effectiveness: "pending"}
	applyTraining(&t, in)
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := s.checkTraining(ctx, tx, t); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `INSERT INTO trainings (user_id, kind, title, skill_id, provider, completed_on, expires_on, effectiveness,
			effectiveness_checked_on, notes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, t.UserID, t.Kind, t.Title,
			optID(t.SkillID), t.Provider, t.CompletedOn, store.OptDate(t.ExpiresOn), t.Effectiveness, store.OptDate(t.EffectivenessCheckedOn), t.Notes,
			store.TS(s.now())).Scan(&t.ID)
		if err != nil {
			return store.ScanErr(err)
		}
		return audit.Record(ctx, tx, actor, "create", "training", t.ID, trainingAudit(t))
	})
	if err != nil {
		return Training{}, err
	}
	return s.Training(ctx, s.DB, t.ID)
}

// UpdateTraining changes a record at the version the caller saw (0: any),
// such as recording its effectiveness check.
func (s *Service) UpdateTraining(ctx context.Context, actor audit.Actor, id int64, in TrainingInput, ifVersion int) (Training, error) {
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		t, err := s.Training(ctx, tx, id)
		if err != nil {
			return err
		}
		if ifVersion != 0 && ifVersion != t.Version {
			return domainerr.ErrStale
		}
		applyTraining(&t, in)
		if err := s.checkTraining(ctx, tx, t); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE trainings SET user_id = ?, kind = ?, title = ?, skill_id = ?, provider = ?, completed_on = ?, expires_on = ?,
			effectiveness = ?, effectiveness_checked_on = ?, notes = ?, version = version + 1 WHERE id = ? AND version = ?`, t.UserID, t.Kind, t.Title,
			optID(t.SkillID), t.Provider, t.CompletedOn, store.OptDate(t.ExpiresOn), t.Effectiveness, store.OptDate(t.EffectivenessCheckedOn), t.Notes, id, t.Version)
		if err != nil {
			return store.Translate(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return domainerr.ErrStale
		}
		return audit.Record(ctx, tx, actor, "update", "training", id, trainingAudit(t))
	})
	if err != nil {
		return Training{}, err
	}
	return s.Training(ctx, s.DB, id)
}

// Matrix is the competence matrix: the people holding job roles against
// the skills their roles need, and the gaps found.
type Matrix struct {
	Skills []Skill     `json:"skills"`
	People []MatrixRow `json:"people"`
	Gaps   []Gap       `json:"gaps"`
}

// MatrixRow is one person's line: a cell per skill of the matrix.
type MatrixRow struct {
	UserID int64        `json:"user_id"`
	Name   string       `json:"name"`
	Roles  []string     `json:"roles"`
	Cells  []MatrixCell `json:"cells"`
}

// MatrixCell is what one person's roles need of a skill and what they
// were assessed at. State: ok, below, missing, or not_needed.
type MatrixCell struct {
	SkillID  int64  `json:"skill_id"`
	Required int    `json:"required"`
	Assessed int    `json:"assessed"`
	State    string `json:"state"`
}

// Gap is one shortfall: kind below (assessed under the level needed),
// missing (needed, never assessed), expired (a certificate or training
// past its expiry) or check_overdue (effectiveness still pending long
// after the training).
type Gap struct {
	Kind       string `json:"kind"`
	UserID     int64  `json:"user_id"`
	Name       string `json:"name"`
	SkillID    int64  `json:"skill_id,omitempty"`
	SkillName  string `json:"skill_name,omitempty"`
	Required   int    `json:"required,omitempty"`
	Assessed   int    `json:"assessed,omitempty"`
	TrainingID int64  `json:"training_id,omitempty"`
	Training   string `json:"training,omitempty"`
	Date       string `json:"date,omitempty"`
}

// MaxMatrixPeople bounds the people one matrix shows.
const MaxMatrixPeople = 500

// Competence builds the matrix and its gaps.
func (s *Service) Competence(ctx context.Context) (Matrix, error) {
	m := Matrix{Skills: []Skill{}, People: []MatrixRow{}, Gaps: []Gap{}}
	// What each person's roles need: the highest level any of them needs.
	rows, err := s.DB.Query(ctx, `SELECT u.id, u.name, r.name, rs.skill_id, rs.level FROM user_job_roles ur
		JOIN users u ON u.id = ur.user_id JOIN job_roles r ON r.id = ur.role_id LEFT JOIN job_role_skills rs ON rs.role_id = r.id
		WHERE u.active = ? ORDER BY u.name, u.id, r.name LIMIT ?`, true, MaxMatrixPeople*MaxRoleEntries)
	if err != nil {
		return m, err
	}
	need := map[int64]map[int64]int{}
	at := map[int64]int{}
	used := map[int64]bool{}
	for rows.Next() {
		var uid int64
		var name, role string
		var skill int64
		var level *int
		if err := rows.Scan(&uid, &name, &role, nullID{&skill}, &level); err != nil {
			rows.Close()
			return m, err
		}
		i, ok := at[uid]
		if !ok {
			if len(m.People) >= MaxMatrixPeople {
				continue
			}
			i = len(m.People)
			at[uid] = i
			m.People = append(m.People, MatrixRow{UserID: uid, Name: name, Roles: []string{}})
			need[uid] = map[int64]int{}
		}
		if n := len(m.People[i].Roles); n == 0 || m.People[i].Roles[n-1] != role {
			m.People[i].Roles = append(m.People[i].Roles, role)
		}
		if skill != 0 && level != nil {
			used[skill] = true
			need[uid][skill] = max(need[uid][skill], *level)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return m, err
	}
	skills, err := s.Skills(ctx, s.DB)
	if err != nil {
		return m, err
	}
	for _, k := range skills {
		if used[k.ID] {
			m.Skills = append(m.Skills, k)
		}
	}
	has := map[[2]int64]int{}
	rows, err = s.DB.Query(ctx, "SELECT user_id, skill_id, level FROM user_skills")
	if err != nil {
		return m, err
	}
	for rows.Next() {
		var u, k int64
		var l int
		if err := rows.Scan(&u, &k, &l); err != nil {
			rows.Close()
			return m, err
		}
		has[[2]int64{u, k}] = l
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return m, err
	}
	for i := range m.People {
		p := &m.People[i]
		for _, k := range m.Skills {
			c := MatrixCell{SkillID: k.ID, Required: need[p.UserID][k.ID], Assessed: has[[2]int64{p.UserID, k.ID}]}
			switch {
			case c.Required == 0:
				c.State = "not_needed"
			case c.Assessed == 0:
				c.State = "missing"
				m.Gaps = append(m.Gaps, Gap{Kind: "missing", UserID: p.UserID, Name: p.Name, SkillID: k.ID, SkillName: k.Name, Required: c.Required})
			case c.Assessed < c.Required:
				c.State = "below"
				m.Gaps = append(m.Gaps, Gap{Kind: "below", UserID: p.UserID, Name: p.Name, SkillID: k.ID, SkillName: k.Name, Required: c.Required, Assessed: c.Assessed})
			default:
				c.State = "ok"
			}
			p.Cells = append(p.Cells, c)
		}
	}
	today := s.Today()
	checkBy := s.now().AddDate(0, 0, -CheckWithinDays).Format(DateLayout)
	// An expired record renewed since (the same person completed the same
	// training again, valid as long or longer) is no gap; the query leaves
	// it out, so that the limit counts only gaps.
	rows, err = s.DB.Query(ctx, "SELECT "+trainingCols+trainingFrom+` WHERE u.active = ? AND ((t.expires_on IS NOT NULL AND t.expires_on < ?
			AND NOT EXISTS (`+renewed+`))
		OR (t.effectiveness = 'pending' AND t.completed_on < ?)) ORDER BY t.completed_on, t.id LIMIT ?`, true, today, checkBy, MaxList)
	if err != nil {
		return m, err
	}
	var found []Training
	for rows.Next() {
		t, err := s.scanTraining(rows)
		if err != nil {
			rows.Close()
			return m, err
		}
		found = append(found, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return m, err
	}
	var n int
	for _, t := range found {
		g := Gap{UserID: t.UserID, Name: t.UserName, SkillID: t.SkillID, SkillName: t.SkillName, TrainingID: t.ID, Training: t.Title}
		renewedSince := false
		if t.Expired && t.CheckOverdue {
			// Here for its check: it may have been renewed all the same.
			if err := s.DB.QueryRow(ctx, "SELECT COUNT(*) FROM trainings t WHERE t.id = ? AND EXISTS ("+renewed+")", t.ID).Scan(&n); err != nil {
				return m, err
			}
			renewedSince = n > 0
		}
		if t.Expired && !renewedSince {
			g.Kind, g.Date = "expired", t.ExpiresOn
			m.Gaps = append(m.Gaps, g)
		}
		if t.CheckOverdue {
			g.Kind, g.Date = "check_overdue", t.CompletedOn
			m.Gaps = append(m.Gaps, g)
		}
	}
	kinds := map[string]int{"below": 0, "missing": 1, "expired": 2, "check_overdue": 3}
	sort.SliceStable(m.Gaps, func(i, j int) bool { return kinds[m.Gaps[i].Kind] < kinds[m.Gaps[j].Kind] })
	return m, nil
}

// renewed finds a later record of the same training t by the same person
// that is valid at least as long.
const renewed = `SELECT 1 FROM trainings r WHERE r.user_id = t.user_id AND r.title = t.title
	AND r.completed_on > t.completed_on AND (r.expires_on IS NULL OR r.expires_on >= t.expires_on)`
