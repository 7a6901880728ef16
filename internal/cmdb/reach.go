package cmdb

import "context"

// Reach is how a walk from a set of CIs came to one CI: From is the start
// CI nearest to it, Down is true when From impacts it (it depends on From,
// directly or through others) and false when it impacts From, and Depth
// counts the hops between them.
type Reach struct {
	From  int64
	Down  bool
	Depth int
}

// Reached walks the impact graph from the CIs in from, downstream (what
// they impact) and then upstream (what impacts them), along the
// relationships the impact analysis follows (connected_to never
// propagates; a member reaches its cluster), at most depth hops each way
// (MaxDepth when depth is 0 or more), and reports which CIs of want it
// reaches other than the start CIs themselves. A CI reached both ways is
// reported as downstream. The walk stops as soon as every wanted CI has
// been found.
func (s *Service) Reached(ctx context.Context, from []int64, want map[int64]bool, depth int) (map[int64]Reach, error) {
	if depth <= 0 || depth > MaxDepth {
		depth = MaxDepth
	}
	out := map[int64]Reach{}
	if len(from) == 0 || len(want) == 0 {
		return out, nil
	}
	err := s.withGraph(ctx, func(g *graph) error {
		var start []int32
		for _, id := range from {
			if n, ok := g.idx[id]; ok {
				start = append(start, n)
			}
		}
		for _, down := range []bool{true, false} {
			if len(out) == len(want) {
				break
			}
			reachWalk(g, start, want, int32(depth), down, out)
		}
		return nil
	})
	return out, err
}

// reachWalk is one breadth-first walk of Reached, in one direction.
func reachWalk(g *graph, start []int32, want map[int64]bool, maxDepth int32, down bool, out map[int64]Reach) {
	sc := getScratch(len(g.ids))
	defer putScratch(sc)
	// state marks a node seen; parent holds its start node + 1.
	for _, n := range start {
		if sc.state[n] != sAvailable {
			continue
		}
		sc.touched = append(sc.touched, n)
		sc.state[n], sc.depth[n], sc.parent[n] = sUnknown, 0, n+1
		sc.queue = append(sc.queue, n)
	}
	for head := 0; head < len(sc.queue) && len(out) < len(want); head++ {
		n := sc.queue[head]
		d := sc.depth[n]
		if d >= maxDepth {
			continue
		}
		next := [2][]int32{g.out[n], g.clusters[n]}
		if !down {
			next = [2][]int32{g.in[n], g.members[n]}
		}
		for _, list := range next {
			for _, m := range list {
				if sc.state[m] != sAvailable {
					continue
				}
				sc.touched = append(sc.touched, m)
				sc.state[m], sc.depth[m], sc.parent[m] = sUnknown, d+1, sc.parent[n]
				sc.queue = append(sc.queue, m)
				id := g.ids[m]
				if _, seen := out[id]; want[id] && !seen {
					out[id] = Reach{From: g.ids[sc.parent[n]-1], Down: down, Depth: int(d + 1)}
				}
			}
		}
	}
}
