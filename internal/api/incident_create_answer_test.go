package api_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"steward/internal/audit"
	"steward/internal/sla"
	"steward/internal/store/storetest"
	"steward/internal/ticket"
)

// The answer to a create is the incident as it is then read back: every
// field and display name, and the SLA timers its creation started (the
// customer's response and resolution clocks and the group's OLA).
func TestCreateAnswersWhatIsStored(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		ctx := context.Background()
		svc := s.app.SLA
		cust, group := s.custA, s.groupID
		slaA, err := svc.CreateAgreement(ctx, audit.System, sla.NewAgreement{Kind: sla.SLA, Name: "Alpha SLA", CustomerID: &cust})
		if err != nil {
			t.Fatal(err)
		}
		ola, err := svc.CreateAgreement(ctx, audit.System, sla.NewAgreement{Kind: sla.OLA, Name: "Desk OLA", GroupID: &group})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range []sla.DefinitionInput{
			{AgreementID: slaA.ID, Name: "Response", AppliesTo: ticket.Incident, Metric: sla.Response, Goals: []sla.Goal{{Target: "4h"}}},
			{AgreementID: slaA.ID, Name: "Resolution", AppliesTo: ticket.Incident, Metric: sla.Resolution, Goals: []sla.Goal{{Target: "48h"}}},
			{AgreementID: ola.ID, Name: "Pick-up", AppliesTo: ticket.Incident, Metric: sla.Response, Goals: []sla.Goal{{Target: "30m"}}},
		} {
			if _, _, err := svc.CreateDefinition(ctx, audit.System, d, nil); err != nil {
				t.Fatal(err)
			}
		}
		created := s.do("agent", "POST", "/api/v1/incidents", map[string]any{"title": "Scanner offline", "impact": "high",
			"requester_id": s.users["requester"], "group_id": group, "assignee_id": s.users["agent"], "category": "hardware"})
		if created.status != 201 {
			t.Fatalf("create: %d %s", created.status, created.body)
		}
		answer := created.json(t)
		read := s.do("agent", "GET", "/api/v1/incidents/"+answer["number"].(string), nil)
		if read.status != 200 {
			t.Fatalf("read: %d %s", read.status, read.body)
		}
		stored := read.json(t)
		if n := len(answer["sla"].([]any)); n != 3 {
			t.Fatalf("the answer shows %d timers, want 3: %s", n, created.body)
		}
		for _, m := range []map[string]any{answer, stored} {
			for _, x := range m["sla"].([]any) {
				// Evaluated as of each answer, so a moment apart.
				delete(x.(map[string]any), "elapsed_business_seconds")
				delete(x.(map[string]any), "remaining_business_seconds")
			}
		}
		if !reflect.DeepEqual(answer, stored) {
			a, _ := json.MarshalIndent(answer, "", " ")
			b, _ := json.MarshalIndent(stored, "", " ")
			t.Fatalf("the create answered\n%s\nbut the incident reads\n%s", a, b)
		}
		for _, k := range []string{"requester_name", "customer_name", "group_name", "assignee_name", "created_by_name"} {
			if answer[k] == "" || answer[k] == nil {
				t.Errorf("the answer has no %s", k)
			}
		}
		if created.header.Get("ETag") != `"v1"` {
			t.Errorf("ETag %q", created.header.Get("ETag"))
		}
	})
}
