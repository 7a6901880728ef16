package cmdb

import (
	"context"
	"math/bits"
	"slices"
	"strings"
)

// ServicesImpactedByGroups answers, for each group of CIs, the business
// services that the group failing impacts: the services Impact lists for
// ImpactQuery{Failed: group}, in one walk of the graph for all groups
// together instead of one walk per group. Each service is listed once per
// group, by name; CIs of a group that are not in the CMDB are skipped.
//
// The walk carries, on every CI it reaches, the set of groups that reach
// it. A CI that Impact gives any state (failed, unknown or degraded) is
// one a group reaches along the impact edges or through a member of its
// cluster, whatever the cluster's redundancy, so the sets are exactly
// the services of per-group walks. Depth is counted from the nearest
// failing CI of any group.
func (s *Service) ServicesImpactedByGroups(ctx context.Context, groups [][]int64) ([][]ImpactItem, error) {
	out := make([][]ImpactItem, len(groups))
	for i := range out {
		out[i] = []ImpactItem{}
	}
	var all []ImpactItem // every listed item, named in one pass below
	err := s.withGraph(ctx, func(g *graph) error {
		h := s.graph
		w := groupWalk{g: g, words: (len(groups) + 63) / 64, slot: make([]int32, len(g.ids)), depth: make([]int32, len(g.ids)),
			queued: make([]bool, len(g.ids))}
		w.roots = map[int32][]uint64{}
		for i, group := range groups {
			for _, id := range group {
				n, ok := g.idx[id]
				if !ok {
					continue
				}
				r := w.roots[n]
				if r == nil {
					r = make([]uint64, w.words)
					w.roots[n] = r
				}
				r[i/64] |= 1 << (i % 64)
				w.add(n, r, 0)
			}
		}
		w.run()
		for _, n := range w.reached {
			isService := g.typ[n] == h.bsType && h.bsType != 0
			if _, ok := g.svc[n]; ok {
				isService = true
			}
			if !isService {
				continue
			}
			set, root := w.set(n), w.roots[n]
			for k, word := range set {
				if root != nil {
					word &^= root[k]
				}
				for word != 0 {
					i := k*64 + bits.TrailingZeros64(word)
					word &= word - 1
					out[i] = append(out[i], ImpactItem{CIID: g.ids[n], Type: h.typeNames[g.typ[n]]})
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	for _, l := range out {
		for _, it := range l {
			if _, ok := names[it.CIID]; !ok {
				names[it.CIID] = ""
				all = append(all, ImpactItem{CIID: it.CIID})
			}
		}
	}
	if err := s.nameItems(ctx, all); err != nil {
		return nil, err
	}
	for _, it := range all {
		names[it.CIID] = it.Name
	}
	for _, l := range out {
		for j := range l {
			l[j].Name = names[l[j].CIID]
		}
		slices.SortFunc(l, func(a, b ImpactItem) int {
			if c := strings.Compare(a.Name, b.Name); c != 0 {
				return c
			}
			return int(a.CIID - b.CIID)
		})
	}
	return out, nil
}

// groupWalk is the state of ServicesImpactedByGroups' walk: per reached
// CI a bit set of groups (slot indexes sets, 0 meaning none yet).
type groupWalk struct {
	g       *graph
	words   int
	slot    []int32 // node → 1 + index of its set in sets
	sets    []uint64
	depth   []int32
	roots   map[int32][]uint64 // the groups each failing CI belongs to
	reached []int32
	queue   []int32
	queued  []bool // node → waiting in queue
}

func (w *groupWalk) set(n int32) []uint64 {
	k := int(w.slot[n]) - 1
	return w.sets[k*w.words : (k+1)*w.words]
}

// add gives node n the groups in bits at depth d, queueing it when that
// adds any group it did not have.
func (w *groupWalk) add(n int32, bits []uint64, d int32) {
	if w.slot[n] == 0 {
		w.sets = append(w.sets, make([]uint64, w.words)...)
		w.slot[n] = int32(len(w.sets) / w.words)
		w.depth[n] = d
		w.reached = append(w.reached, n)
	} else if d < w.depth[n] {
		w.depth[n] = d
	}
	mine, grew := w.set(n), false
	for k, b := range bits {
		if b&^mine[k] != 0 {
			mine[k] |= b
			grew = true
		}
	}
	if grew && !w.queued[n] {
		w.queued[n] = true
		w.queue = append(w.queue, n)
	}
}

// run spreads the groups downstream (consumers, and the clusters of
// members) until no CI gains a group, at most MaxDepth hops.
func (w *groupWalk) run() {
	g := w.g
	carry := make([]uint64, w.words)
	for head := 0; head < len(w.queue); head++ {
		n := w.queue[head]
		w.queued[n] = false
		d := w.depth[n]
		if d >= MaxDepth {
			continue
		}
		copy(carry, w.set(n))
		for _, c := range g.out[n] {
			w.add(c, carry, d+1)
		}
		for _, k := range g.clusters[n] {
			w.add(k, carry, d+1)
		}
	}
}
