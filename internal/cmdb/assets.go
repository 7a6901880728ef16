package cmdb

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/catalog"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Assets (8.2.5): the asset record of a CI that is an owned thing, with its
// purchase, supplier, contract, warranty, lifecycle dates and, for
// software, the licence seats owned; licence compliance; and the report of
// warranties and licences ending soon.

// Lifecycle holds an asset's lifecycle dates (YYYY-MM-DD), null when not
// known. Ordered, received, deployed and retire_by follow each other;
// disposed comes after ordered, received and deployed but may come before
// retire_by (an asset retired early).
type Lifecycle struct {
	Ordered  *string `json:"ordered"`
	Received *string `json:"received"`
	Deployed *string `json:"deployed"`
	RetireBy *string `json:"retire_by"`
	Disposed *string `json:"disposed"`
}

// dates lists the lifecycle dates in order, with their field names.
func (l *Lifecycle) dates() []struct {
	name string
	at   **string
} {
	return []struct {
		name string
		at   **string
	}{{"ordered", &l.Ordered}, {"received", &l.Received}, {"deployed", &l.Deployed}, {"retire_by", &l.RetireBy}, {"disposed", &l.Disposed}}
}

// AssetInput is an asset record as a client sends it (PUT replaces it
// whole: absent fields become empty). ChangeRef optionally names the
// change record that authorised the write; it goes to the CI's history.
type AssetInput struct {
	AssetTag     string         `json:"asset_tag"`
	PurchaseDate *string        `json:"purchase_date"`
	Cost         catalog.Amount `json:"cost"`
	Supplier     string         `json:"supplier"`
	Contract     string         `json:"contract"`
	WarrantyEnd  *string        `json:"warranty_end"`
	Lifecycle    *Lifecycle     `json:"lifecycle"`
	SeatsOwned   *int64         `json:"seats_owned"`
	LicenceEnd   *string        `json:"licence_end"`
	ChangeRef    string         `json:"change_ref"`
}

// Asset is the asset record of a CI.
type Asset struct {
	CIID         int64          `json:"ci_id"`
	CIName       string         `json:"ci_name"`
	CIType       string         `json:"ci_type"`
	AssetTag     string         `json:"asset_tag"`
	PurchaseDate *string        `json:"purchase_date"`
	Cost         *catalog.Cents `json:"cost"`
	Supplier     string         `json:"supplier"`
	Contract     string         `json:"contract"`
	WarrantyEnd  *string        `json:"warranty_end"`
	Lifecycle    Lifecycle      `json:"lifecycle"`
	SeatsOwned   *int64         `json:"seats_owned"`
	LicenceEnd   *string        `json:"licence_end"`
	CreatedAt    time.Time      `json:"created_at"`
	UpdatedAt    time.Time      `json:"updated_at"`
	Version      int            `json:"version"`
}

// MaxSeats bounds the seats a licence may own.
const MaxSeats = 100_000_000

var isoDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// checkDate validates an optional date in place; blank becomes null.
func checkDate(v *domainerr.Invalid, field string, d **string) {
	if *d == nil {
		return
	}
	s := strings.TrimSpace(**d)
	if s == "" {
		*d = nil
		return
	}
	if _, err := time.Parse("2006-01-02", s); err != nil || !isoDate.MatchString(s) {
		v.Add(field, "must be a date as YYYY-MM-DD, not %q", s)
		return
	}
	*d = &s
}

// assetFrom validates in and builds the record it describes.
func assetFrom(ciID int64, in AssetInput) (Asset, error) {
	v := domainerr.NewInvalid()
	a := Asset{CIID: ciID, AssetTag: strings.TrimSpace(in.AssetTag), Supplier: strings.TrimSpace(in.Supplier),
		Contract: strings.TrimSpace(in.Contract), PurchaseDate: in.PurchaseDate, WarrantyEnd: in.WarrantyEnd,
		SeatsOwned: in.SeatsOwned, LicenceEnd: in.LicenceEnd}
	domainerr.Text(v, "asset_tag", a.AssetTag, false, domainerr.MaxShort)
	domainerr.Text(v, "supplier", a.Supplier, false, domainerr.MaxName)
	domainerr.Text(v, "contract", a.Contract, false, domainerr.MaxName)
	domainerr.Text(v, "change_ref", in.ChangeRef, false, domainerr.MaxShort)
	if in.Cost != "" {
		c, err := catalog.ParseAmount(string(in.Cost))
		if err != nil {
			v.Add("cost", "%s", err)
		}
		a.Cost = &c
	}
	if a.SeatsOwned != nil && (*a.SeatsOwned < 0 || *a.SeatsOwned > MaxSeats) {
		v.Add("seats_owned", "must be a whole number from 0 to %d", MaxSeats)
	}
	checkDate(v, "purchase_date", &a.PurchaseDate)
	checkDate(v, "warranty_end", &a.WarrantyEnd)
	checkDate(v, "licence_end", &a.LicenceEnd)
	if in.Lifecycle != nil {
		a.Lifecycle = *in.Lifecycle
	}
	dates := a.Lifecycle.dates()
	for _, d := range dates {
		checkDate(v, "lifecycle."+d.name, d.at)
	}
	// Each date must not be before an earlier one (retire_by, a plan, does
	// not bind disposed).
	for i, later := range dates {
		for _, earlier := range dates[:i] {
			if *later.at == nil || *earlier.at == nil || (later.name == "disposed" && earlier.name == "retire_by") {
				continue
			}
			if **later.at < **earlier.at && !v.Has("lifecycle."+earlier.name) {
				v.Add("lifecycle."+later.name, "must not be before lifecycle.%s (%s)", earlier.name, **earlier.at)
			}
		}
	}
	return a, v.Err()
}

// historyValues is the asset as its CI's history records it, field by
// field ("asset.<name>"), nil for empty.
func (a *Asset) historyValues() [][2]any {
	str := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	var cost, seats *string
	if a.Cost != nil {
		cost = str(a.Cost.String())
	}
	if a.SeatsOwned != nil {
		seats = str(strconv.FormatInt(*a.SeatsOwned, 10))
	}
	out := [][2]any{{"asset_tag", str(a.AssetTag)}, {"purchase_date", a.PurchaseDate}, {"cost", cost},
		{"supplier", str(a.Supplier)}, {"contract", str(a.Contract)}, {"warranty_end", a.WarrantyEnd}}
	for _, d := range a.Lifecycle.dates() {
		out = append(out, [2]any{"lifecycle." + d.name, *d.at})
	}
	return append(out, [2]any{"seats_owned", seats}, [2]any{"licence_end", a.LicenceEnd})
}

// assetChanges lists the fields that differ between two versions of an
// asset (either may be nil: none), as history entries.
func assetChanges(ciID int64, old, cur *Asset, ref string) []Change {
	var was, now [][2]any
	if old != nil {
		was = old.historyValues()
	}
	if cur != nil {
		now = cur.historyValues()
	}
	var out []Change
	for i := range max(len(was), len(now)) {
		var name string
		var o, n *string
		if i < len(was) {
			name, o = was[i][0].(string), was[i][1].(*string)
		}
		if i < len(now) {
			name, n = now[i][0].(string), now[i][1].(*string)
		}
		if (o == nil) != (n == nil) || (o != nil && *o != *n) {
			out = append(out, Change{CIID: ciID, Action: ActionUpdate, Field: "asset." + name, Old: o, New: n, ChangeRef: ref})
		}
	}
	return out
}

const assetCols = `a.ci_id, c.name, t.name, a.asset_tag, a.purchase_date, a.cost, a.supplier, a.contract, a.warranty_end,
	a.lifecycle, a.seats_owned, a.licence_end, a.created_at, a.updated_at, a.version
	FROM assets a JOIN cis c ON c.id = a.ci_id JOIN ci_types t ON t.id = c.type_id`

func scanAsset(sc interface{ Scan(...any) error }) (Asset, error) {
	var a Asset
	var cost *int64
	var life string
	var created, updated store.Time
	if err := sc.Scan(&a.CIID, &a.CIName, &a.CIType, &a.AssetTag, &a.PurchaseDate, &cost, &a.Supplier, &a.Contract,
		&a.WarrantyEnd, &life, &a.SeatsOwned, &a.LicenceEnd, &created, &updated, &a.Version); err != nil {
		return Asset{}, store.ScanErr(err)
	}
	if cost != nil {
		c := catalog.Cents(*cost)
		a.Cost = &c
	}
	_ = json.Unmarshal([]byte(life), &a.Lifecycle) // a damaged value shows as no dates
	a.CreatedAt, a.UpdatedAt = created.Time, updated.Time
	return a, nil
}

// Asset returns the asset record of a CI (ErrNotFound when it has none).
func (s *Service) Asset(ctx context.Context, ciID int64) (Asset, error) {
	return scanAsset(s.DB.QueryRow(ctx, "SELECT "+assetCols+" WHERE a.ci_id = ?", ciID))
}

// PutAsset creates or replaces the asset record of a CI. ifVersion is the
// version the caller read (0: any; -1: one never issued); a record that
// has moved on, or does not exist when a version is named, is ErrStale.
// It reports whether the record was created. Each changed field goes to
// the CI's history as asset.<field>, and the write to the audit trail.
func (s *Service) PutAsset(ctx context.Context, actor audit.Actor, ciID int64, in AssetInput, ifVersion int) (Asset, bool, error) {
	a, err := assetFrom(ciID, in)
	if err != nil {
		return Asset{}, false, err
	}
	created := false
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		err := store.ScanErr(tx.QueryRow(ctx, "SELECT c.name, t.name FROM cis c JOIN ci_types t ON t.id = c.type_id WHERE c.id = ?",
			ciID).Scan(&a.CIName, &a.CIType))
		if err != nil {
			return err
		}
		old, err := scanAsset(tx.QueryRow(ctx, "SELECT "+assetCols+" WHERE a.ci_id = ?", ciID))
		var prev *Asset
		switch {
		case errors.Is(err, store.ErrNotFound):
			if ifVersion != 0 {
				return domainerr.ErrStale
			}
		case err != nil:
			return err
		default:
			if ifVersion != 0 && ifVersion != old.Version {
				return domainerr.ErrStale
			}
			prev = &old
		}
		changes := assetChanges(ciID, prev, &a, in.ChangeRef)
		if prev != nil && len(changes) == 0 {
			a = old // nothing to change: no new version
			return nil
		}
		if prev == nil {
			created = true
			err = insertAsset(ctx, tx, &a, s.recordedAt())
		} else {
			err = updateAsset(ctx, tx, &a, prev, s.recordedAt())
		}
		if err != nil {
			return err
		}
		for _, c := range changes {
			if err := RecordChange(ctx, tx, actor, c); err != nil {
				return err
			}
		}
		action := "update"
		if created {
			action = "create"
		}
		return audit.Record(ctx, tx, actor, action, "asset", ciID, auditedChanges(changes))
	})
	if err != nil {
		return Asset{}, false, err
	}
	return a, created, nil
}

// assetArgs are the stored forms of cost and lifecycle.
func assetArgs(a *Asset) (cost any, life string) {
	raw, _ := json.Marshal(a.Lifecycle)
	if a.Cost != nil {
		cost = int64(*a.Cost)
	}
	return cost, string(raw)
}

func insertAsset(ctx context.Context, tx *store.Tx, a *Asset, now time.Time) error {
	a.CreatedAt, a.UpdatedAt, a.Version = now, now, 1
	cost, life := assetArgs(a)
	_, err := tx.Exec(ctx, `INSERT INTO assets (ci_id, asset_tag, purchase_date, cost, supplier, contract, warranty_end,
		lifecycle, seats_owned, licence_end, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
		a.CIID, a.AssetTag, a.PurchaseDate, cost, a.Supplier, a.Contract, a.WarrantyEnd, life, a.SeatsOwned,
		a.LicenceEnd, store.TS(now), store.TS(now))
	return err
}

func updateAsset(ctx context.Context, tx *store.Tx, a, prev *Asset, now time.Time) error {
	a.CreatedAt, a.UpdatedAt, a.Version = prev.CreatedAt, now, prev.Version+1
	cost, life := assetArgs(a)
	res, err := tx.Exec(ctx, `UPDATE assets SET asset_tag = ?, purchase_date = ?, cost = ?, supplier = ?, contract = ?,
		warranty_end = ?, lifecycle = ?, seats_owned = ?, licence_end = ?, updated_at = ?, version = version + 1
		WHERE ci_id = ? AND version = ?`, a.AssetTag, a.PurchaseDate, cost, a.Supplier, a.Contract, a.WarrantyEnd,
		life, a.SeatsOwned, a.LicenceEnd, store.TS(now), a.CIID, prev.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domainerr.ErrStale
	}
	return nil
}

// auditedChanges is the audit trail's data for an asset write: each
// changed field with its old and new value.
func auditedChanges(changes []Change) map[string]any {
	out := map[string]any{}
	for _, c := range changes {
		out[strings.TrimPrefix(c.Field, "asset.")] = map[string]*string{"old": c.Old, "new": c.New}
	}
	return out
}

// DeleteAsset removes the asset record of a CI (the CI stays). Each field
// it held goes to the CI's history as cleared.
func (s *Service) DeleteAsset(ctx context.Context, actor audit.Actor, ciID int64, ifVersion int, changeRef string) error {
	v := domainerr.NewInvalid()
	domainerr.Text(v, "change_ref", changeRef, false, domainerr.MaxShort)
	if err := v.Err(); err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		old, err := scanAsset(tx.QueryRow(ctx, "SELECT "+assetCols+" WHERE a.ci_id = ?", ciID))
		if err != nil {
			return err
		}
		if ifVersion != 0 && ifVersion != old.Version {
			return domainerr.ErrStale
		}
		if _, err := tx.Exec(ctx, "DELETE FROM assets WHERE ci_id = ?", ciID); err != nil {
			return err
		}
		changes := assetChanges(ciID, &old, nil, changeRef)
		for _, c := range changes {
			if err := RecordChange(ctx, tx, actor, c); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, actor, "delete", "asset", ciID, auditedChanges(changes))
	})
}

// AssetPage is a page of the asset register, by CI id.
type AssetPage struct {
	Items      []Asset `json:"items"`
	NextCursor string  `json:"next_cursor"`
}

// Assets pages through the asset register.
func (s *Service) Assets(ctx context.Context, limit int, cursor string) (AssetPage, error) {
	limit = pageLimit(limit)
	key, err := decodePageKey(cursor)
	if err != nil {
		return AssetPage{}, err
	}
	rows, err := s.DB.Query(ctx, "SELECT "+assetCols+" WHERE a.ci_id > ? ORDER BY a.ci_id LIMIT ?", key.ID, limit+1)
	if err != nil {
		return AssetPage{}, err
	}
	defer rows.Close()
	page := AssetPage{Items: []Asset{}}
	for rows.Next() {
		a, err := scanAsset(rows)
		if err != nil {
			return AssetPage{}, err
		}
		page.Items = append(page.Items, a)
	}
	if err := rows.Err(); err != nil {
		return AssetPage{}, err
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.NextCursor = pageKey{ID: page.Items[limit-1].CIID}.encode()
	}
	return page, nil
}
