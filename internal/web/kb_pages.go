package web

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"steward/internal/document"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/incident"
	"steward/internal/knowledge"
	"steward/internal/org"
)

// kbPages serve the knowledge base: the list with its search (for
// requesters, the help articles written for them), an article's page
// with "did this help?", the editor, the review queue, and on the
// incident pages the suggestions (kb_suggest.go).
type kbPages struct {
	*Web
	svc *knowledge.Service
}

// KnowledgePages are the knowledge base's pages over svc.
func KnowledgePages(svc *knowledge.Service) Pages {
	return func(wb *Web, rt *httpx.Router) {
		h := &kbPages{Web: wb, svc: svc}
		rt.Handle("GET /articles", knowledge.PermRead, h.list)
		rt.Handle("GET /articles/review", knowledge.PermReadAll, h.review)
		rt.Handle("GET /articles/new", knowledge.PermWrite, h.newForm)
		wb.post(rt, "POST /articles", knowledge.PermWrite, h.create)
		rt.Handle("GET /articles/suggest", knowledge.PermRead, h.suggest)
		rt.Handle("GET /articles/classify", incident.PermUpdate, h.classify)
		rt.Handle("GET /articles/{ref}", knowledge.PermRead, h.article)
		rt.Handle("GET /articles/{ref}/edit", knowledge.PermWrite, h.editForm)
		wb.post(rt, "POST /articles/{ref}/edit", knowledge.PermWrite, h.edit)
		for name, act := range knowledge.Actions {
			wb.post(rt, "POST /articles/{ref}/"+name, act.Perm, h.move(name))
		}
		wb.post(rt, "POST /articles/{ref}/feedback", knowledge.PermFeedback, h.feedback)
		wb.post(rt, "POST /incidents/{ref}/suggested", incident.PermUpdate, h.applySuggestion)
		wb.knowledge = h.incidentPanel
		wb.recordShows[knowledge.KindName] = func(w http.ResponseWriter, r *http.Request, status int, id int64, f *fieldErrors) {
			a, err := h.svc.Get(r.Context(), httpx.Principal(r), id)
			if err != nil {
				h.fail(w, r, err)
				return
			}
			h.show(w, r, status, a, f, "")
		}
	}
}

// kbRow is one article of the list.
type kbRow struct {
	knowledge.Article
	Late bool // its review is overdue
}

// Answers is how many readers said whether the article helped.
func (r kbRow) Answers() int { return r.Helpful + r.NotHelpful }

// kbListView is the list: every article for staff, the help articles for
// requesters.
type kbListView struct {
	Items      []kbRow
	Q          string
	State      string
	Audience   string
	Overdue    bool
	Staff      bool
	CanWrite   bool
	Counts     knowledge.Counts
	Deflection knowledge.Deflection
	Next       string
	Error      string
	States     []knowledge.State
}

// deflectionDays is the period the list's deflection figure covers.
const deflectionDays = 90

func (h *kbPages) today(r *http.Request) string {
	return time.Now().In(h.clockOf(r).loc).Format(knowledge.DateLayout)
}

func (h *kbPages) list(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	q := r.URL.Query()
	v := kbListView{Q: strings.TrimSpace(q.Get("q")), State: q.Get("state"), Audience: q.Get("audience"), Overdue: q.Get("overdue") == "1",
		Staff: p.Can(knowledge.PermReadAll), CanWrite: p.Can(knowledge.PermWrite), States: knowledge.States}
	if len(v.Q) > 200 {
		v.Q = v.Q[:200]
	}
	today := h.today(r)
	f := knowledge.Filter{Query: v.Q, Audience: knowledge.Audience(v.Audience), Overdue: v.Overdue, Today: today, Cursor: q.Get("cursor"), Limit: 50}
	if v.State != "" {
		f.States = []knowledge.State{knowledge.State(v.State)}
	}
	pg, err := h.svc.List(r.Context(), p, f)
	var inv *domainerr.Invalid
	switch {
	case errors.As(err, &inv):
		v.Error = h.clockOf(r).text().T("web.kb_pages.not_filtered", "Reason", inv.Error())
	case err != nil:
		h.fail(w, r, err)
		return
	}
	for _, a := range pg.Items {
		v.Items = append(v.Items, kbRow{Article: a, Late: a.ReviewOverdue(today)})
	}
	if pg.NextCursor != "" {
		next := url.Values{"q": {v.Q}, "state": {v.State}, "audience": {v.Audience}, "cursor": {pg.NextCursor}}
		if v.Overdue {
			next.Set("overdue", "1")
		}
		v.Next = "/articles?" + next.Encode()
	}
	if v.Staff {
		if v.Counts, err = h.svc.Count(r.Context(), today); err != nil {
			h.fail(w, r, err)
			return
		}
		if v.Deflection, err = h.svc.Deflected(r.Context(), time.Now().AddDate(0, 0, -deflectionDays)); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	title := h.clockOf(r).text().T("web.kb_pages.title")
	if !v.Staff {
		title = h.clockOf(r).text().T("kb.help_heading")
	}
	h.render(w, r, http.StatusOK, "kb_list", page{Title: title, Active: "articles", Data: v})
}

// review is the queue: articles with a version waiting in review.
func (h *kbPages) review(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	pg, err := h.svc.List(r.Context(), p, knowledge.Filter{Pending: true, Limit: knowledge.MaxList})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := struct {
		Items      []knowledge.Article
		CanPublish bool
		CSRF       string
	}{pg.Items, p.Can(knowledge.PermPublish), p.CSRFToken}
	h.render(w, r, http.StatusOK, "kb_review", page{Title: h.clockOf(r).text().T("web.kb_pages.title_review"), Active: "articles", Data: v})
}

// kbArticleView is an article's page.
type kbArticleView struct {
	A        knowledge.Article
	Rendered template.HTML
	// Working is a newer version being written beside the published one.
	Working         *knowledge.Version
	WorkingRendered template.HTML
	Customers       []string
	Staff           bool
	Late            bool
	CanEdit         bool
	Moves           []kbMove
	FeedbackGiven   bool
	CanFeedback     bool
	Comments        []knowledge.Feedback
	Records         recordPanels
	F               *fieldErrors
	Error           string
	CSRF            string
}

// kbMove is a button that moves the article.
type kbMove struct {
	Action, Label string
	Primary       bool
}

func (h *kbPages) load(w http.ResponseWriter, r *http.Request) (knowledge.Article, bool) {
	id, ok := knowledge.ParseRef(r.PathValue("ref"))
	if !ok {
		h.errorPage(w, r, http.StatusNotFound, "")
		return knowledge.Article{}, false
	}
	a, err := h.svc.Get(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return a, false
	}
	return a, true
}

func (h *kbPages) article(w http.ResponseWriter, r *http.Request) {
	a, ok := h.load(w, r)
	if !ok {
		return
	}
	from := r.URL.Query().Get("from")
	var opened knowledge.Opened
	if from == "new" {
		opened.Draft = true
	} else if id, ok := incident.ParseRef(from); ok && from != "" {
		opened.Incident = id
	}
	counted, err := h.svc.View(r.Context(), httpx.Principal(r), a, opened)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if counted {
		a.Views++
	}
	h.show(w, r, http.StatusOK, a, nil, "")
}

// show renders an article's page; f brings back a failed form.
func (h *kbPages) show(w http.ResponseWriter, r *http.Request, status int, a knowledge.Article, f *fieldErrors, msg string) {
	p := httpx.Principal(r)
	ctx := r.Context()
	v := kbArticleView{A: a, Staff: p.Can(knowledge.PermReadAll), Late: a.ReviewOverdue(h.today(r)), CanEdit: p.Can(knowledge.PermWrite),
		CanFeedback: a.State == knowledge.Published && p.Can(knowledge.PermFeedback), F: f, Error: msg, CSRF: p.CSRFToken}
	html, err := document.RenderMarkdown(a.Body)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.Rendered = template.HTML(html) // goldmark without raw HTML: see document.RenderMarkdown
	if v.FeedbackGiven, err = h.svc.FeedbackGiven(ctx, p, a); err != nil {
		h.fail(w, r, err)
		return
	}
	if v.Staff {
		if v.Working, err = h.svc.WorkingVersion(ctx, p, a); err != nil {
			h.fail(w, r, err)
			return
		}
		if v.Working != nil {
			html, err := document.RenderMarkdown(v.Working.Body)
			if err != nil {
				h.fail(w, r, err)
				return
			}
			v.WorkingRendered = template.HTML(html) // as above
		}
		if v.Comments, err = h.svc.Comments(ctx, p, a.ID, 20); err != nil {
			h.fail(w, r, err)
			return
		}
		names, err := org.Customers.Names(ctx, h.DB)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		for _, id := range a.CustomerIDs {
			v.Customers = append(v.Customers, orID(names[id], id))
		}
		v.Moves = kbMoves(h.clockOf(r).text(), p.Can(knowledge.PermWrite), p.Can(knowledge.PermPublish), a, v.Working)
	}
	if v.Records, err = h.panels(r, knowledge.KindName, a.ID, f); err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, status, "kb_article", page{Title: a.Title, Active: "articles", Data: v})
}

// kbMoves are the moves the person may make on the article now.
func kbMoves(tx i18n.Text, write, publish bool, a knowledge.Article, working *knowledge.Version) []kbMove {
	var out []kbMove
	pending := a.Pending
	if a.VersionNumber > 0 && (a.State == knowledge.Draft || a.State == knowledge.Review) {
		pending = a.State
	}
	if working != nil {
		pending = working.State
	}
	switch pending {
	case knowledge.Draft:
		if write {
			out = append(out, kbMove{"submit", tx.T("web.kb_pages.submit"), !publish})
		}
	case knowledge.Review:
		if publish {
			out = append(out, kbMove{"publish", tx.T("web.kb_pages.publish"), true}, kbMove{"return", tx.T("web.kb_pages.return"), false})
		}
	}
	if publish {
		switch a.State {
		case knowledge.Published:
			out = append(out, kbMove{"retire", tx.T("web.kb_pages.retire"), false})
		case knowledge.Retired:
			out = append(out, kbMove{"restore", tx.T("web.kb_pages.restore"), false})
		}
	}
	return out
}

func (h *kbPages) move(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, ok := h.load(w, r)
		if !ok {
			return
		}
		ver, _ := formVersion(r)
		_, err := h.svc.Move(r.Context(), httpx.Principal(r), a.ID, action, ver)
		var inv *domainerr.Invalid
		var conflict *domainerr.Conflict
		switch {
		case err == nil:
			h.redirect(w, r, "/articles/"+a.Number, "kb_"+action)
		case errors.As(err, &inv):
			h.show(w, r, http.StatusUnprocessableEntity, a, nil, kbRefusal(inv))
		case errors.As(err, &conflict):
			h.show(w, r, http.StatusConflict, a, nil, errText(h.clockOf(r).text(), conflict.Message))
		default:
			h.fail(w, r, err)
		}
	}
}

// kbRefusal says why a move was refused, naming each field in words:
// "Review date 2026-01-02 is in the past: ...".
func kbRefusal(inv *domainerr.Invalid) string {
	if len(inv.Fields) == 0 {
		return sentence(inv.Error())
	}
	names := make([]string, 0, len(inv.Fields))
	for k := range inv.Fields {
		names = append(names, k)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, k := range names {
		label := strings.ReplaceAll(k, "_", " ")
		parts[i] = strings.ToUpper(label[:1]) + label[1:] + " " + inv.Fields[k] + "."
	}
	return strings.Join(parts, " ")
}

func (h *kbPages) feedback(w http.ResponseWriter, r *http.Request) {
	a, ok := h.load(w, r)
	if !ok {
		return
	}
	helpful := r.PostFormValue("helpful")
	if helpful != "yes" && helpful != "no" {
		h.show(w, r, http.StatusUnprocessableEntity, a, &fieldErrors{Form: "feedback", Errs: map[string]string{"helpful": h.clockOf(r).text().T("web.kb_pages.choose_yes_no")}, Values: r.PostForm}, "")
		return
	}
	_, err := h.svc.GiveFeedback(r.Context(), httpx.Principal(r), a.ID, helpful == "yes", formText(r, "comment"))
	var inv *domainerr.Invalid
	switch {
	case err == nil:
		h.redirect(w, r, "/articles/"+a.Number+"#feedback", "kb_feedback")
	case errors.As(err, &inv):
		h.show(w, r, http.StatusUnprocessableEntity, a, &fieldErrors{Form: "feedback", Errs: inv.Fields, Values: r.PostForm}, "")
	default:
		h.fail(w, r, err)
	}
}
