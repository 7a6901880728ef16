package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"steward/internal/store/storetest"
)

// ingestFixture is a server with one integration of each kind a sender
// calls, and their routing keys.
type ingestFixture struct {
	*server
	e    storetest.Engine
	keys map[string]string // kind -> routing key
	ids  map[string]string // kind -> integration id
}

func newIngestFixture(t *testing.T, e storetest.Engine) *ingestFixture {
	t.Helper()
	f := &ingestFixture{server: newServer(t, e), e: e, keys: map[string]string{}, ids: map[string]string{}}
	for _, kind := range []string{"http", "pagerduty", "alertmanager"} {
		res := f.do("admin", "POST", "/api/v1/integrations", map[string]any{"name": "Fleet " + kind, "kind": kind})
		if res.status != 201 {
			t.Fatalf("create %s integration: %d %s", kind, res.status, res.body)
		}
		m := res.json(t)
		f.keys[kind], f.ids[kind] = m["routing_key"].(string), fmt.Sprint(m["id"])
	}
	return f
}

// stored counts the events stored for an integration.
func (f *ingestFixture) stored(kind string) int {
	f.t.Helper()
	var n int
	if err := f.e.DB.QueryRow(f.t.Context(), `SELECT COUNT(*) FROM events WHERE integration_id = ?`, f.ids[kind]).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// send posts body to path with a routing key header (none when key is "").
func (f *ingestFixture) send(path, key, body string) response {
	f.t.Helper()
	if key == "" {
		return f.do("", "POST", path, body)
	}
	return f.do("", "POST", path, body, "X-Routing-Key", key)
}

// raw posts without the OpenAPI check, for the PagerDuty path that lives
// outside /api/.
func (f *ingestFixture) raw(path, body string) response {
	f.t.Helper()
	res, err := http.Post(f.url+path, "application/json", strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func batchOf(n int, mk func(i int) string) string {
	var b strings.Builder
	b.WriteString("[")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(mk(i))
	}
	b.WriteString("]")
	return b.String()
}

func TestIntegrationsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newIngestFixture(t, e)
		res := f.do("admin", "POST", "/api/v1/integrations", map[string]any{"name": "Plant MQTT", "kind": "mqtt",
			"url": "tcp://127.0.0.1:1883", "topics": []string{"plant/#"}, "mapping": map[string]any{"fields": map[string]string{"ci": "$topic[2]"}}})
		if res.status != 201 || !regexp.MustCompile(`"routing_key":"[0-9a-f]{32}"`).Match(res.body) || res.header.Get("ETag") != `"v1"` {
			t.Fatalf("create mqtt: %d %s", res.status, res.body)
		}
		mq := res.json(t)
		if key := mq["routing_key"].(string); mq["key_hint"] != key[len(key)-4:] {
			t.Fatalf("key hint %v is not the end of %s", mq["key_hint"], key)
		}
		mqID := fmt.Sprint(mq["id"])
		httpPath := "/api/v1/integrations/" + f.ids["http"]

		cases := []struct {
			name, role, method, path string
			body                     any
			headers                  []string
			status                   int
			want, notWant            []string
		}{
			{"admin lists", "admin", "GET", "/api/v1/integrations", nil, nil, 200, []string{`"name":"Fleet http"`, `"name":"Plant MQTT"`, `"topics":["plant/#"]`}, []string{"routing_key"}},
			{"agent lists", "agent", "GET", "/api/v1/integrations", nil, nil, 200, []string{`"kind":"pagerduty"`}, nil},
			{"requester may not list", "requester", "GET", "/api/v1/integrations", nil, nil, 403, nil, nil},
			{"auditor lists", "auditor", "GET", "/api/v1/integrations", nil, nil, 200, []string{`"name":"Plant MQTT"`}, []string{"routing_key"}},
			{"auditor may not create", "auditor", "POST", "/api/v1/integrations", `{"name":"x","kind":"http"}`, nil, 403, nil, nil},
			{"auditor may not patch", "auditor", "PATCH", httpPath, `{"name":"y"}`, nil, 403, nil, nil},
			{"auditor may not rotate", "auditor", "POST", "/api/v1/integrations/" + mqID + "/rotate-key", nil, nil, 403, nil, nil},
			{"anonymous may not list", "", "GET", "/api/v1/integrations", nil, nil, 401, nil, nil},
			{"agent gets one", "agent", "GET", httpPath, nil, nil, 200, []string{`"kind":"http"`, `"active":true`}, []string{"routing_key"}},
			{"no such integration", "admin", "GET", "/api/v1/integrations/424242", nil, nil, 404, nil, nil},
			{"agent may not create", "agent", "POST", "/api/v1/integrations", `{"name":"x","kind":"http"}`, nil, 403, nil, nil},
			{"requester may not create", "requester", "POST", "/api/v1/integrations", `{"name":"x","kind":"http"}`, nil, 403, nil, nil},
			{"anonymous may not create", "", "POST", "/api/v1/integrations", `{"name":"x","kind":"http"}`, nil, 401, nil, nil},
			{"unknown kind", "admin", "POST", "/api/v1/integrations", `{"name":"x","kind":"smtp"}`, nil, 422, []string{`"kind":"must be http, pagerduty, alertmanager, mqtt or nats"`}, nil},
			{"mqtt needs a broker", "admin", "POST", "/api/v1/integrations", `{"name":"x","kind":"mqtt"}`, nil, 422, []string{`"url":`, `"topics":`}, nil},
			{"nats needs a stream", "admin", "POST", "/api/v1/integrations", `{"name":"x","kind":"nats","url":"nats://127.0.0.1:4222"}`, nil, 422, []string{`"stream":`, `"subjects":`}, nil},
			{"http takes no broker", "admin", "POST", "/api/v1/integrations", `{"name":"x","kind":"http","url":"tcp://h:1"}`, nil, 422, []string{`take no broker settings`}, nil},
			{"duplicate name", "admin", "POST", "/api/v1/integrations", `{"name":"Fleet http","kind":"http"}`, nil, 422, []string{`another integration is called`}, nil},
			{"unknown field", "admin", "POST", "/api/v1/integrations", `{"name":"x","kind":"http","colour":"red"}`, nil, 400, []string{`"colour":"is not a known field"`}, nil},
			{"wrong type for a broker setting", "admin", "POST", "/api/v1/integrations", `{"name":"x","kind":"mqtt","url":"tcp://h:1","topics":"a"}`, nil, 400,
				[]string{`"message":"topics: must be a list"`, `"topics":"must be a list"`}, []string{"Config"}},
			{"wrong type inside the mapping", "admin", "POST", "/api/v1/integrations", `{"name":"x","kind":"mqtt","url":"tcp://h:1","topics":["a"],"mapping":{"fields":{"ci":5}}}`, nil, 400,
				[]string{`"mapping.fields":"must be an object of strings"`}, []string{"Config"}},
			{"agent may not patch", "agent", "PATCH", httpPath, `{"name":"y"}`, nil, 403, nil, nil},
			{"stale If-Match", "admin", "PATCH", httpPath, `{"name":"y"}`, []string{"If-Match", `"v9"`}, 412, []string{`"precondition_failed"`}, nil},
			{"rename", "admin", "PATCH", httpPath, `{"name":"Fleet sensors"}`, []string{"If-Match", `"v1"`}, 200, []string{`"name":"Fleet sensors"`, `"version":2`}, []string{"routing_key"}},
			{"broker settings", "admin", "PATCH", "/api/v1/integrations/" + mqID, `{"topics":["plant/+/status","plant/+/alarm"],"mapping":null}`, nil, 200,
				[]string{`"topics":["plant/+/status","plant/+/alarm"]`}, []string{`"mapping"`}},
			{"bad broker settings", "admin", "PATCH", "/api/v1/integrations/" + mqID, `{"url":"http://x"}`, nil, 422, []string{`"url":"must start with tcp://`}, nil},
			{"agent may not rotate", "agent", "POST", "/api/v1/integrations/" + mqID + "/rotate-key", nil, nil, 403, nil, nil},
			{"agent may not deactivate", "agent", "DELETE", "/api/v1/integrations/" + mqID, nil, nil, 403, nil, nil},
			{"anonymous may not deactivate", "", "DELETE", "/api/v1/integrations/" + mqID, nil, nil, 401, nil, nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				res := f.do(c.role, c.method, c.path, c.body, c.headers...)
				if res.status != c.status {
					t.Fatalf("status %d, want %d: %s", res.status, c.status, res.body)
				}
				for _, w := range c.want {
					if !strings.Contains(string(res.body), w) {
						t.Errorf("body lacks %s: %s", w, res.body)
					}
				}
				for _, w := range c.notWant {
					if strings.Contains(string(res.body), w) {
						t.Errorf("body has %s: %s", w, res.body)
					}
				}
			})
		}

		// A rotated key replaces the old one at once.
		event := `{"ci":"pump-1","check":"pressure","message_id":"m-rot"}`
		old := f.keys["http"]
		if res := f.send("/api/v1/events", old, event); res.status != 202 {
			t.Fatalf("old key before rotation: %d %s", res.status, res.body)
		}
		res = f.do("admin", "POST", httpPath+"/rotate-key", nil)
		if res.status != 200 || !regexp.MustCompile(`"routing_key":"[0-9a-f]{32}"`).Match(res.body) {
			t.Fatalf("rotate: %d %s", res.status, res.body)
		}
		fresh := res.json(t)["routing_key"].(string)
		if res := f.send("/api/v1/events", old, event); res.status != 401 {
			t.Fatalf("the old key should stop working: %d %s", res.status, res.body)
		}
		if res := f.send("/api/v1/events", fresh, `{"ci":"pump-1","check":"pressure","message_id":"m-rot2"}`); res.status != 202 {
			t.Fatalf("the new key should work: %d %s", res.status, res.body)
		}

		// Deactivating keeps the history and stops the key.
		res = f.do("admin", "DELETE", httpPath, nil)
		if res.status != 200 || !strings.Contains(string(res.body), `"active":false`) {
			t.Fatalf("deactivate: %d %s", res.status, res.body)
		}
		if res := f.send("/api/v1/events", fresh, event); res.status != 401 {
			t.Fatalf("a deactivated integration's key should stop working: %d %s", res.status, res.body)
		}
		if n := f.stored("http"); n != 2 {
			t.Fatalf("history: %d events, want the 2 sent before", n)
		}
		if res := f.do("admin", "POST", httpPath+"/rotate-key", nil); res.status != 409 {
			t.Fatalf("rotating a deactivated key: %d %s", res.status, res.body)
		}
		if res := f.do("admin", "PATCH", httpPath, `{"active":true}`); res.status != 200 {
			t.Fatalf("reactivate: %d %s", res.status, res.body)
		}
		if res := f.send("/api/v1/events", fresh, `{"ci":"pump-1","check":"pressure","message_id":"m-back"}`); res.status != 202 {
			t.Fatalf("a reactivated integration's key works again: %d %s", res.status, res.body)
		}
	})
}

func TestEventsIngestAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newIngestFixture(t, e)
		key := f.keys["http"]
		future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		bigLabels := `{"ci":"x","labels":{"blob":"` + strings.Repeat("a", 10<<20) + `"}}`
		mediumLabels := `{"ci":"x","labels":{"blob":"` + strings.Repeat("a", 100<<10) + `"}}`
		ok := func(i int) string { return fmt.Sprintf(`{"ci":"dev-%d","check":"heartbeat","severity":"info"}`, i) }
		badAt3 := batchOf(5, func(i int) string {
			if i == 3 {
				return `{"ci":"dev-3","severity":"disaster"}`
			}
			return ok(i)
		})

		cases := []struct {
			name, key, body string
			status          int
			want            []string
		}{
			{"no key", "", `{"ci":"a"}`, 401, []string{`X-Routing-Key`}},
			{"unknown key", "0123456789abcdef0123456789abcdef", `{"ci":"a"}`, 401, []string{`not that of an active integration`}},
			{"a PagerDuty key", f.keys["pagerduty"], `{"ci":"a"}`, 403, []string{`belongs to a PagerDuty integration`, `/v2/enqueue`}},
			{"an Alertmanager key", f.keys["alertmanager"], `{"ci":"a"}`, 403, []string{`belongs to an Alertmanager integration`}},
			{"empty body", key, ``, 400, []string{`request body is empty`}},
			{"empty batch", key, `[]`, 400, []string{`the batch is empty`}},
			{"malformed JSON", key, `{"ci": "a",}`, 400, []string{`malformed JSON at byte`}},
			{"malformed in a batch", key, `[{"ci":"a"}, {"ci": }]`, 400, []string{`malformed JSON at byte`}},
			{"unknown field", key, `{"ci":"a","colour":"red"}`, 400, []string{`unknown field colour`}},
			{"unknown field in a batch", key, `[{"ci":"a"},{"ci":"b","colour":"red"}]`, 400, []string{`events[1].colour: is not a known field`, `"events[1].colour"`}},
			{"a label that is not text", key, `[{"ci":"a","labels":{"x":1}}]`, 400, []string{`"message":"events[0].labels: must be an object of strings"`}},
			{"labels that are not an object", key, `{"ci":"a","labels":["x"]}`, 400, []string{`"message":"labels: must be an object"`}},
			{"a time that is not one", key, `{"ci":"a","occurred_at":"yesterday"}`, 400, []string{`"occurred_at":"must be an RFC 3339 time such as 2026-12-05T10:00:00Z"`}},
			{"a time that is not one in a batch", key, `[{"ci":"a"},{"ci":"b","occurred_at":"yesterday"}]`, 400, []string{`"message":"events[1].occurred_at: must be an RFC 3339 time such as 2026-12-05T10:00:00Z"`}},
			{"a time that is a number", key, `{"ci":"a","occurred_at":1733392800}`, 400, []string{`"message":"occurred_at: must be an RFC 3339 time`}},
			{"a body of null", key, `null`, 400, []string{`"message":"the body must be an event object or an array of them"`}},
			{"a number", key, `42`, 400, []string{`"message":"the body must be an event object or an array of them"`}},
			{"null in a batch", key, `[{"ci":"a"},null]`, 400, []string{`"message":"events[1]: must be an event object"`}},
			{"trailing data", key, `{"ci":"a"} {"ci":"b"}`, 400, []string{`nothing after it`}},
			{"invalid severity", key, `{"ci":"a","severity":"disaster"}`, 422, []string{`"severity":"must be critical, major, minor, warning, info or ok"`, `was not stored`}},
			{"invalid action", key, `{"ci":"a","action":"explode"}`, 422, []string{`"action":"must be trigger, acknowledge or resolve"`}},
			{"far in the future", key, `{"ci":"a","occurred_at":"` + future + `"}`, 422, []string{`"occurred_at":"is more than 5m0s in the future"`}},
			{"one bad event refuses the batch", key, badAt3, 422, []string{`"events[3].severity":"must be`, `1 of 5 events are not valid; none was stored`}},
			{"nothing to deduplicate on", key, `[{"summary":"hello"}]`, 422, []string{`"events[0].dedup_key"`}},
			{"labels over the event limit", key, mediumLabels, 422, []string{`"labels":"are`}},
			{"10 MB of labels", key, bigLabels, 413, []string{`larger than 8 MB`}},
			{"1,001 events", key, batchOf(1001, ok), 413, []string{`at most 1000 events`}},
			{"not JSON", key, `ci=a`, 400, []string{`malformed JSON`}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				res := f.send("/api/v1/events", c.key, c.body)
				if res.status != c.status {
					t.Fatalf("status %d, want %d: %.300s", res.status, c.status, res.body)
				}
				for _, w := range c.want {
					if !strings.Contains(string(res.body), w) {
						t.Errorf("body lacks %s: %.500s", w, res.body)
					}
				}
			})
		}
		// The API refuses a body that says it is not JSON, as its other
		// JSON endpoints do, saying why.
		res := f.do("", "POST", "/api/v1/events", `{"ci":"a"}`, "X-Routing-Key", key, "Content-Type", "text/plain")
		if res.status != 400 || !strings.Contains(string(res.body), "Content-Type must be application/json") {
			t.Fatalf("text/plain: %d %s", res.status, res.body)
		}
		if n := f.stored("http"); n != 0 {
			t.Fatalf("refused requests stored %d events", n)
		}

		// A full batch is stored; the same message ids again are duplicates.
		full := batchOf(1000, func(i int) string {
			return fmt.Sprintf(`{"ci":"dev-%d","check":"heartbeat","severity":"info","message_id":"hb-%d","labels":{"site":"north"}}`, i, i)
		})
		res = f.send("/api/v1/events", key, full)
		if res.status != 202 || string(bytes.TrimSpace(res.body)) != `{"accepted":1000,"duplicates":0}` {
			t.Fatalf("full batch: %d %s", res.status, res.body)
		}
		res = f.send("/api/v1/events", key, `[{"ci":"dev-1","message_id":"hb-1"},{"ci":"dev-new","message_id":"hb-new"}]`)
		if res.status != 202 || string(bytes.TrimSpace(res.body)) != `{"accepted":1,"duplicates":1}` {
			t.Fatalf("duplicate: %d %s", res.status, res.body)
		}
		res = f.send("/api/v1/events", key, `{"ci":"dev-1","message_id":"hb-1"}`)
		if res.status != 202 || string(bytes.TrimSpace(res.body)) != `{"accepted":0,"duplicates":1}` {
			t.Fatalf("single duplicate: %d %s", res.status, res.body)
		}
		if n := f.stored("http"); n != 1001 {
			t.Fatalf("stored %d events, want 1001", n)
		}
		// What is stored is what was sent, normalised.
		var dev, sev, action, labels, dedup string
		if err := e.DB.QueryRow(t.Context(), `SELECT device, severity, action, labels, dedup_key FROM events WHERE message_id = 'hb-7'`).
			Scan(&dev, &sev, &action, &labels, &dedup); err != nil {
			t.Fatal(err)
		}
		if dev != "dev-7" || sev != "info" || action != "trigger" || labels != `{"site":"north"}` || dedup == "" {
			t.Fatalf("stored event: %s %s %s %s %q", dev, sev, action, labels, dedup)
		}
	})
}

func TestPagerDutyEnqueue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newIngestFixture(t, e)
		key := f.keys["pagerduty"]
		trigger := func(extra string) string {
			return `{"routing_key":"` + key + `","event_action":"trigger"` + extra + `,"payload":{"summary":"Disk full on db-1","source":"db-1.example.org","severity":"error",
				"component":"/var","group":"databases","class":"disk","custom_details":{"free":"0%"}},"client":"Nagios","links":[{"href":"http://x"}]}`
		}
		cases := []struct {
			name, body string
			status     int
			want       []string
		}{
			{"unknown routing key", `{"routing_key":"0123456789abcdef0123456789abcdef","event_action":"trigger","payload":{"summary":"x","source":"y","severity":"info"}}`,
				400, []string{`"status":"invalid event"`, `"message":"Event object is invalid"`, `"errors":["Invalid routing key"]`}},
			{"no routing key", `{"event_action":"trigger"}`, 400, []string{`Invalid routing key`}},
			{"an http key", `{"routing_key":"` + f.keys["http"] + `","event_action":"trigger","payload":{"summary":"x","source":"y","severity":"info"}}`,
				400, []string{`Invalid routing key: the routing key belongs to an HTTP integration`}},
			{"bad action", `{"routing_key":"` + key + `","event_action":"explode"}`, 400, []string{`'event_action' is invalid`}},
			{"bad severity", `{"routing_key":"` + key + `","event_action":"trigger","payload":{"summary":"x","source":"y","severity":"major"}}`, 400,
				[]string{`'payload.severity' is invalid (must be critical, error, warning or info)`}},
			{"trigger without payload fields", `{"routing_key":"` + key + `","event_action":"trigger","payload":{}}`, 400,
				[]string{`'payload.summary' is missing or blank`, `'payload.source' is missing or blank`, `'payload.severity' is missing or blank`}},
			{"resolve without dedup key", `{"routing_key":"` + key + `","event_action":"resolve"}`, 400, []string{`'dedup_key' is missing or blank`}},
			{"timestamp in the future", `{"routing_key":"` + key + `","event_action":"trigger","payload":{"summary":"x","source":"y","severity":"info","timestamp":"2099-01-01T00:00:00Z"}}`,
				400, []string{`'payload.timestamp' is more than`}},
			{"malformed", `{"routing_key":`, 400, []string{`malformed JSON at byte`}},
			{"empty", ``, 400, []string{`the body is empty`}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				res := f.raw("/v2/enqueue", c.body)
				if res.status != c.status {
					t.Fatalf("status %d, want %d: %s", res.status, c.status, res.body)
				}
				for _, w := range c.want {
					if !strings.Contains(string(res.body), w) {
						t.Errorf("body lacks %s: %s", w, res.body)
					}
				}
			})
		}
		if n := f.stored("pagerduty"); n != 0 {
			t.Fatalf("refused events stored: %d", n)
		}

		res := f.raw("/v2/enqueue", trigger(`,"dedup_key":"db-1/disk"`))
		if res.status != 202 || string(bytes.TrimSpace(res.body)) != `{"status":"success","message":"Event processed","dedup_key":"db-1/disk"}` {
			t.Fatalf("trigger: %d %s", res.status, res.body)
		}
		res = f.raw("/v2/enqueue", trigger(""))
		var answer struct {
			DedupKey string `json:"dedup_key"`
		}
		json.Unmarshal(res.body, &answer)
		if res.status != 202 || !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(answer.DedupKey) {
			t.Fatalf("a trigger without dedup_key gets one: %d %s", res.status, res.body)
		}
		res = f.raw("/v2/enqueue", `{"routing_key":"`+key+`","event_action":"resolve","dedup_key":"`+answer.DedupKey+`"}`)
		if res.status != 202 || !strings.Contains(string(res.body), `"dedup_key":"`+answer.DedupKey+`"`) {
			t.Fatalf("resolve: %d %s", res.status, res.body)
		}
		var sev, dev, src, check, resource, labels, payload string
		if err := e.DB.QueryRow(t.Context(), `SELECT severity, device, source, check_name, resource, labels, payload FROM events WHERE dedup_key = 'db-1/disk'`).
			Scan(&sev, &dev, &src, &check, &resource, &labels, &payload); err != nil {
			t.Fatal(err)
		}
		if sev != "major" || dev != "db-1.example.org" || src != "db-1.example.org" || check != "disk" || resource != "/var" ||
			!strings.Contains(labels, `"group":"databases"`) || !strings.Contains(payload, `"free"`) {
			t.Fatalf("mapped: %s %s %s %s %s %s %s", sev, dev, src, check, resource, labels, payload)
		}
		var action string
		e.DB.QueryRow(t.Context(), `SELECT action FROM events WHERE dedup_key = ? AND action = 'resolve'`, answer.DedupKey).Scan(&action)
		if action != "resolve" {
			t.Fatal("the resolve was not stored under the generated key")
		}
	})
}

func TestAlertmanagerWebhook(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newIngestFixture(t, e)
		path := "/api/v1/webhooks/alertmanager?key=" + f.keys["alertmanager"]
		start := time.Now().Add(-10 * time.Minute).UTC().Format(time.RFC3339Nano)
		end := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339Nano)
		firing := `{"version":"4","groupKey":"{}:{alertname=\"DiskFull\"}","status":"firing","receiver":"steward","groupLabels":{"alertname":"DiskFull"},
			"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am:9093","truncatedAlerts":0,"alerts":[
			{"status":"firing","labels":{"alertname":"DiskFull","instance":"db-1:9100","job":"node","severity":"critical"},"annotations":{"summary":"Disk full on db-1"},
			 "startsAt":"` + start + `","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prom/graph","fingerprint":"aa11"},
			{"status":"firing","labels":{"alertname":"HighLoad","hostname":"web-2"},"annotations":{"description":"Load is high"},
			 "startsAt":"` + start + `","endsAt":"0001-01-01T00:00:00Z","fingerprint":""}]}`
		cases := []struct {
			name, path, body string
			status           int
			want             []string
		}{
			{"no key", "/api/v1/webhooks/alertmanager", firing, 401, []string{`?key=`, `Authorization: Bearer`}},
			{"unknown key", "/api/v1/webhooks/alertmanager?key=nope", firing, 401, []string{`not that of an active integration`}},
			{"an http key", "/api/v1/webhooks/alertmanager?key=" + f.keys["http"], firing, 403, []string{`belongs to an HTTP integration`}},
			{"malformed", path, `{"alerts":[`, 400, []string{`malformed JSON`}},
			{"bad status", path, `{"alerts":[{"status":"exploded","labels":{"alertname":"x"}}]}`, 422, []string{`"alerts[0].action"`}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				res := f.do("", "POST", c.path, c.body)
				if res.status != c.status {
					t.Fatalf("status %d, want %d: %s", res.status, c.status, res.body)
				}
				for _, w := range c.want {
					if !strings.Contains(string(res.body), w) {
						t.Errorf("body lacks %s: %s", w, res.body)
					}
				}
			})
		}
		// A GET by someone trying the receiver's address in a browser is told
		// the receiver takes POST, not handed to the outbound webhooks.
		if res := f.do("", "GET", path, ""); res.status != 405 || res.header.Get("Allow") != "POST" || !strings.Contains(string(res.body), "takes POST") {
			t.Errorf("GET on the receiver: %d %v %s", res.status, res.header, res.body)
		}
		// The key may come as Alertmanager's http_config.authorization
		// sends it instead of in the URL.
		if res := f.do("", "POST", "/api/v1/webhooks/alertmanager", firing, "Authorization", "Bearer nope"); res.status != 401 {
			t.Fatalf("an unknown bearer key: %d %s", res.status, res.body)
		}
		if res := f.do("", "POST", "/api/v1/webhooks/alertmanager", firing, "Authorization", "Bearer "+f.keys["http"]); res.status != 403 {
			t.Fatalf("an http integration's bearer key: %d %s", res.status, res.body)
		}
		res := f.do("", "POST", "/api/v1/webhooks/alertmanager", firing, "Authorization", "Bearer "+f.keys["alertmanager"])
		if res.status != 200 || string(bytes.TrimSpace(res.body)) != `{"accepted":2,"duplicates":0}` {
			t.Fatalf("firing with the key in Authorization: %d %s", res.status, res.body)
		}
		res = f.do("", "POST", path, firing)
		if res.status != 200 || string(bytes.TrimSpace(res.body)) != `{"accepted":0,"duplicates":2}` {
			t.Fatalf("the same alerts with the key in the URL: %d %s", res.status, res.body)
		}
		res = f.do("", "POST", path, firing) // Alertmanager's repeat
		if res.status != 200 || string(bytes.TrimSpace(res.body)) != `{"accepted":0,"duplicates":2}` {
			t.Fatalf("repeat: %d %s", res.status, res.body)
		}
		resolved := strings.Replace(strings.Replace(firing, `"status":"firing","labels":{"alertname":"DiskFull"`, `"status":"resolved","labels":{"alertname":"DiskFull"`, 1),
			`"endsAt":"0001-01-01T00:00:00Z","generatorURL"`, `"endsAt":"`+end+`","generatorURL"`, 1)
		res = f.do("", "POST", path, resolved)
		if res.status != 200 || string(bytes.TrimSpace(res.body)) != `{"accepted":1,"duplicates":1}` {
			t.Fatalf("resolved: %d %s", res.status, res.body)
		}
		type row struct{ action, sev, dev, check, summary, dedup string }
		var got []row
		rows, err := e.DB.Query(t.Context(), `SELECT action, severity, device, check_name, summary, dedup_key FROM events WHERE integration_id = ? ORDER BY id`, f.ids["alertmanager"])
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var r row
			rows.Scan(&r.action, &r.sev, &r.dev, &r.check, &r.summary, &r.dedup)
			got = append(got, r)
		}
		rows.Close()
		if len(got) != 3 {
			t.Fatalf("stored %d events: %v", len(got), got)
		}
		if (got[0] != row{"trigger", "critical", "db-1", "DiskFull", "Disk full on db-1", "aa11"}) {
			t.Errorf("first alert: %+v", got[0])
		}
		if got[1].sev != "warning" || got[1].dev != "web-2" || got[1].summary != "Load is high" || got[1].dedup == "" {
			t.Errorf("an alert without severity or fingerprint: %+v", got[1])
		}
		if (got[2] != row{"resolve", "ok", "db-1", "DiskFull", "Disk full on db-1", "aa11"}) {
			t.Errorf("resolve: %+v", got[2])
		}
	})
}
