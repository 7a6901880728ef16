package api

import (
	"net/http"
	"strings"
	"time"

	"steward/internal/httpx"
	"steward/internal/incident"
	"steward/internal/knowledge"
)

// KnowledgeRoutes are the knowledge base's routes: articles, their
// versions, moves and feedback, suggestions while a ticket is written,
// and the category and group suggested for an incident.
func KnowledgeRoutes(svc *knowledge.Service) Routes {
	return func(a *API, rt *httpx.Router) {
		h := knowledgeAPI{API: a, svc: svc}
		rt.Handle("GET /api/v1/articles", knowledge.PermRead, h.list)
		rt.Handle("POST /api/v1/articles", knowledge.PermWrite, h.create)
		rt.Handle("GET /api/v1/articles/suggest", knowledge.PermRead, h.suggest)
		rt.Handle("GET /api/v1/articles/{ref}", knowledge.PermRead, h.get)
		rt.Handle("PATCH /api/v1/articles/{ref}", knowledge.PermWrite, h.patch)
		rt.Handle("GET /api/v1/articles/{ref}/versions", knowledge.PermReadAll, h.versions)
		for name, act := range knowledge.Actions {
			rt.Handle("POST /api/v1/articles/{ref}/"+name, act.Perm, h.move(name))
		}
		rt.Handle("POST /api/v1/articles/{ref}/feedback", knowledge.PermFeedback, h.feedback)
		rt.Handle("GET /api/v1/incident-classification", incident.PermUpdate, h.classify)
	}
}

type knowledgeAPI struct {
	*API
	svc *knowledge.Service
}

func articleRef(r *http.Request) (int64, error) {
	id, ok := knowledge.ParseRef(r.PathValue("ref"))
	if !ok {
		return 0, &malformed{msg: "ref in the path must be an article id or number such as KB-000012"}
	}
	return id, nil
}

func (h knowledgeAPI) list(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "state", "audience", "overdue", "pending", "q", "limit", "cursor")
	f := knowledge.Filter{Audience: knowledge.Audience(q.str("audience", 20)), Query: q.str("q", 200), Limit: q.limit(),
		Cursor: q.str("cursor", 600), Today: time.Now().UTC().Format(knowledge.DateLayout)}
	for _, s := range q.list("state") {
		f.States = append(f.States, knowledge.State(s))
	}
	if b := q.boolean("overdue"); b != nil {
		f.Overdue = *b
	}
	if b := q.boolean("pending"); b != nil {
		f.Pending = *b
	}
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	page, err := h.svc.List(r.Context(), httpx.Principal(r), f)
	if err = queryFault(err); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listBody(page.Items, page.NextCursor))
}

func (h knowledgeAPI) create(w http.ResponseWriter, r *http.Request) {
	var in knowledge.Input
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	a, err := h.svc.Create(r.Context(), httpx.Principal(r), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/articles/"+a.Number)
	w.Header().Set("ETag", etag(a.Version))
	writeJSON(w, http.StatusCreated, a)
}

func (h knowledgeAPI) get(w http.ResponseWriter, r *http.Request) {
	id, err := articleRef(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	a, err := h.svc.Get(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if notModified(w, r, a.Version) {
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (h knowledgeAPI) patch(w http.ResponseWriter, r *http.Request) {
	id, err := articleRef(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in knowledge.Input
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	a, err := h.svc.Update(r.Context(), httpx.Principal(r), id, in, ifMatch(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(a.Version))
	writeJSON(w, http.StatusOK, a)
}

func (h knowledgeAPI) versions(w http.ResponseWriter, r *http.Request) {
	id, err := articleRef(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list, err := h.svc.Versions(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (h knowledgeAPI) move(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := articleRef(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		// The article must be one the caller may see before its state is news.
		if _, err := h.svc.Get(r.Context(), httpx.Principal(r), id); err != nil {
			h.fail(w, r, err)
			return
		}
		a, err := h.svc.Move(r.Context(), httpx.Principal(r), id, action, ifMatch(r))
		if err != nil {
			h.fail(w, r, err)
			return
		}
		w.Header().Set("ETag", etag(a.Version))
		writeJSON(w, http.StatusOK, a)
	}
}

// feedbackInput is "did this help?" with an optional comment.
type feedbackInput struct {
	Helpful *bool  `json:"helpful"`
	Comment string `json:"comment"`
}

func (h knowledgeAPI) feedback(w http.ResponseWriter, r *http.Request) {
	id, err := articleRef(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in feedbackInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	if in.Helpful == nil {
		h.fail(w, r, &malformed{msg: "helpful is required: true or false", fields: map[string]string{"helpful": "is required: true or false"}})
		return
	}
	f, err := h.svc.GiveFeedback(r.Context(), httpx.Principal(r), id, *in.Helpful, in.Comment)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, f)
}

func (h knowledgeAPI) suggest(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "q", "limit")
	text := q.str("q", knowledge.MaxQuery)
	limit := 5
	if r.URL.Query().Get("limit") != "" {
		if limit = q.limit(); limit > knowledge.MaxSuggestions {
			q.fields["limit"] = "must be at most 20"
		}
	}
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	items := []knowledge.Suggestion{}
	if strings.TrimSpace(text) != "" {
		found, err := h.svc.Suggest(r.Context(), httpx.Principal(r), text, limit)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		items = append(items, found...)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (h knowledgeAPI) classify(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "title", "description")
	title, desc := q.str("title", 200), q.str("description", 100_000)
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.svc.Classify(r.Context(), httpx.Principal(r), title, desc)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}
