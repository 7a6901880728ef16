package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/knowledge"
)

// kbFormView is the article editor: a new article, or the working
// version of one.
type kbFormView struct {
	A          *knowledge.Article // nil for a new article
	Title      string
	Body       string
	Audience   string
	Customers  map[int64]bool
	Owner      string
	Review     string
	Links      string
	F          *fieldErrors
	Opts       formOptions
	CanPublish bool
	// InReview: the text being edited is in review.
	InReview bool
}

// Customer reports whether customer id is ticked.
func (v kbFormView) Customer(id int64) bool { return v.Customers[id] }

func (h *kbPages) newForm(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	v := kbFormView{Audience: string(knowledge.Requesters), Customers: map[int64]bool{}, Owner: strconv.FormatInt(p.UserID, 10),
		Title: strings.TrimSpace(r.URL.Query().Get("title"))}
	h.showForm(w, r, http.StatusOK, v)
}

func (h *kbPages) showForm(w http.ResponseWriter, r *http.Request, status int, v kbFormView) {
	p := httpx.Principal(r)
	var err error
	if v.Opts, err = h.formOptions(r, false); err != nil {
		h.fail(w, r, err)
		return
	}
	v.CanPublish = p.Can(knowledge.PermPublish)
	title := h.clockOf(r).text().T("web.kb_editor.title_new")
	if v.A != nil {
		title = h.clockOf(r).text().T("web.kb_editor.title_edit", "Number", v.A.Number)
	}
	h.render(w, r, status, "kb_form", page{Title: title, Active: "articles", Data: v})
}

// formInput reads the editor into an article's input; bad lists the
// fields that could not be read at all.
func kbFormInput(wb *Web, r *http.Request, bad *domainerr.Invalid) knowledge.Input {
	title, body := r.PostFormValue("title"), formText(r, "body")
	aud := knowledge.Audience(r.PostFormValue("audience"))
	review := strings.TrimSpace(r.PostFormValue("review_date"))
	in := knowledge.Input{Title: &title, Body: &body, Audience: &aud, ReviewDate: &review}
	if owner := wb.personID(r, bad, "owner_id", agentPerson); !bad.Has("owner_id") {
		zero := int64(0)
		if owner == nil {
			owner = &zero
		}
		in.OwnerID = owner
	}
	if ids, ok := formIDs(r, "customer_ids"); !ok {
		bad.Add("customer_ids", "%s", wb.clockOf(r).text().T("web.kb_editor.invalid_choice"))
	} else {
		in.CustomerIDs = &ids
	}
	return in
}

func (h *kbPages) create(w http.ResponseWriter, r *http.Request) {
	bad := domainerr.NewInvalid()
	in := kbFormInput(h.Web, r, bad)
	in.Links = strings.FieldsFunc(r.PostFormValue("links"), func(c rune) bool { return c == ',' || c == ' ' || c == '\n' || c == '\r' })
	st := knowledge.Draft
	switch r.PostFormValue("then") {
	case "submit":
		st = knowledge.Review
	case "publish":
		st = knowledge.Published
	}
	in.State = &st
	err := bad.Err()
	if err == nil {
		var a knowledge.Article
		if a, err = h.svc.Create(r.Context(), httpx.Principal(r), in); err == nil {
			h.redirect(w, r, "/articles/"+a.Number, "kb_created")
			return
		}
	}
	h.formFailed(w, r, nil, err)
}

// formFailed brings the editor back with what was typed and what is wrong.
func (h *kbPages) formFailed(w http.ResponseWriter, r *http.Request, a *knowledge.Article, err error) {
	var inv *domainerr.Invalid
	var refused *domainerr.Refused
	var conflict *domainerr.Conflict
	msg := ""
	switch {
	case errors.As(err, &inv):
	case errors.As(err, &refused):
		msg = refused.Message
		inv = domainerr.NewInvalid()
	case errors.As(err, &conflict):
		msg = conflict.Message
		inv = domainerr.NewInvalid()
	default:
		h.fail(w, r, err)
		return
	}
	if msg != "" {
		inv.Fields["form"] = msg
	}
	ids, _ := formIDs(r, "customer_ids")
	v := kbFormView{A: a, Title: r.PostFormValue("title"), Body: r.PostFormValue("body"), Audience: r.PostFormValue("audience"),
		Customers: map[int64]bool{}, Owner: r.PostFormValue("owner_id"), Review: r.PostFormValue("review_date"), Links: r.PostFormValue("links"),
		F: &fieldErrors{Form: "article", Errs: inv.Fields, Values: r.PostForm}}
	for _, id := range ids {
		v.Customers[id] = true
	}
	status := http.StatusUnprocessableEntity
	if refused != nil {
		status = http.StatusForbidden
	} else if conflict != nil {
		status = http.StatusConflict
	}
	h.showForm(w, r, status, v)
}

func (h *kbPages) editForm(w http.ResponseWriter, r *http.Request) {
	a, ok := h.load(w, r)
	if !ok {
		return
	}
	p := httpx.Principal(r)
	v := kbFormView{A: &a, Title: a.Title, Body: a.Body, Audience: string(a.Audience), Customers: map[int64]bool{}, Review: a.ReviewDate,
		InReview: a.State == knowledge.Review}
	if a.OwnerID != nil {
		v.Owner = strconv.FormatInt(*a.OwnerID, 10)
	}
	for _, id := range a.CustomerIDs {
		v.Customers[id] = true
	}
	working, err := h.svc.WorkingVersion(r.Context(), p, a)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if working != nil {
		v.Title, v.Body, v.InReview = working.Title, working.Body, working.State == knowledge.Review
	}
	h.showForm(w, r, http.StatusOK, v)
}

func (h *kbPages) edit(w http.ResponseWriter, r *http.Request) {
	a, ok := h.load(w, r)
	if !ok {
		return
	}
	bad := domainerr.NewInvalid()
	in := kbFormInput(h.Web, r, bad)
	ver, _ := formVersion(r)
	err := bad.Err()
	if err == nil {
		if _, err = h.svc.Update(r.Context(), httpx.Principal(r), a.ID, in, ver); err == nil {
			if r.PostFormValue("then") == "submit" {
				if _, err = h.svc.Move(r.Context(), httpx.Principal(r), a.ID, "submit", 0); err == nil {
					h.redirect(w, r, "/articles/"+a.Number, "kb_submit")
					return
				}
			} else {
				h.redirect(w, r, "/articles/"+a.Number, "kb_saved")
				return
			}
		}
	}
	if errors.Is(err, domainerr.ErrStale) {
		h.fail(w, r, err)
		return
	}
	h.formFailed(w, r, &a, err)
}
