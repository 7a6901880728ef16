package knowledge_test

import (
	"context"
	"strconv"
	"testing"

	"steward/internal/audit"
	"steward/internal/incident"
	"steward/internal/knowledge"
	"steward/internal/org"
	"steward/internal/store/storetest"
)

func TestClassifierLearnsFromExamples(t *testing.T) {
	c := knowledge.Train([]knowledge.Example{
		{"VPN drops every few minutes", "network"}, {"VPN will not connect from home", "network"}, {"Wi-Fi slow on floor 2", "network"},
		{"Printer prints blank pages", "hardware"}, {"Laptop will not boot", "hardware"}, {"Paper jam on the printer", "hardware"},
		{"Outlook asks for my password", "software"}, {"Teams calls have no audio", "software"},
	})
	for text, want := range map[string]string{"VPN keeps dropping": "network", "printer jam again": "hardware", "Outlook password prompt": "software"} {
		g := c.Predict(text)
		if len(g) == 0 || g[0].Label != want {
			t.Errorf("%q: %+v, want %s first", text, g, want)
		}
		if g[0].Confidence <= 1.0/3 || g[0].Confidence >= 1 {
			t.Errorf("%q: confidence %v", text, g[0].Confidence)
		}
	}
	if g := c.Predict("zebra quantum"); g != nil {
		t.Errorf("unknown words guessed %+v", g)
	}
}

// The service learns from resolved incidents and only suggests: the new
// incident keeps what the agent set, until the agent applies a suggestion.
func TestClassifySuggestsNeverApplies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		net, err := org.Groups.Create(ctx, e.DB, audit.System, "Network")
		if err != nil {
			t.Fatal(err)
		}
		inc := incident.NewService(e.DB, 0)
		raise := func(title, cat string, group int64, resolve bool) incident.Incident {
			t.Helper()
			in := incident.NewIncident{Title: title, Category: cat, Impact: incident.Medium, Urgency: incident.Medium}
			if group != 0 {
				in.GroupID = &group
			}
			got, err := inc.Create(ctx, w.agent, in, nil)
			if err != nil {
				t.Fatal(err)
			}
			if resolve {
				st, code, notes := incident.Resolved, "fixed", "done"
				if got, err = inc.Update(ctx, w.agent, got.ID, incident.Patch{State: &st, ResolutionCode: &code, ResolutionNotes: &notes}, 0); err != nil {
					t.Fatal(err)
				}
			}
			return got
		}
		for i := 0; i < 4; i++ {
			raise("VPN drops again "+strconv.Itoa(i), "network", net.ID, true)
			raise("Printer out of toner "+strconv.Itoa(i), "hardware", 0, true)
		}
		raise("VPN open but unresolved", "printers", 0, false) // open incidents teach nothing
		c, err := w.svc.Classify(ctx, w.agent, "The VPN drops", "")
		if err != nil {
			t.Fatal(err)
		}
		if c.Category == nil || c.Category.Value != "network" || c.Group == nil || c.Group.Value != strconv.FormatInt(net.ID, 10) || c.Group.Label != "Network" {
			t.Fatalf("classification %+v %+v", c.Category, c.Group)
		}
		if c.TrainedOn != 8 {
			t.Errorf("trained on %d incidents, want the 8 resolved ones", c.TrainedOn)
		}
		// Asking changed nothing: a new incident without a category stays so.
		fresh := raise("The VPN drops", "", 0, false)
		got, err := inc.Get(ctx, w.agent, fresh.ID)
		if err != nil || got.Category != "" || got.GroupID != nil {
			t.Errorf("incident was changed by a suggestion: %q %v (%v)", got.Category, got.GroupID, err)
		}
		if _, err := w.svc.Classify(ctx, w.reqA, "The VPN drops", ""); !isForbidden(err) {
			t.Errorf("requester asked for a classification: %v", err)
		}
	})
}
