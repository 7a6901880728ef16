package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"steward/internal/auth"
	"steward/internal/cmdb"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/org"
)

type cisView struct {
	CanWrite   bool
	Items      []ciRow
	Q          url.Values
	Filtered   bool
	NextURL    string
	ExportURL  string
	ExportNote string
	Error      string
	Types      []option
	Statuses   []cmdb.Status
	Customers  []option
	AttrNames  []string // the attributes the type filter allows
}

// ciRow is a CI as the register lists it, with its identifying attribute.
type ciRow struct {
	cmdb.CI
	Customer string
	Key      string // e.g. "hostname web-01"
}

var ciListParams = []string{"q", "type", "status", "customer", "attr", "value"}

const ciPageSize = 50

func (wb *Web) listCIs(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	ctx, tx := r.Context(), wb.clockOf(r).text()
	q := r.URL.Query()
	v := cisView{CanWrite: p.Can(auth.CIWrite), Q: url.Values{}, Statuses: cmdb.Statuses}
	for _, k := range ciListParams {
		if s := strings.TrimSpace(q.Get(k)); s != "" && len(s) < 300 {
			v.Q.Set(k, s)
			v.Filtered = true
		}
	}
	types, typeOpts, err := wb.ciTypeOptions(ctx)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	customers, err := org.Customers.Names(ctx, wb.DB)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	v.Types, v.Customers = typeOpts, namedOptions(customers)
	v.AttrNames = attrNames(types, v.Q.Get("type"))

	f := cmdb.CIFilter{Query: v.Q.Get("q"), Limit: ciPageSize, Cursor: q.Get("cursor")}
	var bad []string
	if t := v.Q.Get("type"); t != "" {
		f.Types = []string{t}
	}
	if s := v.Q.Get("status"); s != "" {
		f.Statuses = []cmdb.Status{cmdb.Status(s)}
	}
	if s := v.Q.Get("customer"); s != "" {
		if f.CustomerID, err = strconv.ParseInt(s, 10, 64); err != nil || f.CustomerID <= 0 {
			bad = append(bad, tx.T("web.cmdb_list.customer_filter"))
		}
	}
	if a := v.Q.Get("attr"); a != "" {
		f.Attrs = map[string]string{a: v.Q.Get("value")}
	} else if v.Q.Get("value") != "" {
		bad = append(bad, tx.T("web.cmdb_list.attr_filter"))
	}
	status := http.StatusOK
	if len(bad) > 0 {
		v.Error, status = tx.T("web.cmdb_list.bad_filters", "Filters", strings.Join(bad, ", ")), http.StatusUnprocessableEntity
	} else {
		pg, err := wb.CMDB.ListCIs(ctx, f)
		var inv *domainerr.Invalid
		if errors.As(err, &inv) {
			v.Error, status = ciFilterText(tx, inv), http.StatusUnprocessableEntity
		} else if err != nil {
			wb.fail(w, r, err)
			return
		}
		byID := map[int64]*cmdb.CIType{}
		for i := range types {
			byID[types[i].ID] = &types[i]
		}
		for _, c := range pg.Items {
			row := ciRow{CI: c, Key: ciKey(byID[c.TypeID], c)}
			if c.CustomerID != nil {
				row.Customer = orID(customers[*c.CustomerID], *c.CustomerID)
			}
			v.Items = append(v.Items, row)
		}
		if pg.NextCursor != "" {
			next := cloneValues(v.Q)
			next.Set("cursor", pg.NextCursor)
			v.NextURL = "/cis?" + next.Encode()
		}
		v.ExportURL, v.ExportNote = ciExportURL(tx, v.Q)
	}
	wb.render(w, r, status, "cis", page{Title: "Configuration items", Active: "cis", Data: v})
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, vals := range q {
		out[k] = slices.Clone(vals)
	}
	return out
}

// ciFilterText words the list's validation messages by filter name.
func ciFilterText(tx i18n.Text, inv *domainerr.Invalid) string {
	var parts []string
	for k, m := range inv.Fields {
		switch {
		case strings.HasPrefix(k, "attr."):
			parts = append(parts, tx.T("web.cmdb_list.attr_error", "Name", strings.TrimPrefix(k, "attr."), "Message", m))
		case k == "cursor":
			parts = append(parts, tx.T("web.cmdb_list.cursor_error", "Message", m))
		default:
			parts = append(parts, tx.T("web.cmdb_list.filter_error", "Name", tx.Label(k), "Message", m))
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, "; ") + "."
}

// attrNames lists the attribute names a filter can use: the chosen type's,
// or every type's when none is chosen.
func attrNames(types []cmdb.CIType, chosen string) []string {
	var out []string
	for _, t := range types {
		if chosen != "" && chosen != strconv.FormatInt(t.ID, 10) && !strings.EqualFold(chosen, t.Name) {
			continue
		}
		for _, a := range t.Attributes {
			out = append(out, a.Name)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ciKey is the CI's first identifying attribute, as "name value", so a
// list tells apart CIs with similar names.
func ciKey(t *cmdb.CIType, c cmdb.CI) string {
	if t == nil {
		return ""
	}
	for _, a := range t.Attributes {
		if v, ok := c.Attributes[a.Name]; ok && a.Unique {
			return attrLabel(a.Name) + " " + attrValueText(a, v)
		}
	}
	return ""
}

// attrValueText is a stored attribute value as a form field holds it.
func attrValueText(a cmdb.Attribute, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case bool:
		return strconv.FormatBool(x)
	case string:
		return x
	}
	return cmdb.IdentifierValue(v)
}

// ciExportURL links the list as CSV with the same filters; the export
// has no attribute filter, so the note says when the list uses one.
func ciExportURL(tx i18n.Text, q url.Values) (string, string) {
	e := url.Values{}
	for _, k := range []string{"type", "status", "customer", "q"} {
		if s := q.Get(k); s != "" {
			e.Set(k, s)
		}
	}
	note := ""
	if q.Get("attr") != "" {
		note = tx.T("web.cmdb_list.export_note")
	}
	if len(e) == 0 {
		return "/cis/export.csv", note
	}
	return "/cis/export.csv?" + e.Encode(), note
}

// exportCIs streams the CIs of a type and status as CSV in the shape the
// import reads.
func (wb *Web) exportCIs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	out := &lazyDownload{w: w, name: "cis.csv", mime: "text/csv; charset=utf-8"}
	cust, _ := strconv.ParseInt(q.Get("customer"), 10, 64)
	_, err := wb.CMDB.Export(r.Context(), out, cmdb.ExportFilter{Type: q.Get("type"), Status: cmdb.Status(q.Get("status")),
		CustomerID: cust, Query: q.Get("q")}, cmdb.FormatCSV)
	switch {
	case err == nil:
		if !out.started {
			out.start()
		}
	case !out.started:
		wb.fail(w, r, err)
	default:
		// The answer is under way: the client sees a cut file, the log why.
		wb.Log.Error("web: exporting CIs", "err", err)
	}
}

// lazyDownload sets the download headers at the first write, so that an
// error found before any output can still become an error page.
type lazyDownload struct {
	w          http.ResponseWriter
	name, mime string
	started    bool
}

func (d *lazyDownload) start() {
	h := d.w.Header()
	h.Set("Content-Type", d.mime)
	h.Set("Content-Disposition", `attachment; filename="`+d.name+`"`)
	h.Set("Cache-Control", "no-store")
	d.started = true
}

func (d *lazyDownload) Write(p []byte) (int, error) {
	if !d.started {
		d.start()
	}
	return d.w.Write(p)
}
