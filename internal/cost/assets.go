package cost

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"steward/internal/cmdb"
	"steward/internal/store"
)

// DefaultLife is the life over which hardware without a retirement date
// is amortised, and a licence without an end date.
const DefaultLife = 36

// AssetLine is one costed asset a service runs on: its cost spread evenly
// over the months of its life (hardware: purchase to retirement; a
// licence: purchase to the licence's end; without an end, DefaultLife
// months), and shared equally by the services whose upstream reaches it.
type AssetLine struct {
	CIID       int64  `json:"ci_id"`
	Name       string `json:"name"`
	Licence    bool   `json:"licence"`
	Cost       int64  `json:"cost"`
	Start      string `json:"start"`
	LifeMonths int    `json:"life_months"`
	SharedBy   int    `json:"shared_by"`
	// Undated is true for an asset with a cost but no purchase date: it
	// cannot be amortised and counts nothing.
	Undated bool `json:"undated"`
}

// asset is a costed asset with its amortisation.
type asset struct {
	AssetLine
	first  Period // the month of purchase
	months []int64
}

// perMonth is what the asset costs in month m (all services together).
func (a *asset) perMonth(m Period) int64 {
	k := (m.Start.Year()-a.first.Start.Year())*12 + int(m.Start.Month()) - int(a.first.Start.Month())
	if a.Undated || k < 0 || k >= len(a.months) {
		return 0
	}
	return a.months[k]
}

func loadAssets(ctx context.Context, q store.Querier) (map[int64]*asset, error) {
	rows, err := q.Query(ctx, `SELECT a.ci_id, c.name, a.cost, a.purchase_date, a.licence_end, a.seats_owned, a.lifecycle
		FROM assets a JOIN cis c ON c.id = a.ci_id WHERE a.cost IS NOT NULL AND a.cost > 0`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]*asset{}
	for rows.Next() {
		var a asset
		var bought, licEnd *string
		var seats *int64
		var life string
		if err := rows.Scan(&a.CIID, &a.Name, &a.Cost, &bought, &licEnd, &seats, &life); err != nil {
			return nil, err
		}
		a.Licence = seats != nil || licEnd != nil
		var lc struct {
			RetireBy *string `json:"retire_by"`
		}
		_ = json.Unmarshal([]byte(life), &lc)
		start, err := time.Parse(time.DateOnly, deref(bought))
		if err != nil {
			a.Undated = true
			out[a.CIID] = &a
			continue
		}
		a.Start = start.Format(time.DateOnly)
		a.first = MonthOf(start.Year(), start.Month())
		end := lc.RetireBy
		if a.Licence {
			end = licEnd
		}
		a.LifeMonths = DefaultLife
		if e, err := time.Parse(time.DateOnly, deref(end)); err == nil {
			// The end date is the last day in use: a licence from 1 January
			// to 31 December runs twelve months.
			e = e.AddDate(0, 0, 1)
			a.LifeMonths = max(1, (e.Year()-start.Year())*12+int(e.Month())-int(start.Month()))
		}
		a.months = spread(a.Cost, a.LifeMonths)
		out[a.CIID] = &a
	}
	return out, rows.Err()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// upstream maps each costed asset to the services whose business service
// CIs depend on it, directly or through others, as the CMDB's upstream
// impact analysis walks (a business service CI's own asset counts for its
// service). truncated lists the services whose upstream was too large to
// walk whole.
func (s *Service) upstream(ctx context.Context, q store.Querier, costed map[int64]*asset) (map[int64][]int64, map[int64]bool, error) {
	users := map[int64][]int64{}
	truncated := map[int64]bool{}
	if s.CMDB == nil || len(costed) == 0 {
		return users, truncated, nil
	}
	rows, err := q.Query(ctx, `SELECT service_id, id FROM cis WHERE service_id IS NOT NULL ORDER BY service_id, id`)
	if err != nil {
		return nil, nil, err
	}
	bySvc := map[int64][]int64{}
	var order []int64
	for rows.Next() {
		var svc, ci int64
		if err := rows.Scan(&svc, &ci); err != nil {
			rows.Close()
			return nil, nil, err
		}
		if _, ok := bySvc[svc]; !ok {
			order = append(order, svc)
		}
		bySvc[svc] = append(bySvc[svc], ci)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	for _, svc := range order {
		reached := map[int64]bool{}
		for _, ci := range bySvc[svc] {
			reached[ci] = true
		}
		res, err := s.CMDB.Impact(ctx, cmdb.ImpactQuery{Failed: bySvc[svc], Direction: cmdb.Up})
		if err != nil {
			return nil, nil, err
		}
		truncated[svc] = res.Truncated
		for _, it := range res.Items {
			reached[it.CIID] = true
		}
		for ci := range reached {
			if _, ok := costed[ci]; ok {
				users[ci] = append(users[ci], svc)
			}
		}
	}
	for ci := range users {
		slices.Sort(users[ci])
	}
	return users, truncated, nil
}

// assetShare is what service svc bears of asset a in month m: the month's
// amount spread over the services using it, in service id order.
func assetShare(a *asset, users []int64, svc int64, m Period) int64 {
	i := slices.Index(users, svc)
	if i < 0 {
		return 0
	}
	return spread(a.perMonth(m), len(users))[i]
}

// sortAssets orders asset lines by name, then CI id.
func sortAssets(a []AssetLine) {
	slices.SortFunc(a, func(x, y AssetLine) int {
		if x.Name != y.Name {
			if x.Name < y.Name {
				return -1
			}
			return 1
		}
		return int(x.CIID - y.CIID)
	})
}
