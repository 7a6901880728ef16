package web

import (
	"net/http"
	"strconv"
	"strings"

	"steward/internal/httpx"
	"steward/internal/notify"
	"steward/internal/request"
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
	h.show(w, r, http.StatusOK, "approvals", page{Title: "Approvals", Active: "approvals", Data: approvalsView{Items: items}})
}

type notificationsView struct {
	Items   []notify.Notification
	Unread  bool
	NextURL string
	Any     bool
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
	v.Items = items
	for _, n := range items {
		v.Any = v.Any || n.ReadAt == nil
	}
	if next != 0 {
		v.NextURL = "/notifications?before=" + strconv.FormatInt(next, 10)
		if v.Unread {
			v.NextURL += "&unread=1"
		}
	}
	h.show(w, r, http.StatusOK, "notifications", page{Title: "Notifications", Active: "notifications", Data: v})
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
