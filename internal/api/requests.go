package api

import (
	"context"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/notify"
	"steward/internal/org"
	"steward/internal/patch"
	"steward/internal/request"
	"steward/internal/store"
)

// requestAPI serves the request catalogue, service requests with their
// approvals and tasks, managers (who approve for the people they manage)
// and the caller's notifications.
type requestAPI struct {
	*API
	svc *request.Service
}

// RequestRoutes are request fulfilment's API routes: requests, their tasks and approvals, and the request catalogue.
var RequestRoutes Routes = (*API).registerRequests

func (a *API) registerRequests(rt *httpx.Router) {
	h := &requestAPI{API: a, svc: a.Requests}
	rt.Handle("GET /api/v1/catalog/items", request.PermCatalogRead, h.listItems)
	rt.Handle("POST /api/v1/catalog/items", request.PermCatalogWrite, h.createItem)
	rt.Handle("GET /api/v1/catalog/items/{id}", request.PermCatalogRead, h.getItem)
	rt.Handle("PATCH /api/v1/catalog/items/{id}", request.PermCatalogWrite, h.patchItem)
	rt.Handle("DELETE /api/v1/catalog/items/{id}", request.PermCatalogWrite, h.deleteItem)

	rt.Handle("POST /api/v1/requests", request.PermCreate, h.createRequest)
	rt.Handle("GET /api/v1/requests", request.PermRead, h.listRequests)
	(&kindAPI[request.Request, request.Patch, request.Entry]{a: a, kind: h.svc.Kind(), ref: request.ParseRef,
		get: h.svc.Get, update: h.svc.Update, journal: h.svc.Journal,
		version: func(req request.Request) int { return req.Version },
		answer: func(w http.ResponseWriter, r *http.Request, status int, req request.Request) {
			w.Header().Set("ETag", etag(req.Version))
			h.requestOut(w, r, status, req)
		}}).routes(rt)
	rt.Handle("POST /api/v1/requests/{ref}/cancel", request.PermCreate, h.moveRequest(h.svc.Cancel))
	rt.Handle("POST /api/v1/requests/{ref}/reopen", request.PermCreate, h.moveRequest(h.svc.Reopen))
	rt.Handle("POST /api/v1/requests/{ref}/comments", request.PermComment, h.commentRequest)
	rt.Handle("GET /api/v1/requests/{ref}/approvals", request.PermRead, h.requestApprovals)
	rt.Handle("POST /api/v1/requests/{ref}/approvals/{id}/approve", request.PermApprove, h.decide(true))
	rt.Handle("POST /api/v1/requests/{ref}/approvals/{id}/reject", request.PermApprove, h.decide(false))
	rt.Handle("GET /api/v1/requests/{ref}/tasks", request.PermRead, h.requestTasks)
	rt.Handle("POST /api/v1/requests/{ref}/tasks", request.PermUpdate, h.addTask)
	rt.Handle("PATCH /api/v1/requests/{ref}/tasks/{id}", request.PermUpdate, h.patchTask)
	rt.Handle("GET /api/v1/approvals", request.PermApprove, h.pendingApprovals)

	rt.Handle("GET /api/v1/users/{id}/manager", auth.UserRead, h.getManager)
	rt.Handle("PUT /api/v1/users/{id}/manager", auth.UserWrite, h.putManager)

	rt.Handle("GET /api/v1/notifications", auth.NotificationOwn, h.listNotifications)
	rt.Handle("POST /api/v1/notifications/{id}/read", auth.NotificationOwn, h.readNotification)
	rt.Handle("POST /api/v1/notifications/read-all", auth.NotificationOwn, h.readAllNotifications)
}

// afterCursor is the opaque cursor of lists paged by id.
func afterCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("id:" + strconv.FormatInt(id, 10)))
}

func (q *query) afterID() int64 {
	s := q.str("cursor", 100)
	if s == "" {
		return 0
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	id, perr := strconv.ParseInt(strings.TrimPrefix(string(b), "id:"), 10, 64)
	if err != nil || !strings.HasPrefix(string(b), "id:") || perr != nil || id <= 0 {
		q.fields["cursor"] = "is not a cursor from a previous page of this list"
	}
	return id
}

// optionalBody decodes a body when one was sent: the small action routes
// (cancel, reopen, approve) may be called with none.
func optionalBody(w http.ResponseWriter, r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return decode(w, r, v)
}

func (h *requestAPI) listItems(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "service_id", "active", "limit", "cursor")
	f := request.ItemFilter{ServiceID: q.int64("service_id"), Active: q.boolean("active"), After: q.afterID(), Limit: q.limit() + 1}
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	items, err := h.svc.ListItems(r.Context(), httpx.Principal(r), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	next := ""
	if len(items) == f.Limit {
		items = items[:f.Limit-1]
		next = afterCursor(items[len(items)-1].ID)
	}
	writeJSON(w, http.StatusOK, listBody(items, next))
}

func (h *requestAPI) createItem(w http.ResponseWriter, r *http.Request) {
	var in request.NewItem
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	it, err := h.svc.CreateItem(r.Context(), httpx.Principal(r), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/catalog/items/"+strconv.FormatInt(it.ID, 10))
	w.Header().Set("ETag", etag(it.Version))
	writeJSON(w, http.StatusCreated, it)
}

func (h *requestAPI) getItem(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	it, err := h.svc.GetItem(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(it.Version))
	writeJSON(w, http.StatusOK, it)
}

func (h *requestAPI) patchItem(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var pt request.ItemPatch
	if err := decode(w, r, &pt); err != nil {
		h.fail(w, r, err)
		return
	}
	it, err := h.svc.UpdateItem(r.Context(), httpx.Principal(r), id, pt, ifMatch(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(it.Version))
	writeJSON(w, http.StatusOK, it)
}

func (h *requestAPI) deleteItem(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.svc.DeleteItem(r.Context(), httpx.Principal(r), id); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *requestAPI) createRequest(w http.ResponseWriter, r *http.Request) {
	var in request.NewRequest
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	idem, err := h.idempotency(r, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if idem.replay(w) {
		return
	}
	var out RequestWithSLA
	req, err := h.svc.Submit(r.Context(), httpx.Principal(r), in, h.requestHook(r, idem, &out))
	if idem.raced(err) && idem.replay(w) {
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/requests/"+req.Number)
	w.Header().Set("ETag", etag(req.Version))
	writeJSON(w, http.StatusCreated, out)
}

func (h *requestAPI) listRequests(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "state", "priority", "group_id", "assignee_id", "customer_id", "requester_id",
		"service_id", "item_id", "q", "sort", "limit", "cursor")
	f := request.Filter{
		ItemID: q.int64("item_id"),
		Limit:  q.limit(),
		Cursor: q.str("cursor", 300),
	}.With(ticketQuery(q, request.ListFields))
	listPageAs(h.API, w, r, q, f, h.svc.List, h.requestsWithSLA)
}

func requestRef(r *http.Request) (int64, error) {
	id, ok := request.ParseRef(r.PathValue("ref"))
	if !ok {
		return 0, store.ErrNotFound
	}
	return id, nil
}

type reasonInput struct {
	Reason string `json:"reason"`
}

// moveRequest serves cancel and reopen, which requesters may call on
// their own requests.
func (h *requestAPI) moveRequest(move func(ctx context.Context, p *auth.Principal, id int64, reason string, ifVersion int) (request.Request, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := requestRef(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		var in reasonInput
		if err := optionalBody(w, r, &in); err != nil {
			h.fail(w, r, err)
			return
		}
		req, err := move(r.Context(), httpx.Principal(r), id, in.Reason, ifMatch(r))
		if err != nil {
			h.fail(w, r, err)
			return
		}
		w.Header().Set("ETag", etag(req.Version))
		h.requestOut(w, r, http.StatusOK, req)
	}
}

func (h *requestAPI) commentRequest(w http.ResponseWriter, r *http.Request) {
	id, err := requestRef(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in commentInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	if in.Kind == "" {
		in.Kind = "comment"
	}
	if in.Kind != "comment" && in.Kind != "work_note" {
		h.fail(w, r, domainerr.Field("kind", "must be comment or work_note"))
		return
	}
	createOnce(h.API, w, r, in, func(keep func(context.Context, *store.Tx, request.Entry) error) (request.Entry, error) {
		return h.svc.AddComment(r.Context(), httpx.Principal(r), id, in.Body, in.Kind == "comment", keep)
	}, func(e request.Entry) { writeJSON(w, http.StatusCreated, e) })
}

func (h *requestAPI) requestApprovals(w http.ResponseWriter, r *http.Request) {
	id, err := requestRef(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list, err := h.svc.Approvals(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listBody(list, ""))
}

type decisionInput struct {
	Comment string `json:"comment"`
}

func (h *requestAPI) decide(approve bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := requestRef(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		approval, err := pathID(r, "id")
		if err != nil {
			h.fail(w, r, err)
			return
		}
		var in decisionInput
		if err := optionalBody(w, r, &in); err != nil {
			h.fail(w, r, err)
			return
		}
		a, err := h.svc.Decide(r.Context(), httpx.Principal(r), id, approval, approve, in.Comment)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, a)
	}
}

func (h *requestAPI) pendingApprovals(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "limit")
	limit := q.limit()
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	list, err := h.svc.PendingFor(r.Context(), httpx.Principal(r), limit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listBody(list, ""))
}

func (h *requestAPI) requestTasks(w http.ResponseWriter, r *http.Request) {
	id, err := requestRef(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list, err := h.svc.Tasks(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listBody(list, ""))
}

func (h *requestAPI) addTask(w http.ResponseWriter, r *http.Request) {
	id, err := requestRef(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in request.NewTask
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	t, err := h.svc.AddTask(r.Context(), httpx.Principal(r), id, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(t.Version))
	writeJSON(w, http.StatusCreated, t)
}

func (h *requestAPI) patchTask(w http.ResponseWriter, r *http.Request) {
	id, err := requestRef(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	task, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var pt request.TaskPatch
	if err := decode(w, r, &pt); err != nil {
		h.fail(w, r, err)
		return
	}
	t, err := h.svc.UpdateTask(r.Context(), httpx.Principal(r), id, task, pt, ifMatch(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(t.Version))
	writeJSON(w, http.StatusOK, t)
}

func (h *requestAPI) getManager(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	m, err := org.GetManager(r.Context(), h.DB, httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

type managerInput struct {
	ManagerID patch.Field[int64] `json:"manager_id"`
}

func (h *requestAPI) putManager(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in managerInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	if !in.ManagerID.Set {
		h.fail(w, r, domainerr.Field("manager_id", "is required: a user id, or null to remove the manager"))
		return
	}
	m, err := request.SetManager(r.Context(), h.DB, httpx.Principal(r), id, in.ManagerID.Ptr())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

func (h *requestAPI) listNotifications(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "unread", "limit", "cursor")
	f := notify.Filter{Before: q.afterID(), Limit: q.limit()}
	if u := q.boolean("unread"); u != nil {
		f.Unread = *u
	}
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	list, next, err := notify.List(r.Context(), h.DB, httpx.Principal(r).UserID, f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	cur := ""
	if next != 0 {
		cur = afterCursor(next)
	}
	writeJSON(w, http.StatusOK, listBody(list, cur))
}

func (h *requestAPI) readNotification(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	n, err := notify.MarkRead(r.Context(), h.DB, httpx.Principal(r).UserID, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, n)
}

type markedBody struct {
	Marked int64 `json:"marked"`
}

func (h *requestAPI) readAllNotifications(w http.ResponseWriter, r *http.Request) {
	n, err := notify.MarkAllRead(r.Context(), h.DB, httpx.Principal(r).UserID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, markedBody{Marked: n})
}
