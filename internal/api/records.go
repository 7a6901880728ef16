package api

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/record"
	"steward/internal/store"
)

// recordAPI serves what every declared kind shares: attachments, links,
// bulk edits, saved filters and search across kinds.
type recordAPI struct {
	*API
	k *record.Kernel
}

func (a *API) registerRecords(rt *httpx.Router) {
	h := &recordAPI{API: a, k: a.Records}
	for _, k := range h.k.Kinds.All() {
		base := "/api/v1/" + k.Path
		rt.Handle("POST "+base+"/bulk", k.Update, h.bulk(k))
		rt.Handle("GET "+base+"/{ref}/attachments", k.Read, h.listAttachments(k))
		rt.Handle("POST "+base+"/{ref}/attachments", k.Comment, h.addAttachment(k))
		rt.Handle("GET "+base+"/{ref}/links", k.Read, h.listLinks(k))
		rt.Handle("POST "+base+"/{ref}/links", k.Update, h.addLink(k))
		rt.Handle("DELETE "+base+"/{ref}/links/{id}", k.Update, h.removeLink(k))
	}
	rt.Handle("GET /api/v1/attachments/{id}", auth.Authenticated, h.download)
	rt.Handle("GET /api/v1/search", auth.Authenticated, h.search)
	rt.Handle("GET /api/v1/saved-filters", auth.Authenticated, h.listFilters)
	rt.Handle("POST /api/v1/saved-filters", auth.Authenticated, h.createFilter)
	rt.Handle("GET /api/v1/saved-filters/{id}", auth.Authenticated, h.getFilter)
	rt.Handle("PATCH /api/v1/saved-filters/{id}", auth.Authenticated, h.patchFilter)
	rt.Handle("DELETE /api/v1/saved-filters/{id}", auth.Authenticated, h.deleteFilter)
}

// ref reads the record reference in the path, or fails with 404.
func (h *recordAPI) ref(w http.ResponseWriter, r *http.Request, k *record.Kind) (int64, bool) {
	id, ok := k.ParseRef(r.PathValue("ref"))
	if !ok {
		h.fail(w, r, store.ErrNotFound)
		return 0, false
	}
	return id, true
}

func (h *recordAPI) listAttachments(k *record.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := h.ref(w, r, k)
		if !ok {
			return
		}
		list, err := h.k.Attachments.List(r.Context(), httpx.Principal(r), k, id)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, listBody(list, ""))
	}
}

// addAttachment reads a multipart body as it arrives: an optional
// comment_id part, then the file part, which is streamed to storage.
func (h *recordAPI) addAttachment(k *record.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := h.ref(w, r, k)
		if !ok {
			return
		}
		limit := h.k.Attachments.MaxSize
		if limit <= 0 {
			limit = record.DefaultMaxAttachment
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit+64<<10)
		mr, err := r.MultipartReader()
		if err != nil {
			h.fail(w, r, &malformed{msg: "send the file as multipart/form-data in a part named file"})
			return
		}
		up := record.Upload{}
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				h.fail(w, r, domainerr.Field("file", "is required: send the file in a part named file"))
				return
			}
			if err != nil {
				h.fail(w, r, uploadFault(err))
				return
			}
			switch part.FormName() {
			case "comment_id":
				raw, _ := io.ReadAll(io.LimitReader(part, 32))
				up.EntryID, err = strconv.ParseInt(strings.TrimSpace(string(raw)), 10, 64)
				if err != nil || up.EntryID <= 0 {
					h.fail(w, r, domainerr.Field("comment_id", "must be the id of a comment on this record"))
					return
				}
			case "file":
				up.Filename, up.Body = part.FileName(), part
				att, err := h.k.Attachments.Add(r.Context(), httpx.Principal(r), k, id, up)
				if err != nil {
					h.fail(w, r, uploadFault(err))
					return
				}
				w.Header().Set("Location", "/api/v1/attachments/"+strconv.FormatInt(att.ID, 10))
				writeJSON(w, http.StatusCreated, att)
				return
			}
		}
	}
}

// uploadFault names a body cut short by the size limit as the 413 it is.
func uploadFault(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &record.TooLarge{Limit: mbe.Limit}
	}
	if strings.Contains(err.Error(), "multipart") {
		return &malformed{msg: "the multipart body is not valid: " + err.Error()}
	}
	return err
}

func (h *recordAPI) download(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	att, err := h.k.Attachments.Get(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpx.ServeAttachment(w, r, h.k.Attachments, att)
}

func (h *recordAPI) listLinks(k *record.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := h.ref(w, r, k)
		if !ok {
			return
		}
		links, err := h.k.Links.ListLinks(r.Context(), httpx.Principal(r), k, id)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, listBody(links, ""))
	}
}

type linkInput struct {
	Type   string `json:"type"`
	Target string `json:"target"`
}

func (h *recordAPI) addLink(k *record.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := h.ref(w, r, k)
		if !ok {
			return
		}
		var in linkInput
		if err := decode(w, r, &in); err != nil {
			h.fail(w, r, err)
			return
		}
		l, err := h.k.Links.AddLink(r.Context(), httpx.Principal(r), k, id, in.Type, in.Target)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusCreated, l)
	}
}

func (h *recordAPI) removeLink(k *record.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := h.ref(w, r, k)
		if !ok {
			return
		}
		linkID, err := pathID(r, "id")
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if err := h.k.Links.RemoveLink(r.Context(), httpx.Principal(r), k, id, linkID); err != nil {
			h.fail(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

type bulkInput struct {
	Refs         []string       `json:"refs"`
	Set          map[string]any `json:"set"`
	AllOrNothing bool           `json:"all_or_nothing"`
}

type bulkRow struct {
	Ref    string       `json:"ref"`
	Status int          `json:"status"`
	Error  *errorDetail `json:"error,omitempty"`
}

func (h *recordAPI) bulk(k *record.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in bulkInput
		if err := decode(w, r, &in); err != nil {
			h.fail(w, r, err)
			return
		}
		results, applied, err := h.k.Kinds.Bulk(r.Context(), h.DB, httpx.Principal(r), k, in.Refs, in.Set, in.AllOrNothing)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		rows := make([]bulkRow, len(results))
		for i, res := range results {
			rows[i] = bulkRow{Ref: res.Ref, Status: http.StatusOK}
			if res.Err != nil {
				status, d := classify(res.Err)
				if status == http.StatusInternalServerError {
					h.Log.Error("api: bulk row failed", "kind", k.Name, "ref", res.Ref, "err", res.Err)
				}
				rows[i].Status, rows[i].Error = status, &d
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"results": rows, "applied": applied})
	}
}

func (h *recordAPI) search(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "q", "limit")
	words := q.str("q", 200)
	limit := q.limit()
	if strings.TrimSpace(words) == "" {
		q.fields["q"] = "is required"
	}
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	items, err := h.k.Kinds.Search(r.Context(), h.DB, httpx.Principal(r), words, limit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (h *recordAPI) listFilters(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "kind")
	kind := q.str("kind", 40)
	if err := q.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	list, err := h.k.Filters.List(r.Context(), httpx.Principal(r), kind)
	if err != nil {
		h.fail(w, r, queryFault(err))
		return
	}
	writeJSON(w, http.StatusOK, listBody(list, ""))
}

func (h *recordAPI) createFilter(w http.ResponseWriter, r *http.Request) {
	var in record.FilterInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	f, err := h.k.Filters.Create(r.Context(), httpx.Principal(r), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/saved-filters/"+strconv.FormatInt(f.ID, 10))
	w.Header().Set("ETag", etag(f.Version))
	writeJSON(w, http.StatusCreated, f)
}

func (h *recordAPI) getFilter(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f, err := h.k.Filters.Get(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(f.Version))
	writeJSON(w, http.StatusOK, f)
}

func (h *recordAPI) patchFilter(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in record.FilterInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	f, err := h.k.Filters.Update(r.Context(), httpx.Principal(r), id, in, ifMatch(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(f.Version))
	writeJSON(w, http.StatusOK, f)
}

func (h *recordAPI) deleteFilter(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.k.Filters.Delete(r.Context(), httpx.Principal(r), id); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
