package bench

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// SearchWords occur in the titles and descriptions of the demo and seeded
// incidents, so every search finds rows.
var SearchWords = []string{"printer", "vpn", "outlook", "timeout", "disk"}

// generator produces the requests of a scenario.
type generator struct {
	scenario Scenario
	env      environment
}

func newGenerator(s Scenario, env environment) *generator {
	return &generator{scenario: s, env: env}
}

// Mixed scenario weights, in percent: a service desk mostly reads queues.
const (
	mixedCreate = 20
	mixedSearch = 20
)

func (g *generator) next(rng *rand.Rand, ws *workerState) request {
	switch g.scenario {
	case Create:
		return g.create(rng)
	case CreateSLA:
		return g.createSLA(rng)
	case Comment:
		return g.comment(rng, ws)
	case Patch:
		return g.patch(rng, ws)
	case Order:
		return g.order(rng)
	case List:
		return g.list(rng)
	case Search:
		return g.search(rng)
	}
	switch n := rng.IntN(100); {
	case n < mixedCreate:
		return g.create(rng)
	case n < mixedCreate+mixedSearch:
		return g.search(rng)
	default:
		return g.list(rng)
	}
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

var createSubjects = []struct{ title, desc, category string }{
	{"VPN disconnects during calls", "The VPN client drops the tunnel every few minutes while on calls.", "network"},
	{"Printer on floor 2 shows paper jam", "The printer reports a jam but the tray is empty; jobs stay queued.", "hardware"},
	{"Outlook search returns nothing", "Searching mail in Outlook finds no results since yesterday.", "software"},
	{"Report export ends with timeout", "Exporting the monthly report stops with a gateway timeout.", "application"},
	{"Disk space low on build server", "The build server warns that the data disk is 95% full.", "infrastructure"},
	{"Password reset link expired", "The reset e-mail arrives but the link says it has expired.", "access"},
}

var levels = []string{"high", "medium", "medium", "low", "low"}

func (g *generator) create(rng *rand.Rand) request {
	s := pick(rng, createSubjects)
	in := map[string]any{
		"title":       fmt.Sprintf("%s (%d)", s.title, rng.IntN(100000)),
		"description": s.desc,
		"impact":      pick(rng, levels),
		"urgency":     pick(rng, levels),
		"category":    s.category,
	}
	if len(g.env.groups) > 0 {
		in["group_id"] = pick(rng, g.env.groups)
	}
	body, _ := json.Marshal(in)
	return request{op: OpCreate, label: "create", method: http.MethodPost, path: "/api/v1/incidents", body: body}
}

// listFilter is one realistic queue view. Placeholders {group} and
// {customer} are filled from the server's ids.
type listFilter struct {
	label string
	query string
}

// ListFilters are the views the list scenario cycles through: what agents
// and team leads keep open all day.
var ListFilters = []listFilter{
	{"state=open", "state=open"},
	{"state=open&priority=P1,P2", "state=open&priority=P1,P2"},
	{"state=open&group_id", "state=open&group_id={group}"},
	{"state=open&assignee_id=none", "state=open&assignee_id=none"},
	{"state=open&sort=-updated_at", "state=open&sort=-updated_at"},
	{"customer_id", "customer_id={customer}"},
	{"group_id&assignee_id=none&sort=-updated_at", "group_id={group}&assignee_id=none&state=open&sort=-updated_at"},
}

func (g *generator) list(rng *rand.Rand) request {
	f := pick(rng, ListFilters)
	q := f.query
	q = strings.ReplaceAll(q, "{group}", g.id(rng, g.env.groups))
	q = strings.ReplaceAll(q, "{customer}", g.id(rng, g.env.customers))
	return request{op: OpList, label: "list " + f.label, method: http.MethodGet, path: "/api/v1/incidents?" + q + "&limit=50"}
}

// id picks one of ids, or 1 when the server did not tell.
func (g *generator) id(rng *rand.Rand, ids []int64) string {
	if len(ids) == 0 {
		return "1"
	}
	return strconv.FormatInt(pick(rng, ids), 10)
}

func (g *generator) search(rng *rand.Rand) request {
	w := pick(rng, SearchWords)
	label, q := "search q=word", "q="+url.QueryEscape(w)
	switch rng.IntN(4) {
	case 0: // the start of a word, asked for as a prefix with "*"
		n := max(3, len(w)-2)
		label, q = "search q=prefix*", "q="+url.QueryEscape(w[:min(n, len(w))]+"*")
	case 1: // narrowed to open work
		label, q = "search q=word&state=open", q+"&state=open"
	}
	return request{op: OpSearch, label: label, method: http.MethodGet, path: "/api/v1/incidents?" + q + "&limit=50"}
}
