package request

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/org"
	"steward/internal/patch"
	"steward/internal/store"
)

// ApprovalRule says who must agree before a request of an item is fulfilled.
type ApprovalRule string

const (
	NoApproval      ApprovalRule = "none"
	UserApproval    ApprovalRule = "user"    // one named user
	ManagerApproval ApprovalRule = "manager" // the requester's manager
	GroupApproval   ApprovalRule = "group"   // a group: any one member, or all of them
)

// ApprovalMode says how many members of an approving group must agree.
type ApprovalMode string

const (
	AnyMember  ApprovalMode = "any"
	AllMembers ApprovalMode = "all"
)

// Approval is an item's approval rule.
type Approval struct {
	Rule    ApprovalRule `json:"rule"`
	UserID  *int64       `json:"user_id"`
	GroupID *int64       `json:"group_id"`
	Mode    ApprovalMode `json:"mode"`
}

// TaskTemplate is a task every request of an item starts with. Templates
// with the same order run in parallel; a higher order starts once every
// task of the lower orders is done or cancelled.
type TaskTemplate struct {
	Name    string `json:"name"`
	GroupID *int64 `json:"group_id"`
	Order   int    `json:"order"`
}

// MaxTaskTemplates bounds an item's templates; MaxOrder the order numbers.
const (
	MaxTaskTemplates = 30
	MaxOrder         = 100
)

// Item is something the catalogue offers to request.
type Item struct {
	ID          int64          `json:"id"`
	ServiceID   int64          `json:"service_id"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Active      bool           `json:"active"`
	Approval    Approval       `json:"approval"`
	GroupID     *int64         `json:"group_id"`
	Tasks       []TaskTemplate `json:"tasks"`
	Form        Form           `json:"form"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
	Version     int            `json:"version"`

	// Display names, read-only.
	ServiceName string `json:"service_name,omitempty"`
	GroupName   string `json:"group_name,omitempty"`

	// ServiceStatus is the service's status (pipeline, live, retired):
	// only a live service's items reach requesters.
	ServiceStatus string `json:"-"`
}

// NewItem is what an administrator gives to create an item.
type NewItem struct {
	ServiceID   int64          `json:"service_id"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Active      *bool          `json:"active"`
	Approval    *Approval      `json:"approval"`
	GroupID     *int64         `json:"group_id"`
	Tasks       []TaskTemplate `json:"tasks"`
	Form        *Form          `json:"form"`
}

// ItemPatch changes some of an item's fields; approval, tasks and form are
// replaced whole when given.
type ItemPatch struct {
	ServiceID   *int64             `json:"service_id"`
	Name        *string            `json:"name"`
	Description *string            `json:"description"`
	Active      *bool              `json:"active"`
	Approval    *Approval          `json:"approval"`
	GroupID     patch.Field[int64] `json:"group_id"`
	Tasks       *[]TaskTemplate    `json:"tasks"`
	Form        *Form              `json:"form"`
}

const itemCols = `i.id, i.service_id, i.name, i.description, i.active, i.approval_rule, i.approver_id,
	i.approval_group_id, i.approval_mode, i.group_id, i.form, i.created_at, i.updated_at, i.version,
	s.name, COALESCE(g.name, ''), s.status`

const itemFrom = ` FROM catalog_items i JOIN services s ON s.id = i.service_id
	LEFT JOIN support_groups g ON g.id = i.group_id`

func scanItem(r interface{ Scan(...any) error }) (Item, error) {
	var it Item
	var form string
	var created, updated store.Time
	err := r.Scan(&it.ID, &it.ServiceID, &it.Name, &it.Description, &it.Active, &it.Approval.Rule, &it.Approval.UserID,
		&it.Approval.GroupID, &it.Approval.Mode, &it.GroupID, &form, &created, &updated, &it.Version,
		&it.ServiceName, &it.GroupName, &it.ServiceStatus)
	if err != nil {
		return it, store.ScanErr(err)
	}
	it.CreatedAt, it.UpdatedAt = created.Time, updated.Time
	if err := json.Unmarshal([]byte(form), &it.Form); err != nil {
		return it, fmt.Errorf("item %d form: %w", it.ID, err)
	}
	if it.Form.Fields == nil {
		it.Form.Fields = []Field{}
	}
	return it, nil
}

func loadTemplates(ctx context.Context, q store.Querier, it *Item) error {
	rows, err := q.Query(ctx, "SELECT name, group_id, stage FROM catalog_task_templates WHERE item_id = ? ORDER BY seq", it.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	it.Tasks = []TaskTemplate{}
	for rows.Next() {
		var t TaskTemplate
		if err := rows.Scan(&t.Name, &t.GroupID, &t.Order); err != nil {
			return err
		}
		it.Tasks = append(it.Tasks, t)
	}
	return rows.Err()
}

func getItem(ctx context.Context, q store.Querier, id int64) (Item, error) {
	it, err := scanItem(q.QueryRow(ctx, "SELECT "+itemCols+itemFrom+" WHERE i.id = ?", id))
	if err != nil {
		return it, err
	}
	return it, loadTemplates(ctx, q, &it)
}

// offeredTo is the condition under which requesters of a customer (0: none)
// see an item: it is active and its service is live and offered to
// everyone (no customers listed) or to their customer.
func offeredTo(customerID int64) (string, []any) {
	return `i.active = ? AND s.status = 'live' AND (NOT EXISTS (SELECT 1 FROM service_customers sc WHERE sc.service_id = s.id)
		OR EXISTS (SELECT 1 FROM service_customers sc WHERE sc.service_id = s.id AND sc.customer_id = ?))`, []any{true, customerID}
}

// itemOffered reports whether the item is offered to requesters of customerID.
func itemOffered(ctx context.Context, q store.Querier, itemID, customerID int64) (bool, error) {
	cond, args := offeredTo(customerID)
	var one int
	err := store.ScanErr(q.QueryRow(ctx, "SELECT 1"+itemFrom+" WHERE i.id = ? AND "+cond, append([]any{itemID}, args...)...).Scan(&one))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// GetItem loads an item p may see: staff see every item, requesters the
// active items of live services offered to their organisation.
func (s *Service) GetItem(ctx context.Context, p *auth.Principal, id int64) (Item, error) {
	if !p.Can(PermCatalogRead) {
		return Item{}, domainerr.ErrForbidden
	}
	if !p.IsStaff() {
		ok, err := itemOffered(ctx, s.DB, id, p.CustomerID)
		if err != nil {
			return Item{}, err
		}
		if !ok {
			return Item{}, store.ErrNotFound
		}
	}
	return getItem(ctx, s.DB, id)
}

// ItemFilter narrows ListItems.
type ItemFilter struct {
	ServiceID int64
	Active    *bool
	After     int64 // keyset: items with a greater id
	Limit     int
}

// ListItems lists the items p may see, by id.
func (s *Service) ListItems(ctx context.Context, p *auth.Principal, f ItemFilter) ([]Item, error) {
	if !p.Can(PermCatalogRead) {
		return nil, domainerr.ErrForbidden
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 50
	}
	q := "SELECT " + itemCols + itemFrom + " WHERE i.id > ?"
	args := []any{f.After}
	if !p.IsStaff() {
		cond, cargs := offeredTo(p.CustomerID)
		q += " AND " + cond
		args = append(args, cargs...)
	}
	if f.ServiceID != 0 {
		q += " AND i.service_id = ?"
		args = append(args, f.ServiceID)
	}
	if f.Active != nil {
		q += " AND i.active = ?"
		args = append(args, *f.Active)
	}
	q += " ORDER BY i.id LIMIT ?"
	args = append(args, f.Limit)
	rows, err := s.DB.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	out := []Item{}
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if err := loadTemplates(ctx, s.DB, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CreateItem validates and records a new catalogue item.
func (s *Service) CreateItem(ctx context.Context, p *auth.Principal, in NewItem) (Item, error) {
	if !p.Can(PermCatalogWrite) {
		return Item{}, domainerr.ErrForbidden
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	it := Item{ServiceID: in.ServiceID, Name: strings.TrimSpace(in.Name), Description: in.Description, Active: true,
		Approval: Approval{Rule: NoApproval, Mode: AnyMember}, GroupID: in.GroupID, Tasks: in.Tasks,
		Form: Form{Fields: []Field{}}, CreatedAt: now, UpdatedAt: now, Version: 1}
	if in.Active != nil {
		it.Active = *in.Active
	}
	if in.Approval != nil {
		it.Approval = *in.Approval
	}
	if in.Form != nil {
		it.Form = *in.Form
	}
	if err := s.checkItem(ctx, &it, it.Active); err != nil {
		return Item{}, err
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		form, _ := json.Marshal(it.Form)
		err := tx.QueryRow(ctx, `INSERT INTO catalog_items (service_id, name, description, active, approval_rule,
			approver_id, approval_group_id, approval_mode, group_id, form, created_at, updated_at, version)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) RETURNING id`, it.ServiceID, it.Name, it.Description, it.Active,
			string(it.Approval.Rule), it.Approval.UserID, it.Approval.GroupID, string(it.Approval.Mode), it.GroupID,
			string(form), store.TS(now), store.TS(now)).Scan(&it.ID)
		if err := store.ScanErr(err); err != nil {
			return nameTaken(err)
		}
		if err := writeTemplates(ctx, tx, it.ID, it.Tasks); err != nil {
			return err
		}
		return audit.Record(ctx, tx, p.Actor(), "create", "catalog_item", it.ID, it)
	})
	if err != nil {
		return Item{}, err
	}
	return getItem(ctx, s.DB, it.ID)
}

func nameTaken(err error) error {
	if errors.Is(err, store.ErrConflict) {
		return domainerr.Field("name", "is already the name of an item of this service")
	}
	return err
}

func writeTemplates(ctx context.Context, tx *store.Tx, itemID int64, tasks []TaskTemplate) error {
	if _, err := tx.Exec(ctx, "DELETE FROM catalog_task_templates WHERE item_id = ?", itemID); err != nil {
		return err
	}
	for i, t := range tasks {
		if _, err := tx.Exec(ctx, "INSERT INTO catalog_task_templates (item_id, seq, name, group_id, stage) VALUES (?, ?, ?, ?, ?)",
			itemID, i+1, t.Name, t.GroupID, t.Order); err != nil {
			return err
		}
	}
	return nil
}

// UpdateItem applies a patch; with ifVersion other than 0 it is refused with
// ErrStale when the item moved on. Requests already submitted keep the form
// they were submitted with.
func (s *Service) UpdateItem(ctx context.Context, p *auth.Principal, id int64, pt ItemPatch, ifVersion int) (Item, error) {
	if !p.Can(PermCatalogWrite) {
		return Item{}, domainerr.ErrForbidden
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := getItem(ctx, tx, id)
		if err != nil {
			return err
		}
		if ifVersion != 0 && cur.Version != ifVersion {
			return domainerr.ErrStale
		}
		next := cur
		if pt.ServiceID != nil {
			next.ServiceID = *pt.ServiceID
		}
		if pt.Name != nil {
			next.Name = strings.TrimSpace(*pt.Name)
		}
		if pt.Description != nil {
			next.Description = *pt.Description
		}
		if pt.Active != nil {
			next.Active = *pt.Active
		}
		if pt.Approval != nil {
			next.Approval = *pt.Approval
		}
		if pt.GroupID.Set {
			next.GroupID = pt.GroupID.Ptr()
		}
		if pt.Tasks != nil {
			next.Tasks = *pt.Tasks
		}
		if pt.Form != nil {
			next.Form = *pt.Form
		}
		publishing := next.Active && (!cur.Active || next.ServiceID != cur.ServiceID)
		if err := s.checkItem(ctx, &next, publishing); err != nil {
			return err
		}
		form, _ := json.Marshal(next.Form)
		res, err := tx.Exec(ctx, `UPDATE catalog_items SET service_id = ?, name = ?, description = ?, active = ?,
			approval_rule = ?, approver_id = ?, approval_group_id = ?, approval_mode = ?, group_id = ?, form = ?,
			updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`, next.ServiceID, next.Name,
			next.Description, next.Active, string(next.Approval.Rule), next.Approval.UserID, next.Approval.GroupID,
			string(next.Approval.Mode), next.GroupID, string(form), store.TS(time.Now()), id, cur.Version)
		if err != nil {
			return nameTaken(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domainerr.ErrStale
		}
		if pt.Tasks != nil {
			if err := writeTemplates(ctx, tx, id, next.Tasks); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, p.Actor(), "update", "catalog_item", id, pt)
	})
	if err != nil {
		return Item{}, err
	}
	return getItem(ctx, s.DB, id)
}

// DeleteItem removes an item no request refers to; others are refused with
// a conflict: deactivate them instead.
func (s *Service) DeleteItem(ctx context.Context, p *auth.Principal, id int64) error {
	if !p.Can(PermCatalogWrite) {
		return domainerr.ErrForbidden
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		it, err := getItem(ctx, tx, id)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM requests WHERE item_id = ?", id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return domainerr.Conflictf("%d requests refer to %q; make it inactive instead", n, it.Name)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM catalog_items WHERE id = ?", id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, p.Actor(), "delete", "catalog_item", id, map[string]string{"name": it.Name})
	})
}

// checkItem validates an item as it would be stored, normalising defaults.
// An item being published (made active, or moved while active) must be on
// a live service; one already published on a service retired since may
// still be edited, and its page warns.
func (s *Service) checkItem(ctx context.Context, it *Item, publishing bool) error {
	v := domainerr.NewInvalid()
	domainerr.Text(v, "name", it.Name, true, domainerr.MaxName)
	domainerr.Text(v, "description", it.Description, false, domainerr.MaxText)
	if it.ServiceID <= 0 {
		v.Add("service_id", "is required")
	} else {
		var name, status string
		err := store.ScanErr(s.DB.QueryRow(ctx, "SELECT name, status FROM services WHERE id = ?", it.ServiceID).Scan(&name, &status))
		switch {
		case errors.Is(err, store.ErrNotFound):
			v.Add("service_id", "service %d does not exist", it.ServiceID)
		case err != nil:
			return err
		case publishing && status != "live":
			v.Add("service_id", "%s is %s, and only a live service offers items to requesters: choose a live service or leave the item inactive", name, status)
		}
	}
	if err := s.checkGroup(ctx, "group_id", it.GroupID, v); err != nil {
		return err
	}
	if err := s.checkApproval(ctx, &it.Approval, v); err != nil {
		return err
	}
	if it.Tasks == nil {
		it.Tasks = []TaskTemplate{}
	}
	if len(it.Tasks) > MaxTaskTemplates {
		v.Add("tasks", "must have at most %d tasks", MaxTaskTemplates)
	}
	for i := range it.Tasks {
		t := &it.Tasks[i]
		at := fmt.Sprintf("tasks[%d]", i)
		t.Name = strings.TrimSpace(t.Name)
		domainerr.Text(v, at+".name", t.Name, true, domainerr.MaxTitle)
		if t.Order == 0 {
			t.Order = 1
		}
		if t.Order < 1 || t.Order > MaxOrder {
			v.Add(at+".order", "must be from 1 to %d", MaxOrder)
		}
		if err := s.checkGroup(ctx, at+".group_id", t.GroupID, v); err != nil {
			return err
		}
	}
	if it.Form.Fields == nil {
		it.Form.Fields = []Field{}
	}
	it.Form.Validate("form", v)
	return v.Err()
}

func (s *Service) checkApproval(ctx context.Context, a *Approval, v *domainerr.Invalid) error {
	if a.Rule == "" {
		a.Rule = NoApproval
	}
	if a.Mode == "" {
		a.Mode = AnyMember
	}
	switch a.Rule {
	case NoApproval, ManagerApproval, UserApproval, GroupApproval:
	default:
		v.Add("approval.rule", "must be none, user, manager or group")
		return nil
	}
	if a.Mode != AnyMember && a.Mode != AllMembers {
		v.Add("approval.mode", "must be any or all")
	} else if a.Mode != AnyMember && a.Rule != GroupApproval {
		v.Add("approval.mode", "only applies to approval by a group")
	}
	if a.Rule != UserApproval && a.UserID != nil {
		v.Add("approval.user_id", "only applies to approval by a named user")
	}
	if a.Rule != GroupApproval && a.GroupID != nil {
		v.Add("approval.group_id", "only applies to approval by a group")
	}
	switch a.Rule {
	case UserApproval:
		if a.UserID == nil {
			v.Add("approval.user_id", "is required for approval by a named user")
			return nil
		}
		return org.CheckApprover(ctx, s.DB, "approval.user_id", *a.UserID, PermApprove, v)
	case GroupApproval:
		if a.GroupID == nil {
			v.Add("approval.group_id", "is required for approval by a group")
			return nil
		}
		return s.checkGroup(ctx, "approval.group_id", a.GroupID, v)
	}
	return nil
}

// checkApprover verifies that a user exists, is active and may decide approvals.

func (s *Service) checkGroup(ctx context.Context, field string, id *int64, v *domainerr.Invalid) error {
	if id == nil {
		return nil
	}
	ok, err := exists(ctx, s.DB, "support_groups", *id)
	if err == nil && !ok {
		v.Add(field, "group %d does not exist", *id)
	}
	return err
}

// exists reports whether table has a row with id. table is always a
// constant of this package.
func exists(ctx context.Context, q store.Querier, table string, id int64) (bool, error) {
	var one int
	err := store.ScanErr(q.QueryRow(ctx, "SELECT 1 FROM "+table+" WHERE id = ?", id).Scan(&one))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
