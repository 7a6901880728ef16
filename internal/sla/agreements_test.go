package sla_test

import (
	"errors"
	"strings"
	"testing"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/patch"
	"steward/internal/sla"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

func ptr[T any](v T) *T { return &v }

func TestAgreements(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFixture(t, e)
		ctx := f.ctx
		actor := audit.System

		a, err := f.svc.CreateAgreement(ctx, actor, sla.NewAgreement{Kind: "SLA ", Name: " Northwind SLA", CustomerID: &f.customer,
			ContractStart: ptr("2026-01-01"), ContractEnd: ptr(""), ReviewDate: ptr("2026-12-01"),
			Documents: []sla.Document{{Name: "Signed contract", URL: "https://docs.example/nw-sla.pdf"}}})
		if err != nil {
			t.Fatal(err)
		}
		if a.Kind != sla.SLA || a.Name != "Northwind SLA" || !a.Active || a.ContractEnd != nil || *a.ReviewDate != "2026-12-01" ||
			len(a.Documents) != 1 || a.Version != 1 {
			t.Fatalf("created: %+v", a)
		}

		t.Run("refused input saves nothing", func(t *testing.T) {
			before := f.count("SELECT COUNT(*) FROM agreements")
			cases := []struct {
				name   string
				in     sla.NewAgreement
				fields []string
			}{
				{"unknown kind", sla.NewAgreement{Kind: "contract", Name: "x"}, []string{"kind"}},
				{"SLA without a customer", sla.NewAgreement{Kind: sla.SLA, Name: "x"}, []string{"customer_id"}},
				{"SLA with a group", sla.NewAgreement{Kind: sla.SLA, Name: "x", CustomerID: &f.customer, GroupID: &f.group}, []string{"group_id"}},
				{"SLA with an unknown customer", sla.NewAgreement{Kind: sla.SLA, Name: "x", CustomerID: ptr(int64(9999))}, []string{"customer_id"}},
				{"OLA without a group", sla.NewAgreement{Kind: sla.OLA, Name: "x"}, []string{"group_id"}},
				{"OLA with an unknown group", sla.NewAgreement{Kind: sla.OLA, Name: "x", GroupID: ptr(int64(9999))}, []string{"group_id"}},
				{"UC without a supplier", sla.NewAgreement{Kind: sla.UC, Name: "x", SupplierContact: "noc@carrier.example"}, []string{"supplier_name"}},
				{"supplier on an OLA", sla.NewAgreement{Kind: sla.OLA, Name: "x", GroupID: &f.group, SupplierName: "Carrier"}, []string{"supplier_name"}},
				{"contract ends before it starts", sla.NewAgreement{Kind: sla.UC, Name: "x", SupplierName: "Carrier",
					ContractStart: ptr("2026-06-01"), ContractEnd: ptr("2026-05-31")}, []string{"contract_end"}},
				{"bad dates", sla.NewAgreement{Kind: sla.UC, Name: "x", SupplierName: "Carrier", ContractStart: ptr("1 June"), ReviewDate: ptr("2026-13-01")},
					[]string{"contract_start", "review_date"}},
				{"documents", sla.NewAgreement{Kind: sla.UC, Name: "x", SupplierName: "Carrier", Documents: []sla.Document{
					{Name: "ok", URL: "https://docs.example/a"}, {Name: "", URL: "javascript:alert(1)"}, {Name: "share", URL: "file:///srv/c.pdf"}, {Name: "rel", URL: "/docs/a"}}},
					[]string{"documents[1].name", "documents[1].url", "documents[2].url", "documents[3].url"}},
				{"name taken", sla.NewAgreement{Kind: sla.SLA, Name: "northwind sla", CustomerID: &f.customer}, []string{"name"}},
				{"no name", sla.NewAgreement{Kind: sla.SLA, CustomerID: &f.customer}, []string{"name"}},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					_, err := f.svc.CreateAgreement(ctx, actor, c.in)
					wantFields(t, err, c.fields...)
				})
			}
			if n := f.count("SELECT COUNT(*) FROM agreements"); n != before {
				t.Fatalf("%d agreements, want %d", n, before)
			}
		})

		t.Run("patch", func(t *testing.T) {
			if _, _, err := f.svc.UpdateAgreement(ctx, actor, a.ID, sla.AgreementPatch{Name: ptr("x")}, a.Version+1); !errors.Is(err, domainerr.ErrStale) {
				t.Fatalf("stale: %v", err)
			}
			got, _, err := f.svc.UpdateAgreement(ctx, actor, a.ID, sla.AgreementPatch{Description: ptr("Gold support"),
				ReviewDate: patch.Field[string]{Set: true, Null: true}, Active: ptr(false)}, a.Version)
			if err != nil {
				t.Fatal(err)
			}
			if got.Description != "Gold support" || got.ReviewDate != nil || got.Active || got.Version != 2 || *got.ContractStart != "2026-01-01" {
				t.Fatalf("patched: %+v", got)
			}
			// Turning it into an OLA needs a group and no customer.
			_, _, err = f.svc.UpdateAgreement(ctx, actor, a.ID, sla.AgreementPatch{Kind: ptr(sla.OLA)}, 0)
			wantFields(t, err, "group_id", "customer_id")
			got, _, err = f.svc.UpdateAgreement(ctx, actor, a.ID, sla.AgreementPatch{Kind: ptr(sla.OLA),
				CustomerID: patch.Field[int64]{Set: true, Null: true}, GroupID: patch.Of(f.group)}, 0)
			if err != nil || got.Kind != sla.OLA || got.CustomerID != nil || *got.GroupID != f.group {
				t.Fatalf("to OLA: %v %+v", err, got)
			}
			var entry string
			if err := f.db.QueryRow(ctx, "SELECT data FROM audit_log WHERE entity = 'agreement' ORDER BY seq DESC LIMIT 1").Scan(&entry); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(entry, `"kind":["sla","ola"]`) || strings.Contains(entry, "description") {
				t.Fatalf("audit entry lists the wrong changes: %s", entry)
			}
		})

		t.Run("delete refused while definitions exist", func(t *testing.T) {
			d, _, err := f.svc.CreateDefinition(ctx, actor, sla.DefinitionInput{AgreementID: a.ID, Name: "Response", AppliesTo: "request",
				Metric: sla.Resolution, Goals: []sla.Goal{{Target: "1h"}}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			var conflict *domainerr.Conflict
			if err := f.svc.DeleteAgreement(ctx, actor, a.ID); !errors.As(err, &conflict) || !strings.Contains(conflict.Message, "1 definition") {
				t.Fatalf("delete with a definition: %v", err)
			}
			if err := f.svc.DeleteDefinition(ctx, actor, d.ID); err != nil {
				t.Fatal(err)
			}
			if err := f.svc.DeleteAgreement(ctx, actor, a.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := sla.GetAgreement(ctx, f.db, a.ID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("deleted: %v", err)
			}
		})
	})
}
