package cmdb

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"steward/internal/domainerr"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

func assetDay(s string) *string { return &s }

func assetSeats(n int64) *int64 { return &n }

// assetHistory lists a CI's asset entries as "field: old -> new".
func assetHistory(t *testing.T, db *store.DB, ciID int64) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT action, field, old_value, new_value, change_ref FROM ci_history
		WHERE ci_id = ? ORDER BY seq`, ciID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var action, field, ref string
		var o, n *string
		if err := rows.Scan(&action, &field, &o, &n, &ref); err != nil {
			t.Fatal(err)
		}
		show := func(p *string) string {
			if p == nil {
				return "null"
			}
			return *p
		}
		out = append(out, fmt.Sprintf("%s %s: %s -> %s %s", action, field, show(o), show(n), ref))
	}
	return out
}

func TestAssetRecord(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		s := newEstate(t, e)
		srv := s.ci("web01", "Server", `{"hostname":"web01"}`)
		in := AssetInput{AssetTag: "A-100", PurchaseDate: assetDay("2025-03-01"), Cost: "1250.5", Supplier: "Acme",
			WarrantyEnd: assetDay("2028-03-01"), Lifecycle: &Lifecycle{Ordered: assetDay("2025-02-20"), Deployed: assetDay("2025-03-10")},
			ChangeRef: "CHG-7"}
		a, created, err := s.svc.PutAsset(ctx, estateActor, srv, in, 0)
		if err != nil || !created || a.Version != 1 || a.Cost.String() != "1250.50" || a.CIName != "web01" || a.CIType != "Server" {
			t.Fatalf("create: %v %v %+v", err, created, a)
		}
		hist := assetHistory(t, e.DB, srv)
		want := []string{"update asset.asset_tag: null -> A-100 CHG-7", "update asset.purchase_date: null -> 2025-03-01 CHG-7",
			"update asset.cost: null -> 1250.50 CHG-7", "update asset.supplier: null -> Acme CHG-7",
			"update asset.warranty_end: null -> 2028-03-01 CHG-7", "update asset.lifecycle.ordered: null -> 2025-02-20 CHG-7",
			"update asset.lifecycle.deployed: null -> 2025-03-10 CHG-7"}
		if fmt.Sprint(hist) != fmt.Sprint(want) {
			t.Fatalf("history:\n%v\nwant\n%v", hist, want)
		}

		// The same record again changes nothing.
		in.ChangeRef = ""
		again, created, err := s.svc.PutAsset(ctx, estateActor, srv, in, 1)
		if err != nil || created || again.Version != 1 || len(assetHistory(t, e.DB, srv)) != len(want) {
			t.Fatalf("unchanged put: %v %+v", err, again)
		}
		// A replace: what is left out is cleared.
		in = AssetInput{AssetTag: "A-100", Cost: "1250.50", Supplier: "Acme Ltd", WarrantyEnd: assetDay("2028-03-01"),
			Lifecycle: &Lifecycle{Ordered: assetDay("2025-02-20"), Deployed: assetDay("2025-03-10"), RetireBy: assetDay("2030-01-01")}}
		if _, _, err := s.svc.PutAsset(ctx, estateActor, srv, in, 7); !errors.Is(err, domainerr.ErrStale) {
			t.Fatalf("stale version: %v", err)
		}
		a, _, err = s.svc.PutAsset(ctx, estateActor, srv, in, 1)
		if err != nil || a.Version != 2 || a.PurchaseDate != nil || *a.Lifecycle.RetireBy != "2030-01-01" {
			t.Fatalf("replace: %v %+v", err, a)
		}
		hist = assetHistory(t, e.DB, srv)[len(want):]
		if fmt.Sprint(hist) != "[update asset.purchase_date: 2025-03-01 -> null  update asset.supplier: Acme -> Acme Ltd  update asset.lifecycle.retire_by: null -> 2030-01-01 ]" {
			t.Fatalf("replace history: %v", hist)
		}
		got, err := s.svc.Asset(ctx, srv)
		if err != nil || got.Version != 2 || got.Supplier != "Acme Ltd" || *got.Cost != *a.Cost {
			t.Fatalf("get: %v %+v", err, got)
		}

		if err := s.svc.DeleteAsset(ctx, estateActor, srv, 1, "CHG-9"); !errors.Is(err, domainerr.ErrStale) {
			t.Fatalf("stale delete: %v", err)
		}
		if err := s.svc.DeleteAsset(ctx, estateActor, srv, 2, "CHG-9"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.svc.Asset(ctx, srv); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleted asset: %v", err)
		}
		hist = assetHistory(t, e.DB, srv)
		if last := hist[len(hist)-1]; last != "update asset.lifecycle.retire_by: 2030-01-01 -> null CHG-9" {
			t.Fatalf("delete history: %v", hist)
		}
		var audited int
		if err := e.DB.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log WHERE entity = 'asset' AND entity_id = ?", fmt.Sprint(srv)).Scan(&audited); err != nil || audited != 3 {
			t.Fatalf("audit entries: %d %v", audited, err)
		}
		// A record that no longer exists cannot be replaced at a version.
		if _, _, err := s.svc.PutAsset(ctx, estateActor, srv, in, 2); !errors.Is(err, domainerr.ErrStale) {
			t.Fatalf("put at a version of a deleted record: %v", err)
		}
		if _, _, err := s.svc.PutAsset(ctx, estateActor, 9999, in, 0); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("asset of no CI: %v", err)
		}
	})
}

func TestAssetValidation(t *testing.T) {
	cases := []struct {
		name string
		in   AssetInput
		want map[string]string
	}{
		{"lifecycle out of order", AssetInput{Lifecycle: &Lifecycle{Ordered: assetDay("2025-03-01"), Received: assetDay("2025-02-01"), Deployed: assetDay("2025-04-01")}},
			map[string]string{"lifecycle.received": "must not be before lifecycle.ordered (2025-03-01)"}},
		{"deployed before received", AssetInput{Lifecycle: &Lifecycle{Received: assetDay("2025-03-01"), Deployed: assetDay("2025-02-28"), RetireBy: assetDay("2025-02-01")}},
			map[string]string{"lifecycle.deployed": "lifecycle.received", "lifecycle.retire_by": "lifecycle.received"}},
		{"disposed before deployed", AssetInput{Lifecycle: &Lifecycle{Deployed: assetDay("2025-03-01"), Disposed: assetDay("2025-01-01")}},
			map[string]string{"lifecycle.disposed": "lifecycle.deployed"}},
		{"bad dates", AssetInput{PurchaseDate: assetDay("2025-02-30"), WarrantyEnd: assetDay("soon"), Lifecycle: &Lifecycle{Ordered: assetDay("25-1-1")}},
			map[string]string{"purchase_date": "YYYY-MM-DD", "warranty_end": "YYYY-MM-DD", "lifecycle.ordered": "YYYY-MM-DD"}},
		{"cost", AssetInput{Cost: "12.345"}, map[string]string{"cost": "at most two decimals"}},
		{"negative cost", AssetInput{Cost: "-1"}, map[string]string{"cost": "negative"}},
		{"seats", AssetInput{SeatsOwned: assetSeats(-1)}, map[string]string{"seats_owned": "from 0"}},
		{"long tag", AssetInput{AssetTag: string(make([]byte, 101))}, map[string]string{"asset_tag": "at most 100"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := assetFrom(1, c.in)
			estateFields(t, err, c.want)
		})
	}
	// Retiring early: disposed may come before the planned retire_by.
	a, err := assetFrom(1, AssetInput{Lifecycle: &Lifecycle{Deployed: assetDay("2025-01-01"), RetireBy: assetDay("2030-01-01"), Disposed: assetDay("2026-06-01")},
		PurchaseDate: assetDay(" "), Cost: "0"})
	if err != nil || a.PurchaseDate != nil || a.Cost == nil || *a.Cost != 0 {
		t.Fatalf("early disposal: %v %+v", err, a)
	}
}

func TestLicenceCompliance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		s := newEstate(t, e)
		office := s.ci("Office", "Software", `{}`)
		s.ci("Editor", "Software", `{}`)
		s.ci("m1", "Server", `{"hostname":"m1"}`)
		s.ci("m2", "Server", `{"hostname":"m2"}`)
		s.ci("m3", "Server", `{"hostname":"m3"}`)
		s.ci("app", "Application", `{}`)
		s.rel("Office", RunsOn, "m1")
		s.rel("m2", Hosts, "Office")
		s.rel("Office", RunsOn, "m3")
		s.rel("m3", Hosts, "Office") // the same installation said twice
		s.rel("Office", DependsOn, "m2")
		s.rel("app", RunsOn, "Office") // not an installation of Office
		s.rel("Editor", ConnectedTo, "m1")
		if _, _, err := s.svc.PutAsset(ctx, estateActor, office, AssetInput{SeatsOwned: assetSeats(2), LicenceEnd: assetDay("2027-01-31")}, 0); err != nil {
			t.Fatal(err)
		}
		page, err := s.svc.Licences(ctx, 1, "")
		if err != nil || len(page.Items) != 1 || page.NextCursor == "" {
			t.Fatalf("first page: %v %+v", err, page)
		}
		o := page.Items[0]
		if o.Name != "Office" || *o.SeatsOwned != 2 || o.Installed != 3 || o.Compliance != -1 || !o.OverDeployed || *o.LicenceEnd != "2027-01-31" {
			t.Fatalf("Office: %+v", o)
		}
		page, err = s.svc.Licences(ctx, 1, page.NextCursor)
		if err != nil || len(page.Items) != 1 || page.NextCursor != "" {
			t.Fatalf("second page: %v %+v", err, page)
		}
		if ed := page.Items[0]; ed.Name != "Editor" || ed.SeatsOwned != nil || ed.Installed != 0 || ed.Compliance != 0 || ed.OverDeployed {
			t.Fatalf("Editor: %+v", ed)
		}
		one, err := s.svc.LicenceOf(ctx, office)
		if err != nil || !reflect.DeepEqual(one, o) {
			t.Fatalf("LicenceOf: %v %+v", err, one)
		}
		if _, err := s.svc.Licences(ctx, 10, "garbage!"); !errors.Is(err, errPageKey) {
			t.Fatalf("bad cursor: %v", err)
		}
	})
}

func TestExpiringAssets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		s := newEstate(t, e)
		s.svc.Now = func() time.Time { return time.Date(2026, 3, 1, 23, 30, 0, 0, time.UTC) }
		put := func(name, typ string, in AssetInput) {
			t.Helper()
			id := s.ci(name, typ, `{}`)
			if _, _, err := s.svc.PutAsset(ctx, estateActor, id, in, 0); err != nil {
				t.Fatal(err)
			}
		}
		put("gw1", "IoT gateway", AssetInput{AssetTag: "G1", WarrantyEnd: assetDay("2026-03-11")})
		put("office", "Software", AssetInput{LicenceEnd: assetDay("2026-03-11"), WarrantyEnd: assetDay("2026-03-01")})
		put("gw2", "IoT gateway", AssetInput{WarrantyEnd: assetDay("2026-02-28")}) // ended yesterday
		put("gw3", "IoT gateway", AssetInput{WarrantyEnd: assetDay("2026-09-17"), Supplier: "Acme"})
		put("gw4", "IoT gateway", AssetInput{WarrantyEnd: assetDay("2026-03-11")})
		put("plain", "Server", AssetInput{AssetTag: "S1"})

		all := func(q ExpiringQuery) []string {
			t.Helper()
			var out []string
			q.Limit = 1
			for {
				page, err := s.svc.ExpiringAssets(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, x := range page.Items {
					out = append(out, fmt.Sprintf("%s %s %s %d", x.Date, x.Kind, x.Name, x.DaysLeft))
				}
				if q.Cursor = page.NextCursor; q.Cursor == "" {
					return out
				}
			}
		}
		got := all(ExpiringQuery{})
		want := []string{"2026-03-01 warranty office 0", "2026-03-11 licence office 10", "2026-03-11 warranty gw1 10", "2026-03-11 warranty gw4 10"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("90 days:\n%v\nwant\n%v", got, want)
		}
		if got := all(ExpiringQuery{Within: "1y", Kind: ExpiringWarranty}); len(got) != 4 || got[3] != "2026-09-17 warranty gw3 200" {
			t.Fatalf("a year of warranties: %v", got)
		}
		if got := all(ExpiringQuery{Within: "10d", Kind: ExpiringLicence}); fmt.Sprint(got) != "[2026-03-11 licence office 10]" {
			t.Fatalf("licences within 10 days: %v", got)
		}
		if got := all(ExpiringQuery{Within: "9d"}); fmt.Sprint(got) != "[2026-03-01 warranty office 0]" {
			t.Fatalf("9 days: %v", got)
		}
		page, err := s.svc.ExpiringAssets(ctx, ExpiringQuery{Within: "5y"})
		if err != nil || page.Until != "2031-03-01" {
			t.Fatalf("5 years is the longest window: %v %+v", err, page.Until)
		}
		for within, msg := range map[string]string{"61m": "at most 5 years", "6y": "at most 5 years", "90": "such as 90d", "d": "such as 90d"} {
			_, err := s.svc.ExpiringAssets(ctx, ExpiringQuery{Within: within})
			estateFields(t, err, map[string]string{"within": msg})
		}
		_, err = s.svc.ExpiringAssets(ctx, ExpiringQuery{Kind: "lease"})
		estateFields(t, err, map[string]string{"kind": "warranty or licence"})
	})
}
