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
// reported as downstream.
//
// Each direction is a race: the walk from the start CIs runs in step with
// walks the other way from each wanted CI in turn, and whichever finishes
// first answers. So a change on a business service (whose upstream is a
// large part of the fleet) costs what the few CIs of the other changes
// cost to walk, and the other way round.
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
		mine := map[int32]bool{}
		for _, id := range from {
			if n, ok := g.idx[id]; ok && !mine[n] {
				start = append(start, n)
				mine[n] = true
			}
		}
		for _, down := range []bool{true, false} {
			var wants []int32
			for id := range want {
				if n, ok := g.idx[id]; ok && !mine[n] {
					if _, found := out[id]; !found {
						wants = append(wants, n)
					}
				}
			}
			if len(wants) == 0 || len(start) == 0 {
				break
			}
			race(g, start, mine, wants, int32(depth), down, out)
		}
		return nil
	})
	return out, err
}

// race answers one direction of Reached; see there.
func race(g *graph, start []int32, mine map[int32]bool, wants []int32, maxDepth int32, down bool, out map[int64]Reach) {
	wanted := make(map[int32]bool, len(wants))
	for _, n := range wants {
		wanted[n] = true
	}
	fwd := newWalker(g, down, maxDepth)
	defer fwd.close()
	for _, n := range start {
		fwd.mark(n, n, 0)
	}
	rev := newWalker(g, !down, maxDepth)
	defer rev.close()
	rev.mark(wants[0], wants[0], 0)
	fwdFound, revFound := map[int64]Reach{}, map[int64]Reach{}
	next := 0 // the wanted CI the reverse walk is on
	for {
		more := fwd.step(func(m, origin, d int32) {
			if wanted[m] {
				fwdFound[g.ids[m]] = Reach{From: g.ids[origin], Down: down, Depth: int(d)}
			}
		})
		if !more || len(fwdFound) == len(wants) {
			for id, r := range fwdFound {
				out[id] = r
			}
			return
		}
		hit, hitDepth := int32(-1), int32(0)
		more = rev.step(func(m, _, d int32) {
			if hit < 0 && mine[m] {
				hit, hitDepth = m, d
			}
		})
		if hit >= 0 {
			revFound[g.ids[wants[next]]] = Reach{From: g.ids[hit], Down: down, Depth: int(hitDepth)}
			more = false
		}
		if !more {
			if next++; next == len(wants) {
				for id, r := range revFound {
					out[id] = r
				}
				return
			}
			rev.reset()
			rev.mark(wants[next], wants[next], 0)
		}
	}
}

// walker is a breadth-first walk of the impact graph in one direction
// that advances one CI at a time. Its scratch marks the CIs seen; parent
// holds the start CI each was reached from, plus one.
type walker struct {
	g        *graph
	sc       *scratch
	down     bool
	maxDepth int32
	head     int
}

func newWalker(g *graph, down bool, maxDepth int32) *walker {
	return &walker{g: g, sc: getScratch(len(g.ids)), down: down, maxDepth: maxDepth}
}

func (w *walker) mark(n, origin, depth int32) bool {
	sc := w.sc
	if sc.state[n] != sAvailable {
		return false
	}
	sc.touched = append(sc.touched, n)
	sc.state[n], sc.depth[n], sc.parent[n] = sUnknown, depth, origin+1
	sc.queue = append(sc.queue, n)
	return true
}

// step expands the next CI of the walk, calling seen for every CI it
// reaches for the first time; it reports false once the walk is over.
func (w *walker) step(seen func(n, origin, depth int32)) bool {
	sc := w.sc
	for w.head < len(sc.queue) {
		n := sc.queue[w.head]
		w.head++
		d := sc.depth[n]
		if d >= w.maxDepth {
			continue
		}
		lists := [2][]int32{w.g.out[n], w.g.clusters[n]}
		if !w.down {
			lists = [2][]int32{w.g.in[n], w.g.members[n]}
		}
		origin := sc.parent[n] - 1
		for _, list := range lists {
			for _, m := range list {
				if w.mark(m, origin, d+1) {
					seen(m, origin, d+1)
				}
			}
		}
		return true
	}
	return false
}

// reset forgets the walk, keeping its memory.
func (w *walker) reset() {
	sc := w.sc
	for _, n := range sc.touched {
		sc.state[n], sc.depth[n], sc.parent[n] = 0, 0, 0
	}
	sc.touched, sc.queue = sc.touched[:0], sc.queue[:0]
	w.head = 0
}

func (w *walker) close() { putScratch(w.sc) }
