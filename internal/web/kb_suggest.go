package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/incident"
	"steward/internal/knowledge"
	"steward/internal/patch"
)

// The suggestions: small JSON answers for kb_suggest.js, which shows the
// articles that may answer what a requester types into the new incident
// form, and to agents the category and group the classifiers suggest.
// Without the script the form links to the help articles instead.

// kbSuggestions is the answer the script reads.
type kbSuggestions struct {
	Items []knowledge.Suggestion `json:"items"`
}

func (h *kbPages) suggest(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len(q) > knowledge.MaxQuery {
		q = q[:knowledge.MaxQuery]
	}
	out := kbSuggestions{Items: []knowledge.Suggestion{}}
	if q != "" {
		found, err := h.svc.Suggest(r.Context(), httpx.Principal(r), q, 5)
		if err != nil {
			h.Log.Error("web: suggesting articles", "err", err)
			http.Error(w, "suggestions failed", http.StatusInternalServerError)
			return
		}
		out.Items = append(out.Items, found...)
	}
	writeKBJSON(w, out)
}

func (h *kbPages) classify(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	title, desc := q.Get("title"), q.Get("description")
	if len(title) > 200 {
		title = title[:200]
	}
	c, err := h.svc.Classify(r.Context(), httpx.Principal(r), title, desc)
	if err != nil {
		h.Log.Error("web: classifying an incident", "err", err)
		http.Error(w, "suggestions failed", http.StatusInternalServerError)
		return
	}
	writeKBJSON(w, c)
}

func writeKBJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(v)
}

// kbPanel is what the incident page shows of the knowledge base: the
// articles (and, for staff, known errors) that may answer the incident,
// and for agents the category and support group the classifiers suggest.
type kbPanel struct {
	Incident incident.Incident
	Items    []knowledge.Suggestion
	Staff    bool
	// Category and Group are suggestions that differ from what the
	// incident has, each applied only when the agent clicks it.
	Category *knowledge.Suggested
	Group    *knowledge.Suggested
	CSRF     string
}

// Link is where a suggestion leads; an article's link carries the
// incident, so that opening it counts for this incident.
func (v kbPanel) Link(s knowledge.Suggestion) string {
	if s.Kind != knowledge.KindName {
		return s.URL
	}
	return s.URL + "?" + url.Values{"from": {v.Incident.Number}}.Encode()
}

// incidentPanel builds the panel: for staff, the articles and known
// errors ranked together; for the requester, their help articles.
func (h *kbPages) incidentPanel(r *http.Request, inc incident.Incident) (*kbPanel, error) {
	p := httpx.Principal(r)
	if !p.Can(knowledge.PermRead) {
		return nil, nil
	}
	v := &kbPanel{Incident: inc, Staff: p.IsStaff(), CSRF: p.CSRFToken}
	found, err := h.svc.Suggest(r.Context(), p, inc.Title+"\n"+inc.Description, 5)
	if err != nil {
		return nil, err
	}
	v.Items = found
	if p.Can(incident.PermUpdate) && inc.State.Open() {
		c, err := h.svc.Classify(r.Context(), p, inc.Title, inc.Description)
		if err != nil {
			return nil, err
		}
		if c.Category != nil && !strings.EqualFold(c.Category.Value, inc.Category) {
			v.Category = c.Category
		}
		if c.Group != nil && (inc.GroupID == nil || strconv.FormatInt(*inc.GroupID, 10) != c.Group.Value) {
			v.Group = c.Group
		}
	}
	if len(v.Items) == 0 && v.Category == nil && v.Group == nil && !v.Staff {
		return nil, nil
	}
	return v, nil
}

// applySuggestion sets the category or group an agent chose from the
// suggestions; nothing is set without this click.
func (h *kbPages) applySuggestion(w http.ResponseWriter, r *http.Request) {
	inc, ok := h.loadIncident(w, r)
	if !ok {
		return
	}
	ver, ok := formVersion(r)
	if !ok {
		h.errorPage(w, r, http.StatusBadRequest, h.clockOf(r).text().T("web.kb_suggest.form_version_incident"))
		return
	}
	var pt incident.Patch
	value := strings.TrimSpace(r.PostFormValue("value"))
	switch r.PostFormValue("field") {
	case "category":
		pt.Category = &value
	case "group":
		id, err := strconv.ParseInt(value, 10, 64)
		if err != nil || id <= 0 {
			h.errorPage(w, r, http.StatusBadRequest, h.clockOf(r).text().T("web.kb_suggest.suggested_group_could"))
			return
		}
		pt.GroupID = patch.Of(id)
	default:
		h.errorPage(w, r, http.StatusBadRequest, h.clockOf(r).text().T("web.kb_suggest.form_field_set"))
		return
	}
	_, err := h.Incidents.Update(r.Context(), httpx.Principal(r), inc.ID, pt, ver)
	var inv *domainerr.Invalid
	switch {
	case err == nil:
		h.redirect(w, r, "/incidents/"+inc.Number, "kb_applied")
	case errors.As(err, &inv):
		h.showIncident(w, r, http.StatusUnprocessableEntity, inc, nil, errText(h.clockOf(r).text(), inv.Error()))
	default:
		h.fail(w, r, err)
	}
}
