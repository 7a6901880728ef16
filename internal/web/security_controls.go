package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"steward/internal/csvsafe"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/infosec"
	"steward/internal/patch"
)

func (h securityPages) registerControls(rt *httpx.Router) {
	rt.Handle("GET /controls", infosec.PermControls, h.controls)
	rt.Handle("GET /controls/soa.csv", infosec.PermControls, h.soaCSV)
	rt.Handle("GET /controls/{ref}", infosec.PermControls, h.control)
	h.wb.post(rt, "POST /controls/{ref}", infosec.PermControlW, h.decide)
	h.wb.post(rt, "POST /controls/{ref}/evidence", infosec.PermControlW, h.addEvidence)
	h.wb.post(rt, "POST /controls/{ref}/evidence/{id}/delete", infosec.PermControlW, h.removeEvidence)
}

// controlTheme is one theme of Annex A with its controls.
type controlTheme struct {
	Name     string
	Controls []infosec.Control
}

type controlsView struct {
	Themes                                      []controlTheme
	Total, Decided, Applicable, Implemented, NA int
	Filter                                      string
}

// controlMatches reads the list's filter: applicability=… or status=open.
func controlMatches(r *http.Request, c infosec.Control) bool {
	q := r.URL.Query()
	if a := q.Get("applicability"); a != "" && c.Applicability != a {
		return false
	}
	if q.Get("status") == "open" && (c.Applicability != "applicable" || c.Status == "implemented") {
		return false
	}
	return true
}

func (h securityPages) controls(w http.ResponseWriter, r *http.Request) {
	cs, err := h.svc.Controls(r.Context(), httpx.Principal(r))
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v := controlsView{Total: len(cs), Filter: r.URL.Query().Get("applicability") + r.URL.Query().Get("status")}
	byTheme := map[string]int{}
	for _, c := range cs {
		switch {
		case c.Applicability == "applicable":
			v.Decided++
			v.Applicable++
			if c.Status == "implemented" {
				v.Implemented++
			}
		case c.Applicability == "not_applicable":
			v.Decided++
			v.NA++
		}
		if !controlMatches(r, c) {
			continue
		}
		i, ok := byTheme[c.Theme]
		if !ok {
			i = len(v.Themes)
			byTheme[c.Theme] = i
			v.Themes = append(v.Themes, controlTheme{Name: c.Theme})
		}
		v.Themes[i].Controls = append(v.Themes[i].Controls, c)
	}
	h.wb.render(w, r, http.StatusOK, "controls", page{Title: "Controls and Statement of Applicability", Active: "controls", Data: v})
}

// soaCSV is the Statement of Applicability as a spreadsheet.
func (h securityPages) soaCSV(w http.ResponseWriter, r *http.Request) {
	cs, err := h.svc.Controls(r.Context(), httpx.Principal(r))
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="statement-of-applicability.csv"`)
	cw := csvsafe.NewWriter(w)
	cw.Write([]string{"control", "theme", "title", "applicable", "justification", "status", "owner", "risks", "evidence"})
	for _, c := range cs {
		var risks, ev []string
		for _, x := range c.Risks {
			risks = append(risks, x.Title)
		}
		for _, e := range c.Evidence {
			ev = append(ev, e.Label+" ("+e.Target+")")
		}
		cw.Write([]string{c.Number(), c.Theme, c.Title, human(c.Applicability), c.Justification, human(c.Status), c.OwnerName,
			strings.Join(risks, "; "), strings.Join(ev, "; ")})
	}
	cw.Flush()
}

// evidenceLink is a piece of evidence with where it opens.
type evidenceLink struct {
	infosec.Evidence
	URL string
}

type controlView struct {
	C          infosec.Control
	Evidence   []evidenceLink
	CanDecide  bool
	F          *fieldErrors
	Agents     []option
	Risks      []option
	Linked     []int64
	Statuses   []string
	Applicable []string
}

// evidenceURL is where a piece of evidence opens: a record's page for a
// record number, else the page or link itself.
func (h securityPages) evidenceURL(target string) string {
	if strings.HasPrefix(target, "/") || strings.HasPrefix(target, "http") {
		return target
	}
	if h.wb.Records != nil {
		if k, id, ok := h.wb.Records.Kinds.ParseNumber(target); ok {
			return k.URL(id)
		}
	}
	return ""
}

func (h securityPages) control(w http.ResponseWriter, r *http.Request) {
	c, err := h.svc.Control(r.Context(), httpx.Principal(r), r.PathValue("ref"))
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showControl(w, r, http.StatusOK, c, nil)
}

func (h securityPages) showControl(w http.ResponseWriter, r *http.Request, status int, c infosec.Control, fe *fieldErrors) {
	p := httpx.Principal(r)
	v := controlView{C: c, CanDecide: p.Can(infosec.PermControlW), F: fe, Statuses: infosec.ControlStatuses, Applicable: infosec.Applicabilities}
	for _, e := range c.Evidence {
		v.Evidence = append(v.Evidence, evidenceLink{Evidence: e, URL: h.evidenceURL(e.Target)})
	}
	for _, x := range c.Risks {
		v.Linked = append(v.Linked, x.ID)
	}
	if v.CanDecide {
		opts, err := h.wb.formOptions(r, false)
		if err != nil {
			h.wb.fail(w, r, err)
			return
		}
		v.Agents = opts.Agents
		if v.Risks, err = riskOptions(r, h); err != nil {
			h.wb.fail(w, r, err)
			return
		}
	}
	h.wb.render(w, r, status, "control", page{Title: c.Number() + " " + c.Title, Active: "controls", Data: v})
}

// riskOptions are the open risks of the register, for linking.
func riskOptions(r *http.Request, h securityPages) ([]option, error) {
	rows, err := h.wb.DB.Query(r.Context(), `SELECT id, title, category FROM risks WHERE status <> 'closed' ORDER BY id LIMIT 500`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []option
	for rows.Next() {
		var o option
		if err := rows.Scan(&o.ID, &o.Name, &o.Note); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

func (h securityPages) decide(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("ref")
	v := domainerr.NewInvalid()
	val := func(name string) *string { s := formText(r, name); return &s }
	pt := infosec.ControlPatch{Applicability: val("applicability"), Justification: val("justification"), Status: val("status"), Notes: val("notes")}
	owner := h.wb.personID(r, v, "owner_id", agentPerson)
	pt.OwnerID = patch.Field[int64]{Set: true, Null: owner == nil}
	if owner != nil {
		pt.OwnerID.V = *owner
	}
	ids, ok := formIDs(r, "risk_ids")
	if !ok {
		v.Add("risk_ids", "choose from the list")
	}
	pt.RiskIDs = &ids
	ver, _ := formVersion(r)
	var err error
	if len(v.Fields) == 0 {
		var c infosec.Control
		if c, err = h.svc.DecideControl(r.Context(), httpx.Principal(r), ref, pt, ver); err == nil {
			h.wb.redirect(w, r, "/controls/"+c.Number(), "saved")
			return
		}
	}
	if errors.Is(err, domainerr.ErrStale) {
		h.wb.fail(w, r, err)
		return
	}
	bad, err := planMerged(v, err)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	cur, gerr := h.svc.Control(r.Context(), httpx.Principal(r), ref)
	if gerr != nil {
		h.wb.fail(w, r, gerr)
		return
	}
	h.showControl(w, r, http.StatusUnprocessableEntity, cur, &fieldErrors{Form: "control", Errs: bad.Fields, Values: r.PostForm})
}

func (h securityPages) addEvidence(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("ref")
	_, err := h.svc.AddEvidence(r.Context(), httpx.Principal(r), ref, r.PostFormValue("label"), r.PostFormValue("target"))
	if err == nil {
		h.wb.redirect(w, r, "/controls/A."+strings.TrimPrefix(ref, "A.")+"#evidence", "saved")
		return
	}
	var inv *domainerr.Invalid
	if !errors.As(err, &inv) {
		h.wb.fail(w, r, err)
		return
	}
	cur, gerr := h.svc.Control(r.Context(), httpx.Principal(r), ref)
	if gerr != nil {
		h.wb.fail(w, r, gerr)
		return
	}
	h.showControl(w, r, http.StatusUnprocessableEntity, cur, &fieldErrors{Form: "evidence", Errs: inv.Fields, Values: r.PostForm})
}

func (h securityPages) removeEvidence(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("ref")
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	if err := h.svc.RemoveEvidence(r.Context(), httpx.Principal(r), ref, id); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.wb.redirect(w, r, "/controls/A."+strings.TrimPrefix(ref, "A.")+"#evidence", "saved")
}
