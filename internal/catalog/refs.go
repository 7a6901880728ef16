package catalog

import (
	"context"
	"errors"
	"slices"
	"strings"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// checkOwner verifies that the owner is an active agent or administrator:
// a service is owned by someone who answers for it, as the service form
// asks.
func checkOwner(ctx context.Context, q store.Querier, v *domainerr.Invalid, id *int64) error {
	return auth.CheckWorker(ctx, q, v, "owner_id", id)
}

// changedID is next when it names someone other than cur, else nil: a
// record keeps the person it already names without their being checked
// again.
func changedID(cur, next *int64) *int64 {
	if cur != nil && next != nil && *cur == *next {
		return nil
	}
	return next
}

func checkGroup(ctx context.Context, q store.Querier, v *domainerr.Invalid, id *int64) error {
	if id == nil {
		return nil
	}
	var one int
	err := store.ScanErr(q.QueryRow(ctx, "SELECT 1 FROM support_groups WHERE id = ?", *id).Scan(&one))
	if errors.Is(err, store.ErrNotFound) {
		v.Add("support_group_id", "group %d does not exist", *id)
		return nil
	}
	return err
}

// distinct sorts ids and drops repeats, so that lists compare and store
// the same way however they were sent.
func distinct(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []int64{}
	}
	return out
}

// missing names the ids of list that are not in table.
func missing(ctx context.Context, q store.Querier, table string, ids []int64) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := q.Query(ctx, "SELECT id FROM "+table+" WHERE id IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")+")", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		found[id] = true
	}
	var out []int64
	for _, id := range ids {
		if !found[id] {
			out = append(out, id)
		}
	}
	return out, rows.Err()
}

func checkCustomers(ctx context.Context, q store.Querier, v *domainerr.Invalid, ids []int64) ([]int64, error) {
	ids = distinct(ids)
	if len(ids) > MaxCustomers {
		v.Add("customer_ids", "at most %d customers", MaxCustomers)
		return ids, nil
	}
	gone, err := missing(ctx, q, "customers", ids)
	if len(gone) > 0 {
		v.Add("customer_ids", "customer %d does not exist", gone[0])
	}
	return ids, err
}

// checkDependencies verifies the services that service id (0 for a new
// one) is to depend on: they exist, it is not among them, and none of them
// already depends on it, directly or through others.
func checkDependencies(ctx context.Context, q store.Querier, v *domainerr.Invalid, id int64, deps []int64) ([]int64, error) {
	deps = distinct(deps)
	if len(deps) > MaxDependencies {
		v.Add("depends_on", "at most %d services", MaxDependencies)
		return deps, nil
	}
	if id != 0 && slices.Contains(deps, id) {
		v.Add("depends_on", "a service cannot depend on itself")
		return deps, nil
	}
	gone, err := missing(ctx, q, "services", deps)
	if err != nil {
		return deps, err
	}
	if len(gone) > 0 {
		v.Add("depends_on", "service %d does not exist", gone[0])
		return deps, nil
	}
	if id == 0 || len(deps) == 0 {
		return deps, nil // nothing depends on a new service yet, so it closes no cycle
	}
	path, err := cycle(ctx, q, id, deps)
	if err != nil || path == nil {
		return deps, err
	}
	names, err := serviceNames(ctx, q)
	if err != nil {
		return deps, err
	}
	parts := make([]string, len(path))
	for i, s := range path {
		parts[i] = names[s]
	}
	v.Add("depends_on", "would close a cycle of dependencies: %s", strings.Join(parts, " → "))
	return deps, nil
}

// cycle looks for a way from one of deps back to id along the stored
// dependencies, and returns it as id → dep → ... → id, or nil. The whole
// graph is read at once: a catalogue has hundreds of edges, not millions.
func cycle(ctx context.Context, q store.Querier, id int64, deps []int64) ([]int64, error) {
	rows, err := q.Query(ctx, "SELECT service_id, depends_on_id FROM service_dependencies WHERE service_id <> ? LIMIT 100000", id)
	if err != nil {
		return nil, err
	}
	edges := map[int64][]int64{}
	for rows.Next() {
		var from, to int64
		if err := rows.Scan(&from, &to); err != nil {
			rows.Close()
			return nil, err
		}
		edges[from] = append(edges[from], to)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	edges[id] = deps
	// Depth-first from id; a path that comes back to id is the cycle.
	seen := map[int64]bool{}
	var walk func(at int64, path []int64) []int64
	walk = func(at int64, path []int64) []int64 {
		for _, next := range edges[at] {
			if next == id {
				return append(slices.Clone(path), id)
			}
			if seen[next] {
				continue
			}
			seen[next] = true
			if found := walk(next, append(path, next)); found != nil {
				return found
			}
		}
		return nil
	}
	return walk(id, []int64{id}), nil
}

func serviceNames(ctx context.Context, q store.Querier) (map[int64]string, error) {
	rows, err := q.Query(ctx, "SELECT id, name FROM services LIMIT 10000")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var n string
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

// Names maps every service id to its name, for journals and forms.
func (c *Catalog) Names(ctx context.Context) (map[int64]string, error) {
	return serviceNames(ctx, c.DB)
}
