package cmdb

import "context"

// maxServiceWalk bounds how many CIs ServicesOf visits from one CI: a core
// router reaches much of a fleet, and its services are found long before.
const maxServiceWalk = 20000

// ServicesOf answers, for each CI of ids, the business services it is part
// of: the CIs of type "Business service" or standing for a catalogue
// service that depend on it, directly or through others (memberships
// included, whatever their redundancy rule). It is a question about the
// model, not about an outage, so no state is computed; the alert console
// groups alerts by it. CIs the graph does not hold have no entry.
func (s *Service) ServicesOf(ctx context.Context, ids []int64) (map[int64][]int64, error) {
	out := make(map[int64][]int64, len(ids))
	err := s.withGraph(ctx, func(g *graph) error {
		bs := s.graph.bsType
		isService := func(n int32) bool {
			_, ok := g.svc[n]
			return ok || (bs != 0 && g.typ[n] == bs)
		}
		seen := map[int32]bool{}
		var queue []int32
		for _, id := range ids {
			start, ok := g.idx[id]
			if !ok {
				continue
			}
			clear(seen)
			queue = append(queue[:0], start)
			seen[start] = true
			var found []int64
			for i := 0; i < len(queue) && len(seen) < maxServiceWalk; i++ {
				n := queue[i]
				if isService(n) {
					found = append(found, g.ids[n])
				}
				for _, lists := range [2][][]int32{g.out, g.clusters} {
					for _, m := range lists[n] {
						if !seen[m] {
							seen[m] = true
							queue = append(queue, m)
						}
					}
				}
			}
			out[id] = found
		}
		return nil
	})
	return out, err
}
