package cmdb

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"steward/internal/domainerr"
)

// ImpactState is how a CI fares in an impact analysis.
type ImpactState string

const (
	Failed   ImpactState = "failed"
	Degraded ImpactState = "degraded"
	Unknown  ImpactState = "unknown"
)

// Direction of an impact analysis.
const (
	Down = "down" // what fails because these CIs fail
	Up   = "up"   // what these CIs depend on: where a cause may lie
)

// ImpactQuery asks what a set of CIs failing (or being in an unknown
// state) does downstream, or what they depend on upstream.
type ImpactQuery struct {
	Failed    []int64
	Unknown   []int64 // downstream only: CIs whose state is not known (missing data)
	Direction string  // Down (default) or Up
	Depth     int     // hops to follow; 0 means MaxDepth
	Limit     int     // items to return; 0 means MaxItems
}

// Limits on an analysis.
const (
	MaxDepth = 64
	MaxItems = 10000
	MaxInput = 100000
)

// ImpactItem is one CI reached by the analysis.
type ImpactItem struct {
	CIID  int64       `json:"ci_id"`
	Name  string      `json:"name"`
	Type  string      `json:"type"`
	State ImpactState `json:"state"`
	Depth int         `json:"depth"`
	// Path lists CI ids from a failing (or, upstream, the queried) CI to
	// this one, both ends included: the chain that explains the state.
	Path []int64 `json:"path"`
}

// ImpactResult is the answer.
type ImpactResult struct {
	Items []ImpactItem `json:"items"`
	// Services are the business services among the items (CIs of type
	// "Business service" or standing for a catalogue service), Customers
	// the customers of every impacted CI and service.
	Services  []ImpactItem `json:"services"`
	Customers []int64      `json:"customers"`
	// Total is how many CIs were reached; Truncated is true when Items
	// holds fewer (see ImpactQuery.Limit).
	Total     int  `json:"total"`
	Truncated bool `json:"truncated"`
}

// states, ordered so that a CI's state only ever rises during a walk.
const (
	sAvailable uint8 = iota
	sDegraded
	sUnknown
	sFailed
)

var stateNames = [...]ImpactState{"", Degraded, Unknown, Failed}

// scratch is per-walk memory, reused across walks.
type scratch struct {
	state   []uint8
	depth   []int32
	parent  []int32
	touched []int32
	queue   []int32
	counts  map[int32]*[4]int32 // cluster → members per state
}

var scratchPool sync.Pool

func getScratch(n int) *scratch {
	sc, _ := scratchPool.Get().(*scratch)
	if sc == nil {
		sc = &scratch{counts: map[int32]*[4]int32{}}
	}
	if len(sc.state) < n {
		sc.state = make([]uint8, n+n/8)
		sc.depth = make([]int32, len(sc.state))
		sc.parent = make([]int32, len(sc.state))
	}
	return sc
}

func putScratch(sc *scratch) {
	for _, n := range sc.touched {
		sc.state[n], sc.depth[n], sc.parent[n] = 0, 0, 0
	}
	sc.touched, sc.queue = sc.touched[:0], sc.queue[:0]
	clear(sc.counts)
	scratchPool.Put(sc)
}

// Impact runs an impact analysis on the in-memory graph, after bringing
// it up to date with the database.
//
// Downstream, a failing CI fails every CI that depends on it or runs on it
// (and every CI it is used by or hosts); a degraded or unknown provider
// makes its consumers degraded or unknown. A cluster or pool is failed when
// at least its redundancy threshold of members are failed (any one member
// without a rule), unknown when failed and unknown members together reach
// the threshold, and degraded when any member is failed, unknown or
// degraded below it. A CI takes the worst state any path gives it, and its
// path is the chain that gave it. connected_to never propagates. Cycles are
// walked once per state change, so they end.
//
// Upstream lists what the queried CIs depend on, directly or through
// others (providers, and the members of clusters), each as unknown: a
// candidate cause until someone checks it.
func (s *Service) Impact(ctx context.Context, q ImpactQuery) (ImpactResult, error) {
	if q.Direction == "" {
		q.Direction = Down
	}
	v := domainerr.NewInvalid()
	if q.Direction != Down && q.Direction != Up {
		v.Add("direction", "must be down or up")
	}
	if q.Depth < 0 || q.Depth > MaxDepth {
		v.Add("depth", "must be between 1 and %d", MaxDepth)
	}
	if q.Depth == 0 {
		q.Depth = MaxDepth
	}
	if q.Limit <= 0 || q.Limit > MaxItems {
		q.Limit = MaxItems
	}
	if len(q.Failed) == 0 {
		v.Add("failed", "name at least one CI")
	}
	if len(q.Failed)+len(q.Unknown) > MaxInput {
		v.Add("failed", "at most %d CIs", MaxInput)
	}
	if q.Direction == Up && len(q.Unknown) > 0 {
		v.Add("unknown", "only a downstream analysis takes unknown CIs")
	}
	if err := v.Err(); err != nil {
		return ImpactResult{}, err
	}
	var (
		res      ImpactResult
		services []int64
		nodes    []int32
		names    map[int32]string
	)
	err := s.withGraph(ctx, func(g *graph) error {
		h := s.graph
		names = h.typeNames
		start := make([]int32, 0, len(q.Failed)+len(q.Unknown))
		unknownStart := len(q.Failed)
		missing := domainerr.NewInvalid()
		for i, list := range [][]int64{q.Failed, q.Unknown} {
			field := [...]string{"failed", "unknown"}[i]
			for j, id := range list {
				n, ok := g.idx[id]
				if !ok {
					missing.Add(fmt.Sprintf("%s[%d]", field, j), "no CI with id %d", id)
					continue
				}
				start = append(start, n)
			}
		}
		if err := missing.Err(); err != nil {
			return err
		}
		sc := getScratch(len(g.ids))
		defer putScratch(sc)
		if q.Direction == Down {
			walkDown(g, sc, start, unknownStart, int32(q.Depth))
		} else {
			walkUp(g, sc, start, int32(q.Depth))
		}
		roots := map[int32]bool{}
		for _, n := range start {
			roots[n] = true
		}
		// Nearest first, then worst state, then id: bucket by depth and
		// sort only the buckets the page needs.
		var buckets [MaxDepth + 1][]int32
		for _, n := range sc.touched {
			if roots[n] || sc.state[n] == sAvailable {
				continue
			}
			buckets[sc.depth[n]] = append(buckets[sc.depth[n]], n)
		}
		for d := range buckets {
			bk := buckets[d]
			if len(nodes) < q.Limit {
				sort.Slice(bk, func(i, j int) bool {
					a, b := bk[i], bk[j]
					if sc.state[a] != sc.state[b] {
						return sc.state[a] > sc.state[b]
					}
					return g.ids[a] < g.ids[b]
				})
			}
			nodes = append(nodes, bk...)
		}
		res.Total = len(nodes)
		custs := map[int64]bool{}
		item := func(n int32) ImpactItem {
			it := ImpactItem{CIID: g.ids[n], Type: names[g.typ[n]], State: stateNames[sc.state[n]], Depth: int(sc.depth[n])}
			var path []int64
			for x := n; len(path) <= MaxDepth+1; x = sc.parent[x] - 1 {
				path = append(path, g.ids[x])
				if sc.parent[x] == 0 {
					break
				}
			}
			for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
				path[i], path[j] = path[j], path[i]
			}
			it.Path = path
			return it
		}
		for i, n := range nodes {
			if c := g.cust[n]; c != 0 {
				custs[c] = true
			}
			isService := g.typ[n] == h.bsType && h.bsType != 0
			if svc, ok := g.svc[n]; ok {
				isService = true
				services = append(services, svc)
			}
			if isService {
				res.Services = append(res.Services, item(n))
			}
			if i < q.Limit {
				res.Items = append(res.Items, item(n))
			}
		}
		res.Truncated = len(nodes) > q.Limit
		for c := range custs {
			res.Customers = append(res.Customers, c)
		}
		return nil
	})
	if err != nil {
		return ImpactResult{}, err
	}
	if err := s.nameItems(ctx, res.Items, res.Services); err != nil {
		return ImpactResult{}, err
	}
	if err := s.serviceCustomers(ctx, services, &res); err != nil {
		return ImpactResult{}, err
	}
	if res.Items == nil {
		res.Items = []ImpactItem{}
	}
	if res.Services == nil {
		res.Services = []ImpactItem{}
	}
	sort.Slice(res.Customers, func(i, j int) bool { return res.Customers[i] < res.Customers[j] })
	if res.Customers == nil {
		res.Customers = []int64{}
	}
	return res, nil
}

// raise lifts node n to state st when that is worse than what it has,
// recording why, and keeps the member counts of its clusters.
func raise(g *graph, sc *scratch, n int32, st uint8, from int32, depth int32) {
	old := sc.state[n]
	if st <= old {
		return
	}
	if old == sAvailable && sc.depth[n] == 0 && sc.parent[n] == 0 {
		sc.touched = append(sc.touched, n)
	}
	for _, k := range g.clusters[n] {
		c := sc.counts[k]
		if c == nil {
			c = &[4]int32{int32(len(g.members[k]))}
			sc.counts[k] = c
		}
		c[old]--
		c[st]++
	}
	sc.state[n], sc.depth[n], sc.parent[n] = st, depth, from+1 // parent 0 is "none"
	sc.queue = append(sc.queue, n)
}

func walkDown(g *graph, sc *scratch, start []int32, unknownStart int, maxDepth int32) {
	for i, n := range start {
		st := sFailed
		if i >= unknownStart {
			st = sUnknown
		}
		raise(g, sc, n, st, -1, 0)
	}
	for head := 0; head < len(sc.queue); head++ {
		n := sc.queue[head]
		d := sc.depth[n]
		if d >= maxDepth {
			continue
		}
		st := sc.state[n]
		for _, c := range g.out[n] {
			raise(g, sc, c, st, n, d+1)
		}
		for _, k := range g.clusters[n] {
			c := sc.counts[k]
			var red *Redundancy
			if r, ok := g.red[k]; ok {
				red = &r
			}
			thr := int32(red.Threshold(len(g.members[k])))
			var kst, need uint8
			switch {
			case c[sFailed] >= thr:
				kst, need = sFailed, sFailed
			case c[sFailed]+c[sUnknown] >= thr:
				kst, need = sUnknown, sUnknown
			case c[sFailed]+c[sUnknown]+c[sDegraded] > 0:
				kst, need = sDegraded, sDegraded
			}
			if kst <= sc.state[k] {
				continue
			}
			// The path runs through a member whose own state accounts for
			// the cluster's: a failed one for a failed cluster.
			via := n
			if sc.state[n] < need {
				via = -1
				for _, m := range g.members[k] {
					if sc.state[m] >= need && sc.depth[m] < maxDepth {
						via = m
						break
					}
				}
				if via < 0 {
					continue
				}
			}
			raise(g, sc, k, kst, via, sc.depth[via]+1)
		}
	}
}

// walkUp is a breadth-first walk against the impact direction; every CI
// reached is a candidate (unknown). Clusters need no member counts here.
func walkUp(g *graph, sc *scratch, start []int32, maxDepth int32) {
	visit := func(n int32, from int32, depth int32) {
		if sc.state[n] != sAvailable {
			return
		}
		sc.touched = append(sc.touched, n)
		sc.state[n], sc.depth[n], sc.parent[n] = sUnknown, depth, from+1
		sc.queue = append(sc.queue, n)
	}
	for _, n := range start {
		visit(n, -1, 0)
	}
	for head := 0; head < len(sc.queue); head++ {
		n := sc.queue[head]
		d := sc.depth[n]
		if d >= maxDepth {
			continue
		}
		for _, p := range g.in[n] {
			visit(p, n, d+1)
		}
		for _, m := range g.members[n] {
			visit(m, n, d+1)
		}
	}
}

// nameItems fills in CI names from the database, a batch at a time.
func (s *Service) nameItems(ctx context.Context, lists ...[]ImpactItem) error {
	want := map[int64][]*ImpactItem{}
	for _, l := range lists {
		for i := range l {
			want[l[i].CIID] = append(want[l[i].CIID], &l[i])
		}
	}
	ids := make([]int64, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	for len(ids) > 0 {
		batch := ids[:min(len(ids), 500)]
		ids = ids[len(batch):]
		rows, err := s.DB.Query(ctx, `SELECT id, name FROM cis WHERE id IN (`+placeholders(len(batch))+`)`, int64Args(batch)...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			var name string
			if err := rows.Scan(&id, &name); err != nil {
				rows.Close()
				return err
			}
			for _, it := range want[id] {
				it.Name = name
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// serviceCustomers adds the customers of impacted catalogue services.
func (s *Service) serviceCustomers(ctx context.Context, services []int64, res *ImpactResult) error {
	if len(services) == 0 {
		return nil
	}
	seen := map[int64]bool{}
	for _, c := range res.Customers {
		seen[c] = true
	}
	for len(services) > 0 {
		batch := services[:min(len(services), 500)]
		services = services[len(batch):]
		rows, err := s.DB.Query(ctx, `SELECT DISTINCT customer_id FROM service_customers WHERE service_id IN (`+placeholders(len(batch))+`)`, int64Args(batch)...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var c int64
			if err := rows.Scan(&c); err != nil {
				rows.Close()
				return err
			}
			if !seen[c] {
				seen[c] = true
				res.Customers = append(res.Customers, c)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

type reachedService struct {
	state ImpactState
	cis   []int64
}

// servicesReached walks downstream from the failing CIs and returns, per
// catalogue service, the CIs standing for it that are failing or reached,
// and the worst state among them.
func (s *Service) servicesReached(ctx context.Context, failed []int64) (map[int64]*reachedService, error) {
	out := map[int64]*reachedService{}
	err := s.withGraph(ctx, func(g *graph) error {
		var start []int32
		for _, id := range failed {
			if n, ok := g.idx[id]; ok {
				start = append(start, n)
			}
		}
		sc := getScratch(len(g.ids))
		defer putScratch(sc)
		walkDown(g, sc, start, len(start), MaxDepth)
		for _, n := range sc.touched {
			svc, ok := g.svc[n]
			if !ok || sc.state[n] == sAvailable {
				continue
			}
			r := out[svc]
			if r == nil {
				r = &reachedService{}
				out[svc] = r
			}
			r.cis = append(r.cis, g.ids[n])
			if st := stateNames[sc.state[n]]; stateRank(st) > stateRank(r.state) {
				r.state = st
			}
		}
		return nil
	})
	return out, err
}

func stateRank(s ImpactState) int {
	switch s {
	case Failed:
		return 3
	case Unknown:
		return 2
	case Degraded:
		return 1
	}
	return 0
}
