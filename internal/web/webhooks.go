package web

import (
	"errors"
	"net/http"
	"strconv"

	"steward/internal/activity"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/webhook"
)

// WebhookPages are outbound webhooks' pages: the list, the form that
// subscribes or changes a receiver (webhooks.go), and a receiver's page
// with its delivery log, test, pause and resume, secret rotation and
// deletion (webhooks_detail.go). A secret is shown only in the answer to
// the form that created or rotated it, never after a redirect.
func WebhookPages(svc *webhook.Service) Pages {
	return func(wb *Web, rt *httpx.Router) {
		h := webhookWeb{wb: wb, svc: svc}
		rt.Handle("GET /webhooks", webhook.PermRead, h.list)
		rt.Handle("GET /webhooks/new", webhook.PermAdmin, h.newForm)
		wb.post(rt, "POST /webhooks", webhook.PermAdmin, h.create)
		rt.Handle("GET /webhooks/{id}", webhook.PermRead, h.show)
		rt.Handle("GET /webhooks/{id}/edit", webhook.PermAdmin, h.editForm)
		wb.post(rt, "POST /webhooks/{id}/edit", webhook.PermAdmin, h.update)
		wb.post(rt, "POST /webhooks/{id}/test", webhook.PermAdmin, h.test)
		wb.post(rt, "POST /webhooks/{id}/pause", webhook.PermAdmin, h.setPaused(true))
		wb.post(rt, "POST /webhooks/{id}/resume", webhook.PermAdmin, h.setPaused(false))
		wb.post(rt, "POST /webhooks/{id}/rotate-secret", webhook.PermAdmin, h.rotate)
		wb.post(rt, "POST /webhooks/{id}/delete", webhook.PermAdmin, h.remove)
	}
}

type webhookWeb struct {
	wb  *Web
	svc *webhook.Service
}

// webhookEvent is one kind a receiver may subscribe to, as people read it.
type webhookEvent struct {
	Kind, Label, Hint string
}

// webhookWords name the catalogue's words for each kind: web.webhooks.<slug>
// (the label) and web.webhooks.<slug>_hint.
var webhookWords = map[string]string{
	activity.RecordCreated:   "record_created",
	activity.RecordChanged:   "record_changed",
	activity.RecordCommented: "record_commented",
	activity.ApprovalDecided: "approval_decided",
	activity.SLAWarning:      "sla_warning",
	activity.SLABreach:       "sla_breach",
	activity.ProblemCreated:  "problem_created",
	activity.ProblemChanged:  "problem_changed",
	activity.ChangeCreated:   "change_created",
	activity.ChangeChanged:   "change_changed",
	activity.ReleaseCreated:  "release_created",
	activity.ReleaseChanged:  "release_changed",
}

// webhookEvents are the feed's kinds in the order of activity.EventKinds,
// in the reader's language.
func webhookEvents(tx i18n.Text) []webhookEvent {
	var out []webhookEvent
	for _, k := range activity.EventKinds {
		e := webhookEvent{Kind: k, Label: k}
		if slug, ok := webhookWords[k]; ok {
			e.Label, e.Hint = tx.T("web.webhooks."+slug), tx.T("web.webhooks."+slug+"_hint")
		}
		out = append(out, e)
	}
	return out
}

// webhookEventLabel is a kind's label; the test event and kinds without
// one read as themselves.
func webhookEventLabel(tx i18n.Text, kind string) string {
	if kind == webhook.AllEvents {
		return tx.T("web.webhooks.all_events")
	}
	if kind == webhook.KindPing {
		return tx.T("web.webhooks.test")
	}
	if slug, ok := webhookWords[kind]; ok {
		return tx.T("web.webhooks." + slug)
	}
	return kind
}

func webhookEventLabels(tx i18n.Text, kinds []string) []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = webhookEventLabel(tx, k)
	}
	return out
}

// webhookRow is one receiver in the list.
type webhookRow struct {
	webhook.Webhook
	EventLabels []string
}

func (h webhookWeb) list(w http.ResponseWriter, r *http.Request) {
	items, err := h.svc.List(r.Context())
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	rows, tx := make([]webhookRow, len(items)), h.wb.clockOf(r).text()
	for i, it := range items {
		rows[i] = webhookRow{Webhook: it.For(httpx.Principal(r)), EventLabels: webhookEventLabels(tx, it.Events)}
	}
	h.wb.render(w, r, http.StatusOK, "webhooks", page{Title: "Webhooks", Active: "webhooks", Data: rows})
}

// webhookFormView is the form that subscribes or changes a receiver.
type webhookFormView struct {
	Hook    *webhook.Webhook // nil for a new one
	Events  []webhookEvent
	Checked map[string]bool
	URL     string
	Desc    string
	Active  bool
	F       *fieldErrors
	Error   string
}

func (h webhookWeb) newForm(w http.ResponseWriter, r *http.Request) {
	h.showForm(w, r, http.StatusOK, webhookFormView{Checked: map[string]bool{webhook.AllEvents: true}, Active: true})
}

func (h webhookWeb) showForm(w http.ResponseWriter, r *http.Request, status int, v webhookFormView) {
	v.Events = webhookEvents(h.wb.clockOf(r).text())
	title := "New webhook"
	if v.Hook != nil {
		title = "Edit webhook"
	}
	h.wb.render(w, r, status, "webhook_form", page{Title: title, Active: "webhooks", Data: v})
}

// formBack is the form as the person filled it in, to show again with
// its errors.
func formBack(r *http.Request, v webhookFormView, inv *domainerr.Invalid) webhookFormView {
	v.URL, v.Desc, v.Active = r.PostFormValue("url"), r.PostFormValue("description"), r.PostFormValue("active") != ""
	v.Checked = map[string]bool{}
	for _, k := range r.PostForm["events"] {
		v.Checked[k] = true
	}
	if inv != nil {
		oneStop(inv)
		v.F = &fieldErrors{Form: "webhook", Errs: inv.Fields, Values: r.PostForm}
	}
	return v
}

func (h webhookWeb) create(w http.ResponseWriter, r *http.Request) {
	in := webhook.NewWebhook{URL: r.PostFormValue("url"), Events: r.PostForm["events"], Secret: r.PostFormValue("secret"),
		Description: r.PostFormValue("description")}
	active := r.PostFormValue("active") != ""
	in.Active = &active
	hook, err := h.svc.Create(r.Context(), httpx.Principal(r), in)
	var inv *domainerr.Invalid
	switch {
	case err == nil:
		h.showHook(w, r, hook, webhookNews{Secret: hook.Secret, Created: true})
	case errors.As(err, &inv):
		h.showForm(w, r, http.StatusUnprocessableEntity, formBack(r, webhookFormView{}, inv))
	default:
		h.wb.fail(w, r, err)
	}
}

func (h webhookWeb) editForm(w http.ResponseWriter, r *http.Request) {
	hook, ok := h.load(w, r)
	if !ok {
		return
	}
	checked := map[string]bool{}
	for _, k := range hook.Events {
		checked[k] = true
	}
	h.showForm(w, r, http.StatusOK, webhookFormView{Hook: &hook, Checked: checked, URL: hook.URL, Desc: hook.Description, Active: hook.Active})
}

func (h webhookWeb) update(w http.ResponseWriter, r *http.Request) {
	hook, ok := h.load(w, r)
	if !ok {
		return
	}
	version, ok := formVersion(r)
	if !ok {
		version = -1 // a form without its version never overwrites
	}
	u, desc, events, active := r.PostFormValue("url"), r.PostFormValue("description"), r.PostForm["events"], r.PostFormValue("active") != ""
	if events == nil {
		events = []string{}
	}
	pt := webhook.Patch{URL: &u, Description: &desc, Events: &events, Active: &active}
	if s := r.PostFormValue("secret"); s != "" {
		pt.Secret = &s
	}
	_, err := h.svc.Update(r.Context(), httpx.Principal(r), hook.ID, pt, version)
	var inv *domainerr.Invalid
	switch {
	case err == nil:
		h.wb.redirect(w, r, "/webhooks/"+strconv.FormatInt(hook.ID, 10), "webhook_saved")
	case errors.As(err, &inv):
		h.showForm(w, r, http.StatusUnprocessableEntity, formBack(r, webhookFormView{Hook: &hook}, inv))
	case errors.Is(err, domainerr.ErrStale):
		v := formBack(r, webhookFormView{Hook: &hook}, nil)
		v.Error = h.wb.stale(r)
		h.showForm(w, r, http.StatusConflict, v)
	default:
		h.wb.fail(w, r, err)
	}
}

// load reads the receiver the path names, or answers 404.
func (h webhookWeb) load(w http.ResponseWriter, r *http.Request) (webhook.Webhook, bool) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return webhook.Webhook{}, false
	}
	hook, err := h.svc.Get(r.Context(), id)
	if err != nil {
		h.wb.fail(w, r, err)
		return webhook.Webhook{}, false
	}
	return hook, true
}
