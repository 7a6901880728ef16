package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeServer answers like Steward's API, counting what it is sent.
type fakeServer struct {
	creates, lists atomic.Int64
	failEvery      int64 // every n-th create answers 500; 0 never
	mu             sync.Mutex
	queries        []url.Values
	bodies         []map[string]any
}

const testToken = "stw_test"

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+testToken {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":{"code":"unauthorized"}}`)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == "GET" && r.URL.Path == "/api/v1/me":
		io.WriteString(w, `{"id":1,"role":"admin"}`)
	case r.Method == "GET" && r.URL.Path == "/api/v1/groups":
		io.WriteString(w, `{"items":[{"id":11},{"id":12}],"next_cursor":null}`)
	case r.Method == "GET" && r.URL.Path == "/api/v1/customers":
		io.WriteString(w, `{"items":[{"id":21}],"next_cursor":null}`)
	case r.Method == "POST" && r.URL.Path == "/api/v1/incidents":
		n := f.creates.Add(1)
		var in map[string]any
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.bodies = append(f.bodies, in)
		f.mu.Unlock()
		if f.failEvery > 0 && n%f.failEvery == 0 {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"error":{"code":"internal"}}`)
			return
		}
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"id":%d}`, n)
	case r.Method == "GET" && r.URL.Path == "/api/v1/incidents":
		f.lists.Add(1)
		f.mu.Lock()
		f.queries = append(f.queries, r.URL.Query())
		f.mu.Unlock()
		io.WriteString(w, `{"items":[],"next_cursor":null}`)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func start(t *testing.T, f *fakeServer) string {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv.URL
}

func config(u string, s Scenario) Config {
	return Config{URL: u, Token: testToken, Clients: 4, Duration: time.Minute, Scenario: s, Seed: 3}
}

func TestRunStopsAtRequestCount(t *testing.T) {
	f := &fakeServer{}
	cfg := config(start(t, f), Create)
	cfg.Requests = 137
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 137 || f.creates.Load() != 137 {
		t.Fatalf("measured %d requests, server saw %d; want 137", res.Requests, f.creates.Load())
	}
	if res.StoppedBy != "requests" || res.Errors != 0 || res.Statuses["201"] != 137 {
		t.Fatalf("result = %+v", res)
	}
	if res.Latency.N != 137 || res.Latency.Max < res.Latency.P99 || res.Latency.P99 < res.Latency.P50 {
		t.Fatalf("latency = %+v", res.Latency)
	}
	for _, b := range f.bodies {
		if b["title"] == "" || b["impact"] == nil || b["urgency"] == nil {
			t.Fatalf("create body %v lacks fields", b)
		}
		if g := b["group_id"]; g != 11.0 && g != 12.0 {
			t.Fatalf("group_id %v is not one the server listed", g)
		}
	}
}

func TestRunStopsAtDuration(t *testing.T) {
	f := &fakeServer{}
	cfg := config(start(t, f), List)
	cfg.Duration = 50 * time.Millisecond
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.StoppedBy != "duration" {
		t.Fatalf("stopped by %q, want duration", res.StoppedBy)
	}
	if res.Requests != f.lists.Load() {
		t.Fatalf("measured %d requests, server answered %d", res.Requests, f.lists.Load())
	}
}

func TestRunInterrupted(t *testing.T) {
	f := &fakeServer{}
	ctx, cancel := context.WithCancel(context.Background())
	cfg := config(start(t, f), Search)
	done := make(chan *Result)
	go func() {
		res, err := Run(ctx, cfg)
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	for f.lists.Load() < 10 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	res := <-done
	if res == nil || res.StoppedBy != "interrupted" {
		t.Fatalf("result = %+v", res)
	}
	if res.Statuses["transport"] != 0 {
		t.Fatalf("cancelled requests were counted as errors: %v", res.Statuses)
	}
}

func TestErrorsCountedByStatus(t *testing.T) {
	f := &fakeServer{failEvery: 5}
	cfg := config(start(t, f), Create)
	cfg.Requests = 100
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Statuses["500"] != 20 || res.Statuses["201"] != 80 || res.Errors != 20 {
		t.Fatalf("statuses %v, errors %d; want 20 × 500 and 80 × 201", res.Statuses, res.Errors)
	}
	if !strings.Contains(res.FirstErrors["500"], "internal") {
		t.Fatalf("first errors = %v", res.FirstErrors)
	}
	var buf bytes.Buffer
	res.WriteText(&buf)
	for _, want := range []string{"500: 20", "201: 80", "errors      20", "p99"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestMixedCoversEveryOperation(t *testing.T) {
	f := &fakeServer{}
	cfg := config(start(t, f), Mixed)
	cfg.Requests = 400
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ops := map[Op]int64{}
	var sum int64
	for _, o := range res.Ops {
		ops[o.Op] = o.Requests
		sum += o.Requests
	}
	if ops[OpCreate] == 0 || ops[OpList] == 0 || ops[OpSearch] == 0 || sum != 400 {
		t.Fatalf("operations = %v", ops)
	}
	var qsum int64
	for _, q := range res.Queries {
		qsum += q.Requests
	}
	if qsum != 400 {
		t.Fatalf("per-query counts add up to %d, want 400", qsum)
	}
	var buf bytes.Buffer
	if err := res.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var decoded struct {
		Requests int64 `json:"requests"`
		Latency  struct {
			P99 float64 `json:"p99_ms"`
		} `json:"latency"`
	}
	if err := json.Unmarshal(buf.Bytes(), &decoded); err != nil || decoded.Requests != 400 {
		t.Fatalf("json %s: %v", buf.String(), err)
	}
}

func TestListAndSearchRequests(t *testing.T) {
	g := newGenerator(List, environment{groups: []int64{11}, customers: []int64{21}})
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[string]bool{}
	for range 500 {
		r := g.list(rng)
		u, err := url.Parse(r.path)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if q.Get("limit") != "50" {
			t.Fatalf("%s: limit is not 50", r.path)
		}
		if v := q.Get("group_id"); v != "" && v != "11" {
			t.Fatalf("%s: unknown group", r.path)
		}
		if v := q.Get("customer_id"); v != "" && v != "21" {
			t.Fatalf("%s: unknown customer", r.path)
		}
		if strings.Contains(r.path, "{") {
			t.Fatalf("%s: placeholder left", r.path)
		}
		seen[r.label] = true
	}
	if len(seen) != len(ListFilters) {
		t.Fatalf("500 list requests used %d of %d filters", len(seen), len(ListFilters))
	}
	for range 200 {
		r := g.search(rng)
		u, _ := url.Parse(r.path)
		q := u.Query().Get("q")
		found := false
		for _, w := range SearchWords {
			found = found || w == q || (strings.HasSuffix(q, "*") && strings.HasPrefix(w, strings.TrimSuffix(q, "*")))
		}
		if len(q) < 3 || !found {
			t.Fatalf("search %q is neither a seeded word nor a prefix of one ending in *", q)
		}
	}
}

func TestPercentile(t *testing.T) {
	ms := func(n int) []time.Duration {
		out := make([]time.Duration, n)
		for i := range out {
			out[i] = time.Duration(n-i) * time.Millisecond // reversed: Summarize must sort
		}
		return out
	}
	l := Summarize(ms(100))
	want := Latency{N: 100, Mean: Duration(50500 * time.Microsecond), P50: Duration(50 * time.Millisecond),
		P90: Duration(90 * time.Millisecond), P95: Duration(95 * time.Millisecond),
		P99: Duration(99 * time.Millisecond), Max: Duration(100 * time.Millisecond)}
	if l != want {
		t.Fatalf("Summarize(1..100ms) = %+v, want %+v", l, want)
	}
	one := Summarize([]time.Duration{7 * time.Millisecond})
	if one.P50 != one.Max || one.P99 != Duration(7*time.Millisecond) {
		t.Fatalf("one sample: %+v", one)
	}
	if (Summarize(nil) != Latency{}) {
		t.Fatal("no samples must give a zero summary")
	}
	s := ms(1000)
	Summarize(s)
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{0, 1}, {0.1, 1}, {50, 500}, {99, 990}, {99.9, 999}, {100, 1000}} {
		if got := Percentile(s, c.p); got != c.want*time.Millisecond {
			t.Errorf("p%v of 1..1000ms = %v, want %vms", c.p, got, c.want)
		}
	}
}

func TestOnlyLoopback(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:8080", "http://localhost:1", "https://LOCALHOST", "http://127.9.8.7", "http://[::1]:8080/"} {
		if _, err := CheckLoopback(u); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	for _, u := range []string{"http://10.0.0.1:8080", "http://example.com", "http://0.0.0.0:8080", "http://localhost.example.com",
		"http://[::2]", "ftp://127.0.0.1", "127.0.0.1:8080", "http://", "http://128.0.0.1"} {
		if _, err := CheckLoopback(u); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
	_, err := Run(context.Background(), Config{URL: "http://192.0.2.1", Token: "x", Clients: 1, Duration: time.Second, Scenario: Create})
	if err == nil || !strings.Contains(err.Error(), "only localhost") {
		t.Fatalf("Run against a remote host: %v", err)
	}
}

func TestValidate(t *testing.T) {
	ok := Config{URL: "http://127.0.0.1", Token: "t", Clients: 1, Duration: time.Second, Scenario: Mixed}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*Config){
		"clients 0":      func(c *Config) { c.Clients = 0 },
		"clients 257":    func(c *Config) { c.Clients = 257 },
		"duration 0":     func(c *Config) { c.Duration = 0 },
		"duration 11m":   func(c *Config) { c.Duration = 11 * time.Minute },
		"requests -1":    func(c *Config) { c.Requests = -1 },
		"scenario":       func(c *Config) { c.Scenario = "delete" },
		"token":          func(c *Config) { c.Token = " " },
		"remote address": func(c *Config) { c.URL = "http://203.0.113.9" },
	} {
		c := ok
		mod(&c)
		if c.Validate() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestBadToken(t *testing.T) {
	cfg := config(start(t, &fakeServer{}), Create)
	cfg.Token = "stw_wrong"
	if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "refused the token") {
		t.Fatalf("err = %v", err)
	}
}

func TestParseStatus(t *testing.T) {
	status := "Name:\tsteward\nVmPeak:\t 2000000 kB\nVmHWM:\t  183456 kB\nVmRSS:\t  120004 kB\nThreads:\t9\n"
	r, err := parseStatus(42, strings.NewReader(status))
	if err != nil {
		t.Fatal(err)
	}
	if r != (RSS{PID: 42, VmRSS: 120004, VmHWM: 183456}) {
		t.Fatalf("parsed %+v", r)
	}
	if _, err := parseStatus(1, strings.NewReader("Name:\tkthreadd\n")); err == nil {
		t.Fatal("a status without memory lines was accepted")
	}
	if _, err := ReadRSS(-5); err == nil {
		t.Fatal("a missing process was accepted")
	}
}
