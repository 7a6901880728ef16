package web

import (
	"errors"
	"net/http"
	"strconv"

	"steward/internal/httpx"
	"steward/internal/sms"
	"steward/internal/store"
)

type competenceView struct {
	M        sms.Matrix
	CanWrite bool
	Level    func(int) string
	D        func(string) string
}

func (h smsPages) competence(w http.ResponseWriter, r *http.Request) {
	m, err := h.svc.Competence(r.Context())
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v := competenceView{M: m, CanWrite: httpx.Principal(r).Can(sms.PermWrite), Level: levelWord, D: h.civilDate(r)}
	h.wb.render(w, r, http.StatusOK, "sms_competence", page{Title: "Competence", Active: "competence", Data: v})
}

type setupView struct {
	Skills   []sms.Skill
	Roles    []sms.JobRole
	People   []option
	Levels   []int
	F        *fieldErrors
	CanWrite bool
	Level    func(int) string
}

// Need is the level role needs of skill, 0 for none.
func (v setupView) Need(role sms.JobRole, skill int64) int {
	for _, x := range role.Skills {
		if x.SkillID == skill {
			return x.Level
		}
	}
	return 0
}

// Holds reports whether the person holds the role.
func (v setupView) Holds(role sms.JobRole, user int64) bool {
	for _, m := range role.Members {
		if m.UserID == user {
			return true
		}
	}
	return false
}

func (h smsPages) showSetup(w http.ResponseWriter, r *http.Request, status int, fe *fieldErrors) {
	skills, err := h.svc.Skills(r.Context(), h.wb.DB)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	roles, err := h.svc.JobRoles(r.Context(), h.wb.DB)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	people, err := h.staffOptions(r)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v := setupView{Skills: skills, Roles: roles, People: people, Levels: []int{1, 2, 3, 4}, F: fe,
		CanWrite: httpx.Principal(r).Can(sms.PermWrite), Level: levelWord}
	h.wb.render(w, r, status, "sms_competence_setup", page{Title: "Skills and job roles", Active: "competence", Data: v})
}

func (h smsPages) competenceSetup(w http.ResponseWriter, r *http.Request) {
	h.showSetup(w, r, http.StatusOK, nil)
}

func (h smsPages) setupResult(w http.ResponseWriter, r *http.Request, form, anchor string, err error) {
	if err == nil {
		h.wb.redirect(w, r, "/competence/setup"+anchor, "saved")
		return
	}
	if inv := invalid(err); inv != nil {
		h.showSetup(w, r, http.StatusUnprocessableEntity, &fieldErrors{Form: form, Errs: inv.Fields, Values: r.PostForm})
		return
	}
	h.wb.fail(w, r, err)
}

func (h smsPages) createSkill(w http.ResponseWriter, r *http.Request) {
	_, err := h.svc.SaveSkill(r.Context(), httpx.Principal(r).Actor(), 0, sms.SkillInput{Name: optText(r, "name"), Description: optText(r, "description")}, 0)
	h.setupResult(w, r, "skill", "#skills", err)
}

func (h smsPages) createRole(w http.ResponseWriter, r *http.Request) {
	jr, err := h.svc.SaveJobRole(r.Context(), httpx.Principal(r).Actor(), 0, sms.RoleInput{Name: optText(r, "name"), Description: optText(r, "description")}, 0)
	h.setupResult(w, r, "role", "#role-"+strconv.FormatInt(jr.ID, 10), err)
}

// updateRole reads a role's card: a level per skill (none for not
// needed) and the people holding it.
func (h smsPages) updateRole(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	form := "role-" + strconv.FormatInt(id, 10)
	skills, err := h.svc.Skills(r.Context(), h.wb.DB)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	need := []sms.RoleSkill{}
	for _, k := range skills {
		s := r.PostFormValue("level_" + strconv.FormatInt(k.ID, 10))
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			h.setupResult(w, r, form, "", fieldErr("skills", "choose a level from the list"))
			return
		}
		need = append(need, sms.RoleSkill{SkillID: k.ID, Level: n})
	}
	users, ok := formIDs(r, "user_ids")
	if !ok {
		h.setupResult(w, r, form, "", fieldErr("user_ids", "choose people from the list"))
		return
	}
	ver, _ := formVersion(r)
	_, err = h.svc.SaveJobRole(r.Context(), httpx.Principal(r).Actor(), id, sms.RoleInput{Name: optText(r, "name"), Description: optText(r, "description"),
		Skills: &need, UserIDs: &users}, ver)
	h.setupResult(w, r, form, "#"+form, err)
}

type personSkill struct {
	SkillID    int64
	Name       string
	Required   int
	Assessed   int
	AssessedOn string
	State      string
}

type personView struct {
	UserID    int64
	Name      string
	Roles     []string
	Skills    []personSkill
	Trainings []sms.Training
	Levels    []int
	Today     string
	F         *fieldErrors
	CanWrite  bool
	Level     func(int) string
	D         func(string) string
}

func (h smsPages) showPerson(w http.ResponseWriter, r *http.Request, status int, id int64, fe *fieldErrors) {
	ctx := r.Context()
	v := personView{UserID: id, Levels: []int{1, 2, 3, 4}, Today: h.svc.Today(), F: fe, CanWrite: httpx.Principal(r).Can(sms.PermWrite),
		Level: levelWord, D: h.civilDate(r)}
	if err := h.wb.DB.QueryRow(ctx, "SELECT name FROM users WHERE id = ? AND role <> 'requester'", id).Scan(&v.Name); err != nil {
		h.wb.fail(w, r, store.ScanErr(err))
		return
	}
	m, err := h.svc.Competence(ctx)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	need := map[int64]int{}
	for _, p := range m.People {
		if p.UserID == id {
			v.Roles = p.Roles
			for _, c := range p.Cells {
				need[c.SkillID] = c.Required
			}
		}
	}
	rows, err := h.wb.DB.Query(ctx, `SELECT k.id, k.name, COALESCE(us.level, 0), COALESCE(us.assessed_on, '') FROM skills k
		LEFT JOIN user_skills us ON us.skill_id = k.id AND us.user_id = ? ORDER BY k.name, k.id LIMIT ?`, id, sms.MaxList)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	for rows.Next() {
		var s personSkill
		if err := rows.Scan(&s.SkillID, &s.Name, &s.Assessed, &s.AssessedOn); err != nil {
			rows.Close()
			h.wb.fail(w, r, err)
			return
		}
		s.Required = need[s.SkillID]
		switch {
		case s.Required == 0 && s.Assessed == 0:
			continue
		case s.Required == 0:
			s.State = "not_needed"
		case s.Assessed == 0:
			s.State = "missing"
		case s.Assessed < s.Required:
			s.State = "below"
		default:
			s.State = "ok"
		}
		v.Skills = append(v.Skills, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	if v.Trainings, err = h.svc.Trainings(ctx, sms.TrainingFilter{UserID: id}); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.wb.render(w, r, status, "sms_person", page{Title: h.wb.clockOf(r).text().T("web.sms_competence.person_title", "Name", v.Name), Active: "competence", Data: v})
}

func (h smsPages) person(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	h.showPerson(w, r, http.StatusOK, id, nil)
}

func (h smsPages) assess(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	skill, _ := formInt64(r, "skill_id")
	level, _ := strconv.Atoi(r.PostFormValue("level"))
	err := h.svc.Assess(r.Context(), httpx.Principal(r).Actor(), sms.Assessment{UserID: id, SkillID: skill, Level: level, AssessedOn: r.PostFormValue("assessed_on")})
	if err == nil {
		h.wb.redirect(w, r, "/competence/people/"+strconv.FormatInt(id, 10), "saved")
		return
	}
	if inv := invalid(err); inv != nil {
		h.showPerson(w, r, http.StatusUnprocessableEntity, id, &fieldErrors{Form: "assess-" + strconv.FormatInt(skill, 10), Errs: inv.Fields, Values: r.PostForm})
		return
	}
	h.wb.fail(w, r, err)
}

type trainingsView struct {
	Items    []sms.Training
	T        sms.Training // the record being edited, or the new one's defaults
	People   []option
	Skills   []sms.Skill
	Kinds    []string
	Effects  []string
	Person   int64
	F        *fieldErrors
	CanWrite bool
	D        func(string) string
}

func (h smsPages) showTrainings(w http.ResponseWriter, r *http.Request, status int, t sms.Training, fe *fieldErrors) {
	v := trainingsView{T: t, Kinds: sms.TrainingKinds, Effects: sms.Effectivenesses, F: fe, CanWrite: httpx.Principal(r).Can(sms.PermWrite), D: h.civilDate(r)}
	var err error
	if t.ID == 0 {
		if p, perr := strconv.ParseInt(r.URL.Query().Get("person"), 10, 64); perr == nil && p > 0 {
			v.Person = p
		}
		if v.Items, err = h.svc.Trainings(r.Context(), sms.TrainingFilter{UserID: v.Person}); err != nil {
			h.wb.fail(w, r, err)
			return
		}
	}
	if v.People, err = h.staffOptions(r); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	if v.Skills, err = h.svc.Skills(r.Context(), h.wb.DB); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	name, title := "sms_trainings", "Training records"
	if t.ID != 0 {
		name, title = "sms_training", t.Title
	}
	h.wb.render(w, r, status, name, page{Title: title, Active: "competence", Data: v})
}

func (h smsPages) trainings(w http.ResponseWriter, r *http.Request) {
	h.showTrainings(w, r, http.StatusOK, sms.Training{Kind: "training", Effectiveness: "pending", CompletedOn: h.svc.Today()}, nil)
}

func (h smsPages) training(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	t, err := h.svc.Training(r.Context(), h.wb.DB, id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showTrainings(w, r, http.StatusOK, t, nil)
}

func (h smsPages) trainingForm(r *http.Request) (sms.TrainingInput, error) {
	var user int64
	id, msg := h.wb.person(r, "user_id", staffPerson)
	if msg != "" {
		return sms.TrainingInput{}, fieldErr("user_id", msg)
	}
	if id != nil {
		user = *id
	}
	skill, ok := formInt64(r, "skill_id")
	if !ok {
		return sms.TrainingInput{}, fieldErr("skill_id", "choose a skill from the list")
	}
	return sms.TrainingInput{UserID: &user, SkillID: &skill, Kind: optText(r, "kind"), Title: optText(r, "title"), Provider: optText(r, "provider"),
		CompletedOn: optText(r, "completed_on"), ExpiresOn: optText(r, "expires_on"), Effectiveness: optText(r, "effectiveness"),
		EffectivenessCheckedOn: optText(r, "effectiveness_checked_on"), Notes: optText(r, "notes")}, nil
}

func (h smsPages) saveTraining(w http.ResponseWriter, r *http.Request, id int64) {
	in, err := h.trainingForm(r)
	var t sms.Training
	if err == nil {
		if id == 0 {
			t, err = h.svc.CreateTraining(r.Context(), httpx.Principal(r).Actor(), in)
		} else {
			ver, _ := formVersion(r)
			t, err = h.svc.UpdateTraining(r.Context(), httpx.Principal(r).Actor(), id, in, ver)
		}
	}
	if err == nil {
		h.wb.redirect(w, r, "/trainings/"+strconv.FormatInt(t.ID, 10), "saved")
		return
	}
	inv := invalid(err)
	if inv == nil {
		h.wb.fail(w, r, err)
		return
	}
	cur := sms.Training{}
	if id != 0 {
		if cur, err = h.svc.Training(r.Context(), h.wb.DB, id); err != nil && !errors.Is(err, store.ErrNotFound) {
			h.wb.fail(w, r, err)
			return
		}
	}
	h.showTrainings(w, r, http.StatusUnprocessableEntity, cur, &fieldErrors{Form: "training", Errs: inv.Fields, Values: r.PostForm})
}

func (h smsPages) createTraining(w http.ResponseWriter, r *http.Request) { h.saveTraining(w, r, 0) }

func (h smsPages) updateTraining(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	h.saveTraining(w, r, id)
}
