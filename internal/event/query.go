package event

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// AlertState is where an alert stands.
type AlertState string

const (
	StateOpen         AlertState = "open"
	StateAcknowledged AlertState = "acknowledged"
	StateResolved     AlertState = "resolved"
)

// AlertStates lists the states in the order the console shows them.
var AlertStates = []AlertState{StateOpen, StateAcknowledged, StateResolved}

// Active is the filter value for open and acknowledged alerts together,
// what the console shows unless asked otherwise.
const Active = "active"

// Alert is one alert as the console and the API show it.
type Alert struct {
	ID             int64      `json:"id"`
	IntegrationID  int64      `json:"integration_id"`
	DedupKey       string     `json:"dedup_key"`
	State          AlertState `json:"state"`
	Severity       Severity   `json:"severity"`
	Summary        string     `json:"summary"`
	Source         string     `json:"source"`
	Device         string     `json:"device"`
	Check          string     `json:"check"`
	Resource       string     `json:"resource"`
	Metric         string     `json:"metric"`
	Count          int64      `json:"count"`
	FirstSeenAt    time.Time  `json:"first_seen_at"`
	LastSeenAt     time.Time  `json:"last_seen_at"`
	AcknowledgedAt *time.Time `json:"acknowledged_at"`
	ResolvedAt     *time.Time `json:"resolved_at"`
	CIID           *int64     `json:"ci_id"`
	IncidentID     *int64     `json:"incident_id"`
	Flapping       bool       `json:"flapping"`
	InMaintenance  bool       `json:"in_maintenance"`
	// Held says why a firing alert has no incident: "" (it has one, or
	// needs none), severity, flapping, maintenance or unmapped.
	Held string `json:"held"`
}

// LogEntry is one step of an alert's timeline.
type LogEntry struct {
	ID      int64     `json:"id"`
	At      time.Time `json:"at"`
	What    string    `json:"what"`
	Detail  string    `json:"detail"`
	EventID *int64    `json:"event_id"`
}

// AlertFilter narrows ListAlerts. State is one of the AlertStates, Active
// (open and acknowledged) or empty (all). Q searches summary, device and
// dedup key. After is the cursor of the previous page.
type AlertFilter struct {
	State         string
	DedupKey      string
	CIID          int64
	IntegrationID int64
	IncidentID    int64
	Severity      []Severity
	Service       int64 // a CI standing for a service: alerts on CIs it depends on
	Site          int64 // a Site CI: alerts on CIs at that site
	Q             string
	After         string
	Limit         int
}

// AlertPage is one page of alerts, newest activity first.
type AlertPage struct {
	Items []Alert `json:"items"`
	Next  string  `json:"next_cursor,omitempty"`
	// SearchedTo, when set, says the filters were checked against the
	// alerts seen since then only; the next page looks further back.
	SearchedTo time.Time `json:"-"`
}

// Page sizes of ListAlerts.
const (
	DefaultAlertLimit = 50
	MaxAlertLimit     = 500
	// maxGroupCIs bounds how many CIs a service or site filter expands to.
	maxGroupCIs = 5000
	// maxTimeline bounds the timeline GetAlert returns.
	maxTimeline = 200
)

const alertCols = `id, integration_id, dedup_key, state, severity, summary, source, device, check_name, resource, metric,
	count, first_seen_at, last_seen_at, acknowledged_at, resolved_at, ci_id, incident_id, flapping, in_maintenance, held`

func scanAlert(sc interface{ Scan(...any) error }) (Alert, error) {
	var a Alert
	var first, last, acked, resolved store.Time
	var ci, inc *int64
	if err := sc.Scan(&a.ID, &a.IntegrationID, &a.DedupKey, &a.State, &a.Severity, &a.Summary, &a.Source, &a.Device,
		&a.Check, &a.Resource, &a.Metric, &a.Count, &first, &last, &acked, &resolved, &ci, &inc,
		&a.Flapping, &a.InMaintenance, &a.Held); err != nil {
		return Alert{}, store.Translate(err)
	}
	a.FirstSeenAt, a.LastSeenAt, a.CIID, a.IncidentID = first.Time, last.Time, ci, inc
	if !acked.IsZero() {
		t := acked.Time
		a.AcknowledgedAt = &t
	}
	if !resolved.IsZero() {
		t := resolved.Time
		a.ResolvedAt = &t
	}
	return a, nil
}

// alertCursor is the position after the last alert of a page.
type alertCursor struct {
	Seen string `json:"s"`
	ID   int64  `json:"i"`
}

func encodeAlertCursor(a Alert) string {
	b, _ := json.Marshal(alertCursor{Seen: store.TS(a.LastSeenAt), ID: a.ID})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeAlertCursor(s string) (alertCursor, bool) {
	var c alertCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 200 || json.Unmarshal(b, &c) != nil || c.ID <= 0 {
		return c, false
	}
	if _, err := time.Parse(time.RFC3339Nano, c.Seen); err != nil {
		return c, false
	}
	return c, true
}

// CheckAlertFilter reports every fault of a filter at once, by field.
func CheckAlertFilter(f *AlertFilter) error {
	v := domainerr.NewInvalid()
	f.State = strings.TrimSpace(f.State)
	if f.State != "" && f.State != Active && !slices.Contains(AlertStates, AlertState(f.State)) {
		v.Add("state", "must be open, acknowledged, resolved or active")
	}
	for _, s := range f.Severity {
		if s.Rank() < 0 {
			v.Add("severity", "must be critical, major, minor, warning, info or ok")
		}
	}
	if len(f.DedupKey) > MaxText {
		v.Add("dedup_key", "is longer than %d bytes", MaxText)
	}
	if f.Q = strings.TrimSpace(f.Q); len(f.Q) > 200 {
		v.Add("q", "must be at most 200 characters")
	}
	for _, n := range []struct {
		name string
		id   int64
	}{{"ci_id", f.CIID}, {"integration_id", f.IntegrationID}, {"incident_id", f.IncidentID}, {"service", f.Service}, {"site", f.Site}} {
		if n.id < 0 {
			v.Add(n.name, "must be a positive whole number")
		}
	}
	switch {
	case f.Limit == 0:
		f.Limit = DefaultAlertLimit
	case f.Limit < 0 || f.Limit > MaxAlertLimit:
		v.Add("limit", "must be between 1 and %d", MaxAlertLimit)
	}
	if f.After != "" {
		if _, ok := decodeAlertCursor(f.After); !ok {
			v.Add("cursor", "is not a cursor from a previous page of this list")
		}
	}
	return v.Err()
}

// ListAlerts returns a page of the alerts that match f, the most recently
// seen first. Pages follow each other by position (never by offset), so a
// page costs the same however deep it is.
func (s *Service) ListAlerts(ctx context.Context, p *auth.Principal, f AlertFilter) (AlertPage, error) {
	if !p.Can(PermRead) {
		return AlertPage{}, domainerr.ErrForbidden
	}
	if err := CheckAlertFilter(&f); err != nil {
		return AlertPage{}, err
	}
	where, args, err := s.alertWhere(ctx, f)
	if err != nil {
		return AlertPage{}, err
	}
	var pos []string
	var posArgs []any
	if cur, ok := decodeAlertCursor(f.After); ok && f.After != "" {
		pos = append(pos, "last_seen_at <= ? AND (last_seen_at < ? OR id < ?)")
		posArgs = append(posArgs, cur.Seen, cur.Seen, cur.ID)
	}
	if f.CIID != 0 || f.IncidentID != 0 || f.DedupKey != "" {
		// A narrow filter: its index finds few alerts, sorted in memory.
		items, err := s.queryAlerts(ctx, `SELECT `+alertCols+` FROM alerts WHERE `+strings.Join(append(where, pos...), " AND ")+
			` ORDER BY last_seen_at DESC, id DESC LIMIT ?`, append(append(args, posArgs...), f.Limit+1)...)
		if err != nil {
			return AlertPage{}, err
		}
		return pageOf(items, f.Limit, nil), nil
	}
	// Otherwise each state is read along its own index in order and the
	// pages are merged, so no query sorts the whole table. Other filters
	// look at no more than scanBudget alerts of each state per page: when
	// they match few, the page ends where the look ended and the next page
	// looks further back, so a page costs the same whatever matches.
	var items []Alert
	var edge *Alert // the scan that stopped nearest the top bounds the page
	for _, st := range statesOf(f.State) {
		w, a := append([]string{"state = ?"}, pos...), append([]any{st}, posArgs...)
		if len(where) == 0 {
			got, err := s.queryAlerts(ctx, `SELECT `+alertCols+` FROM alerts WHERE `+strings.Join(w, " AND ")+
				` ORDER BY last_seen_at DESC, id DESC LIMIT ?`, append(a, f.Limit+1)...)
			if err != nil {
				return AlertPage{}, err
			}
			items = append(items, got...)
			continue
		}
		got, err := s.queryAlerts(ctx, `SELECT `+alertCols+` FROM (SELECT `+alertCols+` FROM alerts WHERE `+strings.Join(w, " AND ")+
			` ORDER BY last_seen_at DESC, id DESC LIMIT ?) w WHERE `+strings.Join(where, " AND ")+` ORDER BY last_seen_at DESC, id DESC LIMIT ?`,
			append(append(append(a, scanBudget), args...), f.Limit+1)...)
		if err != nil {
			return AlertPage{}, err
		}
		items = append(items, got...)
		if len(got) <= f.Limit {
			last, err := s.queryAlerts(ctx, `SELECT `+alertCols+` FROM alerts WHERE `+strings.Join(w, " AND ")+
				` ORDER BY last_seen_at DESC, id DESC LIMIT 1 OFFSET ?`, append(a, scanBudget-1)...)
			if err != nil {
				return AlertPage{}, err
			}
			if len(last) == 1 && (edge == nil || newer(last[0], *edge)) {
				edge = &last[0]
			}
		}
	}
	slices.SortFunc(items, func(a, b Alert) int {
		if newer(a, b) {
			return -1
		}
		if newer(b, a) {
			return 1
		}
		return 0
	})
	return pageOf(items, f.Limit, edge), nil
}

// scanBudget is how many alerts of one state a filtered page looks at.
const scanBudget = 20000

// newer reports whether a comes before b in the list.
func newer(a, b Alert) bool {
	if c := a.LastSeenAt.Compare(b.LastSeenAt); c != 0 {
		return c > 0
	}
	return a.ID > b.ID
}

// pageOf cuts sorted items to a page. edge, when a scan stopped early, is
// the last alert looked at: the page holds nothing older, and the next
// page starts after it.
func pageOf(items []Alert, limit int, edge *Alert) AlertPage {
	if edge != nil {
		n := 0
		for n < len(items) && !newer(*edge, items[n]) {
			n++
		}
		items = items[:n]
	}
	page := AlertPage{Items: items}
	switch {
	case len(items) > limit:
		page.Items = items[:limit]
		page.Next = encodeAlertCursor(page.Items[limit-1])
	case edge != nil:
		page.Next = encodeAlertCursor(*edge)
		page.SearchedTo = edge.LastSeenAt
	}
	if page.Items == nil {
		page.Items = []Alert{}
	}
	return page
}

// statesOf is the states a state filter reads, one index range each.
func statesOf(state string) []string {
	switch state {
	case "":
		return []string{string(StateOpen), string(StateAcknowledged), string(StateResolved)}
	case Active:
		return []string{string(StateOpen), string(StateAcknowledged)}
	}
	return []string{state}
}

func (s *Service) alertWhere(ctx context.Context, f AlertFilter) ([]string, []any, error) {
	var where []string
	var args []any
	add := func(cond string, a ...any) { where, args = append(where, cond), append(args, a...) }
	narrow := f.CIID != 0 || f.IncidentID != 0 || f.DedupKey != ""
	if narrow {
		switch f.State {
		case "":
		case Active:
			add("state <> 'resolved'")
		default:
			add("state = ?", f.State)
		}
	}
	if f.DedupKey != "" {
		add("dedup_key = ?", f.DedupKey)
	}
	if f.CIID != 0 {
		add("ci_id = ?", f.CIID)
	}
	if f.IntegrationID != 0 {
		add("integration_id = ?", f.IntegrationID)
	}
	if f.IncidentID != 0 {
		add("incident_id = ?", f.IncidentID)
	}
	if len(f.Severity) > 0 {
		add("severity IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(f.Severity)), ", ")+")", sevArgs(f.Severity)...)
	}
	if f.Q != "" {
		pat := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(f.Q)) + "%"
		add(`(lower(summary) LIKE ? ESCAPE '\' OR lower(device) LIKE ? ESCAPE '\' OR dedup_key = ?)`, pat, pat, f.Q)
	}
	for _, g := range []struct {
		by string
		id int64
	}{{GroupService, f.Service}, {GroupSite, f.Site}} {
		if g.id == 0 {
			continue
		}
		cis, err := s.groupCIs(ctx, g.by, g.id)
		if err != nil {
			return nil, nil, err
		}
		if len(cis) == 0 {
			add("1 = 0")
			continue
		}
		if len(cis) > maxGroupCIs {
			cis = cis[:maxGroupCIs]
		}
		ids := make([]any, len(cis))
		for i, c := range cis {
			ids[i] = c
		}
		// "+ci_id": read along the state's index in order and keep the
		// group's alerts, rather than sort every alert of a large group.
		add("+ci_id IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")+")", ids...)
	}
	return where, args, nil
}

func sevArgs(list []Severity) []any {
	out := make([]any, len(list))
	for i, s := range list {
		out[i] = string(s)
	}
	return out
}

func (s *Service) queryAlerts(ctx context.Context, q string, args ...any) ([]Alert, error) {
	rows, err := s.DB.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Alert
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// AlertDetail is one alert with its timeline, newest step first.
type AlertDetail struct {
	Alert
	Timeline []LogEntry `json:"timeline"`
	// TimelineCut is true when the timeline holds only the latest steps.
	TimelineCut bool `json:"timeline_cut"`
	// Maintenance names the changes whose window held the alert when it
	// was last seen, for an alert in maintenance.
	Maintenance []MaintenanceChange `json:"maintenance,omitempty"`
}

// GetAlert returns one alert with the latest steps of its timeline.
func (s *Service) GetAlert(ctx context.Context, p *auth.Principal, id int64) (AlertDetail, error) {
	if !p.Can(PermRead) {
		return AlertDetail{}, domainerr.ErrForbidden
	}
	a, err := scanAlert(s.DB.QueryRow(ctx, `SELECT `+alertCols+` FROM alerts WHERE id = ?`, id))
	if err != nil {
		return AlertDetail{}, err
	}
	d := AlertDetail{Alert: a, Timeline: []LogEntry{}}
	// An acknowledgement's step carries no text of its own; its event's
	// summary says who ("Acknowledged by Dana Agent"), as a resolve's does.
	rows, err := s.DB.Query(ctx, `SELECT l.id, l.at, l.what,
		CASE WHEN l.detail = '' AND l.what = 'acknowledged' THEN COALESCE(e.summary, '') ELSE l.detail END, l.event_id
		FROM alert_log l LEFT JOIN events e ON e.id = l.event_id
		WHERE l.alert_id = ? ORDER BY l.id DESC LIMIT ?`, id, maxTimeline+1)
	if err != nil {
		return AlertDetail{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var e LogEntry
		var at store.Time
		if err := rows.Scan(&e.ID, &at, &e.What, &e.Detail, &e.EventID); err != nil {
			return AlertDetail{}, err
		}
		e.At = at.Time
		d.Timeline = append(d.Timeline, e)
	}
	if len(d.Timeline) > maxTimeline {
		d.Timeline, d.TimelineCut = d.Timeline[:maxTimeline], true
	}
	if err := rows.Err(); err != nil {
		return AlertDetail{}, err
	}
	if a.InMaintenance && a.CIID != nil {
		if d.Maintenance, err = s.MaintenanceFor(ctx, *a.CIID, a.LastSeenAt); err != nil {
			return AlertDetail{}, err
		}
	}
	return d, nil
}
