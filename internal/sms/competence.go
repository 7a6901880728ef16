package sms

import (
	"context"
	"errors"
	"strings"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Skill is something people need to be able to do (7.2).
type Skill struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Version     int    `json:"version"`
}

// JobRole is a role people hold, with the level it needs of each skill.
type JobRole struct {
	ID          int64       `json:"id"`
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Skills      []RoleSkill `json:"skills"`
	Members     []Member    `json:"members"`
	Version     int         `json:"version"`
}

// RoleSkill is the level a role needs of a skill.
type RoleSkill struct {
	SkillID   int64  `json:"skill_id"`
	SkillName string `json:"skill_name,omitempty"`
	Level     int    `json:"level"`
}

// Member is a person holding a role.
type Member struct {
	UserID int64  `json:"user_id"`
	Name   string `json:"name,omitempty"`
}

// SkillInput creates or changes a skill.
type SkillInput struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

// RoleInput creates or changes a job role; Skills and UserIDs, when given,
// replace the role's skill levels and its holders.
type RoleInput struct {
	Name        *string      `json:"name"`
	Description *string      `json:"description"`
	Skills      *[]RoleSkill `json:"skills"`
	UserIDs     *[]int64     `json:"user_ids"`
}

// Levels run from 1 (aware) to 4 (expert).
const (
	MinLevel = 1
	MaxLevel = 4
)

// LevelNames are the levels in words, by number.
var LevelNames = map[int]string{1: "aware", 2: "practitioner", 3: "proficient", 4: "expert"}

// MaxRoleEntries bounds the skills and holders of one role.
const MaxRoleEntries = 200

// Skills lists the skills by name.
func (s *Service) Skills(ctx context.Context, q store.Querier) ([]Skill, error) {
	rows, err := q.Query(ctx, "SELECT id, name, description, version FROM skills ORDER BY name, id LIMIT ?", MaxList)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Skill{}
	for rows.Next() {
		var k Skill
		if err := rows.Scan(&k.ID, &k.Name, &k.Description, &k.Version); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// Skill loads one skill.
func (s *Service) Skill(ctx context.Context, q store.Querier, id int64) (Skill, error) {
	var k Skill
	err := q.QueryRow(ctx, "SELECT id, name, description, version FROM skills WHERE id = ?", id).Scan(&k.ID, &k.Name, &k.Description, &k.Version)
	return k, store.ScanErr(err)
}

// uniqueName fails when another row of table already has the name, in
// any letter case.
func uniqueName(ctx context.Context, q store.Querier, v *domainerr.Invalid, table, what, name string, id int64) error {
	var other int64
	err := store.ScanErr(q.QueryRow(ctx, "SELECT id FROM "+table+" WHERE lower(name) = lower(?) AND id <> ?", name, id).Scan(&other))
	if err == nil {
		v.Add("name", "there is already a %s named %q", what, name)
		return nil
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// SaveSkill creates a skill (id 0) or changes one at the version the
// caller saw (0: any).
func (s *Service) SaveSkill(ctx context.Context, actor audit.Actor, id int64, in SkillInput, ifVersion int) (Skill, error) {
	var k Skill
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if id != 0 {
			var err error
			if k, err = s.Skill(ctx, tx, id); err != nil {
				return err
			}
			if ifVersion != 0 && ifVersion != k.Version {
				return domainerr.ErrStale
			}
		}
		if in.Name != nil {
			k.Name = strings.TrimSpace(*in.Name)
		}
		if in.Description != nil {
			k.Description = strings.TrimSpace(*in.Description)
		}
		v := domainerr.NewInvalid()
		domainerr.Text(v, "name", k.Name, true, domainerr.MaxName)
		domainerr.Text(v, "description", k.Description, false, domainerr.MaxText)
		if !v.Has("name") {
			if err := uniqueName(ctx, tx, v, "skills", "skill", k.Name, id); err != nil {
				return err
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		action := "update"
		if id == 0 {
			action = "create"
			if err := tx.QueryRow(ctx, "INSERT INTO skills (name, description) VALUES (?, ?) RETURNING id", k.Name, k.Description).Scan(&k.ID); err != nil {
				return store.ScanErr(err)
			}
		} else {
			res, err := tx.Exec(ctx, "UPDATE skills SET name = ?, description = ?, version = version + 1 WHERE id = ? AND version = ?", k.Name, k.Description, id, k.Version)
			if err != nil {
				return store.Translate(err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return domainerr.ErrStale
			}
		}
		return audit.Record(ctx, tx, actor, action, "skill", k.ID, map[string]any{"name": k.Name, "description": k.Description})
	})
	if err != nil {
		return Skill{}, err
	}
	return s.Skill(ctx, s.DB, k.ID)
}

// JobRoles lists the roles by name with their skill levels and holders.
func (s *Service) JobRoles(ctx context.Context, q store.Querier) ([]JobRole, error) {
	return s.jobRoles(ctx, q, 0)
}

// JobRole loads one role.
func (s *Service) JobRole(ctx context.Context, q store.Querier, id int64) (JobRole, error) {
	list, err := s.jobRoles(ctx, q, id)
	if err != nil {
		return JobRole{}, err
	}
	if len(list) == 0 {
		return JobRole{}, store.ErrNotFound
	}
	return list[0], nil
}

func (s *Service) jobRoles(ctx context.Context, q store.Querier, only int64) ([]JobRole, error) {
	where, args := "", []any{}
	if only != 0 {
		where, args = " WHERE id = ?", append(args, only)
	}
	rows, err := q.Query(ctx, "SELECT id, name, description, version FROM job_roles"+where+" ORDER BY name, id LIMIT ?", append(args, MaxList)...)
	if err != nil {
		return nil, err
	}
	out := []JobRole{}
	at := map[int64]int{}
	for rows.Next() {
		var r JobRole
		if err := rows.Scan(&r.ID, &r.Name, &r.Description, &r.Version); err != nil {
			rows.Close()
			return nil, err
		}
		r.Skills, r.Members = []RoleSkill{}, []Member{}
		at[r.ID] = len(out)
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	rows, err = q.Query(ctx, `SELECT rs.role_id, rs.skill_id, k.name, rs.level FROM job_role_skills rs JOIN skills k ON k.id = rs.skill_id
		ORDER BY k.name, k.id`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var rid int64
		var x RoleSkill
		if err := rows.Scan(&rid, &x.SkillID, &x.SkillName, &x.Level); err != nil {
			rows.Close()
			return nil, err
		}
		if i, ok := at[rid]; ok {
			out[i].Skills = append(out[i].Skills, x)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.Query(ctx, "SELECT ur.role_id, u.id, u.name FROM user_job_roles ur JOIN users u ON u.id = ur.user_id ORDER BY u.name, u.id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var rid int64
		var m Member
		if err := rows.Scan(&rid, &m.UserID, &m.Name); err != nil {
			return nil, err
		}
		if i, ok := at[rid]; ok {
			out[i].Members = append(out[i].Members, m)
		}
	}
	return out, rows.Err()
}

// SaveJobRole creates a role (id 0) or changes one at the version the
// caller saw (0: any).
func (s *Service) SaveJobRole(ctx context.Context, actor audit.Actor, id int64, in RoleInput, ifVersion int) (JobRole, error) {
	var r JobRole
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if id != 0 {
			var err error
			if r, err = s.JobRole(ctx, tx, id); err != nil {
				return err
			}
			if ifVersion != 0 && ifVersion != r.Version {
				return domainerr.ErrStale
			}
		}
		if in.Name != nil {
			r.Name = strings.TrimSpace(*in.Name)
		}
		if in.Description != nil {
			r.Description = strings.TrimSpace(*in.Description)
		}
		v := domainerr.NewInvalid()
		domainerr.Text(v, "name", r.Name, true, domainerr.MaxName)
		domainerr.Text(v, "description", r.Description, false, domainerr.MaxText)
		if !v.Has("name") {
			if err := uniqueName(ctx, tx, v, "job_roles", "job role", r.Name, id); err != nil {
				return err
			}
		}
		if in.Skills != nil {
			if len(*in.Skills) > MaxRoleEntries {
				v.Add("skills", "at most %d skills", MaxRoleEntries)
			}
			seen := map[int64]bool{}
			for n, x := range *in.Skills {
				f := "skills[" + itoa(n) + "]"
				if x.Level < MinLevel || x.Level > MaxLevel {
					v.Add(f+".level", "must be from 1 (aware) to 4 (expert)")
				}
				if seen[x.SkillID] {
					v.Add(f+".skill_id", "this skill is listed twice")
				}
				seen[x.SkillID] = true
				if x.SkillID == 0 {
					v.Add(f+".skill_id", "is required")
				} else if err := exists(ctx, tx, v, f+".skill_id", "skills", "skill", x.SkillID); err != nil {
					return err
				}
			}
		}
		if in.UserIDs != nil {
			if len(*in.UserIDs) > MaxRoleEntries {
				v.Add("user_ids", "at most %d people", MaxRoleEntries)
			}
			for _, u := range *in.UserIDs {
				if err := userRef(ctx, tx, v, "user_ids", u); err != nil {
					return err
				}
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		action := "update"
		if id == 0 {
			action = "create"
			if err := tx.QueryRow(ctx, "INSERT INTO job_roles (name, description) VALUES (?, ?) RETURNING id", r.Name, r.Description).Scan(&r.ID); err != nil {
				return store.ScanErr(err)
			}
		} else {
			res, err := tx.Exec(ctx, "UPDATE job_roles SET name = ?, description = ?, version = version + 1 WHERE id = ? AND version = ?", r.Name, r.Description, id, r.Version)
			if err != nil {
				return store.Translate(err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return domainerr.ErrStale
			}
		}
		if in.Skills != nil {
			if _, err := tx.Exec(ctx, "DELETE FROM job_role_skills WHERE role_id = ?", r.ID); err != nil {
				return err
			}
			for _, x := range *in.Skills {
				if _, err := tx.Exec(ctx, "INSERT INTO job_role_skills (role_id, skill_id, level) VALUES (?, ?, ?)", r.ID, x.SkillID, x.Level); err != nil {
					return store.Translate(err)
				}
			}
		}
		if in.UserIDs != nil {
			if _, err := tx.Exec(ctx, "DELETE FROM user_job_roles WHERE role_id = ?", r.ID); err != nil {
				return err
			}
			for _, u := range uniqIDs(*in.UserIDs) {
				if _, err := tx.Exec(ctx, "INSERT INTO user_job_roles (user_id, role_id) VALUES (?, ?)", u, r.ID); err != nil {
					return store.Translate(err)
				}
			}
		}
		return audit.Record(ctx, tx, actor, action, "job_role", r.ID, map[string]any{"name": r.Name, "skills": in.Skills, "user_ids": in.UserIDs})
	})
	if err != nil {
		return JobRole{}, err
	}
	return s.JobRole(ctx, s.DB, r.ID)
}

// Assessment is a person's assessed level of a skill.
type Assessment struct {
	UserID     int64  `json:"user_id"`
	SkillID    int64  `json:"skill_id"`
	Level      int    `json:"level"`
	AssessedOn string `json:"assessed_on"`
}

// Assess records a person's level of a skill as assessed on a date; level
// 0 removes the assessment.
func (s *Service) Assess(ctx context.Context, actor audit.Actor, a Assessment) error {
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		v := domainerr.NewInvalid()
		if a.UserID == 0 {
			v.Add("user_id", "is required")
		} else if err := userRef(ctx, tx, v, "user_id", a.UserID); err != nil {
			return err
		}
		if a.SkillID == 0 {
			v.Add("skill_id", "is required")
		} else if err := exists(ctx, tx, v, "skill_id", "skills", "skill", a.SkillID); err != nil {
			return err
		}
		if a.Level != 0 {
			if a.Level < MinLevel || a.Level > MaxLevel {
				v.Add("level", "must be from 1 (aware) to 4 (expert)")
			}
			checkDate(v, "assessed_on", a.AssessedOn, true)
			if validDate(a.AssessedOn) && a.AssessedOn > s.Today() {
				v.Add("assessed_on", "must not be in the future")
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM user_skills WHERE user_id = ? AND skill_id = ?", a.UserID, a.SkillID); err != nil {
			return err
		}
		action := "remove_assessment"
		if a.Level != 0 {
			action = "assess"
			if _, err := tx.Exec(ctx, "INSERT INTO user_skills (user_id, skill_id, level, assessed_on) VALUES (?, ?, ?, ?)",
				a.UserID, a.SkillID, a.Level, a.AssessedOn); err != nil {
				return store.Translate(err)
			}
		}
		return audit.Record(ctx, tx, actor, action, "user_skill", a.UserID, a)
	})
}
