package sla

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/calendar"
	"steward/internal/domainerr"
	"steward/internal/patch"
	"steward/internal/store"
)

// Document is a link to the signed agreement or an annex of it.
type Document struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// Agreement is a documented promise about service: an SLA with a
// customer, an OLA with an internal support group, or an underpinning
// contract (UC) with a supplier. Its definitions say what is measured.
type Agreement struct {
	ID              int64         `json:"id"`
	Kind            AgreementKind `json:"kind"`
	Name            string        `json:"name"`
	Description     string        `json:"description"`
	CustomerID      *int64        `json:"customer_id"`      // sla
	GroupID         *int64        `json:"group_id"`         // ola
	SupplierName    string        `json:"supplier_name"`    // uc
	SupplierContact string        `json:"supplier_contact"` // uc
	ContractStart   *string       `json:"contract_start"`   // YYYY-MM-DD
	ContractEnd     *string       `json:"contract_end"`
	ReviewDate      *string       `json:"review_date"` // next review with the other party
	Documents       []Document    `json:"documents"`
	Active          bool          `json:"active"`
	CreatedAt       time.Time     `json:"created_at"`
	UpdatedAt       time.Time     `json:"updated_at"`
	Version         int           `json:"version"`
}

// NewAgreement is what creating an agreement takes.
type NewAgreement struct {
	Kind            AgreementKind `json:"kind"`
	Name            string        `json:"name"`
	Description     string        `json:"description"`
	CustomerID      *int64        `json:"customer_id"`
	GroupID         *int64        `json:"group_id"`
	SupplierName    string        `json:"supplier_name"`
	SupplierContact string        `json:"supplier_contact"`
	ContractStart   *string       `json:"contract_start"`
	ContractEnd     *string       `json:"contract_end"`
	ReviewDate      *string       `json:"review_date"`
	Documents       []Document    `json:"documents"`
	Active          *bool         `json:"active"` // default true
}

// AgreementPatch changes some fields; absent fields stay, null clears.
type AgreementPatch struct {
	Kind            *AgreementKind      `json:"kind"`
	Name            *string             `json:"name"`
	Description     *string             `json:"description"`
	CustomerID      patch.Field[int64]  `json:"customer_id"`
	GroupID         patch.Field[int64]  `json:"group_id"`
	SupplierName    *string             `json:"supplier_name"`
	SupplierContact *string             `json:"supplier_contact"`
	ContractStart   patch.Field[string] `json:"contract_start"`
	ContractEnd     patch.Field[string] `json:"contract_end"`
	ReviewDate      patch.Field[string] `json:"review_date"`
	Documents       *[]Document         `json:"documents"`
	Active          *bool               `json:"active"`
}

// Limits on an agreement.
const (
	MaxDocuments = 20
	maxURL       = 2000
	maxContact   = 500
)

const agreementCols = `id, kind, name, description, customer_id, group_id, supplier_name, supplier_contact,
	contract_start, contract_end, review_date, documents, active, created_at, updated_at, version`

func scanAgreement(row interface{ Scan(...any) error }) (Agreement, error) {
	var a Agreement
	var docs string
	var created, updated store.Time
	err := row.Scan(&a.ID, &a.Kind, &a.Name, &a.Description, &a.CustomerID, &a.GroupID, &a.SupplierName, &a.SupplierContact,
		&a.ContractStart, &a.ContractEnd, &a.ReviewDate, &docs, &a.Active, &created, &updated, &a.Version)
	if err != nil {
		return a, store.ScanErr(err)
	}
	a.CreatedAt, a.UpdatedAt = created.Time, updated.Time
	if err := json.Unmarshal([]byte(docs), &a.Documents); err != nil {
		return a, fmt.Errorf("agreement %d: documents: %w", a.ID, err)
	}
	if a.Documents == nil {
		a.Documents = []Document{}
	}
	return a, nil
}

// GetAgreement loads one agreement.
func GetAgreement(ctx context.Context, q store.Querier, id int64) (Agreement, error) {
	return scanAgreement(q.QueryRow(ctx, "SELECT "+agreementCols+" FROM agreements WHERE id = ?", id))
}

// AgreementFilter narrows a list of agreements.
type AgreementFilter struct {
	Kind      AgreementKind // "" for all
	AfterName string        // keyset: the last row of the previous page
	AfterID   int64
	Limit     int
}

// ListAgreements returns agreements ordered by name.
func ListAgreements(ctx context.Context, q store.Querier, f AgreementFilter) ([]Agreement, error) {
	where, args := "(name > ? OR (name = ? AND id > ?))", []any{f.AfterName, f.AfterName, f.AfterID}
	if f.Kind != "" {
		where += " AND kind = ?"
		args = append(args, f.Kind)
	}
	rows, err := q.Query(ctx, "SELECT "+agreementCols+" FROM agreements WHERE "+where+" ORDER BY name, id LIMIT ?", append(args, f.Limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Agreement{}
	for rows.Next() {
		a, err := scanAgreement(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// AgreementNames maps every agreement's id to its name, for forms.
func AgreementNames(ctx context.Context, q store.Querier) (map[int64]string, error) {
	return names(ctx, q, "SELECT id, name FROM agreements ORDER BY name LIMIT 5000")
}

// normalize trims text and turns empty dates into none.
func (a *Agreement) normalize() {
	a.Kind = AgreementKind(strings.ToLower(strings.TrimSpace(string(a.Kind))))
	a.Name = strings.TrimSpace(a.Name)
	a.Description = strings.TrimSpace(a.Description)
	a.SupplierName = strings.TrimSpace(a.SupplierName)
	a.SupplierContact = strings.TrimSpace(a.SupplierContact)
	for _, d := range []**string{&a.ContractStart, &a.ContractEnd, &a.ReviewDate} {
		if *d != nil {
			if v := strings.TrimSpace(**d); v == "" {
				*d = nil
			} else {
				*d = &v
			}
		}
	}
	if a.Documents == nil {
		a.Documents = []Document{}
	}
	for i := range a.Documents {
		a.Documents[i].Name = strings.TrimSpace(a.Documents[i].Name)
		a.Documents[i].URL = strings.TrimSpace(a.Documents[i].URL)
	}
}

// validate checks an agreement, including that its party exists.
func (a *Agreement) validate(ctx context.Context, q store.Querier) error {
	v := domainerr.NewInvalid()
	domainerr.Text(v, "name", a.Name, true, domainerr.MaxName)
	domainerr.Text(v, "description", a.Description, false, domainerr.MaxText)
	domainerr.Text(v, "supplier_name", a.SupplierName, false, domainerr.MaxName)
	domainerr.Text(v, "supplier_contact", a.SupplierContact, false, maxContact)
	only := func(field string, set bool, kind string) {
		if set {
			v.Add(field, "is only for %s", kind)
		}
	}
	switch a.Kind {
	case SLA:
		if a.CustomerID == nil {
			v.Add("customer_id", "is required: an SLA is agreed with a customer")
		}
		only("group_id", a.GroupID != nil, "OLAs (an SLA names a customer)")
		only("supplier_name", a.SupplierName != "", "underpinning contracts (kind uc)")
		only("supplier_contact", a.SupplierContact != "", "underpinning contracts (kind uc)")
	case OLA:
		if a.GroupID == nil {
			v.Add("group_id", "is required: an OLA is agreed with a support group")
		}
		only("customer_id", a.CustomerID != nil, "SLAs (an OLA names a support group)")
		only("supplier_name", a.SupplierName != "", "underpinning contracts (kind uc)")
		only("supplier_contact", a.SupplierContact != "", "underpinning contracts (kind uc)")
	case UC:
		if a.SupplierName == "" {
			v.Add("supplier_name", "is required: an underpinning contract is made with a supplier")
		}
		only("customer_id", a.CustomerID != nil, "SLAs (an underpinning contract names a supplier)")
		only("group_id", a.GroupID != nil, "OLAs (an underpinning contract names a supplier)")
	default:
		v.Add("kind", "must be sla (with a customer), ola (with a support group) or uc (an underpinning contract with a supplier)")
	}
	dates := map[string]time.Time{}
	for field, d := range map[string]*string{"contract_start": a.ContractStart, "contract_end": a.ContractEnd, "review_date": a.ReviewDate} {
		if d == nil {
			continue
		}
		t, err := calendar.ParseDate(*d)
		if err != nil {
			v.Add(field, "%s", err)
			continue
		}
		dates[field] = t
	}
	if s, ok := dates["contract_start"]; ok {
		if e, ok := dates["contract_end"]; ok && e.Before(s) {
			v.Add("contract_end", "must not be before the contract start (%s)", *a.ContractStart)
		}
	}
	checkDocuments(v, a.Documents)
	if a.CustomerID != nil && !v.Has("customer_id") {
		refExists(ctx, q, v, "customer_id", "customers", "customer", *a.CustomerID)
	}
	if a.GroupID != nil && !v.Has("group_id") {
		refExists(ctx, q, v, "group_id", "support_groups", "group", *a.GroupID)
	}
	return v.Err()
}

func checkDocuments(v *domainerr.Invalid, docs []Document) {
	if len(docs) > MaxDocuments {
		v.Add("documents", "at most %d documents", MaxDocuments)
		return
	}
	for i, d := range docs {
		f := fmt.Sprintf("documents[%d]", i)
		domainerr.Text(v, f+".name", d.Name, true, domainerr.MaxName)
		if d.URL == "" {
			v.Add(f+".url", "is required")
			continue
		}
		if len(d.URL) > maxURL {
			v.Add(f+".url", "must be at most %d characters", maxURL)
			continue
		}
		u, err := url.Parse(d.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.Add(f+".url", "must be an http:// or https:// address")
		}
	}
}

// refExists adds a message for field when id is not a row of table. A
// database error is recorded as the message too and surfaces as 422 rather
// than hiding: it is rare and says what went wrong.
func refExists(ctx context.Context, q store.Querier, v *domainerr.Invalid, field, table, label string, id int64) {
	var one int64
	err := store.ScanErr(q.QueryRow(ctx, "SELECT id FROM "+table+" WHERE id = ?", id).Scan(&one))
	switch {
	case errors.Is(err, store.ErrNotFound):
		v.Add(field, "%s %d does not exist", label, id)
	case err != nil:
		v.Add(field, "could not be checked: %v", err)
	}
}

func agreementArgs(a *Agreement) []any {
	docs, _ := json.Marshal(a.Documents)
	return []any{string(a.Kind), a.Name, a.Description, a.CustomerID, a.GroupID, a.SupplierName, a.SupplierContact,
		a.ContractStart, a.ContractEnd, a.ReviewDate, string(docs), a.Active}
}

func agreementNameTaken(err error, name string) error {
	if errors.Is(err, store.ErrConflict) {
		return domainerr.Field("name", "an agreement named %q already exists", name)
	}
	return err
}

// CreateAgreement stores a new agreement.
func (s *Service) CreateAgreement(ctx context.Context, actor audit.Actor, in NewAgreement) (Agreement, error) {
	a := Agreement{Kind: in.Kind, Name: in.Name, Description: in.Description, CustomerID: in.CustomerID, GroupID: in.GroupID,
		SupplierName: in.SupplierName, SupplierContact: in.SupplierContact, ContractStart: in.ContractStart,
		ContractEnd: in.ContractEnd, ReviewDate: in.ReviewDate, Documents: in.Documents, Active: in.Active == nil || *in.Active}
	a.normalize()
	var id int64
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := a.validate(ctx, tx); err != nil {
			return err
		}
		now := store.TS(s.now())
		err := store.ScanErr(tx.QueryRow(ctx, `INSERT INTO agreements (kind, name, description, customer_id, group_id, supplier_name,
			supplier_contact, contract_start, contract_end, review_date, documents, active, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, append(agreementArgs(&a), now, now)...).Scan(&id))
		if err != nil {
			return agreementNameTaken(err, a.Name)
		}
		return audit.Record(ctx, tx, actor, "create", "agreement", id, a)
	})
	if err != nil {
		return Agreement{}, err
	}
	return GetAgreement(ctx, s.DB, id)
}

// apply lays a patch over an agreement.
func (pt AgreementPatch) apply(a *Agreement) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	if pt.Kind != nil {
		a.Kind = *pt.Kind
	}
	set(&a.Name, pt.Name)
	set(&a.Description, pt.Description)
	set(&a.SupplierName, pt.SupplierName)
	set(&a.SupplierContact, pt.SupplierContact)
	if pt.CustomerID.Set {
		a.CustomerID = pt.CustomerID.Ptr()
	}
	if pt.GroupID.Set {
		a.GroupID = pt.GroupID.Ptr()
	}
	for _, d := range []struct {
		dst **string
		f   patch.Field[string]
	}{{&a.ContractStart, pt.ContractStart}, {&a.ContractEnd, pt.ContractEnd}, {&a.ReviewDate, pt.ReviewDate}} {
		if d.f.Set {
			*d.dst = d.f.Ptr()
		}
	}
	if pt.Documents != nil {
		a.Documents = append([]Document{}, *pt.Documents...)
	}
	if pt.Active != nil {
		a.Active = *pt.Active
	}
}

// UpdateAgreement applies a patch; ifVersion 0 skips the concurrency check.
// A change of kind, party or active changes which tickets its definitions
// measure, so their open timers are recomputed; it returns how many.
func (s *Service) UpdateAgreement(ctx context.Context, actor audit.Actor, id int64, pt AgreementPatch, ifVersion int) (Agreement, int, error) {
	var recomputed int
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := GetAgreement(ctx, tx, id)
		if err != nil {
			return err
		}
		if ifVersion != 0 && cur.Version != ifVersion {
			return domainerr.ErrStale
		}
		next := cur
		next.Documents = append([]Document{}, cur.Documents...)
		pt.apply(&next)
		next.normalize()
		if err := next.validate(ctx, tx); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE agreements SET kind = ?, name = ?, description = ?, customer_id = ?, group_id = ?,
			supplier_name = ?, supplier_contact = ?, contract_start = ?, contract_end = ?, review_date = ?, documents = ?, active = ?,
			updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
			append(agreementArgs(&next), store.TS(s.now()), id, cur.Version)...)
		if err != nil {
			return agreementNameTaken(err, next.Name)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return domainerr.ErrStale
		}
		changes := agreementChanges(cur, next)
		if err := audit.Record(ctx, tx, actor, "update", "agreement", id, changes); err != nil {
			return err
		}
		for _, k := range []string{"kind", "customer_id", "group_id", "active"} {
			if _, ok := changes[k]; ok {
				recomputed, err = s.recomputeAgreement(ctx, tx, id)
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Agreement{}, 0, err
	}
	a, err := GetAgreement(ctx, s.DB, id)
	return a, recomputed, err
}

// recomputeAgreement recomputes the open timers of every definition of an
// agreement.
func (s *Service) recomputeAgreement(ctx context.Context, tx *store.Tx, id int64) (int, error) {
	defs, err := ListDefinitions(ctx, tx, DefinitionFilter{AgreementID: id, Limit: 10000})
	if err != nil {
		return 0, err
	}
	total := 0
	for _, d := range defs {
		n, err := s.RecomputeDefinition(ctx, tx, d.ID)
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

// agreementChanges lists changed fields as [old, new] for the audit trail.
func agreementChanges(old, next Agreement) map[string]any {
	ch := map[string]any{}
	ob, _ := json.Marshal(old)
	nb, _ := json.Marshal(next)
	var om, nm map[string]json.RawMessage
	json.Unmarshal(ob, &om)
	json.Unmarshal(nb, &nm)
	for k, nv := range nm {
		switch k {
		case "id", "created_at", "updated_at", "version":
			continue
		}
		if string(om[k]) != string(nv) {
			ch[k] = [2]json.RawMessage{om[k], nv}
		}
	}
	return ch
}

// DeleteAgreement removes an agreement without definitions. To stop an
// agreement that has some, set it inactive instead.
func (s *Service) DeleteAgreement(ctx context.Context, actor audit.Actor, id int64) error {
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := GetAgreement(ctx, tx, id)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM sla_definitions WHERE agreement_id = ?", id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return domainerr.Conflictf("agreement %q still has %d definition(s); delete them first, or set the agreement inactive to stop measuring it", cur.Name, n)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM agreements WHERE id = ?", id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM settings WHERE key = ? AND value = ?", defaultAgreementKey, strconv.FormatInt(id, 10)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "delete", "agreement", id, map[string]any{"name": cur.Name, "kind": cur.Kind})
	})
}
