package demo_test

import (
	"context"
	"testing"
	"time"

	"steward/internal/auth"
	"steward/internal/catalog"
	"steward/internal/demo"
	"steward/internal/incident"
	"steward/internal/store/storetest"
)

// The demo organisation comes with a catalogue whose services its
// incidents refer to, each one offered to the incident's customer.
func TestDemoCatalogue(t *testing.T) {
	e := storetest.SQLite(t)
	ctx := context.Background()
	svc := incident.NewService(e.DB, 7*24*time.Hour)
	if err := demo.Load(ctx, e.DB, svc); err != nil {
		t.Fatal(err)
	}
	cat := catalog.New(e.DB)
	all, err := cat.List(ctx, &auth.Principal{Role: auth.Auditor}, catalog.Filter{Limit: catalog.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]catalog.Service{}
	statuses := map[catalog.Status]int{}
	deps := 0
	for _, s := range all.Items {
		byID[s.ID] = s
		statuses[s.Status]++
		deps += len(s.DependsOn)
		if s.OwnerID == nil || s.SupportGroupID == nil || s.Description == "" {
			t.Errorf("%s lacks an owner, a group or a description", s.Name)
		}
	}
	if len(all.Items) < 8 || statuses[catalog.Live] < 8 || statuses[catalog.Pipeline] == 0 || statuses[catalog.Retired] == 0 || deps < 5 {
		t.Fatalf("catalogue: %d services %v, %d dependencies", len(all.Items), statuses, deps)
	}

	rows, err := e.DB.Query(ctx, "SELECT service_id, customer_id FROM incidents")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	with, without := 0, 0
	for rows.Next() {
		var sid, cust *int64
		if err := rows.Scan(&sid, &cust); err != nil {
			t.Fatal(err)
		}
		if sid == nil {
			without++
			continue
		}
		with++
		s := byID[*sid]
		if s.Status != catalog.Live || !catalog.Visible(&auth.Principal{Role: auth.Requester, CustomerID: *cust}, s) {
			t.Fatalf("an incident of customer %d refers to %s, which is not offered to it", *cust, s.Name)
		}
	}
	if with < 150 || without == 0 {
		t.Fatalf("%d incidents with a service, %d without", with, without)
	}

	if err := demo.Seed(ctx, e.DB, svc, 50, nil); err != nil {
		t.Fatal(err)
	}
	seeded := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM incidents WHERE service_id IS NOT NULL")
	if seeded <= with {
		t.Fatalf("seeded incidents have no services: %d with a service after seeding", seeded)
	}
}
