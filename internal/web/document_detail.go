package web

import (
	"errors"
	"fmt"
	"html/template"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"steward/internal/document"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/record"
	"steward/internal/sms"
)

// versionRow is a version with what the viewer may do with it.
type versionRow struct {
	document.Version
	InForce    bool
	CanApprove bool
	Why        string // why the viewer may not approve a version awaiting approval
	Awaiting   bool   // newer than the version in force and not approved
}

// attrView is one typed field as the detail page shows it.
type attrView struct {
	Label   string
	Value   string
	Rows    [][]string
	Columns []string
}

type docView struct {
	Doc          document.Document
	Process      string
	Review       string
	Late         string
	Attrs        []attrView
	Variance     []string // a resource plan's planned against actual, in words
	Current      *document.Version
	Rendered     template.HTML
	Versions     []versionRow
	Latest       string // the newest version's text, to start the next from
	Coverage     document.Coverage
	Acked        bool // the viewer acknowledged the version in force
	CanAck       bool
	CanWrite     bool
	Successor    string
	Supersedes   []document.Document
	F            *fieldErrors
	Error        string
	ReviewMin    string // the earliest next review an approval accepts
	NextIsFirst  bool
	AwaitingDiff string // the link comparing the awaiting version with the one in force
	// Waiting is the newest version awaiting approval, for the approver to read.
	Waiting     *document.Version
	WaitingHTML template.HTML
	// KeptFile is a file uploaded with a new-version form that came back
	// for another field: the form holds on to it.
	KeptFile *document.File
	MaxMB    int64
	Number   string // the record number, DOC-000012, for links from other records
	Records  recordPanels
}

func (h documentPages) detail(w http.ResponseWriter, r *http.Request) {
	id, ok := docID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	h.showDetail(w, r, http.StatusOK, id, nil, "")
}

func (h documentPages) showDetail(w http.ResponseWriter, r *http.Request, status int, id int64, fe *fieldErrors, msg string) {
	ctx := r.Context()
	ck := h.wb.clockOf(r)
	p := httpx.Principal(r)
	d, err := document.Get(ctx, h.wb.DB, id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	today := time.Now().In(ck.loc).Format(document.DateLayout)
	v := docView{Doc: d, Review: reviewDay(ck, d.NextReview), Late: lateWords(ck, d, today), F: fe, Error: msg,
		CanWrite: p.Can(sms.PermWrite), ReviewMin: time.Now().In(ck.loc).AddDate(0, 0, 1).Format(document.DateLayout)}
	procs, err := h.processNames(r)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v.Process = procs[d.ProcessKey]
	v.MaxMB = h.wb.maxAttachment() >> 20
	v.Number = document.Number(id)
	if fe != nil && fe.Form == "version" && len(fe.Values["attachment_id"]) > 0 {
		if fid, err := strconv.ParseInt(fe.Values["attachment_id"][0], 10, 64); err == nil {
			if f, err := document.FileOf(ctx, h.wb.DB, id, fid); err == nil {
				v.KeptFile = &f
			}
		}
	}
	if v.Records, err = h.wb.panels(r, document.KindName, id, fe); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v.Attrs, v.Variance = attrViews(ck.text(), d)
	versions, err := document.Versions(ctx, h.wb.DB, id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v.NextIsFirst = len(versions) == 0
	if len(versions) > 0 {
		v.Latest = versions[0].Body
	}
	for _, ver := range versions {
		row := versionRow{Version: ver, InForce: d.CurrentVersionID != nil && ver.ID == *d.CurrentVersionID,
			Awaiting: ver.ApprovedAt == nil && ver.Number > d.CurrentNumber && d.Status != document.Retired}
		if row.InForce {
			cur := ver
			v.Current = &cur
			html, err := document.RenderMarkdown(ver.Body)
			if err != nil {
				h.wb.fail(w, r, err)
				return
			}
			v.Rendered = template.HTML(html) // goldmark without raw HTML: see document.RenderMarkdown
		}
		if row.Awaiting && v.Waiting == nil {
			waiting := ver
			v.Waiting = &waiting
			html, err := document.RenderMarkdown(ver.Body)
			if err != nil {
				h.wb.fail(w, r, err)
				return
			}
			v.WaitingHTML = template.HTML(html) // as above
		}
		if row.Awaiting {
			if row.CanApprove, row.Why, err = document.MayApprove(ctx, h.wb.DB, p, d, ver); err != nil {
				h.wb.fail(w, r, err)
				return
			}
			if v.AwaitingDiff == "" && d.CurrentNumber > 0 {
				v.AwaitingDiff = fmt.Sprintf("/documents/%d/compare?from=%d&to=%d", d.ID, d.CurrentNumber, ver.Number)
			}
		}
		v.Versions = append(v.Versions, row)
	}
	if v.Coverage, err = document.CoverageOf(ctx, h.wb.DB, d); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	for _, a := range v.Coverage.Done {
		if a.UserID == p.UserID {
			v.Acked = true
		}
	}
	v.CanAck = p.Can(sms.PermAcknowledge) && d.RequiresAck && d.Status == document.Approved && d.CurrentVersionID != nil && !v.Acked
	if d.SupersededBy != nil {
		names, err := document.Titles(ctx, h.wb.DB, []int64{*d.SupersededBy})
		if err != nil {
			h.wb.fail(w, r, err)
			return
		}
		v.Successor = orID(names[*d.SupersededBy], *d.SupersededBy)
	}
	if v.Supersedes, err = document.SupersededOf(ctx, h.wb.DB, d.ID); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.wb.render(w, r, status, "document", page{Title: d.Title, Active: "documents", Data: v})
}

// attrViews writes a document's typed fields for reading, and for a
// resource plan how actual compares with planned.
func attrViews(tx i18n.Text, d document.Document) ([]attrView, []string) {
	var out []attrView
	for _, f := range d.Type.Fields() {
		raw, ok := d.Attributes[f.Key]
		if !ok {
			continue
		}
		a := attrView{Label: f.Label}
		if f.Kind == document.RowsField {
			for _, c := range f.Columns {
				a.Columns = append(a.Columns, c.Label)
			}
			list, _ := raw.([]any)
			for _, item := range list {
				m, _ := item.(map[string]any)
				var cells []string
				for _, c := range f.Columns {
					s, _ := m[c.Key].(string)
					cells = append(cells, s)
				}
				a.Rows = append(a.Rows, cells)
			}
		} else {
			a.Value = attrText(f, raw, d.Attributes)
		}
		out = append(out, a)
	}
	var variance []string
	if d.Type == document.ResourcePlan {
		cur, _ := d.Attributes["currency"].(string)
		for _, pair := range []struct{ what, planned, actual, unit string }{
			{"staff", "staff_planned", "staff_actual", "FTE"}, {"budget", "budget_planned", "budget_actual", cur}} {
			p, ok1 := d.Attributes[pair.planned].(float64)
			a, ok2 := d.Attributes[pair.actual].(float64)
			if !ok1 || !ok2 || p == 0 {
				continue
			}
			diff := a - p
			word := "over"
			if diff < 0 {
				word, diff = "under", -diff
			}
			variance = append(variance, tx.T("web.document_detail."+pair.what+"_"+word, "Actual", number(a), "Planned", number(p),
				"Diff", number(diff), "Unit", pair.unit, "Percent", fmt.Sprintf("%.0f", 100*diff/p)))
		}
	}
	return out, variance
}

func attrText(f document.Field, raw any, all map[string]any) string {
	switch x := raw.(type) {
	case float64:
		if f.Needs == "currency" {
			cur, _ := all["currency"].(string)
			return number(x) + " " + cur
		}
		return number(x)
	case string:
		if f.Kind == document.DateField {
			if t, err := time.Parse(document.DateLayout, x); err == nil {
				return t.Format("2 Jan 2006")
			}
		}
		return x
	}
	return fmt.Sprint(raw)
}

// number writes 1234567.5 as 1,234,567.50 and 12 as 12.
func number(x float64) string {
	s := strconv.FormatFloat(x, 'f', 2, 64)
	s = strings.TrimSuffix(s, ".00")
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return b.String()
}

// addVersionRequest takes the new-version form. The page sends it as
// multipart, since it may carry a file, and that is read as it arrives so
// the file never waits in memory; a plain form is taken too.
func (h documentPages) addVersionRequest(w http.ResponseWriter, r *http.Request) {
	id, ok := docID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		h.uploadVersion(w, r, id)
		return
	}
	if !h.wb.readForm(w, r) {
		return
	}
	if p := httpx.Principal(r); p == nil || !sameToken(r.PostFormValue("csrf_token"), p.CSRFToken) {
		h.wb.errorPage(w, r, http.StatusForbidden, h.wb.clockOf(r).text().T("web.forms.expired"))
		return
	}
	h.saveVersion(w, r, id, r.PostForm)
}

// uploadVersion reads the multipart new-version form: the CSRF token
// first, checked before anything else is read, then the fields, then the
// file, which is stored with the document through the record kernel. A
// file stored while another field is wrong is kept: the form comes back
// holding it.
func (h documentPages) uploadVersion(w http.ResponseWriter, r *http.Request, id int64) {
	if err := h.wb.origin.Check(r); err != nil {
		h.wb.errorPage(w, r, http.StatusForbidden, h.wb.clockOf(r).text().T("web.forms.cross_site"))
		return
	}
	kind, ok := h.wb.Records.Kinds.Get(document.KindName)
	if !ok {
		h.wb.fail(w, r, errors.New("web: the document kind is not declared to the record kernel"))
		return
	}
	p := httpx.Principal(r)
	r.Body = http.MaxBytesReader(w, r.Body, h.wb.maxAttachment()+maxForm)
	mr, err := r.MultipartReader()
	if err != nil {
		h.wb.errorPage(w, r, http.StatusBadRequest, "")
		return
	}
	part, err := mr.NextPart()
	if err != nil || part.FormName() != "csrf_token" {
		h.wb.errorPage(w, r, http.StatusForbidden, h.wb.clockOf(r).text().T("web.forms.expired"))
		return
	}
	token, _ := io.ReadAll(io.LimitReader(part, 200))
	if p == nil || !sameToken(string(token), p.CSRFToken) {
		h.wb.errorPage(w, r, http.StatusForbidden, h.wb.clockOf(r).text().T("web.forms.expired"))
		return
	}
	vals := url.Values{}
	fileErr := ""
	tooLarge := h.wb.clockOf(r).text().T("web.records.too_large", "MB", h.wb.maxAttachment()>>20)
	for fileErr == "" {
		part, err := mr.NextPart()
		var mbe *http.MaxBytesError
		if errors.Is(err, io.EOF) {
			break
		} else if errors.As(err, &mbe) {
			fileErr = tooLarge
			break
		} else if err != nil {
			h.wb.errorPage(w, r, http.StatusBadRequest, "")
			return
		}
		switch name := part.FormName(); name {
		case "version", "body", "change_note", "attachment_id":
			b, err := io.ReadAll(io.LimitReader(part, maxForm+1))
			if err != nil || len(b) > maxForm {
				h.wb.errorPage(w, r, http.StatusRequestEntityTooLarge, "")
				return
			}
			vals.Set(name, string(b))
		case "file":
			if part.FileName() == "" {
				continue // no file chosen
			}
			att, err := h.wb.Records.Attachments.Add(r.Context(), p, kind, id, record.Upload{Filename: part.FileName(), Body: part})
			var inv *domainerr.Invalid
			switch {
			case errors.Is(err, record.ErrTooLarge), errors.As(err, &mbe):
				fileErr = tooLarge
			case errors.As(err, &inv):
				fileErr = strings.Join(sortedValues(inv.Fields), "; ")
			case err != nil:
				h.wb.fail(w, r, err)
				return
			default:
				vals.Set("attachment_id", strconv.FormatInt(att.ID, 10))
			}
		}
	}
	r.Form, r.PostForm = vals, vals
	if !h.wb.validText(w, r) {
		return
	}
	if fileErr != "" {
		h.showDetail(w, r, http.StatusUnprocessableEntity, id, &fieldErrors{Form: "version", Errs: map[string]string{"file": fileErr}, Values: vals}, "")
		return
	}
	h.saveVersion(w, r, id, vals)
}

// saveVersion writes the version the form describes.
func (h documentPages) saveVersion(w http.ResponseWriter, r *http.Request, id int64, vals url.Values) {
	ver, _ := strconv.Atoi(vals.Get("version"))
	body, note := strings.ReplaceAll(vals.Get("body"), "\r\n", "\n"), vals.Get("change_note")
	in := document.NewVersion{Body: &body, ChangeNote: &note}
	if s := vals.Get("attachment_id"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			n = -1 // the service names the field
		}
		in.AttachmentID = &n
	}
	_, err := h.svc.AddVersion(r.Context(), httpx.Principal(r).Actor(), id, in, ver)
	if err == nil {
		h.wb.redirect(w, r, "/documents/"+strconv.FormatInt(id, 10)+"#versions", "version-added")
		return
	}
	var inv *domainerr.Invalid
	var conflict *domainerr.Conflict
	switch {
	case errors.As(err, &inv):
		errs := inv.Fields
		if m, ok := errs["attachment_id"]; ok {
			errs["file"] = m
		}
		h.showDetail(w, r, http.StatusUnprocessableEntity, id, &fieldErrors{Form: "version", Errs: errs, Values: vals}, "")
	case errors.As(err, &conflict):
		h.showDetail(w, r, http.StatusConflict, id, &fieldErrors{Form: "version", Errs: map[string]string{}, Values: vals}, errText(h.wb.clockOf(r).text(), conflict.Message))
	default:
		h.wb.fail(w, r, err)
	}
}

func (h documentPages) approve(w http.ResponseWriter, r *http.Request) {
	id, ok := docID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil || n <= 0 {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	ver, _ := formVersion(r)
	review := r.PostFormValue("next_review")
	_, err = h.svc.Approve(r.Context(), httpx.Principal(r), id, n, document.Approval{NextReview: &review}, ver)
	if err == nil {
		h.wb.redirect(w, r, "/documents/"+strconv.FormatInt(id, 10), "approved")
		return
	}
	var inv *domainerr.Invalid
	var conflict *domainerr.Conflict
	form := "approve-" + strconv.Itoa(n)
	switch {
	case errors.As(err, &inv):
		h.showDetail(w, r, http.StatusUnprocessableEntity, id, &fieldErrors{Form: form, Errs: inv.Fields, Values: r.PostForm}, "")
	case errors.As(err, &conflict):
		h.showDetail(w, r, http.StatusConflict, id, nil, errText(h.wb.clockOf(r).text(), conflict.Message))
	default:
		h.wb.fail(w, r, err)
	}
}

func (h documentPages) acknowledge(w http.ResponseWriter, r *http.Request) {
	id, ok := docID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	if _, err := h.svc.Acknowledge(r.Context(), httpx.Principal(r), id); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	back := "/documents/" + strconv.FormatInt(id, 10)
	if r.PostFormValue("back") == "list" {
		back = "/documents/acknowledge"
	}
	h.wb.redirect(w, r, back, "acknowledged")
}

type compareView struct {
	Doc      document.Document
	From, To int
	Numbers  []int
	Lines    []document.DiffLine
	TooLong  bool
	// FileOnly are the compared versions that are a file without text.
	FileOnly []versionFile
}

type versionFile struct {
	Number int
	File   document.File
}

func (h documentPages) compare(w http.ResponseWriter, r *http.Request) {
	id, ok := docID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	ctx := r.Context()
	d, err := document.Get(ctx, h.wb.DB, id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	versions, err := document.Versions(ctx, h.wb.DB, id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v := compareView{Doc: d}
	bodies := map[int]string{}
	files := map[int]*document.File{}
	for _, ver := range versions {
		v.Numbers = append(v.Numbers, ver.Number)
		bodies[ver.Number], files[ver.Number] = ver.Body, ver.File
	}
	if len(versions) < 2 {
		h.wb.errorPage(w, r, http.StatusNotFound, h.wb.clockOf(r).text().T("web.document_detail.document_has_fewer"))
		return
	}
	v.To, v.From = versions[0].Number, versions[1].Number
	for _, p := range []struct {
		name string
		dst  *int
	}{{"from", &v.From}, {"to", &v.To}} {
		if s := r.URL.Query().Get(p.name); s != "" {
			n, err := strconv.Atoi(s)
			if _, ok := bodies[n]; err != nil || !ok {
				h.wb.errorPage(w, r, http.StatusNotFound, h.wb.clockOf(r).text().T("web.document_detail.no_such_version"))
				return
			}
			*p.dst = n
		}
	}
	for _, n := range []int{v.From, v.To} {
		if f := files[n]; f != nil && bodies[n] == "" && !slices.ContainsFunc(v.FileOnly, func(o versionFile) bool { return o.Number == n }) {
			v.FileOnly = append(v.FileOnly, versionFile{Number: n, File: *f})
		}
	}
	if len(v.FileOnly) == 0 {
		lines, ok := document.Diff(bodies[v.From], bodies[v.To])
		v.Lines, v.TooLong = lines, !ok
	}
	h.wb.render(w, r, http.StatusOK, "document_compare", page{Title: h.wb.clockOf(r).text().T("web.document_detail.title_compare", "Title", d.Title), Active: "documents", Data: v})
}
