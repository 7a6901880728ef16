package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestLoadgenRefusesOtherMachines(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"remote steward", []string{"--url", "http://10.1.2.3:8080", "--key", "k"}, "refusing to send load to 10.1.2.3"},
		{"remote name", []string{"--url", "http://steward.example.com", "--key", "k"}, "refusing to send load to steward.example.com"},
		{"remote alertmanager", []string{"--target", "alertmanager", "--am-url", "http://192.168.1.5:9093"}, "refusing to send load to 192.168.1.5"},
		{"remote broker", []string{"--transport", "mqtt", "--mqtt-url", "tcp://broker.example.net:1883", "--key", "k"}, "broker.example.net"},
		{"remote nats", []string{"--transport", "nats", "--nats-url", "nats://8.8.8.8:4222", "--key", "k"}, "8.8.8.8"},
		{"no key nor token", []string{}, "give --key"},
		{"unknown transport", []string{"--transport", "carrier-pigeon", "--key", "k"}, "unknown transport"},
		{"unknown target", []string{"--target", "nagios"}, "unknown --target"},
		{"too long", []string{"--key", "k", "--duration", "2h"}, "duration must be"},
		{"batch too big", []string{"--key", "k", "--batch", "1001"}, "batch must be between 1 and 1000"},
		{"too many clients", []string{"--key", "k", "--clients", "1000"}, "clients must be between"},
		{"too many devices", []string{"--key", "k", "--devices", "20000000"}, "devices must be between"},
		{"faults above one", []string{"--key", "k", "--faults", "2"}, "faults must be a fraction"},
		{"wait without token", []string{"--key", "k", "--gateway-outage", "5", "--wait-incidents"}, "--wait-incidents needs --token"},
		{"wait without outage", []string{"--token", "t", "--wait-incidents"}, "--wait-incidents needs"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := run(t, "", append([]string{"events", "loadgen"}, c.args...)...)
			if code != 2 || !strings.Contains(errOut, c.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, errOut, c.want)
			}
		})
	}
	if code, _, errOut := run(t, "", "events", "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown events command") {
		t.Fatalf("exit %d, %q", code, errOut)
	}
}

func TestLoadgenAllowRemoteOnlyWhenAsked(t *testing.T) {
	o, err := parseLoadgen([]string{"--url", "http://10.1.2.3:8080", "--key", "k", "--allow-remote"}, Env{Stderr: io.Discard})
	if err != nil || o.cfg.URL != "http://10.1.2.3:8080" {
		t.Fatalf("--allow-remote refused: %v", err)
	}
	o, err = parseLoadgen([]string{"--target", "alertmanager"}, Env{Stderr: io.Discard})
	if err != nil || o.cfg.Batch != 100 || o.cfg.Transport != "alertmanager" || o.cfg.URL != "http://127.0.0.1:9093" {
		t.Fatalf("alertmanager defaults: %+v, %v", o, err)
	}
	for _, u := range []string{"http://localhost:8080", "http://127.0.0.2:8080", "http://[::1]:8080"} {
		if _, err := parseLoadgen([]string{"--url", u, "--key", "k"}, Env{Stderr: io.Discard}); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
}

// The command creates an integration with the token, sends the fleet's
// events with its routing key, stops at the count and prints a summary.
func TestLoadgenCreatesAnIntegrationAndReports(t *testing.T) {
	var events atomic.Int64
	var gateway atomic.Value // the gateway whose outage arrived
	gateway.Store("")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == "GET" && r.URL.Path == "/api/v1/alerts":
			items := []map[string]any{{"dedup_key": "SN-0000001/battery", "summary": "battery out of range", "incident_id": 3}}
			if gw := gateway.Load().(string); gw != "" && r.URL.Query().Get("dedup_key") == gw+"/reachability" {
				items = append(items, map[string]any{"dedup_key": gw + "/reachability", "summary": "gateway unreachable", "incident_id": 8})
			}
			json.NewEncoder(w).Encode(map[string]any{"items": items, "next_cursor": nil})
		case r.Method == "POST" && r.URL.Path == "/api/v1/integrations":
			var in map[string]any
			json.NewDecoder(r.Body).Decode(&in)
			if r.Header.Get("Authorization") != "Bearer stw_test" || in["kind"] != "http" {
				http.Error(w, "no", http.StatusForbidden)
				return
			}
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"id":1,"routing_key":"rk_1"}`)
		case r.Method == "POST" && r.URL.Path == "/api/v1/events" && r.Header.Get("X-Routing-Key") == "rk_1":
			var ins []map[string]any
			json.NewDecoder(r.Body).Decode(&ins)
			events.Add(int64(len(ins)))
			for _, in := range ins {
				if ci, _ := in["ci"].(string); strings.HasPrefix(ci, "GW-") {
					gateway.Store(ci)
				}
			}
			w.WriteHeader(http.StatusAccepted)
			json.NewEncoder(w).Encode(map[string]int{"accepted": len(ins), "duplicates": 0})
		default:
			http.Error(w, "unexpected", http.StatusNotFound)
		}
	}))
	defer srv.Close()
	code, out, errOut := run(t, "", "events", "loadgen", "--url", srv.URL, "--token", "stw_test", "--devices", "500",
		"--events", "2500", "--batch", "250", "--clients", "2", "--gateway-outage", "0", "--per-gateway", "50", "--wait-incidents")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"sent        2500 events in 10 batches", "accepted    2500, duplicates 0", "refused     0", "errors      0",
		"batch time  p50", "with 50 sensors: 51 events sent", "the outage in an incident", `alert "gateway unreachable" in incident 8`} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if events.Load() != 2500 {
		t.Fatalf("server got %d events", events.Load())
	}
}
