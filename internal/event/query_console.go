package event

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
)

// The alert console's counts come from a summary of the active alerts,
// grouped by CI, integration, state, severity and flags: one pass over
// the alerts, taken at most every consoleFresh while someone watches the
// console, and served from memory in between. So the console answers in
// the same time with a thousand active alerts or a million, and shows
// how old its counts are. Each CI's services and site come from the CMDB
// and are kept for attributionTTL.
const (
	consoleFresh   = 5 * time.Second
	attributionTTL = time.Minute
	summaryTimeout = time.Minute
)

// Grouping of the console.
const (
	GroupNone    = ""
	GroupService = "service"
	GroupSite    = "site"
)

// Console is what the alert console shows above its list.
type Console struct {
	AsOf          time.Time `json:"as_of"`
	Open          int64     `json:"open"`
	Acknowledged  int64     `json:"acknowledged"`
	Critical      int64     `json:"critical"`
	Major         int64     `json:"major"`
	Flapping      int64     `json:"flapping"`
	InMaintenance int64     `json:"in_maintenance"`
	Unmapped      int64     `json:"unmapped"` // devices waiting to be mapped, not the ignored ones
	// BySeverity counts active alerts by severity, worst first.
	BySeverity []GroupCount `json:"by_severity"`
	// ByIntegration and Groups count the alerts the filter's state,
	// severity and integration select; Groups by service or site as asked.
	ByIntegration []GroupCount `json:"by_integration"`
	Groups        []GroupCount `json:"groups"`
	// Ungrouped counts the selected alerts in no group: no CI, or a CI
	// with no service (or site).
	Ungrouped int64 `json:"ungrouped"`
}

// GroupCount is one row of a count: a group and its active alerts.
type GroupCount struct {
	ID       int64  `json:"id,omitempty"`
	Key      string `json:"key,omitempty"`
	Name     string `json:"name"`
	Total    int64  `json:"total"`
	Critical int64  `json:"critical"`
	Major    int64  `json:"major"`
}

// summaryRow is one line of the active alerts' summary.
type summaryRow struct {
	ci, integration int64
	state           AlertState
	severity        Severity
	flapping, maint bool
	n               int64
}

type summary struct {
	at       time.Time
	took     time.Duration // how long taking it lasted
	rows     []summaryRow
	unmapped int64
	services map[int64][]int64 // CI -> service CIs
	sites    map[int64]int64   // CI -> site CI
	names    map[int64]string  // service and site CIs' names
}

// consoleCache holds the latest summary and what the CMDB says of its CIs.
type consoleCache struct {
	mu         sync.Mutex
	sum        *summary
	refreshing bool
	stale      bool       // an agent changed what the counts show
	compute    sync.Mutex // one summary taken at a time

	attrMu   sync.Mutex
	attrAt   time.Time
	services map[int64][]int64
	sites    map[int64]int64
	names    map[int64]string
}

// ConsoleCounts returns the console's counts; f's State, Severity and
// IntegrationID narrow the group counts, group is GroupNone, GroupService
// or GroupSite.
func (s *Service) ConsoleCounts(ctx context.Context, p *auth.Principal, f AlertFilter, group string) (Console, error) {
	if !p.Can(PermRead) {
		return Console{}, domainerr.ErrForbidden
	}
	if group != GroupNone && group != GroupService && group != GroupSite {
		return Console{}, domainerr.Field("group", "must be service, site or nothing")
	}
	if err := CheckAlertFilter(&f); err != nil {
		return Console{}, err
	}
	sum, err := s.summary(ctx)
	if err != nil {
		return Console{}, err
	}
	its, err := s.integrationNames(ctx)
	if err != nil {
		return Console{}, err
	}
	return sum.console(f, group, its), nil
}

// summary returns a summary no older than consoleFresh, or, while a newer
// one is being taken, the one before it.
func (s *Service) summary(ctx context.Context) (*summary, error) {
	c := &s.console
	c.mu.Lock()
	sum := c.sum
	if sum != nil && !c.stale && time.Since(sum.at) < sum.fresh() {
		c.mu.Unlock()
		return sum, nil
	}
	if sum != nil {
		if !c.refreshing {
			c.refreshing = true
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), summaryTimeout)
				defer cancel()
				if _, err := s.takeSummary(ctx); err != nil {
					s.Log.Warn("event: counting the active alerts", "err", err)
				}
			}()
		}
		c.mu.Unlock()
		return sum, nil
	}
	c.mu.Unlock()
	return s.takeSummary(ctx)
}

// takeSummary counts the active alerts now and keeps the result.
func (s *Service) takeSummary(ctx context.Context) (*summary, error) {
	c := &s.console
	c.compute.Lock()
	defer c.compute.Unlock()
	defer func() {
		c.mu.Lock()
		c.refreshing = false
		c.mu.Unlock()
	}()
	c.mu.Lock()
	if c.sum != nil && !c.stale && time.Since(c.sum.at) < c.sum.fresh() {
		sum := c.sum
		c.mu.Unlock()
		return sum, nil
	}
	c.stale = false
	c.mu.Unlock()
	sum := &summary{at: time.Now()}
	rows, err := s.DB.Query(ctx, `SELECT COALESCE(ci_id, 0), integration_id, state, severity, flapping, in_maintenance, COUNT(*)
		FROM alerts WHERE state <> 'resolved' GROUP BY ci_id, integration_id, state, severity, flapping, in_maintenance`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var r summaryRow
		if err := rows.Scan(&r.ci, &r.integration, &r.state, &r.severity, &r.flapping, &r.maint, &r.n); err != nil {
			return nil, err
		}
		sum.rows = append(sum.rows, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM unmapped_devices WHERE ignored = ?`, false).Scan(&sum.unmapped); err != nil {
		return nil, err
	}
	var cis []int64
	for _, r := range sum.rows {
		if r.ci != 0 {
			cis = append(cis, r.ci)
		}
	}
	slices.Sort(cis)
	if sum.services, sum.sites, sum.names, err = s.attribute(ctx, slices.Compact(cis)); err != nil {
		return nil, err
	}
	sum.took = time.Since(sum.at)
	c.mu.Lock()
	c.sum = sum
	c.mu.Unlock()
	return sum, nil
}

// fresh is how long a summary serves: consoleFresh, or four times what
// taking it cost, so that keeping the counts current never takes more
// than a fifth of one core however many alerts are active.
func (sum *summary) fresh() time.Duration { return max(consoleFresh, 4*sum.took) }

// attribute returns each CI's services and site, from memory for the CIs
// seen within attributionTTL and from the CMDB for the others.
func (s *Service) attribute(ctx context.Context, cis []int64) (map[int64][]int64, map[int64]int64, map[int64]string, error) {
	c := &s.console
	c.attrMu.Lock()
	defer c.attrMu.Unlock()
	if c.services == nil || time.Since(c.attrAt) > attributionTTL {
		c.services, c.sites, c.names, c.attrAt = map[int64][]int64{}, map[int64]int64{}, map[int64]string{}, time.Now()
	}
	var missing []int64
	for _, id := range cis {
		if _, ok := c.services[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		svcs := map[int64][]int64{}
		if s.CMDB != nil {
			var err error
			if svcs, err = s.CMDB.ServicesOf(ctx, missing); err != nil {
				return nil, nil, nil, err
			}
		}
		sites, err := s.sitesOf(ctx, missing)
		if err != nil {
			return nil, nil, nil, err
		}
		var unnamed []int64
		for _, id := range missing {
			c.services[id] = svcs[id]
			if c.services[id] == nil {
				c.services[id] = []int64{}
			}
			for _, sv := range svcs[id] {
				if _, ok := c.names[sv]; !ok {
					unnamed = append(unnamed, sv)
				}
			}
			if st, ok := sites[id]; ok {
				c.sites[id] = st
				if _, ok := c.names[st]; !ok {
					unnamed = append(unnamed, st)
				}
			}
		}
		slices.Sort(unnamed)
		if err := s.ciNames(ctx, slices.Compact(unnamed), c.names); err != nil {
			return nil, nil, nil, err
		}
	}
	// The summary keeps its own view: later fills of the cache do not
	// change a summary being read.
	svcs, sites := make(map[int64][]int64, len(cis)), make(map[int64]int64, len(cis))
	for _, id := range cis {
		svcs[id] = c.services[id]
		if st, ok := c.sites[id]; ok {
			sites[id] = st
		}
	}
	names := make(map[int64]string, len(c.names))
	for k, v := range c.names {
		names[k] = v
	}
	return svcs, sites, names, nil
}

// sitesOf finds each CI's site: itself when it is a Site, the Site its
// "site" attribute names, or that of what it depends on or runs on (a
// sensor behind a gateway), up to three hops away.
func (s *Service) sitesOf(ctx context.Context, cis []int64) (map[int64]int64, error) {
	out := map[int64]int64{}
	// at[x] is the CI whose site x's site is; start with each CI itself.
	pending := map[int64][]int64{}
	for _, id := range cis {
		pending[id] = append(pending[id], id)
	}
	for hop := 0; hop < 3 && len(pending) > 0; hop++ {
		ids := make([]int64, 0, len(pending))
		for id := range pending {
			ids = append(ids, id)
		}
		found, err := s.siteAttrs(ctx, ids)
		if err != nil {
			return nil, err
		}
		next := map[int64][]int64{}
		var rest []int64
		for _, id := range ids {
			if site, ok := found[id]; ok {
				for _, origin := range pending[id] {
					out[origin] = site
				}
			} else {
				rest = append(rest, id)
			}
		}
		if hop == 2 || len(rest) == 0 {
			break
		}
		providers, err := s.providers(ctx, rest)
		if err != nil {
			return nil, err
		}
		for _, id := range rest {
			for _, pv := range providers[id] {
				next[pv] = append(next[pv], pending[id]...)
			}
		}
		pending = next
	}
	return out, nil
}

// chunks splits ids for IN lists both engines accept.
func chunks(ids []int64, n int) [][]int64 {
	var out [][]int64
	for len(ids) > n {
		out, ids = append(out, ids[:n]), ids[n:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}

func inList(ids []int64) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ")", args
}

// siteAttrs answers, for the CIs that are Sites or name one, that Site.
func (s *Service) siteAttrs(ctx context.Context, ids []int64) (map[int64]int64, error) {
	out := map[int64]int64{}
	for _, part := range chunks(ids, 500) {
		in, args := inList(part)
		rows, err := s.DB.Query(ctx, `SELECT c.id, t.name, c.attributes FROM cis c JOIN ci_types t ON t.id = c.type_id WHERE c.id IN `+in, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var typ, attrs string
			if err := rows.Scan(&id, &typ, &attrs); err != nil {
				rows.Close()
				return nil, err
			}
			if strings.EqualFold(typ, "Site") {
				out[id] = id
				continue
			}
			if !strings.Contains(attrs, `"site"`) {
				continue
			}
			var m map[string]json.RawMessage
			if json.Unmarshal([]byte(attrs), &m) == nil {
				if site, err := strconv.ParseInt(strings.Trim(string(m["site"]), `"`), 10, 64); err == nil && site > 0 {
					out[id] = site
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// providers lists what each CI depends on or runs on.
func (s *Service) providers(ctx context.Context, ids []int64) (map[int64][]int64, error) {
	out := map[int64][]int64{}
	for _, part := range chunks(ids, 500) {
		in, args := inList(part)
		rows, err := s.DB.Query(ctx, `SELECT source_id, target_id FROM ci_relationships
			WHERE type IN ('depends_on', 'runs_on') AND source_id IN `+in+` ORDER BY source_id, target_id`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var a, b int64
			if err := rows.Scan(&a, &b); err != nil {
				rows.Close()
				return nil, err
			}
			out[a] = append(out[a], b)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Service) ciNames(ctx context.Context, ids []int64, into map[int64]string) error {
	for _, part := range chunks(ids, 500) {
		in, args := inList(part)
		rows, err := s.DB.Query(ctx, `SELECT id, name FROM cis WHERE id IN `+in, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			var name string
			if err := rows.Scan(&id, &name); err != nil {
				rows.Close()
				return err
			}
			into[id] = name
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// integrationNames names every integration by id.
func (s *Service) integrationNames(ctx context.Context) (map[int64]string, error) {
	rows, err := s.DB.Query(ctx, `SELECT id, name FROM integrations ORDER BY id LIMIT 1000`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[id] = name
	}
	return out, rows.Err()
}

// selects reports whether the filter's state, severity and integration
// take a summary row.
func (f AlertFilter) selects(r summaryRow) bool {
	switch f.State {
	case "", Active:
	case string(StateResolved):
		return false
	default:
		if string(r.state) != f.State {
			return false
		}
	}
	if f.IntegrationID != 0 && r.integration != f.IntegrationID {
		return false
	}
	return len(f.Severity) == 0 || slices.Contains(f.Severity, r.severity)
}

func (g *GroupCount) add(r summaryRow) {
	g.Total += r.n
	switch r.severity {
	case Critical:
		g.Critical += r.n
	case Major:
		g.Major += r.n
	}
}

// console aggregates the summary for one view of the console.
func (sum *summary) console(f AlertFilter, group string, integrations map[int64]string) Console {
	out := Console{AsOf: sum.at, Unmapped: sum.unmapped}
	sev := map[Severity]*GroupCount{}
	byInt := map[int64]*GroupCount{}
	groups := map[int64]*GroupCount{}
	get := func(m map[int64]*GroupCount, id int64, name string) *GroupCount {
		g := m[id]
		if g == nil {
			g = &GroupCount{ID: id, Name: name}
			m[id] = g
		}
		return g
	}
	for _, r := range sum.rows {
		switch r.state {
		case StateOpen:
			out.Open += r.n
		case StateAcknowledged:
			out.Acknowledged += r.n
		}
		if r.flapping {
			out.Flapping += r.n
		}
		if r.maint {
			out.InMaintenance += r.n
		}
		g := sev[r.severity]
		if g == nil {
			g = &GroupCount{Key: string(r.severity), Name: string(r.severity)}
			sev[r.severity] = g
		}
		g.add(r)
		if !f.selects(r) {
			continue
		}
		get(byInt, r.integration, integrations[r.integration]).add(r)
		switch group {
		case GroupService:
			svcs := sum.services[r.ci]
			if len(svcs) == 0 {
				out.Ungrouped += r.n
			}
			for _, sv := range svcs {
				get(groups, sv, sum.names[sv]).add(r)
			}
		case GroupSite:
			if st, ok := sum.sites[r.ci]; ok {
				get(groups, st, sum.names[st]).add(r)
			} else {
				out.Ungrouped += r.n
			}
		}
	}
	out.Critical, out.Major = count(sev[Critical]), count(sev[Major])
	for _, s := range Severities {
		if g := sev[s]; g != nil {
			out.BySeverity = append(out.BySeverity, *g)
		}
	}
	out.ByIntegration, out.Groups = sorted(byInt), sorted(groups)
	return out
}

func count(g *GroupCount) int64 {
	if g == nil {
		return 0
	}
	return g.Total
}

// sorted lists groups worst first: most critical, then most alerts, then by name.
func sorted(m map[int64]*GroupCount) []GroupCount {
	out := make([]GroupCount, 0, len(m))
	for _, g := range m {
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b GroupCount) int {
		switch {
		case a.Critical != b.Critical:
			return int(b.Critical - a.Critical)
		case a.Total != b.Total:
			return int(b.Total - a.Total)
		}
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	return out
}

// groupCIs lists the CIs with active alerts that a service or site group
// holds, from the latest summary.
func (s *Service) groupCIs(ctx context.Context, by string, id int64) ([]int64, error) {
	sum, err := s.summary(ctx)
	if err != nil {
		return nil, err
	}
	var out []int64
	switch by {
	case GroupService:
		for ci, svcs := range sum.services {
			if slices.Contains(svcs, id) {
				out = append(out, ci)
			}
		}
	case GroupSite:
		for ci, st := range sum.sites {
			if st == id {
				out = append(out, ci)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// GroupName names a service or site group for the console's heading.
func (s *Service) GroupName(ctx context.Context, id int64) (string, error) {
	names := map[int64]string{}
	if err := s.ciNames(ctx, []int64{id}, names); err != nil {
		return "", err
	}
	return names[id], nil
}
