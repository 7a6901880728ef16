package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"steward/internal/auth"
	"steward/internal/catalog"
	"steward/internal/cmdb"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/org"
)

// registerCIRecords adds baselines, the asset reports and the asset
// record form.
func (wb *Web) registerCIRecords(rt *httpx.Router) {
	rt.Handle("GET /baselines", auth.CIRead, wb.listBaselines)
	wb.post(rt, "POST /baselines", auth.CIWrite, wb.createBaseline)
	rt.Handle("GET /baselines/{id}", auth.CIRead, wb.baselinePage)
	wb.post(rt, "POST /baselines/{id}/delete", auth.CIWrite, wb.deleteBaseline)
	rt.Handle("GET /assets/expiring", auth.CIRead, wb.expiringAssets)
	rt.Handle("GET /licences", auth.CIRead, wb.licences)
	wb.post(rt, "POST /cis/{id}/asset", auth.CIWrite, wb.putAsset)
}

type baselinesView struct {
	tx        i18n.Text
	Items     []cmdb.Baseline
	NextURL   string
	CanWrite  bool
	F         *fieldErrors // form "baseline"
	Error     string
	Types     []option
	Statuses  []cmdb.Status
	Customers []option
	TypeNames map[int64]string
	CustNames map[int64]string
}

// FilterText words how a baseline chose its CIs.
func (v baselinesView) FilterText(b cmdb.Baseline) string {
	if b.Filter == nil {
		return v.tx.T("web.cmdb_records.listed")
	}
	var parts []string
	if b.Filter.Type != "" {
		parts = append(parts, b.Filter.Type)
	} else {
		parts = append(parts, v.tx.T("web.cmdb_records.every_type"))
	}
	if b.Filter.Status != "" {
		parts = append(parts, ciStatusIn(v.tx, b.Filter.Status))
	}
	if b.Filter.CustomerID != nil {
		parts = append(parts, orID(v.CustNames[*b.Filter.CustomerID], *b.Filter.CustomerID))
	}
	return strings.Join(parts, " · ")
}

func (wb *Web) listBaselines(w http.ResponseWriter, r *http.Request) {
	wb.showBaselines(w, r, http.StatusOK, nil, "")
}

func (wb *Web) showBaselines(w http.ResponseWriter, r *http.Request, status int, f *fieldErrors, msg string) {
	ctx, tx := r.Context(), wb.clockOf(r).text()
	v := baselinesView{tx: tx, CanWrite: httpx.Principal(r).Can(auth.CIWrite), F: f, Error: msg, Statuses: cmdb.Statuses}
	pg, err := wb.CMDB.Baselines(ctx, 50, r.URL.Query().Get("cursor"))
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		v.Error, status = ciFilterText(wb.clockOf(r).text(), inv), http.StatusUnprocessableEntity
	} else if err != nil {
		wb.fail(w, r, err)
		return
	}
	v.Items = pg.Items
	if pg.NextCursor != "" {
		v.NextURL = "/baselines?" + url.Values{"cursor": {pg.NextCursor}}.Encode()
	}
	if _, v.Types, err = wb.ciTypeOptions(ctx); err != nil {
		wb.fail(w, r, err)
		return
	}
	if v.CustNames, err = org.Customers.Names(ctx, wb.DB); err != nil {
		wb.fail(w, r, err)
		return
	}
	v.Customers = namedOptions(v.CustNames)
	wb.render(w, r, status, "baselines", page{Title: "Baselines", Active: "baselines", Data: v})
}

func (wb *Web) createBaseline(w http.ResponseWriter, r *http.Request) {
	in := cmdb.NewBaseline{Name: r.PostFormValue("name"), Note: formText(r, "note"),
		Filter: &cmdb.BaselineFilter{Type: r.PostFormValue("type"), Status: cmdb.Status(r.PostFormValue("status"))}}
	bad := domainerr.NewInvalid()
	cust, ok := formID(r, "customer_id")
	if !ok {
		bad.Add("customer_id", "is not a valid choice")
	}
	in.Filter.CustomerID = cust
	err := bad.Err()
	if err == nil {
		var b cmdb.Baseline
		if b, err = wb.CMDB.CreateBaseline(r.Context(), httpx.Principal(r).Actor(), in); err == nil {
			wb.redirect(w, r, "/baselines/"+strconv.FormatInt(b.ID, 10), "saved")
			return
		}
	}
	var inv *domainerr.Invalid
	var conflict *domainerr.Conflict
	switch {
	case errors.As(err, &inv):
		errs := map[string]string{}
		for k, m := range inv.Fields {
			k = strings.TrimPrefix(k, "filter.")
			if k == "ci_ids" {
				k = "type"
			}
			errs[k] = m
		}
		wb.showBaselines(w, r, http.StatusUnprocessableEntity, &fieldErrors{Form: "baseline", Errs: errs, Values: r.PostForm}, "")
	case errors.As(err, &conflict):
		wb.showBaselines(w, r, http.StatusConflict, &fieldErrors{Form: "baseline", Errs: map[string]string{"name": conflict.Message}, Values: r.PostForm}, "")
	default:
		wb.fail(w, r, err)
	}
}

type baselineView struct {
	tx       i18n.Text
	B        cmdb.Baseline
	State    string
	States   []string
	Items    []comparedLine
	NextURL  string
	Scanned  int
	Error    string
	CanWrite bool
	Filter   string
}

// comparedLine is a compared CI with its differences as text.
type comparedLine struct {
	cmdb.ComparedCI
	Diffs []historyLine
	Rels  []string
}

func (wb *Web) baselinePage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	ctx, tx := r.Context(), wb.clockOf(r).text()
	b, err := wb.CMDB.Baseline(ctx, id)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	v := baselineView{tx: tx, B: b, State: q.Get("state"), States: []string{"drift", cmdb.Changed, cmdb.Deleted, cmdb.Added, cmdb.Unchanged, "all"},
		CanWrite: httpx.Principal(r).Can(auth.CIWrite)}
	if v.State == "" {
		v.State = "drift"
	}
	cq := cmdb.CompareQuery{Limit: 100, Cursor: q.Get("cursor")}
	switch v.State {
	case "drift":
		cq.States = []string{cmdb.Changed, cmdb.Deleted, cmdb.Added}
	case "all":
	default:
		cq.States = []string{v.State}
	}
	status := http.StatusOK
	cmp, err := wb.CMDB.Compare(ctx, id, cq)
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		v.Error, status = ciFilterText(wb.clockOf(r).text(), inv), http.StatusUnprocessableEntity
	} else if err != nil {
		wb.fail(w, r, err)
		return
	}
	v.Scanned = cmp.Scanned
	var ids []int64
	for _, c := range cmp.Items {
		for _, e := range append(append([]cmdb.Edge{}, c.RelationshipsAdded...), c.RelationshipsRemoved...) {
			ids = append(ids, e.SourceID, e.TargetID)
		}
	}
	refs, err := ciRefs(ctx, wb.DB, ids)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	edge := func(sign string, e cmdb.Edge) string {
		return sign + " " + orID(refs[e.SourceID].Name, e.SourceID) + " " + relLabelIn(tx, e.Type, true) + " " + orID(refs[e.TargetID].Name, e.TargetID)
	}
	for _, c := range cmp.Items {
		l := comparedLine{ComparedCI: c}
		var hist []cmdb.HistoryEntry
		for _, d := range c.Changes {
			old, cur := diffText(d.Old), diffText(d.New)
			hist = append(hist, cmdb.HistoryEntry{Change: cmdb.Change{Action: cmdb.ActionUpdate, Field: d.Field, Old: old, New: cur}})
		}
		if l.Diffs, err = wb.historyLines(ctx, tx, hist); err != nil {
			wb.fail(w, r, err)
			return
		}
		for _, e := range c.RelationshipsAdded {
			l.Rels = append(l.Rels, edge("+", e))
		}
		for _, e := range c.RelationshipsRemoved {
			l.Rels = append(l.Rels, edge("−", e))
		}
		v.Items = append(v.Items, l)
	}
	if cmp.NextCursor != "" {
		next := url.Values{"cursor": {cmp.NextCursor}, "state": {v.State}}
		v.NextURL = "/baselines/" + strconv.FormatInt(id, 10) + "?" + next.Encode()
	}
	custs, err := org.Customers.Names(ctx, wb.DB)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	v.Filter = baselinesView{tx: tx, CustNames: custs}.FilterText(b)
	wb.render(w, r, status, "baseline", page{Title: b.Name, Active: "baselines", Data: v})
}

// diffText writes a compared value as history shows values.
func diffText(v any) *string {
	var s string
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		s = x
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	case int64:
		s = strconv.FormatInt(x, 10)
	case bool:
		s = strconv.FormatBool(x)
	default:
		b, _ := json.Marshal(x)
		s = string(b)
	}
	return &s
}

// StateLabel words a comparison state tab.
func (v baselineView) StateLabel(s string) string {
	switch s {
	case "drift":
		return v.tx.T("web.cmdb_records.all_differences")
	case "all":
		return v.tx.T("web.cmdb_records.every_ci")
	case cmdb.Changed:
		return v.tx.T("web.cmdb_records.changed")
	case cmdb.Deleted:
		return v.tx.T("web.cmdb_records.deleted")
	case cmdb.Added:
		return v.tx.T("web.cmdb_records.added")
	}
	return v.tx.T("web.cmdb_records.unchanged")
}

func (wb *Web) deleteBaseline(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	if err := wb.CMDB.DeleteBaseline(r.Context(), httpx.Principal(r).Actor(), id); err != nil {
		wb.fail(w, r, err)
		return
	}
	wb.redirect(w, r, "/baselines", "deleted")
}

type expiringView struct {
	Items   []cmdb.Expiring
	Within  string
	Kind    string
	Until   string
	NextURL string
	Error   string
	Windows [][2]string
}

func (wb *Web) expiringAssets(w http.ResponseWriter, r *http.Request) {
	q, tx := r.URL.Query(), wb.clockOf(r).text()
	v := expiringView{Within: q.Get("within"), Kind: q.Get("kind"),
		Windows: [][2]string{{"30d", tx.T("web.cmdb_records.within_30d")}, {"90d", tx.T("web.cmdb_records.within_90d")},
			{"6m", tx.T("web.cmdb_records.within_6m")}, {"1y", tx.T("web.cmdb_records.within_1y")}}}
	if v.Within == "" {
		v.Within = cmdb.DefaultWithin
	}
	status := http.StatusOK
	pg, err := wb.CMDB.ExpiringAssets(r.Context(), cmdb.ExpiringQuery{Within: v.Within, Kind: v.Kind, Limit: 100, Cursor: q.Get("cursor")})
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		v.Error, status = ciFilterText(wb.clockOf(r).text(), inv), http.StatusUnprocessableEntity
	} else if err != nil {
		wb.fail(w, r, err)
		return
	}
	v.Items, v.Until = pg.Items, pg.Until
	if pg.NextCursor != "" {
		v.NextURL = "/assets/expiring?" + url.Values{"within": {v.Within}, "kind": {v.Kind}, "cursor": {pg.NextCursor}}.Encode()
	}
	wb.render(w, r, status, "assets_expiring", page{Title: "Expiring warranties and licences", Active: "assets", Data: v})
}

type licencesView struct {
	Items   []cmdb.Licence
	NextURL string
	Error   string
}

// Short is how many seats are missing, for over-deployed software.
func (licencesView) Short(l cmdb.Licence) int64 { return -l.Compliance }

func (wb *Web) licences(w http.ResponseWriter, r *http.Request) {
	v := licencesView{}
	status := http.StatusOK
	pg, err := wb.CMDB.Licences(r.Context(), 100, r.URL.Query().Get("cursor"))
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		v.Error, status = ciFilterText(wb.clockOf(r).text(), inv), http.StatusUnprocessableEntity
	} else if err != nil {
		wb.fail(w, r, err)
		return
	}
	v.Items = pg.Items
	if pg.NextCursor != "" {
		v.NextURL = "/licences?" + url.Values{"cursor": {pg.NextCursor}}.Encode()
	}
	wb.render(w, r, status, "licences", page{Title: "Licences", Active: "assets", Data: v})
}

// putAsset saves the asset record form of a CI's page.
func (wb *Web) putAsset(w http.ResponseWriter, r *http.Request) {
	c, ok := wb.loadCI(w, r)
	if !ok {
		return
	}
	date := func(name string) *string {
		s := strings.TrimSpace(r.PostFormValue(name))
		if s == "" {
			return nil
		}
		return &s
	}
	in := cmdb.AssetInput{AssetTag: r.PostFormValue("asset_tag"), PurchaseDate: date("purchase_date"),
		Cost: catalog.Amount(strings.TrimSpace(r.PostFormValue("cost"))), Supplier: r.PostFormValue("supplier"),
		Contract: r.PostFormValue("contract"), WarrantyEnd: date("warranty_end"), LicenceEnd: date("licence_end"),
		ChangeRef: strings.TrimSpace(r.PostFormValue("change_ref")),
		Lifecycle: &cmdb.Lifecycle{Ordered: date("ordered"), Received: date("received"), Deployed: date("deployed"),
			RetireBy: date("retire_by"), Disposed: date("disposed")}}
	bad := domainerr.NewInvalid()
	if s := strings.TrimSpace(r.PostFormValue("seats_owned")); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			bad.Add("seats_owned", "must be a whole number of seats")
		}
		in.SeatsOwned = &n
	}
	version, _ := strconv.Atoi(r.PostFormValue("version"))
	if r.PostFormValue("version") == "" {
		version = 0
	}
	err := bad.Err()
	if err == nil {
		if _, _, err = wb.CMDB.PutAsset(r.Context(), httpx.Principal(r).Actor(), c.ID, in, version); err == nil {
			wb.redirect(w, r, ciPath(c.ID), "saved")
			return
		}
	}
	var inv *domainerr.Invalid
	switch {
	case errors.As(err, &inv):
		errs := map[string]string{}
		for k, m := range inv.Fields {
			errs[strings.TrimPrefix(k, "lifecycle.")] = m
		}
		wb.showCI(w, r, http.StatusUnprocessableEntity, c.ID, "", &fieldErrors{Form: "asset", Errs: errs, Values: r.PostForm})
	case errors.Is(err, domainerr.ErrStale):
		wb.showCI(w, r, http.StatusConflict, c.ID, wb.stale(r), nil)
	default:
		wb.fail(w, r, err)
	}
}

// assetFormText is a date or amount of the asset form, as stored.
func assetFormText(p any) string {
	switch x := p.(type) {
	case *string:
		if x != nil {
			return *x
		}
	case *catalog.Cents:
		if x != nil {
			return x.String()
		}
	case *int64:
		if x != nil {
			return fmt.Sprint(*x)
		}
	}
	return ""
}

func init() { funcs["assetText"] = assetFormText }
