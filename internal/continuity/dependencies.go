package continuity

import (
	"context"
	"slices"
	"strings"

	"steward/internal/cmdb"
)

// MaxDependencies bounds the CIs one plan lists, and MaxMembers the
// members of a cluster, pool or fleet listed one by one: a fleet of
// devices is recovered as one aggregate, so the plan names it with its
// number of members.
const (
	MaxDependencies = 200
	MaxMembers      = 12
)

// Dependency is a CI the plan's services depend on, directly or through
// others, with the order in which it is recovered: 1 first. A CI comes
// after every CI it depends on within the list, so CIs of the same order
// can be recovered side by side.
type Dependency struct {
	CIID     int64    `json:"ci_id"`
	Name     string   `json:"name"`
	Type     string   `json:"type"`
	Status   string   `json:"status"`
	Order    int      `json:"recovery_order"`
	Services []string `json:"services"`
	// DependsOn names the CIs within the list it needs back first.
	DependsOn []string `json:"depends_on"`
	// Members counts the members of an aggregate too many to list (at
	// least MaxMembers+1; a count of cmdb.MaxLimit means that many or more).
	Members int `json:"members"`
}

// Dependencies reads from the CMDB's relationships what the services
// depend on: everything upstream of the CIs that stand for them (what
// they depend on or run on, what hosts or is used by them, and the
// members of their clusters), each with its recovery order.
func (s *Service) Dependencies(ctx context.Context, services []PlanService) ([]Dependency, error) {
	out := []Dependency{}
	if s.CMDB == nil || len(services) == 0 {
		return out, nil
	}
	byID := map[int64]*Dependency{}
	var order []int64
	roots := map[int64]bool{}
	providers := map[int64][]int64{}
	read := map[int64]bool{}
	for _, svc := range services {
		page, err := s.CMDB.ListCIs(ctx, cmdb.CIFilter{ServiceID: svc.ID, Limit: 20})
		if err != nil {
			return nil, err
		}
		var queue []int64
		seen := map[int64]bool{}
		for _, ci := range page.Items {
			roots[ci.ID], seen[ci.ID] = true, true
			queue = append(queue, ci.ID)
		}
		for i := 0; i < len(queue); i++ {
			id := queue[i]
			if !read[id] {
				read[id] = true
				ps, members, err := s.providers(ctx, id)
				if err != nil {
					return nil, err
				}
				if len(members) > MaxMembers {
					if d := byID[id]; d != nil {
						d.Members = len(members)
					}
					members = nil
				}
				for _, p := range append(ps, members...) {
					if p.CIID == id || slices.Contains(providers[id], p.CIID) {
						continue
					}
					providers[id] = append(providers[id], p.CIID)
					if byID[p.CIID] == nil && !roots[p.CIID] && len(order) < MaxDependencies {
						byID[p.CIID] = &Dependency{CIID: p.CIID, Name: p.CIName, Type: p.CIType, Status: string(p.CIStatus), DependsOn: []string{}}
						order = append(order, p.CIID)
					}
				}
			}
			for _, p := range providers[id] {
				if d := byID[p]; d != nil && !seen[p] {
					seen[p] = true
					if !slices.Contains(d.Services, svc.Name) {
						d.Services = append(d.Services, svc.Name)
					}
					queue = append(queue, p)
				}
			}
		}
	}
	within := map[int64][]int64{}
	for _, id := range order {
		for _, p := range providers[id] {
			if d := byID[p]; d != nil {
				within[id] = append(within[id], p)
				byID[id].DependsOn = append(byID[id].DependsOn, d.Name)
			}
		}
	}
	ranks := RecoveryOrder(order, within)
	for _, id := range order {
		d := byID[id]
		d.Order = ranks[id]
		out = append(out, *d)
	}
	slices.SortStableFunc(out, func(a, b Dependency) int {
		if a.Order != b.Order {
			return a.Order - b.Order
		}
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	return out, nil
}

// providers are the CIs whose failure impacts ci: those it depends on or
// runs on, those used by it or hosting it, and (apart) a cluster's,
// pool's or fleet's members.
func (s *Service) providers(ctx context.Context, ci int64) (ps, members []cmdb.RelatedCI, err error) {
	for _, side := range []struct {
		dir   string
		types []cmdb.RelType
	}{
		{cmdb.Outgoing, []cmdb.RelType{cmdb.DependsOn, cmdb.RunsOn}},
		{cmdb.Incoming, []cmdb.RelType{cmdb.UsedBy, cmdb.Hosts, cmdb.MemberOf}},
	} {
		page, err := s.CMDB.CIRelationships(ctx, ci, cmdb.RelatedFilter{Direction: side.dir, Types: side.types, Limit: cmdb.MaxLimit})
		if err != nil {
			return nil, nil, err
		}
		for _, r := range page.Items {
			switch {
			case r.Impact != cmdb.ImpactedBy:
			case r.Type == cmdb.MemberOf:
				members = append(members, r)
			default:
				ps = append(ps, r)
			}
		}
	}
	return ps, members, nil
}

// RecoveryOrder ranks CIs so that each comes after every CI it depends on
// (its providers among ids): CIs depending on none are 1, the others one
// more than their latest provider. A cycle is cut where it is entered, so
// every CI gets an order.
func RecoveryOrder(ids []int64, providers map[int64][]int64) map[int64]int {
	rank := map[int64]int{}
	onPath := map[int64]bool{}
	var visit func(id int64) int
	visit = func(id int64) int {
		if r, ok := rank[id]; ok {
			return r
		}
		if onPath[id] {
			return 0
		}
		onPath[id] = true
		r := 1
		for _, p := range providers[id] {
			if pr := visit(p); pr+1 > r {
				r = pr + 1
			}
		}
		onPath[id] = false
		rank[id] = r
		return r
	}
	for _, id := range ids {
		visit(id)
	}
	return rank
}
