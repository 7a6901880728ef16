package event

import (
	"context"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/cmdb"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// supporting gives the fleet a catalogue service of criticality crit, a
// business service CI standing for it, and servers it depends on, none
// related to another; it returns the catalogue service's id.
func (f *fleet) supporting(name, crit string, servers ...string) int64 {
	f.t.Helper()
	ctx := context.Background()
	now := store.TS(f.clock)
	if _, err := f.e.DB.Exec(ctx, `INSERT INTO services (name, status, criticality, created_at, updated_at) VALUES (?, 'live', ?, ?, ?)`,
		name, crit, now, now); err != nil {
		f.t.Fatal(err)
	}
	var id int64
	if err := f.e.DB.QueryRow(ctx, `SELECT id FROM services WHERE name = ?`, name).Scan(&id); err != nil {
		f.t.Fatal(err)
	}
	c, err := f.s.CMDB.CreateCI(ctx, audit.System, cmdb.NewCI{Type: cmdb.TypeRef("Business service"), Name: name, ServiceID: &id}, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, s := range servers {
		f.relate(c.ID, f.ci("Server", s, map[string]any{"hostname": s}), cmdb.DependsOn)
	}
	return id
}

func (f *fleet) groupByService(on bool) {
	f.t.Helper()
	st, err := f.s.Settings(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	st.GroupByService = on
	if _, err := f.s.SaveSettings(context.Background(), audit.System, st); err != nil {
		f.t.Fatal(err)
	}
}

func TestServiceGroupingIsOffByDefault(t *testing.T) {
	if DefaultSettings().GroupByService {
		t.Fatal("grouping by service should be off in a new installation")
	}
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		f.supporting("Web shop", "high", "web-a", "web-b")
		f.send(trigger("web-a", "cpu", Major))
		f.advance(time.Minute)
		f.send(trigger("web-b", "disk", Major))
		if n := f.incidents(); n != 2 {
			t.Fatalf("%d incidents for two unrelated servers of one service with the setting off; want 2", n)
		}
	})
}

func TestSvcGroupingJoinsAlertsOfOneServiceWithinTheWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		svc := f.supporting("Web shop", "high", "web-a", "web-b", "web-c", "web-e", "web-f", "web-g")
		f.supporting("Intranet", "low", "intra-a", "intra-b")
		f.ci("Server", "lonely-a", map[string]any{"hostname": "lonely-a"})
		f.ci("Server", "lonely-b", map[string]any{"hostname": "lonely-b"})
		f.groupByService(true)

		f.send(trigger("web-a", "cpu", Major))
		f.advance(time.Minute)
		f.send(trigger("web-b", "disk", Major), trigger("intra-a", "cpu", Major))
		if n := f.incidents(); n != 2 {
			t.Fatalf("%d incidents; want 2: the web shop's and the intranet's", n)
		}
		var inc int64
		if err := e.DB.QueryRow(context.Background(), `SELECT incident_id FROM alerts WHERE check_name = 'cpu' AND ci_id = (SELECT id FROM cis WHERE name = 'web-a')`).Scan(&inc); err != nil {
			t.Fatal(err)
		}
		if n := f.count(`SELECT COUNT(*) FROM alerts WHERE incident_id = ?`, inc); n != 2 {
			t.Fatalf("%d alerts in the web shop's incident; want 2", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM incidents WHERE id = ? AND service_id = ?`, inc, svc); n != 1 {
			t.Fatal("the incident should name the web shop")
		}
		if n := f.count(`SELECT COUNT(*) FROM incident_journal WHERE incident_id = ? AND kind = 'work_note'`, inc); n != 1 {
			t.Fatalf("%d notes on the incident; want one for the joining alert", n)
		}

		// CIs impacting no service group nothing this way.
		f.send(trigger("lonely-a", "cpu", Major), trigger("lonely-b", "cpu", Major))
		if n := f.incidents(); n != 4 {
			t.Fatalf("%d incidents after two alerts on CIs without a service; want 4", n)
		}

		// The window runs from the incident's first alert: joins do not
		// extend it.
		f.advance(f.settings().GroupWindow.D())
		f.send(trigger("web-c", "cpu", Major))
		if n := f.incidents(); n != 5 {
			t.Fatalf("%d incidents after the window; want a new one (5)", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM alerts WHERE incident_id = ?`, inc); n != 2 {
			t.Fatalf("%d alerts in the first incident after the window; want still 2", n)
		}

		// Alerts of one service in one batch share one new incident.
		f.advance(f.settings().GroupWindow.D() + time.Minute)
		f.send(trigger("web-e", "mem", Major), trigger("web-f", "mem", Major))
		if n := f.incidents(); n != 6 {
			t.Fatalf("%d incidents for one batch of the service; want one more (6)", n)
		}
	})
}

func TestSvcGroupingSurvivesARestart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFleet(t, e)
		f.supporting("Web shop", "high", "web-a", "web-b")
		f.groupByService(true)
		f.send(trigger("web-a", "cpu", Major))
		f.s.releaseLease()
		f.s = f.service()
		f.advance(time.Minute)
		f.send(trigger("web-b", "cpu", Major))
		if n := f.incidents(); n != 1 {
			t.Fatalf("%d incidents after a restart within the window; want 1", n)
		}
	})
}

func (f *fleet) settings() Settings {
	f.t.Helper()
	st, err := f.s.Settings(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return st
}
