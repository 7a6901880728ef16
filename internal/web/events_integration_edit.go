package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"steward/internal/domainerr"
	"steward/internal/event"
	"steward/internal/httpx"
)

// The edit form of an integration: its name and, for a broker, the
// address, topics or stream and subjects, and the payload mapping. The
// broker address is shown without its password; sent back unchanged (or
// with only the host or port changed) it keeps the stored one.

type integrationEditView struct {
	It      event.Integration
	Mapping string
	// Topics and Subjects are the broker's lists, one a line.
	Topics, Subjects string
	F                *fieldErrors
	Error            string
}

func (h integrationWeb) editForm(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	it, err := h.svc.Integration(r.Context(), id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showEdit(w, r, http.StatusOK, integrationEditView{It: it})
}

func (h integrationWeb) showEdit(w http.ResponseWriter, r *http.Request, status int, v integrationEditView) {
	v.It = v.It.Redacted()
	v.Mapping = mappingLines(v.It.Mapping)
	v.Topics, v.Subjects = strings.Join(v.It.Topics, "\n"), strings.Join(v.It.Subjects, "\n")
	h.wb.render(w, r, status, "integration_edit", page{Title: "Edit " + v.It.Name, Active: "integrations", Data: v})
}

func (h integrationWeb) update(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	cur, err := h.svc.Integration(r.Context(), id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	version, err := strconv.Atoi(r.PostFormValue("version"))
	if err != nil || version <= 0 {
		version = -1 // a form without its version never overwrites
	}
	name := r.PostFormValue("name")
	pt := event.IntegrationPatch{Name: &name}
	if cur.Kind.Broker() {
		u := r.PostFormValue("url")
		pt.URL = &u
		if cur.Kind == event.KindMQTT {
			topics := formLines(r, "topics")
			pt.Topics = &topics
		} else {
			stream, subjects := r.PostFormValue("stream"), formLines(r, "subjects")
			pt.Stream, pt.Subjects = &stream, &subjects
		}
		m, bad := parseMapping(formText(r, "mapping"))
		if bad != "" {
			h.showEdit(w, r, http.StatusUnprocessableEntity, integrationEditView{It: cur,
				F: &fieldErrors{Form: "integration", Errs: map[string]string{"mapping": bad}, Values: r.PostForm}})
			return
		}
		pt.Mapping.Set, pt.Mapping.V = true, m
	}
	_, err = h.svc.UpdateIntegration(r.Context(), httpx.Principal(r), id, pt, version)
	var inv *domainerr.Invalid
	switch {
	case err == nil:
		h.wb.redirect(w, r, "/integrations/"+strconv.FormatInt(id, 10), "integration_saved")
	case errors.As(err, &inv):
		errs := map[string]string{}
		for f, m := range inv.Fields {
			errs[strings.SplitN(f, ".", 2)[0]] = m
		}
		h.showEdit(w, r, http.StatusUnprocessableEntity, integrationEditView{It: cur,
			F: &fieldErrors{Form: "integration", Errs: errs, Values: r.PostForm}})
	case errors.Is(err, domainerr.ErrStale):
		h.showEdit(w, r, http.StatusConflict, integrationEditView{It: cur, Error: h.wb.stale(r)})
	default:
		h.wb.fail(w, r, err)
	}
}
