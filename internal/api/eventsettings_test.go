package api_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"steward/internal/event"
	"steward/internal/store/storetest"
)

const eventSettingsPath = "/api/v1/event-settings"

func TestEventSettingsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)

		// A new installation reads its defaults, durations as Go writes them.
		first := s.do("agent", "GET", eventSettingsPath, nil)
		if first.status != 200 {
			t.Fatalf("agent reads: %d %s", first.status, first.body)
		}
		for _, frag := range []string{`"incident_severities":["critical","major"]`, `"flap_changes":5`, `"flap_window":"10m0s"`,
			`"hold_down":"5m0s"`, `"reopen_window":"0s"`, `"retention_days":30`, `"offline_after":{}`, `"rules":[]`} {
			if !strings.Contains(string(first.body), frag) {
				t.Errorf("defaults lack %s: %s", frag, first.body)
			}
		}
		tag := first.header.Get("ETag")
		if tag == "" {
			t.Fatal("no ETag")
		}
		if res := s.do("admin", "GET", eventSettingsPath, nil, "If-None-Match", tag); res.status != 304 {
			t.Fatalf("If-None-Match with the current tag: %d", res.status)
		}

		good := map[string]any{"hold_down": "10m", "flap_window": 900, "offline_after": map[string]int{"Sensor": 300},
			"rules": []map[string]any{{"name": "sensors", "severities": []string{"minor"}, "ci_types": []string{"Sensor"}, "min_criticality": ""}}}
		s.run(t, []apiCase{
			{"anonymous may not read", "", "GET", eventSettingsPath, nil, nil, 401, nil},
			{"requester may not read", "requester", "GET", eventSettingsPath, nil, nil, 403, nil},
			{"auditor reads", "auditor", "GET", eventSettingsPath, nil, nil, 200, nil},
			{"agent may not change", "agent", "PUT", eventSettingsPath, good, nil, 403, nil},
			{"requester may not change", "requester", "PUT", eventSettingsPath, good, nil, 403, nil},
			{"auditor may not change", "auditor", "PUT", eventSettingsPath, good, nil, 403, nil},
			{"out of range", "admin", "PUT", eventSettingsPath, map[string]any{
				"flap_changes": 1, "flap_window": "30s", "hold_down": -60, "retention_days": 0,
				"incident_severities": []string{"ok"}, "offline_after": map[string]int{"Sensor": 5},
				"rules": []map[string]any{{"name": "nothing"}},
			}, nil, 422, []string{`"flap_changes":"must be between 2 and 20"`, `"flap_window":"must be between 1m0s and 7 days"`,
				`"hold_down":"must be between 0s and 7 days"`, `"retention_days"`, `"incident_severities"`,
				`"offline_after":"each CI type needs an interval between 10 seconds and 7 days"`,
				`"rules":"a rule needs a severity, a CI type or a minimum criticality"`}},
			{"unreadable duration", "admin", "PUT", eventSettingsPath, map[string]any{"hold_down": "ten minutes", "group_window": true, "flap_changes": 1},
				nil, 422, []string{`"hold_down":"must be a duration such as`, `"group_window":"must be a duration`, `"flap_changes"`}},
			{"unknown criticality", "admin", "PUT", eventSettingsPath, map[string]any{"rules": []map[string]any{{"name": "x", "min_criticality": "vital"}}},
				nil, 422, []string{`"rules":"a rule's minimum criticality must be low, medium, high or critical"`}},
			{"severity twice", "admin", "PUT", eventSettingsPath, map[string]any{"incident_severities": []string{"major", "major"}},
				nil, 422, []string{`"incident_severities":"names major twice"`}},
			{"long rule name", "admin", "PUT", eventSettingsPath, map[string]any{"rules": []map[string]any{{"name": strings.Repeat("x", 101), "severities": []string{"info"}}}},
				nil, 422, []string{`"rules":"a rule's name has at most 100 characters"`}},
			{"unknown field", "admin", "PUT", eventSettingsPath, `{"hold_down":"1m","colour":"red"}`, nil, 400, []string{`"colour"`}},
			{"fractional interval", "admin", "PUT", eventSettingsPath, `{"offline_after":{"Sensor":1.5}}`, nil, 422, []string{`"offline_after":"each interval must be a duration such as`}},
			{"unreadable interval", "admin", "PUT", eventSettingsPath, `{"offline_after":{"Sensor":"five minutes"}}`, nil, 422, []string{`"offline_after":"each interval must be a duration such as`}},
			{"a CI type the CMDB lacks", "admin", "PUT", eventSettingsPath, `{"offline_after":{"Sensor":"5m","Sensr":"5m"}}`, nil, 422, []string{`"offline_after":"no CI type is called \"Sensr\""`}},
			{"a rule on a CI type the CMDB lacks", "admin", "PUT", eventSettingsPath, `{"rules":[{"name":"pumps","ci_types":["Sensor","Pump"]}]}`, nil, 422,
				[]string{`"rules":"rule \"pumps\" names \"Pump\", which is no CI type"`}},
			{"not JSON", "admin", "PUT", eventSettingsPath, `{"hold_down":`, nil, 400, nil},
			{"a tag never issued", "admin", "PUT", eventSettingsPath, good, []string{"If-Match", `"v1"`}, 412, nil},
		})
		if again := s.do("admin", "GET", eventSettingsPath, nil); string(again.body) != string(first.body) || again.header.Get("ETag") != tag {
			t.Fatalf("refused changes changed the settings: %s", again.body)
		}

		// The admin replaces them at the tag read; the answer and a new
		// read agree, and the old tag is stale.
		put := s.do("admin", "PUT", eventSettingsPath, good, "If-Match", tag)
		if put.status != 200 {
			t.Fatalf("replace: %d %s", put.status, put.body)
		}
		newTag := put.header.Get("ETag")
		if newTag == "" || newTag == tag {
			t.Fatalf("tag after the change %q, before %q", newTag, tag)
		}
		read := s.do("agent", "GET", eventSettingsPath, nil)
		if string(read.body) != string(put.body) || read.header.Get("ETag") != newTag {
			t.Fatalf("read back %s (%s), saved %s (%s)", read.body, read.header.Get("ETag"), put.body, newTag)
		}
		got := read.json(t)
		if got["hold_down"] != "10m0s" || got["flap_window"] != "15m0s" || got["group_window"] != "10m0s" ||
			!reflect.DeepEqual(got["offline_after"], map[string]any{"Sensor": "5m0s"}) || len(got["rules"].([]any)) != 1 {
			t.Fatalf("saved settings: %s", read.body)
		}
		if res := s.do("admin", "PUT", eventSettingsPath, map[string]any{"hold_down": "1m"}, "If-Match", tag); res.status != 412 {
			t.Fatalf("stale If-Match: %d %s", res.status, res.body)
		}
		// The processor reads what the API saved.
		st, err := s.app.Events.Settings(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if st.HoldDown.D() != 10*time.Minute || st.OfflineAfter["Sensor"] != 300 || !slices.Equal(st.Rules[0].CITypes, []string{"Sensor"}) {
			t.Fatalf("processor sees %+v", st)
		}
		if st.Rules[0].Severities[0] != event.Minor {
			t.Fatalf("rule severities %v", st.Rules[0].Severities)
		}
		// An interval may be written as a duration, as the others are, and
		// any letter case of a CI type's name is that type.
		res := s.do("admin", "PUT", eventSettingsPath, `{"offline_after":{"sensor":"2m30s","IoT gateway":60}}`)
		if res.status != 200 || !strings.Contains(string(res.body), `"offline_after":{"IoT gateway":"1m0s","sensor":"2m30s"}`) {
			t.Fatalf("intervals as durations: %d %s", res.status, res.body)
		}
		if st, _ := s.app.Events.Settings(context.Background()); st.OfflineAfter["sensor"] != 150 || st.OfflineAfter["IoT gateway"] != 60 {
			t.Fatalf("processor sees intervals %v", st.OfflineAfter)
		}
		// A field left out takes its default again: PUT replaces the whole.
		reset := s.do("admin", "PUT", eventSettingsPath, map[string]any{"retention_days": 90}, "If-Match", "*")
		if reset.status != 200 || !strings.Contains(string(reset.body), `"hold_down":"5m0s"`) || !strings.Contains(string(reset.body), `"retention_days":90`) {
			t.Fatalf("replace with one field: %d %s", reset.status, reset.body)
		}
		// The change is in the audit trail.
		if res := s.do("auditor", "GET", "/api/v1/audit?entity=event_settings", nil); !strings.Contains(string(res.body), `"action":"update"`) {
			t.Fatalf("audit: %d %s", res.status, res.body)
		}
	})
}
