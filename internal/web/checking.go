package web

import (
	"cmp"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/internalaudit"
	"steward/internal/nonconformity"
	"steward/internal/review"
	"steward/internal/sms"
)

// CheckingPages are the pages of internal audits, nonconformities,
// actions and management reviews.
func CheckingPages(audits *internalaudit.Service, ncs *nonconformity.Service, reviews *review.Service) Pages {
	return func(wb *Web, rt *httpx.Router) {
		h := &checkingPages{Web: wb, audits: audits, ncs: ncs, reviews: reviews}
		rt.Handle("GET /internal-audits", sms.PermRead, h.auditsPage)
		wb.post(rt, "POST /internal-audits/programmes", sms.PermWrite, h.createProgramme)
		rt.Handle("GET /internal-audits/new", sms.PermWrite, h.newAudit)
		wb.post(rt, "POST /internal-audits", sms.PermWrite, h.createAudit)
		rt.Handle("GET /internal-audits/{id}", sms.PermRead, h.auditPage)
		rt.Handle("GET /internal-audits/{id}/edit", sms.PermWrite, h.editAudit)
		wb.post(rt, "POST /internal-audits/{id}", sms.PermWrite, h.updateAudit)
		wb.post(rt, "POST /internal-audits/{id}/cancel", sms.PermWrite, h.cancelAudit)
		wb.post(rt, "POST /internal-audits/{id}/start", sms.PermAudit, h.startAudit)
		wb.post(rt, "POST /internal-audits/{id}/items/{item}", sms.PermAudit, h.recordItem)
		wb.post(rt, "POST /internal-audits/{id}/report", sms.PermAudit, h.reportAudit)
		rt.Handle("GET /internal-audits/{id}/report", sms.PermRead, h.reportPage)

		rt.Handle("GET /nonconformities", sms.PermRead, h.ncsPage)
		rt.Handle("GET /nonconformities/new", sms.PermWrite, h.newNC)
		wb.post(rt, "POST /nonconformities", sms.PermWrite, h.createNC)
		rt.Handle("GET /nonconformities/{ref}", sms.PermRead, h.ncPage)
		wb.post(rt, "POST /nonconformities/{ref}", sms.PermWrite, h.updateNC)
		wb.post(rt, "POST /nonconformities/{ref}/actions", sms.PermWrite, h.addNCAction)
		rt.Handle("GET /actions", sms.PermRead, h.actionsPage)
		wb.post(rt, "POST /actions/{id}/done", sms.PermRead, h.actionDone)

		rt.Handle("GET /management-reviews", sms.PermRead, h.reviewsPage)
		rt.Handle("GET /management-reviews/new", sms.PermWrite, h.newReview)
		wb.post(rt, "POST /management-reviews", sms.PermWrite, h.createReview)
		rt.Handle("GET /management-reviews/{id}", sms.PermRead, h.reviewPage)
		wb.post(rt, "POST /management-reviews/{id}", sms.PermWrite, h.updateReview)
		wb.post(rt, "POST /management-reviews/{id}/compile", sms.PermWrite, h.compileReview)
		wb.post(rt, "POST /management-reviews/{id}/actions", sms.PermWrite, h.addReviewAction)
	}
}

type checkingPages struct {
	*Web
	audits  *internalaudit.Service
	ncs     *nonconformity.Service
	reviews *review.Service
}

// optDate is date for an optional date, "" when absent.
func (c clock) optDate(s *string) string {
	if s == nil {
		return ""
	}
	return c.date(*s)
}

// staff lists the people who may own actions or audit: everyone but
// requesters, active.
func (h *checkingPages) staff(r *http.Request) ([]option, error) {
	var out []option
	for _, role := range []auth.Role{auth.Admin, auth.Agent, auth.Auditor} {
		users, err := auth.ListUsers(r.Context(), h.DB, auth.UserFilter{Role: role, Limit: maxChoices})
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			if u.Active {
				out = append(out, option{ID: u.ID, Name: u.Name, Note: human(string(u.Role))})
			}
		}
	}
	slices.SortFunc(out, func(a, b option) int { return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID)) })
	return out, nil
}

// pickedID reads an optional id field; a value that is no id is reported
// on the field.
func pickedID(r *http.Request, v *domainerr.Invalid, name string) *int64 {
	s := strings.TrimSpace(r.PostFormValue(name))
	if s == "" {
		return nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		v.Add(name, "choose from the list")
		return nil
	}
	return &id
}

// pickedIDs reads ticked ids.
func pickedIDs(r *http.Request, v *domainerr.Invalid, name string) []int64 {
	out := []int64{}
	for _, s := range r.PostForm[name] {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			v.Add(name, "choose from the list")
			return out
		}
		out = append(out, id)
	}
	return out
}

// invalidOr splits a service error: field errors come back to the form,
// anything else is a failed page.
func (h *checkingPages) invalidOr(w http.ResponseWriter, r *http.Request, err error) (*domainerr.Invalid, bool) {
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		return inv, true
	}
	h.fail(w, r, err)
	return nil, false
}

func fieldsOf(form string, inv *domainerr.Invalid, r *http.Request) *fieldErrors {
	errs := map[string]string{}
	for k, m := range inv.Fields {
		errs[k] = m
	}
	if len(errs) == 0 && inv.Message != "" {
		errs["form"] = inv.Message
	}
	return &fieldErrors{Form: form, Errs: errs, Values: r.PostForm}
}

func idPath(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id, err == nil && id > 0
}
