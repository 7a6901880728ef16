package web

import (
	"net/http"
	"strconv"

	"steward/internal/httpx"
	"steward/internal/ticket"
	"steward/internal/webhook"
)

// webhookNews is what only the answer to a form shows: a secret just made
// (once), or the receiver's answer to a test.
type webhookNews struct {
	Secret  string
	Created bool
	Test    *webhook.Result
}

// webhookView is a receiver's page.
type webhookView struct {
	Hook        webhook.Webhook
	EventLabels []string
	News        webhookNews
	Log         []webhookLogRow
	Older       int64 // the next page's "before", 0 on the last
	Newer       bool  // a page further back than the newest
}

// webhookLogRow is one delivery as the log shows it.
type webhookLogRow struct {
	webhook.Delivery
	Event string
	Link  string // the record the delivery is about, when it is a ticket
}

// webhookLogPage is how many deliveries one page of the log shows.
const webhookLogPage = 50

func (h webhookWeb) show(w http.ResponseWriter, r *http.Request) {
	hook, ok := h.load(w, r)
	if !ok {
		return
	}
	h.showHook(w, r, hook, webhookNews{})
}

func (h webhookWeb) showHook(w http.ResponseWriter, r *http.Request, hook webhook.Webhook, news webhookNews) {
	hook, tx := hook.For(httpx.Principal(r)), h.wb.clockOf(r).text()
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	if r.Method != http.MethodGet {
		before = 0
	}
	log, older, err := h.svc.Deliveries(r.Context(), hook.ID, webhook.LogFilter{Before: before, Limit: webhookLogPage})
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v := webhookView{Hook: hook, EventLabels: webhookEventLabels(tx, hook.Events), News: news, Older: older, Newer: before > 0}
	for _, d := range log {
		row := webhookLogRow{Delivery: d, Event: webhookEventLabel(tx, d.Kind)}
		if m, ok := ticket.Measured(ticket.Kind(d.Entity)); ok && d.Ref != "" {
			row.Link = m.Path + d.Ref
		}
		v.Log = append(v.Log, row)
	}
	hook.Secret = ""
	h.wb.render(w, r, http.StatusOK, "webhook", page{Title: h.wb.clockOf(r).text().T("web.webhooks_detail.title", "URL", hook.URL), Active: "webhooks", Data: v})
}

func (h webhookWeb) test(w http.ResponseWriter, r *http.Request) {
	hook, ok := h.load(w, r)
	if !ok {
		return
	}
	res, err := h.svc.Ping(r.Context(), httpx.Principal(r), hook.ID)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	if hook, err = h.svc.Get(r.Context(), hook.ID); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showHook(w, r, hook, webhookNews{Test: &res})
}

func (h webhookWeb) setPaused(paused bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(r)
		if !ok {
			h.wb.errorPage(w, r, http.StatusNotFound, "")
			return
		}
		if _, err := h.svc.Update(r.Context(), httpx.Principal(r), id, webhook.Patch{Paused: &paused}, 0); err != nil {
			h.wb.fail(w, r, err)
			return
		}
		flash := "webhook_resumed"
		if paused {
			flash = "webhook_paused"
		}
		h.wb.redirect(w, r, "/webhooks/"+strconv.FormatInt(id, 10), flash)
	}
}

func (h webhookWeb) rotate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	hook, err := h.svc.Update(r.Context(), httpx.Principal(r), id, webhook.Patch{RotateSecret: true}, 0)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showHook(w, r, hook, webhookNews{Secret: hook.Secret})
}

func (h webhookWeb) remove(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	if err := h.svc.Delete(r.Context(), httpx.Principal(r), id); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.wb.redirect(w, r, "/webhooks", "webhook_deleted")
}
