package availability

import (
	"context"
	"slices"
	"strings"
	"time"

	"steward/internal/store"
)

// Agreed maintenance is the planned window [planned_start, planned_end)
// of every approved change (scheduled, being implemented, in review or
// closed) that touches the service itself or a CI the service is built
// on (the CMDB's ServicesOf). Time inside it counts neither as agreed
// time nor as downtime. The services' and CIs' standing maintenance
// calendars (schedule) say when changes may be made, not that one was:
// they are not excluded unless a change used them.

// approvedStates are the states of a change whose window was agreed.
const approvedStates = `('scheduled', 'implementing', 'review', 'closed')`

// interval is [start, end).
type interval struct{ start, end time.Time }

// maintenance reads the agreed maintenance of the services within [from,
// to), per service, sorted and merged. services nil means all.
func (s *Service) maintenance(ctx context.Context, q store.Querier, services []int64, from, to time.Time) (map[int64][]interval, error) {
	out := map[int64][]interval{}
	want := map[int64]bool{}
	for _, id := range services {
		want[id] = true
	}
	keep := func(id int64) bool { return services == nil || want[id] }
	window := ` c.planned_start IS NOT NULL AND c.planned_end IS NOT NULL AND c.state IN ` + approvedStates + `
		AND c.planned_start < ? AND c.planned_end > ?`
	rows, err := q.Query(ctx, `SELECT cs.service_id, c.planned_start, c.planned_end FROM changes c
		JOIN change_services cs ON cs.change_id = c.id WHERE`+window, store.TS(to), store.TS(from))
	if err != nil {
		return nil, err
	}
	err = eachWindow(rows, func(id int64, iv interval) {
		if keep(id) {
			out[id] = append(out[id], iv)
		}
	})
	if err != nil {
		return nil, err
	}
	byCI := map[int64][]interval{}
	rows, err = q.Query(ctx, `SELECT rc.ci_id, c.planned_start, c.planned_end FROM changes c
		JOIN record_cis rc ON rc.kind = 'change' AND rc.record_id = c.id WHERE`+window, store.TS(to), store.TS(from))
	if err != nil {
		return nil, err
	}
	if err := eachWindow(rows, func(id int64, iv interval) { byCI[id] = append(byCI[id], iv) }); err != nil {
		return nil, err
	}
	if len(byCI) > 0 {
		svcOf, err := s.cisServices(ctx, q, byCI)
		if err != nil {
			return nil, err
		}
		for ci, ivs := range byCI {
			for _, svc := range svcOf[ci] {
				if keep(svc) {
					out[svc] = append(out[svc], ivs...)
				}
			}
		}
	}
	for id, ivs := range out {
		out[id] = merge(ivs, from, to)
	}
	return out, nil
}

func eachWindow(rows *store.Rows, f func(int64, interval)) error {
	defer rows.Close()
	for rows.Next() {
		var id int64
		var a, b store.Time
		if err := rows.Scan(&id, &a, &b); err != nil {
			return err
		}
		f(id, interval{a.Time, b.Time})
	}
	return rows.Err()
}

// cisServices maps each CI to the catalogue services built on it: those
// its own CI or a CI depending on it stands for.
func (s *Service) cisServices(ctx context.Context, q store.Querier, cis map[int64][]interval) (map[int64][]int64, error) {
	ids := make([]int64, 0, len(cis))
	for id := range cis {
		ids = append(ids, id)
	}
	reach := map[int64][]int64{}
	if s.Impact != nil {
		var err error
		if reach, err = s.Impact.ServicesOf(ctx, ids); err != nil {
			return nil, err
		}
	}
	var all []int64
	for _, id := range ids {
		reach[id] = append(reach[id], id)
		all = append(all, reach[id]...)
	}
	slices.Sort(all)
	all = slices.Compact(all)
	stands := map[int64]int64{}
	for len(all) > 0 {
		n := min(len(all), 500)
		args := make([]any, n)
		for i, id := range all[:n] {
			args[i] = id
		}
		rows, err := q.Query(ctx, "SELECT id, service_id FROM cis WHERE service_id IS NOT NULL AND id IN ("+
			strings.TrimSuffix(strings.Repeat("?,", n), ",")+")", args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var ci, svc int64
			if err := rows.Scan(&ci, &svc); err != nil {
				rows.Close()
				return nil, err
			}
			stands[ci] = svc
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		all = all[n:]
	}
	out := map[int64][]int64{}
	for ci, reached := range reach {
		for _, x := range reached {
			if svc, ok := stands[x]; ok && !slices.Contains(out[ci], svc) {
				out[ci] = append(out[ci], svc)
			}
		}
	}
	return out, nil
}

// merge clips intervals to [from, to), sorts them and joins those that
// overlap or touch.
func merge(ivs []interval, from, to time.Time) []interval {
	var out []interval
	for _, iv := range ivs {
		if iv.start.Before(from) {
			iv.start = from
		}
		if iv.end.After(to) {
			iv.end = to
		}
		if iv.end.After(iv.start) {
			out = append(out, iv)
		}
	}
	slices.SortFunc(out, func(a, b interval) int { return a.start.Compare(b.start) })
	j := 0
	for i := range out {
		if j > 0 && !out[i].start.After(out[j-1].end) {
			if out[i].end.After(out[j-1].end) {
				out[j-1].end = out[i].end
			}
			continue
		}
		out[j] = out[i]
		j++
	}
	return out[:j]
}
