package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/record"
	"steward/internal/store"
)

// A queue page and the API name the same filters differently: the pages
// keep short names in their links (group=3), the API and saved filters the
// API's (group_id=3). queueNames maps a page parameter to its API name.
var queueNames = map[string]string{
	"group": "group_id", "assignee": "assignee_id", "customer": "customer_id", "service": "service_id",
	"from": "created_after", "to": "created_before",
}

// tabFilters says what each fixed queue means in API terms, so that a
// filter saved from a queue keeps the queue's meaning.
var tabFilters = map[string]url.Values{
	"mine":       {"assignee_id": {"me"}, "state": {"open"}},
	"unassigned": {"assignee_id": {"none"}, "state": {"open"}},
	"major":      {"major": {"true"}, "state": {"open"}},
	"open":       {"state": {"open"}},
	"approval":   {"state": {"awaiting_approval"}},
}

// apiQuery turns a queue page's filter into a saved filter's query.
func apiQuery(page url.Values) url.Values {
	out := url.Values{}
	for k, v := range tabFilters[page.Get("view")] {
		out[k] = v
	}
	for k, vals := range page {
		if k == "view" || k == "cursor" || len(vals) == 0 || vals[0] == "" {
			continue
		}
		v := vals[0]
		if k == "major" {
			v = strconv.FormatBool(v == "yes")
		}
		if api, ok := queueNames[k]; ok {
			k = api
		}
		out.Set(k, v)
	}
	return out
}

// pageQuery turns a saved filter's query into a queue page's link.
func pageQuery(api url.Values) url.Values {
	out := url.Values{"view": {"all"}}
	short := map[string]string{}
	for k, v := range queueNames {
		short[v] = k
	}
	for k, vals := range api {
		if len(vals) == 0 {
			continue
		}
		v := vals[0]
		switch {
		case k == "state" && v == "open":
			out.Set("view", "open")
			continue
		case k == "major":
			v = map[bool]string{true: "yes", false: "no"}[v == "true"]
		}
		if s, ok := short[k]; ok {
			k = s
		}
		out.Set(k, v)
	}
	return out
}

// savedChip is a saved filter as a queue shows it: a link, and a way to
// delete it for its owner.
type savedChip struct {
	record.SavedFilter
	URL       string
	Current   bool
	CanDelete bool
}

// queueTools is what a queue offers besides its rows: saved filters,
// saving the current one, and editing the selected rows at once.
type queueTools struct {
	Kind      string
	Saved     []savedChip
	SaveQuery string // the current filter, ready to save
	Saving    bool   // the current filter is worth saving: it filters and is not saved yet
	CanShare  bool
	Bulk      bool // the caller may edit rows in bulk
	Options   formOptions
	States    []string
	Prios     []string
	Holds     []string
	Codes     []string
	CSRF      string
}

// tools loads the queue tools for kind on the page at path.
func (wb *Web) tools(r *http.Request, kind, path string, page url.Values) (queueTools, error) {
	p := httpx.Principal(r)
	k, _ := wb.Records.Kinds.Get(kind)
	t := queueTools{Kind: kind, CanShare: p.Can(auth.FilterShare), Bulk: p.Can(k.Update), CSRF: p.CSRFToken}
	current := apiQuery(page).Encode()
	t.SaveQuery = current
	saved, err := wb.Records.Filters.List(r.Context(), p, kind)
	if err != nil {
		return t, err
	}
	for k, v := range page {
		if k != "view" && k != "sort" && k != "cursor" && len(v) > 0 && v[0] != "" {
			t.Saving = true
		}
	}
	for _, f := range saved {
		q, _ := url.ParseQuery(f.Query)
		chip := savedChip{SavedFilter: f, URL: path + "?" + pageQuery(q).Encode(),
			Current: q.Encode() == current, CanDelete: f.Mine || (f.Shared && p.Role == auth.Admin)}
		t.Saving = t.Saving && !chip.Current
		t.Saved = append(t.Saved, chip)
	}
	return t, nil
}

func (wb *Web) registerQueueTools(rt *httpx.Router) {
	wb.post(rt, "POST /saved-filters", auth.Authenticated, wb.saveFilter)
	wb.post(rt, "POST /saved-filters/{id}/delete", auth.Authenticated, wb.deleteFilter)
	for _, k := range wb.Records.Kinds.All() {
		wb.post(rt, "POST /"+k.Path+"/bulk", k.Update, wb.bulkEdit(k))
	}
}

// queuePath is where the queue of a kind lives.
func queuePath(k *record.Kind) string {
	if k.Path == "incidents" {
		return "/"
	}
	return "/" + k.Path
}

func (wb *Web) saveFilter(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	kind, name, query := r.PostFormValue("kind"), r.PostFormValue("name"), r.PostFormValue("query")
	shared := r.PostFormValue("shared") == "on"
	k, ok := wb.Records.Kinds.Get(kind)
	if !ok {
		wb.errorPage(w, r, http.StatusBadRequest, "")
		return
	}
	f, err := wb.Records.Filters.Create(r.Context(), p, record.FilterInput{Kind: &kind, Name: &name, Query: &query, Shared: &shared})
	var inv *domainerr.Invalid
	switch {
	case errors.As(err, &inv):
		wb.errorPage(w, r, http.StatusUnprocessableEntity, wb.clockOf(r).text().T("web.queue_tools.filter_not_saved", "Reason", invalidText(inv)))
		return
	case err != nil:
		wb.fail(w, r, err)
		return
	}
	q, _ := url.ParseQuery(f.Query)
	page := pageQuery(q)
	target := queuePath(k)
	if len(page) > 0 {
		target += "?" + page.Encode()
	}
	wb.redirect(w, r, target, "filtered")
}

func (wb *Web) deleteFilter(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	p := httpx.Principal(r)
	f, err := wb.Records.Filters.Get(r.Context(), p, id)
	if err == nil {
		err = wb.Records.Filters.Delete(r.Context(), p, id)
	}
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	k, _ := wb.Records.Kinds.Get(f.Kind)
	wb.redirect(w, r, queuePath(k), "deleted")
}

// bulkFields are the fields a queue's bulk bar may set, with how a form
// value becomes the PATCH value.
var bulkFields = []string{"assignee_id", "group_id", "state", "priority", "hold_reason", "resolution_code"}

type bulkLine struct {
	Ref    string
	URL    string
	OK     bool
	Reason string
}

type bulkView struct {
	Kind            string
	Back            string
	Lines           []bulkLine
	Applied, Failed int
}

// bulkEdit applies the bulk bar to the rows ticked in a queue and shows
// what happened to each.
func (wb *Web) bulkEdit(k *record.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := httpx.Principal(r)
		set := map[string]any{}
		for _, f := range bulkFields {
			v := strings.TrimSpace(r.PostFormValue(f))
			switch {
			case v == "":
			case (f == "assignee_id" || f == "group_id") && v == "none":
				set[f] = nil
			case f == "assignee_id" && v == "me":
				set[f] = p.UserID
			case f == "assignee_id":
				// A chosen agent; whoever else is chosen is refused here,
				// before any row is touched.
				id, msg := wb.person(r, f, agentPerson)
				if msg != "" {
					wb.errorPage(w, r, http.StatusUnprocessableEntity, msg)
					return
				}
				set[f] = *id
			case f == "group_id":
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil || n <= 0 {
					wb.errorPage(w, r, http.StatusBadRequest, "")
					return
				}
				set[f] = n
			default:
				set[f] = v
			}
		}
		// Someone typed, where there are too many agents to list, stands
		// in for the list.
		if strings.TrimSpace(r.PostFormValue("assignee_person")) != "" {
			id, msg := wb.person(r, "assignee_person", agentPerson)
			if msg != "" {
				wb.errorPage(w, r, http.StatusUnprocessableEntity, msg)
				return
			}
			set["assignee_id"] = *id
		}
		back := r.PostFormValue("back")
		if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") {
			back = queuePath(k)
		}
		refs := r.PostForm["refs"]
		if len(refs) == 0 || len(set) == 0 {
			wb.errorPage(w, r, http.StatusUnprocessableEntity, wb.clockOf(r).text().T("web.queue_tools.tick_at_least"))
			return
		}
		results, _, err := wb.Records.Kinds.Bulk(r.Context(), wb.DB, p, k, refs, set, false)
		if err != nil {
			wb.fail(w, r, err)
			return
		}
		v := bulkView{Kind: k.Label, Back: back}
		for _, res := range results {
			line := bulkLine{Ref: res.Ref, URL: k.URL(res.ID), OK: res.Err == nil}
			if res.ID == 0 {
				line.URL = ""
			}
			if res.Err != nil {
				var known bool
				if line.Reason, known = bulkReason(wb.clockOf(r).text(), res.Err); !known {
					wb.Log.Error("web: bulk edit row", "kind", k.Name, "ref", res.Ref, "err", res.Err)
				}
				v.Failed++
			} else {
				v.Applied++
			}
			v.Lines = append(v.Lines, line)
		}
		status := http.StatusOK
		if v.Failed > 0 {
			status = http.StatusUnprocessableEntity
		}
		wb.render(w, r, status, "bulk", page{Title: wb.clockOf(r).text().T("web.queue_tools.bulk_edit"), Data: v})
	}
}

// bulkReason says why one row of a bulk edit was not applied; known is
// false for a failure that is ours rather than the row's.
func bulkReason(tx i18n.Text, err error) (reason string, known bool) {
	var inv *domainerr.Invalid
	var conflict *domainerr.Conflict
	switch {
	case errors.As(err, &inv):
		return invalidText(inv), true
	case errors.As(err, &conflict):
		return conflict.Message, true
	case errors.Is(err, store.ErrNotFound):
		return tx.T("web.queue_tools.not_found"), true
	case errors.Is(err, domainerr.ErrForbidden):
		return tx.T("web.queue_tools.forbidden"), true
	case errors.Is(err, domainerr.ErrStale):
		return tx.T("web.render.stale"), true
	}
	return tx.T("web.queue_tools.failed"), false
}
