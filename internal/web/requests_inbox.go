package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/incident"
	"steward/internal/notify"
	"steward/internal/request"
	"steward/internal/store"
)

type approvalsView struct {
	Items []request.PendingApproval
}

// approvals lists what the signed-in user must decide.
func (h *requestPages) approvals(w http.ResponseWriter, r *http.Request) {
	items, err := h.svc.PendingFor(r.Context(), httpx.Principal(r), request.MaxLimit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.show(w, r, http.StatusOK, "approvals", page{Title: h.clockOf(r).text().T("web.requests_inbox.approvals"), Active: "approvals", Data: approvalsView{Items: items}})
}

type notificationsView struct {
	Items   []noteLine
	Unread  bool
	NextURL string
	Any     bool
}

// noteLine is a notification with, when it asks the reader to confirm an
// incident's resolution that still waits for it, the incident to answer on.
type noteLine struct {
	notify.Notification
	Answer *incident.Incident
}

// notifications lists the signed-in user's notifications, newest first.
func (h *requestPages) notifications(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := notificationsView{Unread: q.Get("unread") == "1"}
	f := notify.Filter{Unread: v.Unread, Limit: 50}
	if b, err := strconv.ParseInt(q.Get("before"), 10, 64); err == nil && b > 0 {
		f.Before = b
	}
	items, next, err := notify.List(r.Context(), h.DB, httpx.Principal(r).UserID, f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	answered := map[int64]bool{} // only the newest notice of an incident asks
	for _, n := range items {
		v.Any = v.Any || n.ReadAt == nil
		line := noteLine{Notification: n}
		if line.Answer, err = h.awaitingAnswer(r, n); err != nil {
			h.fail(w, r, err)
			return
		}
		if line.Answer != nil {
			if answered[line.Answer.ID] {
				line.Answer = nil
			} else {
				answered[line.Answer.ID] = true
			}
		}
		v.Items = append(v.Items, line)
	}
	if next != 0 {
		v.NextURL = "/notifications?before=" + strconv.FormatInt(next, 10)
		if v.Unread {
			v.NextURL += "&unread=1"
		}
	}
	h.show(w, r, http.StatusOK, "notifications", page{Title: "Notifications", Active: "notifications", Data: v})
}

// awaitingAnswer is the incident a resolution notice is about, when the
// reader may still confirm or reopen it; nil when it has moved on, or is
// gone or out of sight.
func (h *requestPages) awaitingAnswer(r *http.Request, n notify.Notification) (*incident.Incident, error) {
	p := httpx.Principal(r)
	if n.Kind != incident.KindResolved || !p.Can(incident.PermCreate) {
		return nil, nil
	}
	id, ok := incident.ParseRef(strings.TrimPrefix(n.Link, "/incidents/"))
	if !ok {
		return nil, nil
	}
	inc, err := h.Incidents.Get(r.Context(), p, id)
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, domainerr.ErrForbidden):
		return nil, nil
	case err != nil:
		return nil, err
	case inc.State != incident.Resolved:
		return nil, nil
	}
	return &inc, nil
}

// readNotification marks one notification read and, when asked to, goes
// where it points (only ever a path on this site).
func (h *requestPages) readNotification(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	n, err := notify.MarkRead(r.Context(), h.DB, httpx.Principal(r).UserID, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if r.PostFormValue("open") == "1" && strings.HasPrefix(n.Link, "/") && !strings.HasPrefix(n.Link, "//") && !strings.Contains(n.Link, `\`) {
		http.Redirect(w, r, n.Link, http.StatusSeeOther)
		return
	}
	h.redirect(w, r, "/notifications", "read")
}

func (h *requestPages) readAllNotifications(w http.ResponseWriter, r *http.Request) {
	if _, err := notify.MarkAllRead(r.Context(), h.DB, httpx.Principal(r).UserID); err != nil {
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, "/notifications", "read")
}
