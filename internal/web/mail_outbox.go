package web

import (
	"net/http"
	"slices"
	"strconv"

	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/mail"
)

// MailPages are outgoing mail's pages: the outbox for administrators
// (mail_outbox.go), each person's mail settings (mail_settings.go) and the
// password-reset pages (mail_reset.go).
func MailPages(svc *mail.Service) Pages {
	return func(wb *Web, rt *httpx.Router) {
		h := mailPages{wb: wb, svc: svc}
		rt.Handle("GET /admin/mail", mail.PermAdmin, h.outbox)
		rt.Handle("GET /admin/mail/{id}", mail.PermAdmin, h.message)
		wb.post(rt, "POST /admin/mail/{id}/retry", mail.PermAdmin, h.retry)
		h.registerSettings(rt)
		h.registerReset(rt)
	}
}

type mailPages struct {
	wb  *Web
	svc *mail.Service
}

type mailTab struct {
	Label, Href string
	Count       int
	Current     bool
}

// mailRow is one message of the list with its codes as words.
type mailRow struct {
	mail.Message
	KindLabel, StateLabel string
}

type mailOutboxView struct {
	Configured bool
	Server     string
	From       string
	Tabs       []mailTab
	State      string
	Items      []mailRow
	NextURL    string
	CSRF       string
}

// mailStateLabel names a state as the page reads it.
func mailStateLabel(tx i18n.Text, state string) string { return tx.T("web.mail_outbox.state_" + state) }

func (h mailPages) outbox(w http.ResponseWriter, r *http.Request) {
	state := r.URL.Query().Get("state")
	if state != "" && !slices.Contains(mail.States, state) {
		state = ""
	}
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	items, next, err := h.svc.List(r.Context(), mail.Filter{State: state, Before: max(before, 0), Limit: 50})
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	counts, err := h.svc.Counts(r.Context())
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	tx := h.wb.clockOf(r).text()
	v := mailOutboxView{Configured: h.svc.Configured(), Server: h.svc.Server(), From: h.svc.Cfg.MailFrom, State: state,
		CSRF: httpx.Principal(r).CSRFToken}
	for _, m := range items {
		v.Items = append(v.Items, mailRow{Message: m, KindLabel: mailKindLabel(tx, m.Kind), StateLabel: mailStateLabel(tx, m.State)})
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	v.Tabs = append(v.Tabs, mailTab{Label: tx.T("web.mail_outbox.all"), Href: "/admin/mail", Count: total, Current: state == ""})
	for _, s := range mail.States {
		v.Tabs = append(v.Tabs, mailTab{Label: mailStateLabel(tx, s), Href: "/admin/mail?state=" + s, Count: counts[s], Current: state == s})
	}
	if next > 0 {
		v.NextURL = "/admin/mail?before=" + strconv.FormatInt(next, 10)
		if state != "" {
			v.NextURL += "&state=" + state
		}
	}
	h.wb.render(w, r, http.StatusOK, "mail_outbox", page{Title: "Outgoing mail", Active: "mail-outbox", Data: v})
}

type mailMessageView struct {
	M       mailRow
	Headers [][2]string
	CSRF    string
}

func (h mailPages) message(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	m, err := h.svc.Get(r.Context(), id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	tx := h.wb.clockOf(r).text()
	v := mailMessageView{M: mailRow{Message: m, KindLabel: mailKindLabel(tx, m.Kind), StateLabel: mailStateLabel(tx, m.State)}, CSRF: httpx.Principal(r).CSRFToken}
	from := h.svc.Cfg.MailFrom
	if from == "" {
		from = tx.T("web.mail_outbox.from_unset")
	}
	v.Headers = append([][2]string{{"From", from}, {"To", m.ToLabel()}, {"Subject", m.Subject}, {"Message-ID", m.MessageID}}, m.Headers...)
	h.wb.render(w, r, http.StatusOK, "mail_message", page{Title: tx.T("web.mail_outbox.title", "ID", id), Active: "mail-outbox", Data: v})
}

func (h mailPages) retry(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	if _, err := h.svc.Retry(r.Context(), httpx.Principal(r).Actor(), id); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.wb.redirect(w, r, "/admin/mail/"+strconv.FormatInt(id, 10), "mail_retried")
}

// mailKindLabel is what a message is about, in the reader's words.
func mailKindLabel(tx i18n.Text, kind string) string {
	return tx.Or("web.mail_outbox.kind_"+kind, mail.KindLabel(kind))
}
