package web

import (
	"cmp"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/mailin"
)

// miOutcomes are the log's filters; the catalogue's
// "web.mailin_log.outcome_<outcome>" words each.
var miOutcomes = []string{"", mailin.Held, mailin.Opened, mailin.Commented, mailin.Refused, mailin.Ignored, mailin.Deferred, mailin.Discarded}

// outcomeLabel is an outcome in the reader's words; one the log does not
// know reads as its code.
func outcomeLabel(tx i18n.Text, o string) string {
	if o == "" || !slices.Contains(miOutcomes, o) {
		return o
	}
	return tx.T("web.mailin_log.outcome_" + o)
}

// miLogView is the log of incoming mail.
type miLogView struct {
	Filter  string
	Filters []miFilter
	Rows    []miRow
	NextURL string
	Error   string
	F       *fieldErrors
}

type miFilter struct {
	Label, Href string
	Current     bool
}

type miRow struct {
	mailin.Entry
	OutcomeLabel string
	Link         string // the record's page, when the message made one
	Why          string
	AcceptForm   string
}

const miPageSize = 50

func (h mailInPages) log(w http.ResponseWriter, r *http.Request) {
	h.showLog(w, r, http.StatusOK, nil, "")
}

func (h mailInPages) showLog(w http.ResponseWriter, r *http.Request, status int, f *fieldErrors, msg string) {
	q := r.URL.Query()
	filter := q.Get("outcome")
	if !slices.Contains(miOutcomes, filter) {
		filter = ""
	}
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	entries, err := h.svc.Entries(r.Context(), httpx.Principal(r), mailin.LogFilter{Outcome: filter, Before: max(before, 0), Limit: miPageSize + 1})
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	held, err := h.svc.HeldCount(r.Context(), httpx.Principal(r))
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	tx := h.wb.clockOf(r).text()
	v := miLogView{Filter: filter, Error: msg, F: f}
	for _, o := range miOutcomes {
		href, label := "/admin/incoming-mail/log", tx.T("web.mailin_log.outcome_all")
		if o != "" {
			href, label = href+"?outcome="+o, outcomeLabel(tx, o)
		}
		if o == mailin.Held && held > 0 {
			label = tx.T("web.mailin_log.held_count", "Label", label, "Count", held)
		}
		v.Filters = append(v.Filters, miFilter{Label: label, Href: href, Current: o == filter})
	}
	if len(entries) > miPageSize {
		entries = entries[:miPageSize]
		v.NextURL = "/admin/incoming-mail/log?before=" + strconv.FormatInt(entries[miPageSize-1].ID, 10)
		if filter != "" {
			v.NextURL += "&outcome=" + filter
		}
	}
	for _, e := range entries {
		v.Rows = append(v.Rows, h.row(tx, e))
	}
	title := "Incoming mail log"
	if held > 0 {
		title = tx.T("web.mailin_log.title_held", "Count", held)
	}
	h.wb.render(w, r, status, "mailin_log", page{Title: title, Active: "mailin-log", Data: v})
}

// row is an entry as the log and the message's page show it.
func (h mailInPages) row(tx i18n.Text, e mailin.Entry) miRow {
	row := miRow{Entry: e, OutcomeLabel: outcomeLabel(tx, e.Outcome), Why: e.Words(), AcceptForm: "accept-" + strconv.FormatInt(e.ID, 10)}
	if e.Record != "" {
		if k, ok := h.wb.Records.Kinds.Get(e.RecordKind); ok && e.RecordID != nil {
			row.Link = k.URL(*e.RecordID)
		}
	}
	return row
}

// miMessageView is one message of the log: why it is held or what became
// of it, its headers, text and files.
type miMessageView struct {
	Row   miRow
	Msg   *mailin.Original
	Error string
	F     *fieldErrors
}

func (h mailInPages) message(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	h.showMessage(w, r, id, http.StatusOK, nil, "")
}

func (h mailInPages) showMessage(w http.ResponseWriter, r *http.Request, id int64, status int, f *fieldErrors, msg string) {
	e, m, err := h.svc.Read(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	tx := h.wb.clockOf(r).text()
	title := tx.T("web.mailin_log.title_message", "Sender", cmp.Or(e.Sender, tx.T("web.mailin_log.no_sender")))
	h.wb.render(w, r, status, "mailin_message", page{Title: title, Active: "mailin-log", Data: miMessageView{Row: h.row(tx, e), Msg: m, Error: msg, F: f}})
}

func (h mailInPages) accept(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	_, err := h.svc.Accept(r.Context(), httpx.Principal(r), id, r.PostFormValue("requester"))
	h.decided(w, r, id, "accept-"+strconv.FormatInt(id, 10), "mailin-accepted", err)
}

func (h mailInPages) discard(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	h.decided(w, r, id, "", "mailin-discarded", h.svc.Discard(r.Context(), httpx.Principal(r), id))
}

// decided answers an agent's decision on a held message: back to the held
// list, or the page the decision came from (the list or the message)
// again with what was wrong.
func (h mailInPages) decided(w http.ResponseWriter, r *http.Request, id int64, form, flash string, err error) {
	onMessage := r.PostFormValue("from") == "message"
	var inv *domainerr.Invalid
	var conflict *domainerr.Conflict
	r.URL.RawQuery = "outcome=" + mailin.Held
	switch {
	case err == nil:
		h.wb.redirect(w, r, "/admin/incoming-mail/log?outcome=held", flash)
	case errors.As(err, &inv):
		oneStop(inv)
		f := &fieldErrors{Form: form, Errs: inv.Fields, Values: r.PostForm}
		if onMessage {
			h.showMessage(w, r, id, http.StatusUnprocessableEntity, f, "")
			return
		}
		h.showLog(w, r, http.StatusUnprocessableEntity, f, "")
	case errors.As(err, &conflict) && onMessage:
		h.showMessage(w, r, id, http.StatusConflict, nil, errText(h.wb.clockOf(r).text(), conflict.Message))
	case errors.As(err, &conflict):
		h.showLog(w, r, http.StatusConflict, nil, errText(h.wb.clockOf(r).text(), conflict.Message))
	default:
		h.wb.fail(w, r, err)
	}
}

// oneStop leaves each field's message without a closing full stop: the
// page's errtext makes it a sentence and adds the one full stop, and a
// message the domain wrote as a sentence would otherwise end in two.
func oneStop(inv *domainerr.Invalid) {
	for f, m := range inv.Fields {
		inv.Fields[f] = strings.TrimSuffix(strings.TrimSpace(m), ".")
	}
}
