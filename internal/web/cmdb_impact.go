package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"steward/internal/cmdb"
	"steward/internal/domainerr"
	"steward/internal/i18n"
	"steward/internal/org"
)

// impactView is the impact analysis of one CI as a page.
type impactView struct {
	tx        i18n.Text
	C         cmdb.CI
	Direction string // cmdb.Down or cmdb.Up
	Depth     int    // 0 is every hop
	Depths    []int
	Items     []impactLine
	Services  []impactLine
	Customers []string
	Total     int
	Truncated bool
	Counts    map[string]int
	Error     string
}

// impactLine is an impacted CI with the chain that explains it, by name.
type impactLine struct {
	cmdb.ImpactItem
	Status cmdb.Status
	Chain  []ciRef
}

// impactDepths are the depths the page offers; 0 is all.
var impactDepths = []int{1, 2, 3, 4, 6, 8, 0}

// maxImpactRows bounds the table; the total is still told.
const maxImpactRows = 500

// impactParams reads direction and depth; bad values are named.
func impactParams(q url.Values, defDepth, maxDepth int) (string, int, *domainerr.Invalid) {
	bad := domainerr.NewInvalid()
	dir := q.Get("direction")
	if dir == "" {
		dir = cmdb.Down
	}
	if dir != cmdb.Down && dir != cmdb.Up {
		bad.Add("direction", "must be down or up")
		dir = cmdb.Down
	}
	depth := defDepth
	if s := q.Get("depth"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > maxDepth {
			bad.Add("depth", "must be a whole number from 1 to %d", maxDepth)
		} else {
			depth = n
		}
	}
	return dir, depth, bad
}

func (wb *Web) ciImpactPage(w http.ResponseWriter, r *http.Request) {
	c, ok := wb.loadCI(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	dir, depth, bad := impactParams(r.URL.Query(), 0, cmdb.MaxDepth)
	tx := wb.clockOf(r).text()
	v := impactView{tx: tx, C: c, Direction: dir, Depth: depth, Depths: impactDepths, Counts: map[string]int{}}
	status := http.StatusOK
	if bad.Err() != nil {
		v.Error, status = invalidText(bad), http.StatusUnprocessableEntity
		wb.render(w, r, status, "ci_impact", page{Title: tx.T("web.cmdb_impact.title_down", "Name", c.Name), Active: "cis", Data: v})
		return
	}
	res, err := wb.CMDB.Impact(ctx, cmdb.ImpactQuery{Failed: []int64{c.ID}, Direction: dir, Depth: depth, Limit: maxImpactRows})
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		v.Error, status = invalidText(inv), http.StatusUnprocessableEntity
	} else if err != nil {
		wb.fail(w, r, err)
		return
	}
	v.Total, v.Truncated = res.Total, res.Truncated
	var ids []int64
	for _, list := range [][]cmdb.ImpactItem{res.Items, res.Services} {
		for _, it := range list {
			ids = append(ids, it.Path...)
		}
	}
	refs, err := ciRefs(ctx, wb.DB, ids)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	line := func(it cmdb.ImpactItem) impactLine {
		l := impactLine{ImpactItem: it, Status: refs[it.CIID].Status}
		for _, id := range it.Path {
			ref, ok := refs[id]
			if !ok {
				ref = ciRef{ID: id, Name: orID("", id)}
			}
			l.Chain = append(l.Chain, ref)
		}
		return l
	}
	for _, it := range res.Items {
		v.Items = append(v.Items, line(it))
		v.Counts[string(it.State)]++
	}
	for _, it := range res.Services {
		v.Services = append(v.Services, line(it))
	}
	if len(res.Customers) > 0 {
		names, err := org.Customers.Names(ctx, wb.DB)
		if err != nil {
			wb.fail(w, r, err)
			return
		}
		for _, id := range res.Customers {
			v.Customers = append(v.Customers, orID(names[id], id))
		}
	}
	title := tx.T("web.cmdb_impact.title_down", "Name", c.Name)
	if dir == cmdb.Up {
		title = tx.T("web.cmdb_impact.title_up", "Name", c.Name)
	}
	wb.render(w, r, status, "ci_impact", page{Title: title, Active: "cis", Data: v})
}

// DepthLabel words a depth choice.
func (v impactView) DepthLabel(d int) string {
	if d == 0 {
		return v.tx.T("web.cmdb_impact.every_hop")
	}
	return v.tx.T("web.cmdb_impact.hops", "Count", d)
}
