package sla_test

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/sla"
	"steward/internal/store"
	"steward/internal/store/storetest"
	"steward/internal/ticket"
)

func clause(field string, values ...string) sla.Clause {
	return sla.Clause{Field: field, Op: "in", Values: values}
}

func TestDefinitions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFixture(t, e)
		ctx := f.ctx
		actor := audit.System
		cal, err := f.svc.CreateCalendar(ctx, actor, officeHours())
		if err != nil {
			t.Fatal(err)
		}
		slaAg, err := f.svc.CreateAgreement(ctx, actor, sla.NewAgreement{Kind: sla.SLA, Name: "Northwind SLA", CustomerID: &f.customer})
		if err != nil {
			t.Fatal(err)
		}
		olaAg, err := f.svc.CreateAgreement(ctx, actor, sla.NewAgreement{Kind: sla.OLA, Name: "Service desk OLA", GroupID: &f.group})
		if err != nil {
			t.Fatal(err)
		}
		custID := strconv.FormatInt(f.customer, 10)

		fulfil, n, err := f.svc.CreateDefinition(ctx, actor, sla.DefinitionInput{AgreementID: slaAg.ID, Name: " Fulfilment ",
			AppliesTo: ticket.Request, Metric: sla.Resolution, Goals: []sla.Goal{{Target: "3bd"}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 || fulfil.Name != "Fulfilment" || !fulfil.Active || fulfil.Goals[0].CalendarID != sla.DefaultCalendarID ||
			!reflect.DeepEqual(fulfil.Warnings, []int{50, 75, 90}) || fulfil.Version != 1 ||
			!reflect.DeepEqual(fulfil.Conditions, sla.Defaults(ticket.Request, sla.Resolution)) {
			t.Fatalf("defaults not applied: %+v", fulfil)
		}

		t.Run("the defaults of every kind and metric are accepted", func(t *testing.T) {
			for _, kind := range []ticket.Kind{ticket.Incident, ticket.Request} {
				for _, m := range []sla.Metric{sla.Response, sla.Resolution} {
					d, _, err := f.svc.CreateDefinition(ctx, actor, sla.DefinitionInput{AgreementID: olaAg.ID, Name: "Default",
						AppliesTo: kind, Metric: m, Goals: []sla.Goal{{Target: "1h"}}}, nil)
					if err != nil {
						t.Fatalf("%s %s: %v", kind, m, err)
					}
					if !reflect.DeepEqual(d.Conditions, sla.Defaults(kind, m)) {
						t.Errorf("%s %s: conditions %+v", kind, m, d.Conditions)
					}
					if err := f.svc.DeleteDefinition(ctx, actor, d.ID); err != nil {
						t.Fatal(err)
					}
				}
			}
		})

		resolve := sla.DefinitionInput{AgreementID: slaAg.ID, Name: "Incident resolution", AppliesTo: ticket.Incident, Metric: sla.Resolution,
			Filter:     []sla.Clause{clause("customer_id", custID)},
			Conditions: sla.Conditions{Cancel: []sla.Clause{clause("state", "closed")}},
			Goals: []sla.Goal{{Match: []sla.Clause{clause("priority", "P1")}, Target: "4h", CalendarID: cal.ID},
				{Target: "5bd", CalendarID: cal.ID}},
			Warnings: []int{90, 75}, Active: new(bool)}
		inc, _, err := f.svc.CreateDefinition(ctx, actor, resolve, nil)
		if err != nil {
			t.Fatal(err)
		}
		if inc.Active || !reflect.DeepEqual(inc.Warnings, []int{75, 90}) || inc.Conditions.Pause[0].Values[0] != "on_hold" {
			t.Fatalf("incident resolution: %+v", inc)
		}

		t.Run("refused input saves nothing", func(t *testing.T) {
			before := f.count("SELECT COUNT(*) FROM sla_definitions")
			ok := func() sla.DefinitionInput {
				return sla.DefinitionInput{AgreementID: olaAg.ID, Name: "x", AppliesTo: ticket.Request, Metric: sla.Resolution,
					Goals: []sla.Goal{{Target: "1h"}}}
			}
			cases := []struct {
				name   string
				edit   func(in *sla.DefinitionInput)
				fields []string
			}{
				{"no agreement", func(in *sla.DefinitionInput) { in.AgreementID = 0 }, []string{"agreement_id"}},
				{"unknown agreement", func(in *sla.DefinitionInput) { in.AgreementID = 9999 }, []string{"agreement_id"}},
				{"unknown kind", func(in *sla.DefinitionInput) { in.AppliesTo = "problem" }, []string{"applies_to"}},
				{"unknown metric", func(in *sla.DefinitionInput) { in.Metric = "happiness" }, []string{"metric"}},
				{"zero target", func(in *sla.DefinitionInput) { in.Goals[0].Target = "0s" }, []string{"goals[0].target"}},
				{"negative target", func(in *sla.DefinitionInput) { in.Goals[0].Target = "-4h" }, []string{"goals[0].target"}},
				{"zero business days", func(in *sla.DefinitionInput) { in.Goals[0].Target = "0bd" }, []string{"goals[0].target"}},
				{"no goals", func(in *sla.DefinitionInput) { in.Goals = nil }, []string{"goals"}},
				{"unknown calendar", func(in *sla.DefinitionInput) {
					in.Goals = append(in.Goals, sla.Goal{Target: "2h", CalendarID: 9999})
				}, []string{"goals[1].calendar_id"}},
				{"unknown filter field", func(in *sla.DefinitionInput) { in.Filter = []sla.Clause{clause("colour", "red")} }, []string{"filter[0].field"}},
				{"unknown customer in the filter", func(in *sla.DefinitionInput) {
					in.Filter = []sla.Clause{clause("customer_id", custID, "9999")}
				}, []string{"filter[0].values[1]"}},
				{"unknown service in a goal", func(in *sla.DefinitionInput) {
					in.Goals[0].Match = []sla.Clause{clause("priority", "P1"), clause("service_id", "9999")}
				}, []string{"goals[0].match[1].values[0]"}},
				{"unknown catalogue item", func(in *sla.DefinitionInput) { in.Filter = []sla.Clause{clause("item_id", "9999")} }, []string{"filter[0].values[0]"}},
				{"not an id", func(in *sla.DefinitionInput) { in.Filter = []sla.Clause{clause("group_id", "desk")} }, []string{"filter[0].values[0]"}},
				{"start is a subset of stop", func(in *sla.DefinitionInput) {
					in.Conditions = sla.Conditions{Start: []sla.Clause{clause("state", "fulfilled")}}
				}, []string{"conditions.start"}},
				{"pause is a subset of start", func(in *sla.DefinitionInput) {
					in.Conditions = sla.Conditions{Start: []sla.Clause{clause("state", "awaiting_approval")}}
				}, []string{"conditions.pause"}},
				{"stop can never happen", func(in *sla.DefinitionInput) {
					in.Conditions = sla.Conditions{Stop: []sla.Clause{clause("state", "fulfilled"), clause("state", "closed")}}
				}, []string{"conditions.stop"}},
				{"ids in a condition", func(in *sla.DefinitionInput) {
					in.Conditions = sla.Conditions{Pause: []sla.Clause{clause("group_id", "1")}}
				}, []string{"conditions.pause[0].field"}},
				{"own and reference faults together", func(in *sla.DefinitionInput) {
					in.Goals = []sla.Goal{{Target: "soon"}, {Target: "1h", CalendarID: 9999}}
				}, []string{"goals[0].target", "goals[1].calendar_id"}},
				{"bad warnings", func(in *sla.DefinitionInput) { in.Warnings = []int{50, 50, 100} }, []string{"warnings[1]", "warnings[2]"}},
				{"unknown customer in a further group", func(in *sla.DefinitionInput) {
					in.Filter = []sla.Clause{clause("priority", "P1")}
					in.FilterAny = [][]sla.Clause{{clause("customer_id", custID)}, {clause("customer_id", "9999")}}
				}, []string{"filter_any[1][0].values[0]"}},
				{"an empty group", func(in *sla.DefinitionInput) {
					in.Goals[0].MatchAny = [][]sla.Clause{{}}
				}, []string{"goals[0].match_any[0]"}},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					in := ok()
					c.edit(&in)
					_, _, err := f.svc.CreateDefinition(ctx, actor, in, nil)
					inv := wantFields(t, err, c.fields...)
					if len(inv.Fields) != len(c.fields) {
						t.Errorf("messages %v, want only %v", inv.Fields, c.fields)
					}
				})
			}
			if n := f.count("SELECT COUNT(*) FROM sla_definitions"); n != before {
				t.Fatalf("%d definitions, want %d", n, before)
			}
		})

		t.Run("groups are kept", func(t *testing.T) {
			in := resolve
			in.Name = "Grouped"
			in.FilterAny = [][]sla.Clause{{clause("priority", "P1")}, {clause("major", "true"), clause("category", "network")}}
			in.Conditions = sla.Conditions{PauseAny: [][]sla.Clause{{clause("state", "on_hold")}, {clause("hold_reason", "awaiting_change")}}}
			in.Goals = []sla.Goal{{Match: []sla.Clause{clause("priority", "P1")}, MatchAny: [][]sla.Clause{{clause("major", "true")}}, Target: "1h"},
				{Target: "1bd"}}
			d, _, err := f.svc.CreateDefinition(ctx, actor, in, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := sla.GetDefinition(ctx, f.db, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.FilterAny, in.FilterAny) || !reflect.DeepEqual(got.Conditions.PauseAny, in.Conditions.PauseAny) ||
				len(got.Conditions.Pause) != 0 || !reflect.DeepEqual(got.Goals[0].MatchAny, in.Goals[0].MatchAny) {
				t.Fatalf("read back: %+v", got)
			}
			if err := f.svc.DeleteDefinition(ctx, actor, d.ID); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("update", func(t *testing.T) {
			in := resolve
			in.Active = nil
			in.Goals = append([]sla.Goal{{Match: []sla.Clause{clause("major", "true")}, Target: "2h"}}, in.Goals...)
			if _, _, err := f.svc.UpdateDefinition(ctx, actor, inc.ID, in, inc.Version+1); !errors.Is(err, domainerr.ErrStale) {
				t.Fatalf("stale: %v", err)
			}
			got, _, err := f.svc.UpdateDefinition(ctx, actor, inc.ID, in, inc.Version)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Active || len(got.Goals) != 3 || got.Goals[0].CalendarID != sla.DefaultCalendarID || got.Version != 2 {
				t.Fatalf("updated: %+v", got)
			}
			inc = got
			var entry string
			if err := f.db.QueryRow(ctx, "SELECT data FROM audit_log WHERE entity = 'sla_definition' ORDER BY seq DESC LIMIT 1").Scan(&entry); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(entry, `"goals"`) || !strings.Contains(entry, `"active":[false,true]`) || strings.Contains(entry, `"name"`) {
				t.Fatalf("audit entry: %s", entry)
			}
			if _, _, err := f.svc.UpdateDefinition(ctx, actor, 9999, in, 0); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("unknown definition: %v", err)
			}
		})

		t.Run("calendar in use cannot be deleted", func(t *testing.T) {
			var conflict *domainerr.Conflict
			if err := f.svc.DeleteCalendar(ctx, actor, cal.ID); !errors.As(err, &conflict) || !strings.Contains(conflict.Message, "Incident resolution") {
				t.Fatalf("delete of a calendar in use: %v", err)
			}
		})

		t.Run("list", func(t *testing.T) {
			olaDef, _, err := f.svc.CreateDefinition(ctx, actor, sla.DefinitionInput{AgreementID: olaAg.ID, Name: "Desk response",
				AppliesTo: ticket.Request, Metric: sla.Resolution, Goals: []sla.Goal{{Target: "30m"}}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				f    sla.DefinitionFilter
				want []int64
			}{
				{sla.DefinitionFilter{}, []int64{fulfil.ID, inc.ID, olaDef.ID}},
				{sla.DefinitionFilter{AgreementID: slaAg.ID}, []int64{fulfil.ID, inc.ID}},
				{sla.DefinitionFilter{AppliesTo: ticket.Incident}, []int64{inc.ID}},
				{sla.DefinitionFilter{AgreementID: olaAg.ID, AppliesTo: ticket.Incident}, nil},
				{sla.DefinitionFilter{AfterID: fulfil.ID, Limit: 1}, []int64{inc.ID}},
			} {
				got, err := sla.ListDefinitions(ctx, f.db, c.f)
				if err != nil {
					t.Fatal(err)
				}
				var ids []int64
				for _, d := range got {
					ids = append(ids, d.ID)
				}
				if !reflect.DeepEqual(ids, c.want) {
					t.Errorf("%+v: %v, want %v", c.f, ids, c.want)
				}
			}
		})

		t.Run("active definitions carry their agreement's scope", func(t *testing.T) {
			got, err := sla.ActiveDefinitions(ctx, f.db, ticket.Request)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 {
				t.Fatalf("%d active request definitions, want 2", len(got))
			}
			if !reflect.DeepEqual(got[0].Filter, []sla.Clause{clause("customer_id", custID)}) {
				t.Errorf("SLA definition filter %+v, want the customer", got[0].Filter)
			}
			if !reflect.DeepEqual(got[1].Filter, []sla.Clause{clause("group_id", strconv.FormatInt(f.group, 10))}) {
				t.Errorf("OLA definition filter %+v, want the group", got[1].Filter)
			}
			incs, err := sla.ActiveDefinitions(ctx, f.db, ticket.Incident)
			if err != nil || len(incs) != 1 || len(incs[0].Filter) != 2 {
				t.Fatalf("incident definitions: %v %+v", err, incs)
			}
			if _, _, err := f.svc.UpdateAgreement(ctx, actor, olaAg.ID, sla.AgreementPatch{Active: new(bool)}, 0); err != nil {
				t.Fatal(err)
			}
			got, _ = sla.ActiveDefinitions(ctx, f.db, ticket.Request)
			if len(got) != 1 || got[0].ID != fulfil.ID {
				t.Fatalf("an inactive agreement's definitions are still active: %+v", got)
			}
		})

		t.Run("delete", func(t *testing.T) {
			if err := f.svc.DeleteDefinition(ctx, actor, inc.ID); err != nil {
				t.Fatal(err)
			}
			if err := f.svc.DeleteCalendar(ctx, actor, cal.ID); err != nil {
				t.Fatalf("calendar no longer in use: %v", err)
			}
			if err := f.svc.DeleteDefinition(ctx, actor, inc.ID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("second delete: %v", err)
			}
		})
	})
}
