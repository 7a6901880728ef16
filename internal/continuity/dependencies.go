package continuity

import (
	"context"
	"slices"
	"strings"

	"steward/internal/cmdb"
)

// MaxDependencies bounds the CIs one plan lists: a service that depends
// on more is modelled through aggregate CIs, and the plan says so.
const MaxDependencies = 200

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
}

// Dependencies reads from the CMDB what the services depend on: the
// upstream of the CIs that stand for them, each with its recovery order.
func (s *Service) Dependencies(ctx context.Context, services []PlanService) ([]Dependency, error) {
	out := []Dependency{}
	if s.CMDB == nil || len(services) == 0 {
		return out, nil
	}
	byID := map[int64]*Dependency{}
	var order []int64
	roots := map[int64]bool{}
	for _, svc := range services {
		page, err := s.CMDB.ListCIs(ctx, cmdb.CIFilter{ServiceID: svc.ID, Limit: 20})
		if err != nil {
			return nil, err
		}
		if len(page.Items) == 0 {
			continue
		}
		var start []int64
		for _, ci := range page.Items {
			start = append(start, ci.ID)
			roots[ci.ID] = true
		}
		res, err := s.CMDB.Impact(ctx, cmdb.ImpactQuery{Failed: start, Direction: cmdb.Up, Limit: MaxDependencies})
		if err != nil {
			return nil, err
		}
		for _, it := range res.Items {
			d, ok := byID[it.CIID]
			if !ok {
				if len(order) >= MaxDependencies {
					continue
				}
				d = &Dependency{CIID: it.CIID, Name: it.Name, Type: it.Type}
				byID[it.CIID] = d
				order = append(order, it.CIID)
			}
			if !slices.Contains(d.Services, svc.Name) {
				d.Services = append(d.Services, svc.Name)
			}
		}
	}
	providers := map[int64][]int64{}
	for _, id := range order {
		ps, err := s.providers(ctx, id)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			if d, ok := byID[p.CIID]; ok && !roots[p.CIID] && p.CIID != id && !slices.Contains(providers[id], p.CIID) {
				providers[id] = append(providers[id], p.CIID)
				byID[id].DependsOn = append(byID[id].DependsOn, d.Name)
			}
		}
	}
	statuses, err := s.statuses(ctx, order)
	if err != nil {
		return nil, err
	}
	ranks := RecoveryOrder(order, providers)
	for _, id := range order {
		d := byID[id]
		d.Order, d.Status = ranks[id], statuses[id]
		if d.DependsOn == nil {
			d.DependsOn = []string{}
		}
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
// runs on, those used by it or hosting it, and a cluster's members.
func (s *Service) providers(ctx context.Context, ci int64) ([]cmdb.RelatedCI, error) {
	var out []cmdb.RelatedCI
	for _, side := range []struct {
		dir   string
		types []cmdb.RelType
	}{
		{cmdb.Outgoing, []cmdb.RelType{cmdb.DependsOn, cmdb.RunsOn}},
		{cmdb.Incoming, []cmdb.RelType{cmdb.UsedBy, cmdb.Hosts, cmdb.MemberOf}},
	} {
		page, err := s.CMDB.CIRelationships(ctx, ci, cmdb.RelatedFilter{Direction: side.dir, Types: side.types, Limit: cmdb.MaxLimit})
		if err != nil {
			return nil, err
		}
		for _, r := range page.Items {
			if r.Impact == cmdb.ImpactedBy {
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// statuses reads the CIs' recorded statuses (live, maintenance, ...).
func (s *Service) statuses(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	for _, id := range ids {
		ci, err := s.CMDB.GetCI(ctx, id)
		if err != nil {
			return nil, err
		}
		out[id] = string(ci.Status)
	}
	return out, nil
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
