package cost_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/cmdb"
	"steward/internal/cost"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// BenchmarkReportYear is the cost report of 200 services over a year by
// month: each with a business service on a server it shares with the
// next, a budget and a cost per quarter, and 50 outages.
func BenchmarkReportYear(b *testing.B) {
	ctx := context.Background()
	e := storetest.SQLite(b)
	c := cmdb.NewService(e.DB, nil)
	ts := store.TS(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	admin := &auth.Principal{Role: auth.Admin}
	svc := cost.NewService(e.DB, nil)
	svc.CMDB = c
	var servers []int64
	for i := range 200 {
		var id int64
		if err := e.DB.InTx(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `INSERT INTO services (name, status, criticality, cost_per_month, created_at, updated_at)
				VALUES (?, 'live', 'high', 100000, ?, ?) RETURNING id`, fmt.Sprintf("S%d", i), ts, ts).Scan(&id)
		}); err != nil {
			b.Fatal(err)
		}
		bs, err := c.CreateCI(ctx, audit.System, cmdb.NewCI{Type: "Business service", Name: fmt.Sprintf("S%d", i), ServiceID: &id}, nil)
		if err != nil {
			b.Fatal(err)
		}
		if i%2 == 0 {
			srv, err := c.CreateCI(ctx, audit.System, cmdb.NewCI{Type: "Server", Name: fmt.Sprintf("srv%d", i), Attributes: map[string]any{"hostname": fmt.Sprintf("srv%d", i)}}, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, _, err := c.PutAsset(ctx, audit.System, srv.ID, cmdb.AssetInput{PurchaseDate: ptr("2025-06-01"), Cost: "7200.00"}, 0); err != nil {
				b.Fatal(err)
			}
			servers = append(servers, srv.ID)
		}
		if _, err := c.Relate(ctx, audit.System, cmdb.NewRelationship{SourceID: bs.ID, TargetID: servers[len(servers)-1], Type: cmdb.DependsOn}, nil); err != nil {
			b.Fatal(err)
		}
		for q := 1; q <= 4; q++ {
			amount := int64(400000)
			if _, err := svc.CreateBudget(ctx, admin, cost.BudgetInput{ServiceID: &id, Period: fmt.Sprintf("2026-Q%d", q), Amount: &amount, Currency: "EUR"}); err != nil {
				b.Fatal(err)
			}
			if _, err := svc.AddEntry(ctx, admin, cost.EntryInput{ServiceID: id, Period: fmt.Sprintf("2026-Q%d", q), Category: "staff", Amount: &amount, Currency: "EUR"}); err != nil {
				b.Fatal(err)
			}
		}
		for k := range 50 {
			at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(k*170) * time.Hour)
			if _, err := e.DB.Exec(ctx, `INSERT INTO outages (service_id, started_at, ended_at, weight, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?)`,
				id, store.TS(at), store.TS(at.Add(time.Hour)), store.TS(at), store.TS(at)); err != nil {
				b.Fatal(err)
			}
		}
	}
	from, _ := cost.ParsePeriod("2026-01")
	to, _ := cost.ParsePeriod("2026-12")
	b.ResetTimer()
	for b.Loop() {
		rep, err := svc.Report(ctx, admin, cost.ReportQuery{From: from, To: to})
		if err != nil || len(rep.Services) != 200 {
			b.Fatal(err, len(rep.Services))
		}
	}
}
