package sla

import (
	"context"
	"errors"
	"testing"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/org"
	"steward/internal/store/storetest"
	"steward/internal/ticket"
)

func TestDefaultAgreementMeasuresTicketsWithoutCustomer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newEngineWorld(t, e)
		acme, err := org.Customers.Create(ctx, e.DB, audit.System, "Acme")
		if err != nil {
			t.Fatal(err)
		}
		other, err := org.Customers.Create(ctx, e.DB, audit.System, "Globex")
		if err != nil {
			t.Fatal(err)
		}
		// Acme's SLA: a response clock on every incident of Acme. The UC of
		// the world measures resolution on every incident; it stays.
		agr, err := w.svc.CreateAgreement(ctx, audit.System, NewAgreement{Kind: SLA, Name: "Acme SLA", CustomerID: &acme.ID})
		if err != nil {
			t.Fatal(err)
		}
		def, _, err := w.svc.CreateDefinition(ctx, audit.System, DefinitionInput{AgreementID: agr.ID, Name: "Acme response", AppliesTo: ticket.Incident,
			Metric: Response, Goals: []Goal{{Target: "1h", CalendarID: w.cal}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		raise := func(customer int64) int64 {
			id := w.incidentRow(t, "Door stuck")
			if customer != 0 {
				if _, err := e.DB.Exec(ctx, "UPDATE incidents SET customer_id = ? WHERE id = ?", customer, id); err != nil {
					t.Fatal(err)
				}
			}
			w.change(t, bt(t, "2026-11-23 09:00"), nil, &ticket.Snapshot{Kind: ticket.Incident, ID: id, State: "new", Priority: "P1", CustomerID: customer})
			return id
		}
		responseClocks := func(id int64) int {
			n := 0
			for _, tm := range w.timers(t, id, bt(t, "2026-11-23 09:30")) {
				if tm.DefinitionID == def.ID {
					n++
				}
			}
			return n
		}
		before := raise(0)
		if n := responseClocks(before); n != 0 {
			t.Fatalf("a ticket without customer got Acme's clock before any default: %d", n)
		}

		// Only an active SLA may be the default.
		if err := w.svc.SetDefaultAgreement(ctx, audit.System, w.agreementOf(t)); !isField(err, "agreement_id") {
			t.Errorf("an underpinning contract as the default: %v", err)
		}
		if err := w.svc.SetDefaultAgreement(ctx, audit.System, 999999); !isField(err, "agreement_id") {
			t.Errorf("a missing agreement as the default: %v", err)
		}
		if err := w.svc.SetDefaultAgreement(ctx, audit.System, agr.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := DefaultAgreement(ctx, e.DB); err != nil || got != agr.ID {
			t.Fatalf("default: %d %v", got, err)
		}
		after, acmes, globex := raise(0), raise(acme.ID), raise(other.ID)
		if responseClocks(after) != 1 || responseClocks(acmes) != 1 || responseClocks(globex) != 0 {
			t.Errorf("clocks after choosing the default: none %d, Acme %d, Globex %d; want 1, 1, 0",
				responseClocks(after), responseClocks(acmes), responseClocks(globex))
		}
		if responseClocks(before) != 0 {
			t.Error("choosing the default started a clock in the middle of an open ticket's life")
		}

		// Without the UC's resolution clock, which measures everything,
		// the tickets left unmeasured are listed, most urgent first.
		if _, err := e.DB.Exec(ctx, "UPDATE sla_timers SET state = 'cancelled' WHERE definition_id = ?", w.def); err != nil {
			t.Fatal(err)
		}
		list, err := w.svc.Unmeasured(ctx, ticket.Incident, 100)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, u := range list {
			ids = append(ids, u.ID)
			if u.Priority != "P3" || u.Number == "" || u.URL == "" {
				t.Errorf("unmeasured row: %+v", u)
			}
		}
		if len(ids) != 2 || ids[0] != before || ids[1] != globex {
			t.Errorf("unmeasured: %v, want %d and %d", ids, before, globex)
		}

		// Deleting the default agreement forgets it.
		if _, err := e.DB.Exec(ctx, "DELETE FROM sla_timers WHERE definition_id = ?", def.ID); err != nil {
			t.Fatal(err)
		}
		if err := w.svc.DeleteDefinition(ctx, audit.System, def.ID); err != nil {
			t.Fatal(err)
		}
		if err := w.svc.DeleteAgreement(ctx, audit.System, agr.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := DefaultAgreement(ctx, e.DB); got != 0 {
			t.Errorf("the deleted agreement is still the default: %d", got)
		}
	})
}

func (w *engineWorld) agreementOf(t *testing.T) int64 {
	t.Helper()
	var id int64
	if err := w.e.DB.QueryRow(context.Background(), "SELECT agreement_id FROM sla_definitions WHERE id = ?", w.def).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func isField(err error, field string) bool {
	var inv *domainerr.Invalid
	return errors.As(err, &inv) && inv.Fields[field] != ""
}
