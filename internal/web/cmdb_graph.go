package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"steward/internal/cmdb"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// The graph page draws a CI's neighbourhood: the CIs within a few hops
// along any relationship, with the impact analysis of the CI laid over
// it. The page itself is plain HTML; static/cmdb.js fetches graph.json and
// draws it with the vendored cytoscape.js.

// Bounds on the neighbourhood: a gateway may have a hundred thousand
// sensors, and nobody reads a drawing of more than a few hundred nodes.
const (
	maxGraphNodes = 300
	maxGraphDepth = 4
	defGraphDepth = 2
)

type graphView struct {
	C         cmdb.CI
	Depth     int
	Depths    []int
	Impact    string // down, up or "" for none
	DataURL   string
	Error     string
	MaxNodes  int
	MaxDepths int
}

func (wb *Web) ciGraphPage(w http.ResponseWriter, r *http.Request) {
	c, ok := wb.loadCI(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	v := graphView{C: c, Depths: []int{1, 2, 3, 4}, MaxNodes: maxGraphNodes}
	impact, depth, bad := graphParams(q)
	v.Impact, v.Depth = impact, depth
	status := http.StatusOK
	if bad.Err() != nil {
		v.Error, status = invalidText(bad), http.StatusUnprocessableEntity
	}
	v.DataURL = ciPath(c.ID) + "/graph.json?" + url.Values{"depth": {strconv.Itoa(depth)}, "impact": {impact}}.Encode()
	wb.render(w, r, status, "ci_graph", page{Title: wb.clockOf(r).text().T("web.cmdb_graph.title", "Name", c.Name), Active: "cis", Data: v})
}

// graphParams reads depth and impact (down, up or none).
func graphParams(q url.Values) (string, int, *domainerr.Invalid) {
	bad := domainerr.NewInvalid()
	impact := q.Get("impact")
	switch impact {
	case "":
		impact = cmdb.Down
	case cmdb.Down, cmdb.Up:
	case "none":
		impact = "none"
	default:
		bad.Add("impact", "must be down, up or none")
		impact = cmdb.Down
	}
	depth := defGraphDepth
	if s := q.Get("depth"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxGraphDepth {
			bad.Add("depth", "must be a whole number from 1 to %d", maxGraphDepth)
		} else {
			depth = n
		}
	}
	return impact, depth, bad
}

// graphData is what graph.json answers.
type graphData struct {
	Center int64       `json:"center"`
	Nodes  []graphNode `json:"nodes"`
	Edges  []graphEdge `json:"edges"`
	// Capped is true when the neighbourhood had more CIs than drawn.
	Capped   bool   `json:"capped"`
	MaxNodes int    `json:"max_nodes"`
	Impact   string `json:"impact"`
	Depth    int    `json:"depth"`
	// Impacted counts the CIs the analysis reached within the depth,
	// drawn or not.
	Impacted int `json:"impacted"`
}

type graphNode struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Type   string `json:"type"`
	Status string `json:"status"`
	State  string `json:"state,omitempty"` // failed, degraded or unknown
	Hops   int    `json:"hops"`            // from the centre, along any relationship
}

type graphEdge struct {
	ID     int64  `json:"id"`
	Source int64  `json:"source"`
	Target int64  `json:"target"`
	Type   string `json:"type"`
	Label  string `json:"label"`
	// Impact marks the edges on the paths that explain the impact.
	Impact bool `json:"impact"`
}

func (wb *Web) ciGraphJSON(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		writeGraphError(w, http.StatusNotFound, "no such CI")
		return
	}
	impact, depth, bad := graphParams(r.URL.Query())
	if bad.Err() != nil {
		writeGraphError(w, http.StatusUnprocessableEntity, invalidText(bad))
		return
	}
	data, err := wb.neighbourhood(r.Context(), id, depth, impact)
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeGraphError(w, http.StatusNotFound, "no such CI")
		return
	case err != nil:
		wb.Log.Error("web: ci graph", "ci", id, "err", err)
		writeGraphError(w, http.StatusInternalServerError, "the graph could not be loaded")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(data)
}

func writeGraphError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// neighbourhood collects the CIs around id: first the impacted ones with
// the CIs on their paths, so that the highlighted chains are whole, then
// the rest by distance, up to maxGraphNodes.
func (wb *Web) neighbourhood(ctx context.Context, id int64, depth int, impact string) (graphData, error) {
	if _, err := wb.CMDB.GetCI(ctx, id); err != nil {
		return graphData{}, err
	}
	g := graphData{Center: id, MaxNodes: maxGraphNodes, Impact: impact, Depth: depth, Nodes: []graphNode{}, Edges: []graphEdge{}}
	order := []int64{id}
	hops := map[int64]int{id: 0}
	state := map[int64]string{}
	onPath := map[[2]int64]bool{}
	if impact != "none" {
		res, err := wb.CMDB.Impact(ctx, cmdb.ImpactQuery{Failed: []int64{id}, Direction: impact, Depth: depth, Limit: maxGraphNodes})
		if err != nil {
			return graphData{}, err
		}
		g.Impacted = res.Total
		g.Capped = res.Truncated
		for _, it := range res.Items {
			if len(order)+len(it.Path) > maxGraphNodes {
				g.Capped = true
				break
			}
			state[it.CIID] = string(it.State)
			for i, n := range it.Path {
				if _, seen := hops[n]; !seen {
					hops[n] = -1 // known to be near; the walk below sets the distance
					order = append(order, n)
				}
				if i > 0 {
					onPath[[2]int64{it.Path[i-1], n}] = true
					onPath[[2]int64{n, it.Path[i-1]}] = true
				}
			}
		}
	}
	capped, err := wb.walkNeighbours(ctx, id, depth, hops, &order)
	if err != nil {
		return graphData{}, err
	}
	g.Capped = g.Capped || capped
	refs, err := ciRefs(ctx, wb.DB, order)
	if err != nil {
		return graphData{}, err
	}
	for _, n := range order {
		ref, ok := refs[n]
		if !ok {
			continue
		}
		g.Nodes = append(g.Nodes, graphNode{ID: n, Name: ref.Name, Type: ref.Type, Status: string(ref.Status), State: state[n], Hops: hops[n]})
	}
	if g.Edges, err = wb.edgesAmong(ctx, order, onPath); err != nil {
		return graphData{}, err
	}
	return g, nil
}

// walkNeighbours adds the CIs within depth hops of id along any
// relationship, nearest first, recording their distance. It reports
// whether it stopped at maxGraphNodes.
func (wb *Web) walkNeighbours(ctx context.Context, id int64, depth int, hops map[int64]int, order *[]int64) (bool, error) {
	seen := map[int64]bool{id: true}
	frontier := []int64{id}
	for d := 1; d <= depth && len(frontier) > 0; d++ {
		var next []int64
		for len(frontier) > 0 {
			n := min(len(frontier), 300)
			batch := frontier[:n]
			frontier = frontier[n:]
			marks := strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
			args := make([]any, 0, 2*n+1)
			for _, x := range batch {
				args = append(args, x)
			}
			args = append(append(args, args...), maxGraphNodes*4)
			// Bounded: a node with a hundred thousand neighbours yields a
			// drawing's worth of them, not all.
			rows, err := wb.DB.Query(ctx, `SELECT target_id FROM ci_relationships WHERE source_id IN (`+marks+`)
				UNION SELECT source_id FROM ci_relationships WHERE target_id IN (`+marks+`) LIMIT ?`, args...)
			if err != nil {
				return false, err
			}
			for rows.Next() {
				var o int64
				if err := rows.Scan(&o); err != nil {
					rows.Close()
					return false, err
				}
				if seen[o] {
					continue
				}
				seen[o] = true
				next = append(next, o)
				if h, ok := hops[o]; !ok || h < 0 {
					if !ok {
						if len(*order) >= maxGraphNodes {
							rows.Close()
							return true, rows.Err()
						}
						*order = append(*order, o)
					}
					hops[o] = d
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return false, err
			}
		}
		frontier = next
	}
	return false, nil
}

// edgesAmong lists the relationships between the drawn CIs, marking
// those on an impact path.
func (wb *Web) edgesAmong(ctx context.Context, ids []int64, onPath map[[2]int64]bool) ([]graphEdge, error) {
	out := []graphEdge{}
	if len(ids) == 0 {
		return out, nil
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")
	args := make([]any, 0, 2*len(ids)+1)
	for _, x := range ids {
		args = append(args, x)
	}
	args = append(append(args, args...), maxGraphNodes*10)
	rows, err := wb.DB.Query(ctx, `SELECT id, source_id, target_id, type FROM ci_relationships
		WHERE source_id IN (`+marks+`) AND target_id IN (`+marks+`) ORDER BY id LIMIT ?`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var e graphEdge
		if err := rows.Scan(&e.ID, &e.Source, &e.Target, &e.Type); err != nil {
			return nil, err
		}
		e.Label = relLabel(cmdb.RelType(e.Type), true)
		_, _, _, carries := cmdb.Impact(e.Source, e.Target, cmdb.RelType(e.Type))
		e.Impact = carries && onPath[[2]int64{e.Source, e.Target}]
		out = append(out, e)
	}
	return out, rows.Err()
}
