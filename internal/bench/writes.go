package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
)

// recordsPerClient is how many incidents each client of the comment and
// patch scenarios works on. Each client owns its incidents, so If-Match
// versions are only raced by the client itself.
const recordsPerClient = 4

// workerState is what one client remembers between its requests.
type workerState struct {
	refs     []string // incident numbers
	versions []int
}

// prepare creates the incidents a client of the comment or patch scenario
// works on; other scenarios need none.
func (g *generator) prepare(ctx context.Context, c *client, worker int) (*workerState, error) {
	ws := &workerState{}
	if g.scenario != Comment && g.scenario != Patch {
		return ws, nil
	}
	rng := rand.New(rand.NewPCG(uint64(worker)+1, 7))
	for range recordsPerClient {
		req := g.create(rng)
		var out struct {
			Number  string `json:"number"`
			Version int    `json:"version"`
		}
		status, err := c.sendJSON(ctx, req, &out)
		if err != nil {
			return nil, fmt.Errorf("create the incidents to %s: %w", g.scenario, err)
		}
		if status != http.StatusCreated {
			return nil, fmt.Errorf("create the incidents to %s: the server answered %d", g.scenario, status)
		}
		ws.refs = append(ws.refs, out.Number)
		ws.versions = append(ws.versions, out.Version)
	}
	return ws, nil
}

// answered keeps the version a successful PATCH answered with.
func (ws *workerState) answered(r request, status int, etag string) {
	if r.op != OpPatch || status != http.StatusOK {
		return
	}
	v, err := strconv.Atoi(strings.TrimPrefix(strings.Trim(strings.TrimPrefix(etag, "W/"), `"`), "v"))
	if err == nil {
		ws.versions[r.target] = v
	}
}

// createSLA raises an incident that three of the demo's SLA timers
// measure: the customer's SLA (response and resolution) and the service
// desk's OLA. Categories stay off "network", which a carrier contract
// would measure too.
func (g *generator) createSLA(rng *rand.Rand) request {
	r := g.create(rng)
	var in map[string]any
	_ = json.Unmarshal(r.body, &in)
	for in["category"] == "network" {
		in["category"] = pick(rng, createSubjects).category
	}
	if g.env.desk != 0 {
		in["group_id"] = g.env.desk
	}
	if len(g.env.customers) > 0 {
		in["customer_id"] = pick(rng, g.env.customers)
	}
	r.body, _ = json.Marshal(in)
	return r
}

var commentBodies = []string{
	"Called the user back; the problem still occurs after a restart.",
	"Asked for a screenshot of the error message.",
	"Checked the logs: nothing unusual around the time reported.",
	"The user confirms it happens on the office network only.",
}

func (g *generator) comment(rng *rand.Rand, ws *workerState) request {
	i := rng.IntN(len(ws.refs))
	body, _ := json.Marshal(map[string]any{"body": pick(rng, commentBodies), "kind": pick(rng, []string{"comment", "work_note"})})
	return request{op: OpComment, label: "comment", method: http.MethodPost,
		path: "/api/v1/incidents/" + ws.refs[i] + "/comments", body: body}
}

// patch changes a field of one of the client's incidents, as an agent
// triaging it would, naming the version it read.
func (g *generator) patch(rng *rand.Rand, ws *workerState) request {
	i := rng.IntN(len(ws.refs))
	var in map[string]any
	switch rng.IntN(3) {
	case 0:
		in = map[string]any{"urgency": pick(rng, levels)}
	case 1:
		in = map[string]any{"category": pick(rng, createSubjects).category}
	default:
		in = map[string]any{"description": pick(rng, createSubjects).desc}
	}
	body, _ := json.Marshal(in)
	return request{op: OpPatch, label: "patch", method: http.MethodPatch, path: "/api/v1/incidents/" + ws.refs[i],
		body: body, ifMatch: `"v` + strconv.Itoa(ws.versions[i]) + `"`, target: i}
}

// order asks for VPN access from the catalogue: one approval and one
// fulfilment task each.
func (g *generator) order(rng *rand.Rand) request {
	body, _ := json.Marshal(map[string]any{
		"item_id": g.env.vpnItem,
		"answers": map[string]any{"reason": fmt.Sprintf("Working from home on project %d", rng.IntN(1000))},
	})
	return request{op: OpOrder, label: "order", method: http.MethodPost, path: "/api/v1/requests", body: body}
}

// sendJSON sends r and decodes a successful answer into v.
func (c *client) sendJSON(ctx context.Context, r request, v any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, r.method, c.base+r.path, strings.NewReader(string(r.body)))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return resp.StatusCode, nil
	}
	return resp.StatusCode, json.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(v)
}

// Costs are the server's work per request during a run.
type Costs struct {
	Allocs     float64 `json:"allocations"`     // heap allocations (go_memstats_mallocs_total)
	AllocBytes float64 `json:"allocated_bytes"` // bytes allocated (go_memstats_alloc_bytes_total)
	Statements float64 `json:"sql_statements"`  // statements run (steward_db_statements_total)
	Commits    float64 `json:"write_commits"`   // write transactions committed (steward_db_commits_total)
	PerCommit  float64 `json:"requests_per_commit"`
}

// counterNames are the /metrics counters a run reads.
var counterNames = []string{"go_memstats_mallocs_total", "go_memstats_alloc_bytes_total", "steward_db_statements_total", "steward_db_commits_total"}

// counters reads the server's counters from /metrics; false when the
// token may not read them.
func (c *client) counters(ctx context.Context) (map[string]float64, bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/metrics", nil)
	if err != nil {
		return nil, false
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return nil, false
	}
	m, err := parseCounters(io.LimitReader(resp.Body, 16<<20))
	return m, err == nil
}

// parseCounters sums the samples of each wanted counter over its labels.
func parseCounters(r io.Reader) (map[string]float64, error) {
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, ok := strings.Cut(line, " ")
		if i := strings.IndexByte(name, '{'); i >= 0 {
			name = name[:i]
			if j := strings.LastIndexByte(line, '}'); j >= 0 {
				rest = strings.TrimSpace(line[j+1:])
			}
		}
		if !ok {
			continue
		}
		for _, want := range counterNames {
			if name == want {
				v, err := strconv.ParseFloat(strings.Fields(rest)[0], 64)
				if err != nil {
					return nil, fmt.Errorf("metric %s: %w", name, err)
				}
				out[name] += v
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no known counters in /metrics")
	}
	return out, sc.Err()
}

func costsPer(before, after map[string]float64, requests int64) *Costs {
	if requests == 0 {
		return nil
	}
	n := float64(requests)
	per := func(name string) float64 { return (after[name] - before[name]) / n }
	c := &Costs{Allocs: per("go_memstats_mallocs_total"), AllocBytes: per("go_memstats_alloc_bytes_total"),
		Statements: per("steward_db_statements_total"), Commits: per("steward_db_commits_total")}
	if c.Commits > 0 {
		c.PerCommit = 1 / c.Commits
	}
	return c
}
