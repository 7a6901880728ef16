package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"steward/internal/auth"
	"steward/internal/dashboard"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/sms"
)

// DashboardPages are the dashboards (everyone signed in, requesters with
// their organisation's figures), their editor, the KPI definitions and
// the produced reports' files.
func DashboardPages(s *dashboard.Service) Pages {
	return func(wb *Web, rt *httpx.Router) {
		h := dashPages{wb: wb, s: s, rt: rt}
		rt.Handle("GET /dashboard", dashboard.PermRead, h.board)
		rt.Handle("GET /dashboard/edit", dashboard.PermArrange, h.editor)
		wb.post(rt, "POST /dashboard/edit", dashboard.PermArrange, h.arrange)
		rt.Handle("GET /kpi-definitions", sms.PermRead, h.definitions)
		rt.Handle("GET /kpi-definitions/new", dashboard.PermKPIWrite, h.newDefinition)
		wb.post(rt, "POST /kpi-definitions", dashboard.PermKPIWrite, h.createDefinition)
		rt.Handle("GET /kpi-definitions/{key}", sms.PermRead, h.definition)
		wb.post(rt, "POST /kpi-definitions/{key}", dashboard.PermKPIWrite, h.updateDefinition)
		wb.post(rt, "POST /kpi-definitions/{key}/delete", dashboard.PermKPIWrite, h.deleteDefinition)
		rt.Handle("GET /report-runs/{id}/file", dashboard.PermReportFile, h.runFile)
	}
}

type dashPages struct {
	wb *Web
	s  *dashboard.Service
	rt *httpx.Router // to leave out the links a reader may not follow
}

// dashTile is a tile as the page draws it.
type dashTile struct {
	Key, Title, Figure, Link, Period, Based, Target string
	// Status is "on", "off" or "" (no target or no figure).
	Status string
	// Chart feeds the chart: period starts (Unix seconds), values ("" for
	// no data), comma-separated.
	ChartX, ChartY string
	Unit           string
	TargetValue    string
	HigherIsBetter bool
	NoData         bool
}

type dashView struct {
	Board    dashboard.Board
	Choices  []dashboard.BoardRef
	Tiles    []dashTile
	CanEdit  bool
	Customer string
	ShowDefs bool
}

func (h dashPages) board(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := httpx.Principal(r)
	v := dashboard.ViewerOf(p)
	key := r.URL.Query().Get("board")
	var err error
	if key == "" {
		if key, err = h.s.DefaultBoard(ctx, v); err != nil {
			h.wb.fail(w, r, err)
			return
		}
	}
	b, err := h.s.Board(ctx, v, key)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	choices, err := h.s.Choices(ctx, v)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	if !slices.ContainsFunc(choices, func(c dashboard.BoardRef) bool { return c.Key == dashboard.Mine }) && p.Can(dashboard.PermArrange) {
		choices = append([]dashboard.BoardRef{{Key: dashboard.Mine, Name: h.wb.clockOf(r).text().T("web.dash_pages.mine")}}, choices...)
	}
	view := dashView{Board: b, Choices: choices, ShowDefs: p.Can(sms.PermRead),
		CanEdit: p.Can(dashboard.PermArrange) && (key == dashboard.Mine || p.Can(dashboard.PermKPIWrite))}
	if b.CustomerID != 0 {
		if err := h.wb.DB.QueryRow(ctx, "SELECT name FROM customers WHERE id = ?", b.CustomerID).Scan(&view.Customer); err != nil {
			h.wb.fail(w, r, err)
			return
		}
	}
	for _, t := range b.Tiles {
		tile := tileOf(t, h.s.PeriodLabel)
		if !h.mayFollow(p, tile.Link) {
			// A requester does not read the satisfaction or SLA
			// reports: their figure stays, without a link that would
			// answer "forbidden".
			tile.Link = ""
		}
		view.Tiles = append(view.Tiles, tile)
	}
	h.wb.render(w, r, http.StatusOK, "dash_board", page{Title: h.wb.clockOf(r).text().T("web.dash_pages.title"), Active: "dashboard", Data: view})
}

// mayFollow reports whether p may open the page link points at.
func (h dashPages) mayFollow(p *auth.Principal, link string) bool {
	path, _, _ := strings.Cut(link, "?")
	if path == "" {
		return false
	}
	perm, ok := h.rt.PermissionFor(http.MethodGet, path)
	return ok && p.Can(perm)
}

func tileOf(t dashboard.Tile, label func(period string, start time.Time) string) dashTile {
	d := t.Def
	rd := dashboard.Read(d, t.Latest)
	out := dashTile{Key: d.Key, Title: d.Title, Figure: rd.Figure, Based: rd.Basis, NoData: rd.NoData, Target: d.TargetText(), Unit: d.Unit,
		HigherIsBetter: d.HigherIsBetter}
	if d.Target != nil {
		out.TargetValue = strconv.FormatFloat(*d.Target, 'f', -1, 64)
	}
	if l := t.Latest; l != nil {
		out.Link = l.Link
		out.Period = label(d.Period, l.PeriodStart)
		if !l.Closed {
			out.Period += " so far"
		}
	}
	if t.OnTarget != nil && !rd.NoData {
		out.Status = "off"
		if *t.OnTarget {
			out.Status = "on"
		}
	}
	xs, ys := make([]string, len(t.Trend)), make([]string, len(t.Trend))
	for i, p := range t.Trend {
		xs[i] = strconv.FormatInt(p.PeriodStart.Unix(), 10)
		if !p.NoData() {
			ys[i] = strconv.FormatFloat(p.Value, 'f', 2, 64)
		}
	}
	out.ChartX, out.ChartY = strings.Join(xs, ","), strings.Join(ys, ",")
	return out
}

// dashEditView is the editor of one dashboard.
type dashEditView struct {
	Key, Name string
	Tiles     []dashboard.Definition
	Offered   []dashboard.Definition
	Choices   []dashboard.BoardRef
	Error     string
	Own       bool
	Last      int // the last tile's index
}

func (h dashPages) editor(w http.ResponseWriter, r *http.Request) {
	h.showEditor(w, r, http.StatusOK, r.URL.Query().Get("board"), "")
}

func (h dashPages) showEditor(w http.ResponseWriter, r *http.Request, status int, key, msg string) {
	ctx := r.Context()
	p := httpx.Principal(r)
	v := dashboard.ViewerOf(p)
	if key == "" {
		key = dashboard.Mine
	}
	if key != dashboard.Mine && !p.Can(dashboard.PermKPIWrite) {
		h.wb.errorPage(w, r, http.StatusForbidden, h.wb.clockOf(r).text().T("web.dash_pages.only_administrators_arrange"))
		return
	}
	keys, err := h.s.TileKeys(ctx, v, key)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	offered, err := h.s.Offered(ctx, v)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	view := dashEditView{Key: key, Name: h.wb.clockOf(r).text().T("web.dash_pages.my_dashboard"), Error: msg, Own: key == dashboard.Mine}
	for _, b := range dashboard.RoleBoards {
		if b.Key == key {
			view.Name = "the " + b.Name + " dashboard"
		}
	}
	byKey := map[string]dashboard.Definition{}
	for _, d := range offered {
		byKey[d.Key] = d
	}
	for _, k := range keys {
		if d, ok := byKey[k]; ok {
			view.Tiles = append(view.Tiles, d)
		}
	}
	view.Last = len(view.Tiles) - 1
	for _, d := range offered {
		if !slices.Contains(keys, d.Key) {
			view.Offered = append(view.Offered, d)
		}
	}
	h.wb.render(w, r, status, "dash_edit", page{Title: h.wb.clockOf(r).text().T("web.dash_pages.title_arrange", "Name", view.Name), Active: "dashboard", Data: view})
}

// arrange applies one step of the editor (add, remove, move up or down,
// start again) to the tiles as the form listed them, and saves.
func (h dashPages) arrange(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	v := dashboard.ViewerOf(p)
	key := r.PostFormValue("board")
	if key == "" {
		key = dashboard.Mine
	}
	tiles := r.PostForm["tile"]
	op, arg, _ := strings.Cut(r.PostFormValue("do"), ":")
	i, _ := strconv.Atoi(arg)
	back := "/dashboard/edit?board=" + key
	switch {
	case op == "add":
		add := r.PostFormValue("add")
		if add == "" {
			h.showEditor(w, r, http.StatusUnprocessableEntity, key, h.wb.clockOf(r).text().T("web.dash_pages.choose_kpi"))
			return
		}
		tiles = append(tiles, add)
	case op == "remove" && i >= 0 && i < len(tiles):
		tiles = slices.Delete(tiles, i, i+1)
	case op == "up" && i > 0 && i < len(tiles):
		tiles[i-1], tiles[i] = tiles[i], tiles[i-1]
	case op == "down" && i >= 0 && i < len(tiles)-1:
		tiles[i+1], tiles[i] = tiles[i], tiles[i+1]
	case op == "reset" && key == dashboard.Mine:
		if err := h.s.Reset(r.Context(), v); err != nil {
			h.wb.fail(w, r, err)
			return
		}
		h.wb.redirect(w, r, "/dashboard", "dash-reset")
		return
	default:
		h.showEditor(w, r, http.StatusUnprocessableEntity, key, h.wb.clockOf(r).text().T("web.dash_pages.out_of_date"))
		return
	}
	err := h.s.Arrange(r.Context(), p.Actor(), v, key, tiles)
	if inv, ok := err.(*domainerr.Invalid); ok {
		msg := ""
		for _, m := range inv.Fields {
			msg = m
		}
		h.showEditor(w, r, http.StatusUnprocessableEntity, key, h.wb.clockOf(r).text().T("web.dash_pages.not_changed", "Reason", msg))
		return
	}
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.wb.redirect(w, r, back, "dash-arranged")
}

func (h dashPages) runFile(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	f, err := h.s.RunFile(r.Context(), dashboard.ViewerOf(httpx.Principal(r)), id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", f.Type)
	hd.Set("Content-Disposition", `attachment; filename="`+f.Name+`"`)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	hd.Set("Cache-Control", "private, no-store")
	w.Write(f.Body)
}
