// Package sla is service level management (ISO/IEC 20000-1 clause 8.3.3):
// agreements (SLAs with customers, OLAs with internal groups, underpinning
// contracts with suppliers), their definitions with goals and business
// calendars, the timers that run on every incident and request, escalation
// at the exact due instant, and the report that shows whether promises
// were kept. The arithmetic of business time lives in internal/calendar;
// the timer rules in timer.go are pure and tested without a database.
package sla

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"steward/internal/domainerr"
	"steward/internal/ticket"
)

// AgreementKind is who the promise is made to.
type AgreementKind string

const (
	SLA AgreementKind = "sla" // with a customer
	OLA AgreementKind = "ola" // with an internal support group
	UC  AgreementKind = "uc"  // underpinning contract with a supplier
)

// Metric is what a definition measures.
type Metric string

const (
	// Response runs until an agent first answers the requester publicly or
	// the ticket leaves its first state.
	Response Metric = "response"
	// Resolution runs until the ticket is resolved (incidents) or
	// fulfilled (requests).
	Resolution Metric = "resolution"
)

// Clause is one test on a ticket field; Conditions say when a clock
// starts, stops, pauses and is cancelled. Nil fields of a definition's
// conditions take the metric's defaults, which each kind declares (see
// ticket.Measure and Defaults).
type (
	Clause     = ticket.Clause
	Conditions = ticket.Conditions
)

// Goal is one target; the first goal whose Match (or one of the groups
// of MatchAny) holds applies.
type Goal struct {
	Match      []Clause   `json:"match"`
	MatchAny   [][]Clause `json:"match_any,omitempty"`
	Target     string     `json:"target"` // Go duration ("4h", "90m") or business days ("3bd")
	CalendarID int64      `json:"calendar_id"`
}

// Definition is one measured promise within an agreement.
type Definition struct {
	ID          int64       `json:"id"`
	AgreementID int64       `json:"agreement_id"`
	Name        string      `json:"name"`
	AppliesTo   ticket.Kind `json:"applies_to"` // incident or request
	Filter      []Clause    `json:"filter"`
	// FilterAny are further groups of clauses: the definition measures a
	// ticket that meets all of Filter or all of any one group.
	FilterAny  [][]Clause `json:"filter_any,omitempty"`
	Metric     Metric     `json:"metric"`
	Conditions Conditions `json:"conditions"`
	Goals      []Goal     `json:"goals"`
	Warnings   []int      `json:"warnings"` // percentages of the target, ascending
	Active     bool       `json:"active"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	Version    int        `json:"version"`
}

// DefaultWarnings are the percentages at which warnings fire unless a
// definition says otherwise.
var DefaultWarnings = []int{50, 75, 90}

// Limits on a definition's size.
const (
	MaxGoals   = 50
	MaxClauses = 20 // in one group
	MaxGroups  = 10 // groups of clauses in one condition, any of which will do
	MaxValues  = 200
	MaxTarget  = 366 * 24 * time.Hour
	MaxBDays   = 365
)

// Field domains: the fields clauses may test, per ticket kind. A nil value
// list means any value (ids, free text); such fields may be used in
// filters and goals but not in start/stop/pause/cancel conditions, whose
// consistency is checked by trying every combination of values.
type fieldDomain struct {
	values    []string
	condition bool // usable in start/stop/pause/cancel
	ids       bool // values must be positive integers
}

var (
	priorities = []string{"P1", "P2", "P3", "P4", "P5"}
	yesNo      = []string{"true", "false"}
)

// fields are what clauses on a kind may test: what every kind has, and
// what the kind declares of its own.
func fields(kind ticket.Kind) map[string]fieldDomain {
	m := map[string]fieldDomain{
		"priority":    {values: priorities, condition: true},
		"responded":   {values: yesNo, condition: true},
		"customer_id": {ids: true},
		"service_id":  {ids: true},
		"group_id":    {ids: true},
		"category":    {},
	}
	if mk, ok := ticket.Measured(kind); ok {
		for name, f := range mk.Fields {
			m[name] = fieldDomain{values: f.Values, condition: f.Values != nil, ids: f.IDs}
		}
	}
	return m
}

// Field is one field clauses on a kind may test: the values it can hold
// (nil for any value), whether those are ids, and whether start, stop,
// pause and cancel conditions may use it.
type Field struct {
	Name      string
	Values    []string
	IDs       bool
	Condition bool
}

// Fields lists the fields clauses on kind may test, sorted by name, for
// editors that offer them as choices.
func Fields(kind ticket.Kind) []Field {
	var out []Field
	for name, fd := range fields(kind) {
		out = append(out, Field{Name: name, Values: fd.values, IDs: fd.ids, Condition: fd.condition})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// FieldNames lists the fields clauses may use for kind, sorted.
func FieldNames(kind ticket.Kind) []string {
	var names []string
	for k := range fields(kind) {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Defaults are the conditions a metric uses when a definition leaves them
// out, as the kind declares them.
func Defaults(kind ticket.Kind, m Metric) Conditions {
	if mk, ok := ticket.Measured(kind); ok {
		if c, ok := mk.Defaults[string(m)]; ok {
			return c
		}
	}
	none := []Clause{}
	return Conditions{Start: none, Stop: none, Pause: none, Cancel: none}
}

// ParseTarget reads a goal target: a Go duration ("4h", "1h30m") or a
// number of business days ("3bd"). It returns the duration or the days.
func ParseTarget(s string) (d time.Duration, days int, err error) {
	s = strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(s, "bd"); ok {
		days, err := strconv.Atoi(n)
		if err != nil {
			return 0, 0, fmt.Errorf("%q is not a number of business days such as 3bd", s)
		}
		if days <= 0 {
			return 0, 0, fmt.Errorf("must be at least 1bd")
		}
		if days > MaxBDays {
			return 0, 0, fmt.Errorf("must be at most %dbd", MaxBDays)
		}
		return 0, days, nil
	}
	d, err = time.ParseDuration(s)
	if err != nil {
		return 0, 0, fmt.Errorf("%q is neither a duration such as 4h or 90m nor business days such as 3bd", s)
	}
	if d <= 0 {
		return 0, 0, fmt.Errorf("must be longer than zero")
	}
	if d%time.Second != 0 {
		return 0, 0, fmt.Errorf("must be a whole number of seconds")
	}
	if d > MaxTarget {
		return 0, 0, fmt.Errorf("must be at most %s", MaxTarget)
	}
	return d, 0, nil
}

// Normalize fills defaults and trims what users type loosely.
func (d *Definition) Normalize() {
	d.Name = strings.TrimSpace(d.Name)
	if d.Filter == nil {
		d.Filter = []Clause{}
	}
	// A condition given only as groups is given: it takes no default.
	def := Defaults(d.AppliesTo, d.Metric)
	c := &d.Conditions
	for _, x := range []struct {
		all  *[]Clause
		more [][]Clause
		def  []Clause
	}{{&c.Start, c.StartAny, def.Start}, {&c.Stop, c.StopAny, def.Stop}, {&c.Pause, c.PauseAny, def.Pause}, {&c.Cancel, c.CancelAny, def.Cancel}} {
		switch {
		case *x.all != nil:
		case len(x.more) > 0:
			*x.all = []Clause{}
		default:
			*x.all = x.def
		}
	}
	if d.Warnings == nil {
		d.Warnings = append([]int(nil), DefaultWarnings...)
	}
	sort.Ints(d.Warnings)
	for i := range d.Goals {
		d.Goals[i].Target = strings.TrimSpace(d.Goals[i].Target)
		if d.Goals[i].Match == nil {
			d.Goals[i].Match = []Clause{}
		}
	}
	norm := func(cs []Clause) {
		for i := range cs {
			cs[i].Field = strings.TrimSpace(cs[i].Field)
			cs[i].Op = strings.TrimSpace(cs[i].Op)
			if cs[i].Op == "" {
				cs[i].Op = "in"
			}
			for j := range cs[i].Values {
				cs[i].Values[j] = strings.TrimSpace(cs[i].Values[j])
			}
		}
	}
	groups := func(gs *[][]Clause) {
		if len(*gs) == 0 {
			*gs = nil // no further groups: stored and shown as before groups existed
			return
		}
		for _, g := range *gs {
			norm(g)
		}
	}
	norm(d.Filter)
	groups(&d.FilterAny)
	for _, x := range []struct {
		all  []Clause
		more *[][]Clause
	}{{c.Start, &c.StartAny}, {c.Stop, &c.StopAny}, {c.Pause, &c.PauseAny}, {c.Cancel, &c.CancelAny}} {
		norm(x.all)
		groups(x.more)
	}
	for i := range d.Goals {
		norm(d.Goals[i].Match)
		groups(&d.Goals[i].MatchAny)
	}
}

// Validate checks a normalized definition on its own: fields, values,
// targets, and that its conditions can work. Whether referenced ids
// (calendars, customers, services) exist is checked by the store.
func (d *Definition) Validate() error {
	v := domainerr.NewInvalid()
	domainerr.Text(v, "name", d.Name, true, domainerr.MaxName)
	if _, ok := ticket.Measured(d.AppliesTo); !ok {
		v.Add("applies_to", "must be %s", kindList())
		return v
	}
	if d.Metric != Response && d.Metric != Resolution {
		v.Add("metric", "must be response or resolution")
		return v
	}
	dom := fields(d.AppliesTo)
	c := d.Conditions
	checkGroups(v, "filter", d.Filter, d.FilterAny, dom, false)
	checkGroups(v, "conditions.start", c.Start, c.StartAny, dom, true)
	checkGroups(v, "conditions.stop", c.Stop, c.StopAny, dom, true)
	checkGroups(v, "conditions.pause", c.Pause, c.PauseAny, dom, true)
	checkGroups(v, "conditions.cancel", c.Cancel, c.CancelAny, dom, true)
	if len(d.Goals) == 0 {
		v.Add("goals", "at least one goal is required")
	}
	if len(d.Goals) > MaxGoals {
		v.Add("goals", "at most %d goals", MaxGoals)
	}
	for i, g := range d.Goals {
		f := fmt.Sprintf("goals[%d]", i)
		checkGroups(v, f+".match", g.Match, g.MatchAny, dom, false)
		if _, _, err := ParseTarget(g.Target); err != nil {
			v.Add(f+".target", "%s", err)
		}
		if g.CalendarID < 0 {
			v.Add(f+".calendar_id", "must be a calendar id")
		}
	}
	last := 0
	for i, w := range d.Warnings {
		if w <= 0 || w >= 100 {
			v.Add(fmt.Sprintf("warnings[%d]", i), "must be a percentage between 1 and 99")
		} else if w == last {
			v.Add(fmt.Sprintf("warnings[%d]", i), "is given twice")
		}
		last = w
	}
	if len(d.Warnings) > 10 {
		v.Add("warnings", "at most 10 warnings")
	}
	if v.Err() == nil {
		checkConditions(v, d.AppliesTo, d.Conditions)
	}
	return v.Err()
}

// checkGroups checks a condition: its list of clauses at path and its
// further groups at path_any[j]. Once there are groups, each message says
// which group (counted from 1, the list first) and which row it is about.
func checkGroups(v *domainerr.Invalid, path string, all []Clause, more [][]Clause, dom map[string]fieldDomain, condition bool) {
	first := 1 // the group number of more[0]
	if len(all) > 0 {
		first = 2
	}
	if n := first - 1 + len(more); n > MaxGroups {
		v.Add(path+"_any", "at most %d groups of clauses; this condition has %d", MaxGroups, n)
		return
	}
	named := func(g int) string {
		if len(more) == 0 {
			return ""
		}
		return fmt.Sprintf("group %d, ", g)
	}
	checkClauses(v, path, named(1), all, dom, condition)
	for j, g := range more {
		p := fmt.Sprintf("%s_any[%d]", path, j)
		if len(g) == 0 {
			v.Add(p, "group %d has no clauses; give it at least one or remove it", first+j)
			continue
		}
		checkClauses(v, p, named(first+j), g, dom, condition)
	}
}

func checkClauses(v *domainerr.Invalid, path, group string, cs []Clause, dom map[string]fieldDomain, condition bool) {
	if len(cs) > MaxClauses {
		if group != "" {
			group = strings.TrimSuffix(group, ", ") + ": "
		}
		v.Add(path, "%sat most %d clauses", group, MaxClauses)
		return
	}
	for i, c := range cs {
		f := fmt.Sprintf("%s[%d]", path, i)
		where := ""
		if group != "" {
			where = fmt.Sprintf("%srow %d: ", group, i+1)
		}
		fd, ok := dom[c.Field]
		switch {
		case !ok:
			var names []string
			for k, x := range dom {
				if !condition || x.condition {
					names = append(names, k)
				}
			}
			sort.Strings(names)
			v.Add(f+".field", "%sunknown field %q; use one of %s", where, c.Field, strings.Join(names, ", "))
			continue
		case condition && !fd.condition:
			v.Add(f+".field", "%s%q cannot be used in a start, stop, pause or cancel condition", where, c.Field)
			continue
		}
		if c.Op != "in" && c.Op != "not_in" {
			v.Add(f+".op", "%smust be in or not_in", where)
		}
		if len(c.Values) == 0 {
			v.Add(f+".values", "%sat least one value is required", where)
		}
		if len(c.Values) > MaxValues {
			v.Add(f+".values", "%sat most %d values", where, MaxValues)
		}
		for j, val := range c.Values {
			vf := fmt.Sprintf("%s.values[%d]", f, j)
			switch {
			case fd.ids:
				if n, err := strconv.ParseInt(val, 10, 64); err != nil || n <= 0 {
					v.Add(vf, "%smust be an id (a positive whole number)", where)
				}
			case fd.values != nil && !contains(fd.values, val):
				v.Add(vf, "%s%q is not a %s; use one of %s", where, val, c.Field, strings.Join(quoteAll(fd.values), ", "))
			case len(val) > domainerr.MaxShort:
				v.Add(vf, "%smust be at most %d characters", where, domainerr.MaxShort)
			}
		}
	}
}

func quoteAll(vs []string) []string {
	out := make([]string, len(vs))
	for i, s := range vs {
		out[i] = strconv.Quote(s)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkConditions tries every combination of the condition fields' values
// and refuses conditions under which the clock could never count: a start
// that always implies stop (it would stop the moment it starts), a start
// that always implies pause (it would never run), a start that always
// implies cancel, and a stop that no ticket can ever reach.
func checkConditions(v *domainerr.Invalid, kind ticket.Kind, c Conditions) {
	dom := fields(kind)
	var names []string
	for k, fd := range dom {
		if fd.condition {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	vals := map[string]string{}
	var canStart, startRuns, startNotStopped, startNotCancelled, canStop bool
	var walk func(i int)
	walk = func(i int) {
		if i == len(names) {
			start := starts(c, vals)
			stop := stops(c, vals)
			if stop {
				canStop = true
			}
			if start {
				canStart = true
				if !stop {
					startNotStopped = true
				}
				if !stop && !pauses(c, vals) {
					startRuns = true
				}
				if !cancels(c, vals) {
					startNotCancelled = true
				}
			}
			return
		}
		for _, x := range dom[names[i]].values {
			vals[names[i]] = x
			walk(i + 1)
		}
	}
	walk(0)
	switch {
	case !canStart:
		v.Add("conditions.start", "no ticket can ever meet this start condition")
	case !startNotStopped:
		v.Add("conditions.start", "every ticket that meets the start condition also meets the stop condition, so the clock would stop the moment it starts")
	case !startRuns:
		v.Add("conditions.pause", "every ticket that meets the start condition is also paused, so the clock would never count")
	case !startNotCancelled:
		v.Add("conditions.cancel", "every ticket that meets the start condition also meets the cancel condition")
	case !canStop:
		v.Add("conditions.stop", "no ticket can ever meet this stop condition, so the clock would never stop")
	}
}

// Holds evaluates a stop, pause or cancel condition: an empty one never holds.
func Holds(cs []Clause, vals map[string]string) bool {
	return len(cs) > 0 && holds(cs, vals)
}

// HoldsAny evaluates a stop, pause or cancel condition with its further
// groups: it holds when all clauses of the list or of any one group hold,
// and an empty condition never holds.
func HoldsAny(all []Clause, more [][]Clause, vals map[string]string) bool {
	return (len(all) > 0 || len(more) > 0) && holdsAny(all, more, vals)
}

// holdsAny evaluates a start condition, filter or goal match with its
// further groups: an empty one always holds.
func holdsAny(all []Clause, more [][]Clause, vals map[string]string) bool {
	// As ticket.Groups lists them, without building the list: this runs
	// for every definition on every ticket write.
	if (len(all) > 0 || len(more) == 0) && holds(all, vals) {
		return true
	}
	for _, g := range more {
		if holds(g, vals) {
			return true
		}
	}
	return false
}

func starts(c Conditions, vals map[string]string) bool  { return holdsAny(c.Start, c.StartAny, vals) }
func stops(c Conditions, vals map[string]string) bool   { return HoldsAny(c.Stop, c.StopAny, vals) }
func pauses(c Conditions, vals map[string]string) bool  { return HoldsAny(c.Pause, c.PauseAny, vals) }
func cancels(c Conditions, vals map[string]string) bool { return HoldsAny(c.Cancel, c.CancelAny, vals) }

// holds evaluates one group of clauses: an empty one always holds.
func holds(cs []Clause, vals map[string]string) bool {
	for _, c := range cs {
		in := contains(c.Values, vals[c.Field])
		if (c.Op == "not_in") == in {
			return false
		}
	}
	return true
}

// Values flattens a ticket snapshot into the field values clauses test.
func Values(s *ticket.Snapshot) map[string]string {
	id := func(n int64) string {
		if n == 0 {
			return ""
		}
		return strconv.FormatInt(n, 10)
	}
	m := map[string]string{
		"state":       s.State,
		"priority":    s.Priority,
		"responded":   strconv.FormatBool(Responded(s)),
		"customer_id": id(s.CustomerID),
		"service_id":  id(s.ServiceID),
		"group_id":    id(s.GroupID),
		"category":    s.Category,
	}
	if mk, ok := ticket.Measured(s.Kind); ok && mk.Extra != nil {
		for k, v := range mk.Extra(s) {
			m[k] = v
		}
	}
	return m
}

// Responded is true once an agent answered publicly or the ticket left
// the states its kind declares untouched (incidents: new; requests:
// submitted and awaiting approval).
func Responded(s *ticket.Snapshot) bool {
	if s.Responded {
		return true
	}
	mk, ok := ticket.Measured(s.Kind)
	return ok && !slices.Contains(mk.Untouched, s.State)
}

// kindList names the measurable kinds for a message: "incident or request".
func kindList() string {
	ks := ticket.Kinds()
	names := make([]string, len(ks))
	for i, k := range ks {
		names[i] = string(k)
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
