package cmdb

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"steward/internal/store"
)

// The impact graph lives in memory, one per process: every CI as a dense
// index with its type, status, customer and redundancy rule, and its
// relationships turned into impact edges (provider → consumer) and
// membership edges (member → cluster), in both directions. It is loaded
// from the database on first use and then kept current by replaying
// ci_history, which every write appends to in its transaction; so several
// nodes each see every change before they answer.

// replayLimit is how many pending history entries are replayed one by one;
// beyond it (a bulk import) the graph is loaded afresh.
const replayLimit = 20000

type graph struct {
	seq  int64           // last history entry applied
	idx  map[int64]int32 // CI id → node
	ids  []int64         // node → CI id (0 once deleted)
	typ  []int32
	cust []int64
	svc  map[int32]int64 // node → catalogue service, when set
	red  map[int32]Redundancy
	// Impact edges: out[p] are the consumers a failing p impacts, in[c]
	// the providers c depends on. Membership: clusters[m] are the clusters
	// m is a member of, members[c] the members of cluster c.
	out, in, clusters, members [][]int32
	// connected counts connected_to relationships, which do not propagate.
	connected int
	edges     int
	loadedAt  time.Time
}

type graphHolder struct {
	mu     sync.RWMutex
	g      *graph
	syncMu sync.Mutex
	// typeNames maps CI type ids to names, refreshed whenever the types
	// change (types are not in the CI history).
	typeNames map[int32]string
	bsType    int32  // the "Business service" type
	typesSeen string // fingerprint of the types behind typeNames
}

func (g *graph) node(id int64) int32 {
	if n, ok := g.idx[id]; ok {
		return n
	}
	n := int32(len(g.ids))
	g.idx[id] = n
	g.ids = append(g.ids, id)
	g.typ = append(g.typ, 0)
	g.cust = append(g.cust, 0)
	g.out = append(g.out, nil)
	g.in = append(g.in, nil)
	g.clusters = append(g.clusters, nil)
	g.members = append(g.members, nil)
	return n
}

func (g *graph) addEdge(source, target int64, t RelType) {
	p, c, member, ok := Impact(source, target, t)
	if !ok {
		g.connected++
		return
	}
	pn, cn := g.node(p), g.node(c)
	if member {
		if contains32(g.clusters[pn], cn) {
			return
		}
		g.clusters[pn] = append(g.clusters[pn], cn)
		g.members[cn] = append(g.members[cn], pn)
	} else {
		if contains32(g.out[pn], cn) {
			return
		}
		g.out[pn] = append(g.out[pn], cn)
		g.in[cn] = append(g.in[cn], pn)
	}
	g.edges++
}

func (g *graph) removeEdge(source, target int64, t RelType) {
	p, c, member, ok := Impact(source, target, t)
	if !ok {
		if g.connected > 0 {
			g.connected--
		}
		return
	}
	pn, ok1 := g.idx[p]
	cn, ok2 := g.idx[c]
	if !ok1 || !ok2 {
		return
	}
	var removed bool
	if member {
		g.clusters[pn], removed = remove32(g.clusters[pn], cn)
		g.members[cn], _ = remove32(g.members[cn], pn)
	} else {
		g.out[pn], removed = remove32(g.out[pn], cn)
		g.in[cn], _ = remove32(g.in[cn], pn)
	}
	if removed {
		g.edges--
	}
}

// removeNode drops a deleted CI and every edge it had.
func (g *graph) removeNode(id int64) {
	n, ok := g.idx[id]
	if !ok {
		return
	}
	for _, c := range g.out[n] {
		g.in[c], _ = remove32(g.in[c], n)
		g.edges--
	}
	for _, p := range g.in[n] {
		g.out[p], _ = remove32(g.out[p], n)
		g.edges--
	}
	for _, k := range g.clusters[n] {
		g.members[k], _ = remove32(g.members[k], n)
		g.edges--
	}
	for _, m := range g.members[n] {
		g.clusters[m], _ = remove32(g.clusters[m], n)
		g.edges--
	}
	g.out[n], g.in[n], g.clusters[n], g.members[n] = nil, nil, nil, nil
	g.ids[n] = 0
	delete(g.idx, id)
	delete(g.red, n)
	delete(g.svc, n)
}

func contains32(s []int32, x int32) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func remove32(s []int32, x int32) ([]int32, bool) {
	for i, v := range s {
		if v == x {
			s[i] = s[len(s)-1]
			return s[:len(s)-1], true
		}
	}
	return s, false
}

// ciRow is what the graph keeps of a CI.
type ciRow struct {
	id, typeID    int64
	customer, svc *int64
	redundancy    string
}

func (g *graph) setCI(r ciRow) {
	n := g.node(r.id)
	g.typ[n] = int32(r.typeID)
	g.cust[n] = 0
	if r.customer != nil {
		g.cust[n] = *r.customer
	}
	delete(g.svc, n)
	if r.svc != nil {
		g.svc[n] = *r.svc
	}
	delete(g.red, n)
	if r.redundancy != "" {
		var red Redundancy
		if json.Unmarshal([]byte(r.redundancy), &red) == nil && (red.FailedWhenDown > 0 || red.FailedWhenDownPercent > 0) {
			g.red[n] = red
		}
	}
}

// load reads the whole graph. It notes the history position first, so
// that replaying from there afterwards converges on the database's state
// whatever was written during the load (every replayed step sets, rather
// than toggles, what it changes).
func load(ctx context.Context, db *store.DB) (*graph, error) {
	g := &graph{idx: map[int64]int32{}, svc: map[int32]int64{}, red: map[int32]Redundancy{}, loadedAt: time.Now()}
	if err := db.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM ci_history`).Scan(&g.seq); err != nil {
		return nil, err
	}
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM cis`).Scan(&n); err != nil {
		return nil, err
	}
	g.idx = make(map[int64]int32, n)
	g.ids, g.typ, g.cust = make([]int64, 0, n), make([]int32, 0, n), make([]int64, 0, n)
	g.out, g.in = make([][]int32, 0, n), make([][]int32, 0, n)
	g.clusters, g.members = make([][]int32, 0, n), make([][]int32, 0, n)
	rows, err := db.Query(ctx, `SELECT id, type_id, customer_id, service_id, redundancy FROM cis ORDER BY id`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var r ciRow
		if err := rows.Scan(&r.id, &r.typeID, &r.customer, &r.svc, &r.redundancy); err != nil {
			rows.Close()
			return nil, err
		}
		g.setCI(r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = db.Query(ctx, `SELECT source_id, target_id, type FROM ci_relationships`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var s, t int64
		var rt RelType
		if err := rows.Scan(&s, &t, &rt); err != nil {
			return nil, err
		}
		g.addEdge(s, t, rt)
	}
	return g, rows.Err()
}

// withGraph brings the graph up to date with the history and runs fn on
// it under a read lock (replays wait for readers to finish).
func (s *Service) withGraph(ctx context.Context, fn func(g *graph) error) error {
	if err := s.sync(ctx); err != nil {
		return err
	}
	h := s.graph
	h.mu.RLock()
	defer h.mu.RUnlock()
	return fn(h.g)
}

func (s *Service) sync(ctx context.Context) error {
	h := s.graph
	h.syncMu.Lock()
	defer h.syncMu.Unlock()
	h.mu.RLock()
	g := h.g
	h.mu.RUnlock()
	if g == nil {
		return s.reload(ctx)
	}
	// max(seq) is one index probe whatever the planner knows; the gap to
	// it bounds how many entries are pending (sequences may skip numbers).
	var last int64
	if err := s.DB.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM ci_history`).Scan(&last); err != nil {
		return err
	}
	switch {
	case last <= g.seq:
		return s.refreshTypes(ctx)
	case last-g.seq > replayLimit:
		return s.reload(ctx)
	}
	// A replay is finished even when the request that triggered it goes
	// away; if it fails anyway, the next question loads the graph afresh
	// rather than trust a half-applied one.
	h.mu.Lock()
	err := s.replay(context.WithoutCancel(ctx), g)
	if err != nil {
		h.g = nil
	}
	h.mu.Unlock()
	if err != nil {
		return err
	}
	return s.refreshTypes(ctx)
}

func (s *Service) reload(ctx context.Context) error {
	start := time.Now()
	g, err := load(ctx, s.DB)
	if err != nil {
		return fmt.Errorf("loading the impact graph: %w", err)
	}
	h := s.graph
	h.mu.Lock()
	h.g, h.typesSeen = g, ""
	h.mu.Unlock()
	if err := s.refreshTypes(ctx); err != nil {
		return err
	}
	s.Log.Info("cmdb: impact graph loaded", "cis", len(g.idx), "edges", g.edges, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// replay applies the history entries after g.seq.
func (s *Service) replay(ctx context.Context, g *graph) error {
	rows, err := s.DB.Query(ctx, `SELECT seq, ci_id, action, field, related_id, rel_type FROM ci_history
		WHERE seq > ? ORDER BY seq LIMIT ?`, g.seq, replayLimit)
	if err != nil {
		return err
	}
	type entry struct {
		seq, ci int64
		action  string
		field   string
		related *int64
		rel     RelType
	}
	var es []entry
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.seq, &e.ci, &e.action, &e.field, &e.related, &e.rel); err != nil {
			rows.Close()
			return err
		}
		es = append(es, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	refetch := map[int64]bool{}
	last := g.seq
	for _, e := range es {
		switch e.action {
		case ActionCreate, ActionUpdate:
			refetch[e.ci] = true
		case ActionDelete:
			delete(refetch, e.ci)
			g.removeNode(e.ci)
		case ActionRelate:
			if e.related != nil {
				g.addEdge(e.ci, *e.related, e.rel)
			}
		case ActionUnrelate:
			if e.related != nil {
				g.removeEdge(e.ci, *e.related, e.rel)
			}
		}
		last = e.seq
	}
	for id := range refetch {
		var r ciRow
		err := s.DB.QueryRow(ctx, `SELECT id, type_id, customer_id, service_id, redundancy FROM cis WHERE id = ?`, id).
			Scan(&r.id, &r.typeID, &r.customer, &r.svc, &r.redundancy)
		if store.ScanErr(err) == store.ErrNotFound {
			g.removeNode(id) // deleted since
			continue
		}
		if err != nil {
			return err
		}
		g.setCI(r)
	}
	g.seq = last // only once everything up to it is applied
	return nil
}

// GraphStats describes the loaded graph, for operations and benchmarks.
type GraphStats struct {
	CIs, Edges, Connected int
	Seq                   int64
}

// Stats brings the graph up to date and describes it.
func (s *Service) Stats(ctx context.Context) (GraphStats, error) {
	var st GraphStats
	err := s.withGraph(ctx, func(g *graph) error {
		st = GraphStats{CIs: len(g.idx), Edges: g.edges, Connected: g.connected, Seq: g.seq}
		return nil
	})
	return st, err
}

// refreshTypes reloads the CI type names when the types changed.
func (s *Service) refreshTypes(ctx context.Context) error {
	var n, versions int64
	var last store.Time
	if err := s.DB.QueryRow(ctx, `SELECT count(*), coalesce(sum(version), 0), max(updated_at) FROM ci_types`).
		Scan(&n, &versions, &last); err != nil {
		return err
	}
	fp := fmt.Sprint(n, versions, last.Time)
	h := s.graph
	h.mu.RLock()
	same := h.typesSeen == fp
	h.mu.RUnlock()
	if same {
		return nil
	}
	names := map[int32]string{}
	var bs int32
	rows, err := s.DB.Query(ctx, `SELECT id, name FROM ci_types`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int32
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return err
		}
		names[id] = name
		if strings.EqualFold(name, "Business service") {
			bs = id
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	h.mu.Lock()
	h.typeNames, h.bsType, h.typesSeen = names, bs, fp
	h.mu.Unlock()
	return nil
}
