// Package bench load-tests a running Steward server through its HTTP API:
// a number of concurrent clients issue create, list or search requests
// until a request count or a time limit is reached, and every request's
// latency is kept so that percentiles are exact.
package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Limits on a run, so that a mistyped flag cannot turn a benchmark into a
// denial of service against the machine it runs on.
const (
	MaxClients  = 256
	MaxDuration = 10 * time.Minute
)

// Scenario names the mix of requests a run sends.
type Scenario string

const (
	Create    Scenario = "create"     // POST /api/v1/incidents
	CreateSLA Scenario = "create-sla" // POST /api/v1/incidents for a customer, to the service desk: three SLA timers each
	Comment   Scenario = "comment"    // POST /api/v1/incidents/{ref}/comments
	Patch     Scenario = "patch"      // PATCH /api/v1/incidents/{ref} with If-Match
	Order     Scenario = "order"      // POST /api/v1/requests: a catalogue order with an approval and a task
	List      Scenario = "list"       // filtered GET /api/v1/incidents pages
	Search    Scenario = "search"     // GET /api/v1/incidents?q=
	Mixed     Scenario = "mixed"      // a service desk's day: mostly lists, some searches and creates
)

// Scenarios lists the valid scenarios.
var Scenarios = []Scenario{Create, CreateSLA, Comment, Patch, Order, List, Search, Mixed}

// Config describes one run.
type Config struct {
	URL      string        // base URL of the server; only loopback hosts are accepted
	Token    string        // API token (stw_...) of a staff account
	Clients  int           // concurrent clients, 1 to MaxClients
	Duration time.Duration // stop after this long, at most MaxDuration
	Requests int           // stop after this many requests; 0 means no count limit
	Scenario Scenario
	Seed     uint64 // seeds the request generator; runs with the same seed send the same requests

	// Client is used instead of a default one when set (tests).
	Client *http.Client
}

// Validate checks the configuration without touching the network.
func (c Config) Validate() error {
	if _, err := CheckLoopback(c.URL); err != nil {
		return err
	}
	if strings.TrimSpace(c.Token) == "" {
		return errors.New("an API token is required")
	}
	if c.Clients < 1 || c.Clients > MaxClients {
		return fmt.Errorf("clients must be between 1 and %d", MaxClients)
	}
	if c.Duration <= 0 || c.Duration > MaxDuration {
		return fmt.Errorf("duration must be above 0 and at most %s", MaxDuration)
	}
	if c.Requests < 0 {
		return errors.New("requests must be 0 (no limit) or more")
	}
	if !validScenario(c.Scenario) {
		return fmt.Errorf("unknown scenario %q: use one of %s", c.Scenario, scenarioNames())
	}
	return nil
}

func scenarioNames() string {
	names := make([]string, len(Scenarios))
	for i, s := range Scenarios {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

func validScenario(s Scenario) bool {
	for _, v := range Scenarios {
		if s == v {
			return true
		}
	}
	return false
}

// CheckLoopback parses a base URL and refuses any host that is not this
// machine: localhost, 127.0.0.0/8 or ::1. The load generator is for
// measuring one's own server, never someone else's.
func CheckLoopback(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("url %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("url %q: must start with http:// or https://", raw)
	}
	host := u.Hostname()
	if host == "" {
		return nil, fmt.Errorf("url %q has no host", raw)
	}
	if strings.EqualFold(host, "localhost") {
		return u, nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return u, nil
	}
	return nil, fmt.Errorf("url %q: refusing to load-test %s; only localhost, 127.0.0.0/8 and ::1 are allowed", raw, host)
}

// Op is one kind of request.
type Op string

const (
	OpCreate  Op = "create"
	OpComment Op = "comment"
	OpPatch   Op = "patch"
	OpOrder   Op = "order"
	OpList    Op = "list"
	OpSearch  Op = "search"
)

// Result is what a run measured.
type Result struct {
	Scenario  Scenario         `json:"scenario"`
	Clients   int              `json:"clients"`
	StoppedBy string           `json:"stopped_by"` // "requests", "duration" or "interrupted"
	Elapsed   Duration         `json:"elapsed_ms"`
	Requests  int64            `json:"requests"`
	Errors    int64            `json:"errors"`
	PerSecond float64          `json:"requests_per_second"`
	Statuses  map[string]int64 `json:"statuses"` // "201": n; "transport": failed before a status
	Latency   Latency          `json:"latency"`
	Ops       []OpResult       `json:"operations,omitempty"`
	Queries   []OpResult       `json:"queries,omitempty"` // per request shape, e.g. "list state=open"
	// FirstErrors keeps one example per failing status, to tell why.
	FirstErrors map[string]string `json:"first_errors,omitempty"`
	RSS         *RSS              `json:"server_rss,omitempty"`
	// Costs are the server's own counters per request, read from /metrics
	// before and after the run; nil when the token may not read them.
	Costs *Costs `json:"server_costs,omitempty"`
	// Probe is SQLite's own rate on this machine, measured right after
	// the run; nil unless asked for.
	Probe *ProbeResult `json:"sqlite_probe,omitempty"`
}

// OpResult is the share of one kind of request in a run.
type OpResult struct {
	Op        Op      `json:"op"`
	Label     string  `json:"label,omitempty"`
	Requests  int64   `json:"requests"`
	Errors    int64   `json:"errors"`
	PerSecond float64 `json:"requests_per_second"`
	Latency   Latency `json:"latency"`
}

// sample is one finished request.
type sample struct {
	op     Op
	label  string
	status int // 0: transport error
	d      time.Duration
}

// worker-local tallies, merged at the end so the hot loop shares nothing.
type tally struct {
	lat      map[string][]time.Duration // by label
	errs     map[string]int64
	ops      map[string]Op
	statuses map[string]int64
	first    map[string]string
}

func newTally() *tally {
	return &tally{lat: map[string][]time.Duration{}, errs: map[string]int64{}, ops: map[string]Op{}, statuses: map[string]int64{}, first: map[string]string{}}
}

func (t *tally) add(s sample, detail string) {
	t.lat[s.label] = append(t.lat[s.label], s.d)
	t.ops[s.label] = s.op
	key := "transport"
	if s.status != 0 {
		key = fmt.Sprint(s.status)
	}
	t.statuses[key]++
	if s.status < 200 || s.status > 299 {
		t.errs[s.label]++
		if _, ok := t.first[key]; !ok && detail != "" {
			t.first[key] = detail
		}
	}
}

// Run performs a benchmark. It first checks the token and looks up group
// and customer ids for the filters, then starts the clients. The run ends
// when cfg.Requests requests have been issued, when cfg.Duration has
// passed, or when ctx ends, whichever comes first; requests already in
// flight are allowed to finish and are counted.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	base, _ := CheckLoopback(cfg.URL)
	hc := cfg.Client
	if hc == nil {
		hc = &http.Client{
			Timeout: 60 * time.Second,
			Transport: &http.Transport{
				Proxy:               nil, // never through a proxy: the target is this machine
				MaxIdleConns:        cfg.Clients,
				MaxIdleConnsPerHost: cfg.Clients,
				IdleConnTimeout:     90 * time.Second,
				DisableCompression:  true,
			},
		}
	}
	c := &client{hc: hc, base: strings.TrimRight(base.String(), "/"), token: strings.TrimSpace(cfg.Token)}
	env, err := c.discover(ctx)
	if err != nil {
		return nil, err
	}
	gen := newGenerator(cfg.Scenario, env)
	workers := make([]*workerState, cfg.Clients)
	for w := range workers {
		if workers[w], err = gen.prepare(ctx, c, w); err != nil {
			return nil, err
		}
	}
	before, _ := c.counters(ctx)

	var issued atomic.Int64
	tallies := make([]*tally, cfg.Clients)
	start := time.Now()
	deadline := start.Add(cfg.Duration)
	var wg sync.WaitGroup
	for w := range cfg.Clients {
		t := newTally()
		tallies[w] = t
		rng := rand.New(rand.NewPCG(cfg.Seed, uint64(w)+1))
		ws := workers[w]
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(deadline) {
				if cfg.Requests > 0 && issued.Add(1) > int64(cfg.Requests) {
					return
				}
				req := gen.next(rng, ws)
				s, detail, tag := c.do(ctx, req)
				if ctx.Err() != nil && s.status == 0 {
					return // interrupted, not a server failure
				}
				ws.answered(req, s.status, tag)
				t.add(s, detail)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	res := merge(tallies, elapsed)
	res.Scenario, res.Clients = cfg.Scenario, cfg.Clients
	if after, ok := c.counters(context.WithoutCancel(ctx)); ok && before != nil {
		res.Costs = costsPer(before, after, res.Requests)
	}
	switch {
	case ctx.Err() != nil:
		res.StoppedBy = "interrupted"
	case cfg.Requests > 0 && res.Requests >= int64(cfg.Requests):
		res.StoppedBy = "requests"
	default:
		res.StoppedBy = "duration"
	}
	return res, nil
}

func merge(tallies []*tally, elapsed time.Duration) *Result {
	res := &Result{Elapsed: Duration(elapsed), Statuses: map[string]int64{}, FirstErrors: map[string]string{}}
	lat := map[string][]time.Duration{}
	errs := map[string]int64{}
	ops := map[string]Op{}
	for _, t := range tallies {
		for label, l := range t.lat {
			lat[label] = append(lat[label], l...)
			ops[label] = t.ops[label]
		}
		for label, n := range t.errs {
			errs[label] += n
		}
		for k, n := range t.statuses {
			res.Statuses[k] += n
		}
		for k, v := range t.first {
			if _, ok := res.FirstErrors[k]; !ok {
				res.FirstErrors[k] = v
			}
		}
	}
	labels := make([]string, 0, len(lat))
	for label := range lat {
		labels = append(labels, label)
	}
	sort.Strings(labels)
	byOp := map[Op][]time.Duration{}
	opErrs := map[Op]int64{}
	var all []time.Duration
	for _, label := range labels {
		l := lat[label]
		op := ops[label]
		byOp[op] = append(byOp[op], l...)
		opErrs[op] += errs[label]
		all = append(all, l...)
		res.Errors += errs[label]
		res.Queries = append(res.Queries, OpResult{Op: op, Label: label, Requests: int64(len(l)), Errors: errs[label],
			PerSecond: rate(int64(len(l)), elapsed), Latency: Summarize(l)})
	}
	res.Requests = int64(len(all))
	res.Latency = Summarize(all)
	res.PerSecond = rate(res.Requests, elapsed)
	for _, op := range []Op{OpCreate, OpComment, OpPatch, OpOrder, OpList, OpSearch} {
		l, ok := byOp[op]
		if !ok {
			continue
		}
		res.Ops = append(res.Ops, OpResult{Op: op, Requests: int64(len(l)), Errors: opErrs[op],
			PerSecond: rate(int64(len(l)), elapsed), Latency: Summarize(l)})
	}
	if len(res.FirstErrors) == 0 {
		res.FirstErrors = nil
	}
	return res
}

func rate(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// Duration marshals as fractional milliseconds.
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(float64(d) / float64(time.Millisecond))
}

func (d Duration) String() string { return fmtDur(time.Duration(d)) }

// Latency summarises a set of request durations.
type Latency struct {
	N    int      `json:"n"`
	Mean Duration `json:"mean_ms"`
	P50  Duration `json:"p50_ms"`
	P90  Duration `json:"p90_ms"`
	P95  Duration `json:"p95_ms"`
	P99  Duration `json:"p99_ms"`
	Max  Duration `json:"max_ms"`
}

// Summarize computes exact percentiles (nearest rank) over all samples. It
// sorts ds in place.
func Summarize(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return Latency{
		N:    len(ds),
		Mean: Duration(sum / time.Duration(len(ds))),
		P50:  Duration(Percentile(ds, 50)),
		P90:  Duration(Percentile(ds, 90)),
		P95:  Duration(Percentile(ds, 95)),
		P99:  Duration(Percentile(ds, 99)),
		Max:  Duration(ds[len(ds)-1]),
	}
}

// Percentile returns the nearest-rank p-th percentile of sorted samples:
// the smallest value that at least p% of the samples do not exceed.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	if p <= 0 {
		return sorted[0]
	}
	if p >= 100 {
		return sorted[n-1]
	}
	// rank = ceil(p/100 * n), computed in integers to avoid float rounding
	// turning 99% of 100 into rank 100.
	rank := int((int64(p*1000)*int64(n) + 100_000 - 1) / 100_000)
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}

// client sends requests and times them.
type client struct {
	hc    *http.Client
	base  string
	token string
}

// request is one generated call.
type request struct {
	op     Op
	label  string // groups requests of the same shape in the report
	method string
	path   string // with query
	body   []byte
	// ifMatch is sent as If-Match; target is the worker's record the
	// request changes, whose version the answer's ETag updates.
	ifMatch string
	target  int
}

// do sends r and returns what it measured, a reason when it failed, and
// the answer's ETag.
func (c *client) do(ctx context.Context, r request) (sample, string, string) {
	s := sample{op: r.op, label: r.label}
	var body io.Reader
	if r.body != nil {
		body = strings.NewReader(string(r.body))
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.base+r.path, body)
	if err != nil {
		return s, err.Error(), ""
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.ifMatch != "" {
		req.Header.Set("If-Match", r.ifMatch)
	}
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		s.d = time.Since(start)
		return s, err.Error(), ""
	}
	var detail string
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		_, err = io.Copy(io.Discard, resp.Body)
	} else {
		b, rerr := io.ReadAll(io.LimitReader(resp.Body, 512))
		io.Copy(io.Discard, resp.Body)
		err = rerr
		detail = fmt.Sprintf("%s %s: %s", r.method, r.path, strings.TrimSpace(string(b)))
	}
	resp.Body.Close()
	s.d = time.Since(start)
	if err != nil {
		return s, err.Error(), "" // body cut off: counted as a transport error
	}
	s.status = resp.StatusCode
	return s, detail, resp.Header.Get("ETag")
}

// getJSON fetches a path and decodes the JSON answer.
func (c *client) getJSON(ctx context.Context, path string, v any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return resp.StatusCode, nil
	}
	return resp.StatusCode, json.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(v)
}

// environment is what the generator needs to know about the server's data.
type environment struct {
	groups    []int64
	customers []int64
	desk      int64 // the "Service Desk" group, which the demo's OLA covers; 0 when absent
	vpnItem   int64 // the catalogue's "VPN access" item; 0 when absent
}

// discover checks the token against /api/v1/me and reads the ids of
// groups and customers, so list filters match real rows.
func (c *client) discover(ctx context.Context) (environment, error) {
	var env environment
	var me struct {
		Role string `json:"role"`
	}
	status, err := c.getJSON(ctx, "/api/v1/me", &me)
	switch {
	case err != nil:
		return env, fmt.Errorf("cannot reach the server at %s: %w", c.base, err)
	case status == http.StatusUnauthorized:
		return env, errors.New("the server refused the token (401); create one with: steward token create --email E --name bench")
	case status != http.StatusOK:
		return env, fmt.Errorf("GET /api/v1/me answered %d", status)
	}
	var page struct {
		Items []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"items"`
	}
	for _, x := range []struct {
		path, name string
		dst        *[]int64
		named      *int64
	}{{"/api/v1/groups", "Service Desk", &env.groups, &env.desk}, {"/api/v1/customers", "", &env.customers, nil},
		{"/api/v1/catalog/items?limit=100", "VPN access", nil, &env.vpnItem}} {
		page.Items = nil
		status, err := c.getJSON(ctx, x.path, &page)
		if err != nil {
			return env, fmt.Errorf("GET %s: %w", x.path, err)
		}
		if status != http.StatusOK {
			continue // a role without this permission: filters fall back to none
		}
		for _, it := range page.Items {
			if x.dst != nil {
				*x.dst = append(*x.dst, it.ID)
			}
			if x.named != nil && it.Name == x.name {
				*x.named = it.ID
			}
		}
	}
	return env, nil
}
