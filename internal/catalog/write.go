package catalog

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Create validates and records a new service.
func (c *Catalog) Create(ctx context.Context, p *auth.Principal, in NewService) (Service, error) {
	if !p.Can(auth.ServiceWrite) {
		return Service{}, domainerr.ErrForbidden
	}
	if in.Status == "" {
		in.Status = Pipeline
	}
	if in.Criticality == "" {
		in.Criticality = Medium
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	s := Service{
		Name: strings.TrimSpace(in.Name), Description: in.Description, OwnerID: in.OwnerID, Status: in.Status,
		CustomerIDs: in.CustomerIDs, SupportGroupID: in.SupportGroupID, Criticality: in.Criticality,
		Hours: strings.TrimSpace(in.Hours), DependsOn: in.DependsOn, CreatedAt: now, UpdatedAt: now, Version: 1,
	}
	v := domainerr.NewInvalid()
	if in.CostPerMonth != "" {
		cost, err := ParseAmount(string(in.CostPerMonth))
		if err != nil {
			v.Add("cost_per_month", "%s", err.Error())
		}
		s.CostPerMonth = cost
	}
	validFields(v, s)
	err := c.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if err = checkOwner(ctx, tx, v, s.OwnerID); err != nil {
			return err
		}
		if err = checkGroup(ctx, tx, v, s.SupportGroupID); err != nil {
			return err
		}
		if s.CustomerIDs, err = checkCustomers(ctx, tx, v, s.CustomerIDs); err != nil {
			return err
		}
		if s.DependsOn, err = checkDependencies(ctx, tx, v, 0, s.DependsOn); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		err = store.ScanErr(tx.QueryRow(ctx, `INSERT INTO services (name, description, owner_id, status, support_group_id,
			criticality, cost_per_month, hours, created_at, updated_at, version)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) RETURNING id`,
			s.Name, s.Description, s.OwnerID, string(s.Status), s.SupportGroupID, string(s.Criticality),
			int64(s.CostPerMonth), s.Hours, store.TS(now), store.TS(now)).Scan(&s.ID))
		if errors.Is(err, store.ErrConflict) {
			return domainerr.Field("name", "a service named %q already exists", s.Name)
		} else if err != nil {
			return err
		}
		if err := writeLists(ctx, tx, s.ID, s.CustomerIDs, s.DependsOn, true, true); err != nil {
			return err
		}
		return audit.Record(ctx, tx, p.Actor(), "create", "service", s.ID, s)
	})
	if err != nil {
		return Service{}, err
	}
	return get(ctx, c.DB, s.ID)
}

// validFields checks what needs no database: texts, status, criticality.
func validFields(v *domainerr.Invalid, s Service) {
	domainerr.Text(v, "name", s.Name, true, domainerr.MaxName)
	domainerr.Text(v, "description", s.Description, false, domainerr.MaxText)
	domainerr.Text(v, "hours", s.Hours, false, domainerr.MaxShort)
	if !s.Status.valid() {
		v.Add("status", "must be pipeline, live or retired")
	}
	if !s.Criticality.valid() {
		v.Add("criticality", "must be low, medium, high or critical")
	}
}

// Update applies a patch. With ifVersion other than 0 the change is
// refused with ErrStale when the service moved on meanwhile.
func (c *Catalog) Update(ctx context.Context, p *auth.Principal, id int64, pt Patch, ifVersion int) (Service, error) {
	if !p.Can(auth.ServiceWrite) {
		return Service{}, domainerr.ErrForbidden
	}
	err := c.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := get(ctx, tx, id)
		if err != nil {
			return err
		}
		if ifVersion != 0 && cur.Version != ifVersion {
			return domainerr.ErrStale
		}
		next, err := apply(ctx, tx, cur, pt)
		if err != nil {
			return err
		}
		changes := diff(cur, next)
		if len(changes) == 0 {
			return nil
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		res, err := tx.Exec(ctx, `UPDATE services SET name = ?, description = ?, owner_id = ?, status = ?,
			support_group_id = ?, criticality = ?, cost_per_month = ?, hours = ?, updated_at = ?, version = version + 1
			WHERE id = ? AND version = ?`,
			next.Name, next.Description, next.OwnerID, string(next.Status), next.SupportGroupID, string(next.Criticality),
			int64(next.CostPerMonth), next.Hours, store.TS(now), id, cur.Version)
		if errors.Is(err, store.ErrConflict) {
			return domainerr.Field("name", "a service named %q already exists", next.Name)
		} else if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domainerr.ErrStale
		}
		_, custChanged := changes["customer_ids"]
		_, depsChanged := changes["depends_on"]
		if err := writeLists(ctx, tx, id, next.CustomerIDs, next.DependsOn, custChanged, depsChanged); err != nil {
			return err
		}
		return audit.Record(ctx, tx, p.Actor(), "update", "service", id, changes)
	})
	if err != nil {
		return Service{}, err
	}
	return get(ctx, c.DB, id)
}

// apply computes the patched service and validates what the patch touches.
func apply(ctx context.Context, tx *store.Tx, cur Service, pt Patch) (Service, error) {
	next := cur
	v := domainerr.NewInvalid()
	if pt.Name != nil {
		next.Name = strings.TrimSpace(*pt.Name)
	}
	if pt.Description != nil {
		next.Description = *pt.Description
	}
	if pt.Hours != nil {
		next.Hours = strings.TrimSpace(*pt.Hours)
	}
	if pt.Status != nil {
		next.Status = *pt.Status
	}
	if pt.Criticality != nil {
		next.Criticality = *pt.Criticality
	}
	if pt.CostPerMonth != nil {
		cost, err := ParseAmount(string(*pt.CostPerMonth))
		if err != nil {
			v.Add("cost_per_month", "%s", err.Error())
		}
		next.CostPerMonth = cost
	}
	validFields(v, next)
	var err error
	if pt.OwnerID.Set {
		next.OwnerID = pt.OwnerID.Ptr()
		// The owner a service already has is kept, whatever their role now.
		if err = checkOwner(ctx, tx, v, changedID(cur.OwnerID, next.OwnerID)); err != nil {
			return next, err
		}
	}
	if pt.SupportGroupID.Set {
		next.SupportGroupID = pt.SupportGroupID.Ptr()
		if err = checkGroup(ctx, tx, v, next.SupportGroupID); err != nil {
			return next, err
		}
	}
	if pt.CustomerIDs.Set {
		if next.CustomerIDs, err = checkCustomers(ctx, tx, v, pt.CustomerIDs.V); err != nil {
			return next, err
		}
	}
	if pt.DependsOn.Set {
		if next.DependsOn, err = checkDependencies(ctx, tx, v, cur.ID, pt.DependsOn.V); err != nil {
			return next, err
		}
	}
	return next, v.Err()
}

// diff lists what changed as field -> [old, new], for the audit trail.
func diff(a, b Service) map[string][2]any {
	out := map[string][2]any{}
	add := func(field string, old, new any, same bool) {
		if !same {
			out[field] = [2]any{old, new}
		}
	}
	add("name", a.Name, b.Name, a.Name == b.Name)
	add("description", a.Description, b.Description, a.Description == b.Description)
	add("owner_id", a.OwnerID, b.OwnerID, sameRef(a.OwnerID, b.OwnerID))
	add("status", a.Status, b.Status, a.Status == b.Status)
	add("customer_ids", a.CustomerIDs, b.CustomerIDs, slices.Equal(a.CustomerIDs, b.CustomerIDs))
	add("support_group_id", a.SupportGroupID, b.SupportGroupID, sameRef(a.SupportGroupID, b.SupportGroupID))
	add("criticality", a.Criticality, b.Criticality, a.Criticality == b.Criticality)
	add("cost_per_month", a.CostPerMonth, b.CostPerMonth, a.CostPerMonth == b.CostPerMonth)
	add("hours", a.Hours, b.Hours, a.Hours == b.Hours)
	add("depends_on", a.DependsOn, b.DependsOn, slices.Equal(a.DependsOn, b.DependsOn))
	return out
}

func sameRef(a, b *int64) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// writeLists replaces a service's customers and dependencies, those asked.
func writeLists(ctx context.Context, tx *store.Tx, id int64, customers, deps []int64, doCustomers, doDeps bool) error {
	for _, rel := range []struct {
		do         bool
		table, col string
		ids        []int64
	}{
		{doCustomers, "service_customers", "customer_id", customers},
		{doDeps, "service_dependencies", "depends_on_id", deps},
	} {
		if !rel.do {
			continue
		}
		if _, err := tx.Exec(ctx, "DELETE FROM "+rel.table+" WHERE service_id = ?", id); err != nil {
			return err
		}
		for _, other := range rel.ids {
			if _, err := tx.Exec(ctx, "INSERT INTO "+rel.table+" (service_id, "+rel.col+") VALUES (?, ?)", id, other); err != nil {
				return err
			}
		}
	}
	return nil
}

// Delete removes a service nothing refers to. A service with incidents
// keeps its history: retire it instead.
func (c *Catalog) Delete(ctx context.Context, p *auth.Principal, id int64) error {
	if !p.Can(auth.ServiceWrite) {
		return domainerr.ErrForbidden
	}
	return c.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := get(ctx, tx, id)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM incidents WHERE service_id = ?", id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return domainerr.Conflictf("service %q cannot be deleted: %d incidents refer to it. Retire it instead (status retired): it leaves the catalogue and its history stays", cur.Name, n)
		}
		names, err := dependentNames(ctx, tx, id)
		if err != nil {
			return err
		}
		if len(names) > 0 {
			return domainerr.Conflictf("service %q cannot be deleted: %s depend on it. Remove those dependencies first, or retire it instead", cur.Name, strings.Join(names, ", "))
		}
		_, err = tx.Exec(ctx, "DELETE FROM services WHERE id = ?", id)
		if errors.Is(err, store.ErrReferenced) {
			return domainerr.Conflictf("service %q cannot be deleted: other records refer to it. Retire it instead (status retired)", cur.Name)
		} else if err != nil {
			return err
		}
		return audit.Record(ctx, tx, p.Actor(), "delete", "service", id, map[string]any{"name": cur.Name})
	})
}

func dependentNames(ctx context.Context, q store.Querier, id int64) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT s.name FROM service_dependencies d JOIN services s ON s.id = d.service_id
		WHERE d.depends_on_id = ? ORDER BY lower(s.name) LIMIT 20`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
