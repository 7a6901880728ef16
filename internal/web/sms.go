package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/sms"
)

// SMSPages are the management system's pages: the context register and
// interested parties, the scope, the processes with owners, RACI and
// interfaces, and competence with training records.
func SMSPages(svc *sms.Service) Pages {
	return func(wb *Web, rt *httpx.Router) {
		h := smsPages{wb: wb, svc: svc}
		rt.Handle("GET /context", sms.PermRead, h.issues)
		rt.Handle("GET /context/new", sms.PermWrite, h.newIssue)
		wb.post(rt, "POST /context", sms.PermWrite, h.createIssue)
		rt.Handle("GET /context/{id}", sms.PermRead, h.issue)
		wb.post(rt, "POST /context/{id}", sms.PermWrite, h.updateIssue)
		wb.post(rt, "POST /context/{id}/review", sms.PermWrite, h.reviewIssue)
		rt.Handle("GET /parties", sms.PermRead, h.parties)
		wb.post(rt, "POST /parties", sms.PermWrite, h.createParty)
		rt.Handle("GET /parties/{id}", sms.PermRead, h.party)
		wb.post(rt, "POST /parties/{id}", sms.PermWrite, h.updateParty)
		wb.post(rt, "POST /parties/{id}/requirements", sms.PermWrite, h.addRequirement)
		wb.post(rt, "POST /parties/{id}/requirements/{rid}/delete", sms.PermWrite, h.removeRequirement)
		rt.Handle("GET /scope", sms.PermRead, h.scope)
		wb.post(rt, "POST /scope", sms.PermWrite, h.saveScope)
		wb.post(rt, "POST /scope/{id}/approve", sms.PermWrite, h.approveScope)
		rt.Handle("GET /processes", sms.PermRead, h.processes)
		rt.Handle("GET /processes/{key}", sms.PermRead, h.process)
		wb.post(rt, "POST /processes/{key}", sms.PermWrite, h.updateProcess)
		wb.post(rt, "POST /processes/{key}/raci", sms.PermWrite, h.saveRACI)
		wb.post(rt, "POST /processes/{key}/interfaces", sms.PermWrite, h.addInterface)
		wb.post(rt, "POST /processes/{key}/interfaces/{to}/delete", sms.PermWrite, h.removeInterface)
		rt.Handle("GET /competence", sms.PermRead, h.competence)
		rt.Handle("GET /competence/setup", sms.PermRead, h.competenceSetup)
		wb.post(rt, "POST /competence/skills", sms.PermWrite, h.createSkill)
		wb.post(rt, "POST /competence/roles", sms.PermWrite, h.createRole)
		wb.post(rt, "POST /competence/roles/{id}", sms.PermWrite, h.updateRole)
		rt.Handle("GET /competence/people/{id}", sms.PermRead, h.person)
		wb.post(rt, "POST /competence/people/{id}/assess", sms.PermWrite, h.assess)
		rt.Handle("GET /trainings", sms.PermRead, h.trainings)
		wb.post(rt, "POST /trainings", sms.PermWrite, h.createTraining)
		rt.Handle("GET /trainings/{id}", sms.PermRead, h.training)
		wb.post(rt, "POST /trainings/{id}", sms.PermWrite, h.updateTraining)
	}
}

type smsPages struct {
	wb  *Web
	svc *sms.Service
}

// civilDate writes a date without a time (YYYY-MM-DD) the way the viewer
// reads dates; it has no time zone, so none is applied.
func (h smsPages) civilDate(r *http.Request) func(string) string {
	ck := h.wb.clockOf(r)
	return func(s string) string {
		d, err := time.Parse(sms.DateLayout, s)
		if err != nil {
			return s
		}
		return ck.day(time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, ck.loc))
	}
}

// invalid returns the field messages of err when it is a validation
// failure, or nil; other errors are answered as a page.
func invalid(err error) *domainerr.Invalid {
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		if len(inv.Fields) == 0 {
			inv.Fields = map[string]string{"form": inv.Error()}
		}
		return inv
	}
	return nil
}

// optText is a form field as an optional text: nil when the form lacks it.
func optText(r *http.Request, name string) *string {
	if _, ok := r.PostForm[name]; !ok {
		return nil
	}
	s := formText(r, name)
	return &s
}

// formInt64 reads an id field: 0 when empty or not a number (the domain
// check then names it).
func formInt64(r *http.Request, name string) (int64, bool) {
	s := strings.TrimSpace(r.PostFormValue(name))
	if s == "" {
		return 0, true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

// levelWord is a competence level in words.
func levelWord(n int) string {
	if w, ok := sms.LevelNames[n]; ok {
		return w
	}
	return ""
}

// staffOptions are the people who may own records and hold roles.
func (h smsPages) staffOptions(r *http.Request) ([]option, error) {
	rows, err := h.wb.DB.Query(r.Context(), "SELECT id, name, email FROM users WHERE active = ? AND role <> 'requester' ORDER BY name, id LIMIT ?", true, maxChoices)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []option
	for rows.Next() {
		var o option
		if err := rows.Scan(&o.ID, &o.Name, &o.Note); err != nil {
			return nil, err
		}
		o.Email = o.Note
		out = append(out, o)
	}
	return out, rows.Err()
}

// serviceOptions are the catalogue's services, by name.
func (h smsPages) serviceOptions(r *http.Request) ([]option, error) {
	rows, err := h.wb.DB.Query(r.Context(), "SELECT id, name FROM services ORDER BY name, id LIMIT ?", maxChoices)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []option
	for rows.Next() {
		var o option
		if err := rows.Scan(&o.ID, &o.Name); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// fieldErr is a one-field validation failure a form found itself.
func fieldErr(field, msg string) error { return domainerr.Field(field, "%s", msg) }
