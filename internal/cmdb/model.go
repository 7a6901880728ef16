// Package cmdb is configuration and asset management (ISO/IEC 20000-1
// clauses 8.2.5 and 8.2.6): CI types with typed attributes, configuration
// items, relationships with a direction of impact, the append-only change
// history, baselines, verification runs and assets, and the impact
// analysis every other process uses (graph.go, impact.go): what fails
// downstream when a CI fails, and what a service depends on upstream.
package cmdb

import (
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"steward/internal/domainerr"
)

// AttrType is the type of a CI attribute.
type AttrType string

const (
	AttrString    AttrType = "string"
	AttrNumber    AttrType = "number"
	AttrDate      AttrType = "date" // YYYY-MM-DD
	AttrEnum      AttrType = "enum"
	AttrReference AttrType = "reference" // the id of another CI
	AttrIP        AttrType = "ip"        // an IPv4 or IPv6 address
	AttrBool      AttrType = "boolean"
)

// AttrTypes lists the attribute types.
var AttrTypes = []AttrType{AttrString, AttrNumber, AttrDate, AttrEnum, AttrReference, AttrIP, AttrBool}

// Attribute is one attribute a CI type defines.
type Attribute struct {
	Name     string   `json:"name"`
	Type     AttrType `json:"type"`
	Required bool     `json:"required"`
	// Unique attributes identify a CI within its type (serial number,
	// device id): imports and event sources find CIs by them.
	Unique bool `json:"unique"`
	// Values lists an enum's allowed values.
	Values []string `json:"values,omitempty"`
	// RefType optionally restricts a reference to CIs of one type (by name).
	RefType string `json:"ref_type,omitempty"`
}

// CIType is a kind of configuration item and the attributes it carries.
type CIType struct {
	ID          int64       `json:"id"`
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Attributes  []Attribute `json:"attributes"`
	Builtin     bool        `json:"builtin"`
	CreatedAt   time.Time   `json:"created_at"`
	UpdatedAt   time.Time   `json:"updated_at"`
	Version     int         `json:"version"`
}

// Limits.
const (
	MaxAttributes = 100
	MaxEnumValues = 200
	MaxAttrValue  = 2000
)

var attrName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// Attr finds an attribute by name.
func (t *CIType) Attr(name string) (Attribute, bool) {
	for _, a := range t.Attributes {
		if a.Name == name {
			return a, true
		}
	}
	return Attribute{}, false
}

// Normalize trims what users type loosely.
func (t *CIType) Normalize() {
	t.Name = strings.TrimSpace(t.Name)
	t.Description = strings.TrimSpace(t.Description)
	if t.Attributes == nil {
		t.Attributes = []Attribute{}
	}
	for i := range t.Attributes {
		a := &t.Attributes[i]
		a.Name = strings.TrimSpace(a.Name)
		a.Type = AttrType(strings.TrimSpace(string(a.Type)))
		a.RefType = strings.TrimSpace(a.RefType)
		for j := range a.Values {
			a.Values[j] = strings.TrimSpace(a.Values[j])
		}
	}
}

// Validate checks a normalized type on its own; whether a ref_type names
// an existing type is checked by the store.
func (t *CIType) Validate() error {
	v := domainerr.NewInvalid()
	domainerr.Text(v, "name", t.Name, true, domainerr.MaxName)
	domainerr.Text(v, "description", t.Description, false, domainerr.MaxText)
	if len(t.Attributes) > MaxAttributes {
		v.Add("attributes", "at most %d attributes", MaxAttributes)
	}
	seen := map[string]int{}
	for i, a := range t.Attributes {
		f := fmt.Sprintf("attributes[%d]", i)
		if !attrName.MatchString(a.Name) {
			v.Add(f+".name", "must be lower-case letters, digits and _, starting with a letter (at most 63)")
		} else if j, dup := seen[a.Name]; dup {
			v.Add(f+".name", "%q is already attributes[%d]", a.Name, j)
		} else {
			seen[a.Name] = i
		}
		valid := false
		for _, x := range AttrTypes {
			valid = valid || a.Type == x
		}
		if !valid {
			names := make([]string, len(AttrTypes))
			for k, x := range AttrTypes {
				names[k] = string(x)
			}
			v.Add(f+".type", "must be one of %s", strings.Join(names, ", "))
			continue
		}
		switch {
		case a.Type == AttrEnum && len(a.Values) == 0:
			v.Add(f+".values", "an enum needs at least one value")
		case a.Type != AttrEnum && len(a.Values) > 0:
			v.Add(f+".values", "only an enum has values")
		case len(a.Values) > MaxEnumValues:
			v.Add(f+".values", "at most %d values", MaxEnumValues)
		}
		vals := map[string]bool{}
		for j, x := range a.Values {
			if x == "" || len(x) > domainerr.MaxShort {
				v.Add(fmt.Sprintf("%s.values[%d]", f, j), "must be 1 to %d characters", domainerr.MaxShort)
			} else if vals[x] {
				v.Add(fmt.Sprintf("%s.values[%d]", f, j), "%q is given twice", x)
			}
			vals[x] = true
		}
		if a.RefType != "" && a.Type != AttrReference {
			v.Add(f+".ref_type", "only a reference has ref_type")
		}
		if a.Unique && (a.Type == AttrBool || a.Type == AttrReference) {
			v.Add(f+".unique", "a %s attribute cannot identify a CI", a.Type)
		}
	}
	return v.Err()
}

// Status is where a CI is in its life.
type Status string

const (
	Planned     Status = "planned"
	InUse       Status = "in_use"
	Maintenance Status = "maintenance"
	Retired     Status = "retired"
)

// Statuses lists every status.
var Statuses = []Status{Planned, InUse, Maintenance, Retired}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, x := range Statuses {
		if x == s {
			return true
		}
	}
	return false
}

// Redundancy says when a cluster or pool counts as failed: when at least
// FailedWhenDown members are down, or at least FailedWhenDownPercent per
// cent of them. Below that it is degraded. Without redundancy any member
// down fails the cluster.
type Redundancy struct {
	FailedWhenDown        int     `json:"failed_when_down,omitempty"`
	FailedWhenDownPercent float64 `json:"failed_when_down_percent,omitempty"`
}

// Validate checks a redundancy rule.
func (r *Redundancy) Validate(v *domainerr.Invalid, field string) {
	switch {
	case r.FailedWhenDown != 0 && r.FailedWhenDownPercent != 0:
		v.Add(field, "give failed_when_down or failed_when_down_percent, not both")
	case r.FailedWhenDown < 0:
		v.Add(field+".failed_when_down", "must be at least 1")
	case r.FailedWhenDownPercent < 0 || r.FailedWhenDownPercent > 100:
		v.Add(field+".failed_when_down_percent", "must be between 0 and 100")
	case r.FailedWhenDown == 0 && r.FailedWhenDownPercent == 0:
		v.Add(field, "needs failed_when_down (a number of members) or failed_when_down_percent")
	}
}

// Threshold is how many of n members must be down for the cluster to
// fail: never more than it has, so a cluster whose members are all down
// has failed whatever its rule says, and at least one.
func (r *Redundancy) Threshold(n int) int {
	t := 1
	switch {
	case r == nil:
	case r.FailedWhenDown > 0:
		t = r.FailedWhenDown
	case r.FailedWhenDownPercent > 0:
		// Rounded up to a whole member, exactly: 30% of 10 is 3, not 4.
		t = int(math.Ceil(r.FailedWhenDownPercent*float64(n)/100 - 1e-9))
	}
	return max(1, min(t, n))
}

// CI is a configuration item.
type CI struct {
	ID         int64          `json:"id"`
	TypeID     int64          `json:"type_id"`
	Type       string         `json:"type"`
	Name       string         `json:"name"`
	Status     Status         `json:"status"`
	OwnerID    *int64         `json:"owner_id"`
	GroupID    *int64         `json:"group_id"`
	CustomerID *int64         `json:"customer_id"`
	ServiceID  *int64         `json:"service_id"`
	Location   string         `json:"location"`
	Attributes map[string]any `json:"attributes"`
	Redundancy *Redundancy    `json:"redundancy"`
	CreatedAt  time.Time      `json:"created_at"`
	UpdatedAt  time.Time      `json:"updated_at"`
	Version    int            `json:"version"`
}

// CheckAttributes validates and normalizes attribute values against the
// type: unknown attributes, wrong types and missing required ones are
// refused, each named as attributes.<name>. Numbers become float64, the
// rest strings; references are CI ids (int64) whose existence the caller
// checks. It returns the normalized map.
func CheckAttributes(t *CIType, in map[string]any, v *domainerr.Invalid, prefix string) map[string]any {
	out := map[string]any{}
	for k, val := range in {
		a, ok := t.Attr(k)
		f := prefix + "attributes." + k
		if !ok {
			names := make([]string, 0, len(t.Attributes))
			for _, x := range t.Attributes {
				names = append(names, x.Name)
			}
			sort.Strings(names)
			if len(names) == 0 {
				v.Add(f, "type %q has no attributes", t.Name)
			} else {
				v.Add(f, "type %q has no attribute %q; it has %s", t.Name, k, strings.Join(names, ", "))
			}
			continue
		}
		if val == nil {
			continue
		}
		nv, err := CoerceValue(a, val)
		if err != nil {
			v.Add(f, "%s", err)
			continue
		}
		out[k] = nv
	}
	for _, a := range t.Attributes {
		if _, ok := out[a.Name]; !ok && a.Required && !v.Has(prefix+"attributes."+a.Name) {
			v.Add(prefix+"attributes."+a.Name, "is required for type %q", t.Name)
		}
	}
	return out
}

// CoerceValue checks one value against its attribute's type. Strings are
// accepted for every type (as CSV imports give them).
func CoerceValue(a Attribute, val any) (any, error) {
	str, isStr := val.(string)
	if isStr {
		str = strings.TrimSpace(str)
		if len(str) > MaxAttrValue {
			return nil, fmt.Errorf("must be at most %d characters", MaxAttrValue)
		}
	}
	switch a.Type {
	case AttrString:
		if !isStr {
			return nil, fmt.Errorf("must be text")
		}
		if strings.ContainsRune(str, 0) {
			return nil, fmt.Errorf("must not contain NUL characters")
		}
		return str, nil
	case AttrNumber:
		switch n := val.(type) {
		case float64:
			return n, nil
		case json.Number:
			f, err := n.Float64()
			if err != nil {
				return nil, fmt.Errorf("must be a number")
			}
			return f, nil
		case int:
			return float64(n), nil
		case int64:
			return float64(n), nil
		case string:
			f, err := strconv.ParseFloat(str, 64)
			if err != nil {
				return nil, fmt.Errorf("must be a number, not %q", str)
			}
			return f, nil
		}
		return nil, fmt.Errorf("must be a number")
	case AttrBool:
		switch b := val.(type) {
		case bool:
			return b, nil
		case string:
			p, err := strconv.ParseBool(str)
			if err != nil {
				return nil, fmt.Errorf("must be true or false, not %q", str)
			}
			return p, nil
		}
		return nil, fmt.Errorf("must be true or false")
	case AttrDate:
		if !isStr {
			return nil, fmt.Errorf("must be a date as YYYY-MM-DD")
		}
		if _, err := time.Parse("2006-01-02", str); err != nil {
			return nil, fmt.Errorf("must be a date as YYYY-MM-DD, not %q", str)
		}
		return str, nil
	case AttrEnum:
		if !isStr {
			return nil, fmt.Errorf("must be one of %s", strings.Join(a.Values, ", "))
		}
		for _, x := range a.Values {
			if x == str {
				return str, nil
			}
		}
		return nil, fmt.Errorf("%q is not one of %s", str, strings.Join(a.Values, ", "))
	case AttrIP:
		if !isStr {
			return nil, fmt.Errorf("must be an IP address")
		}
		ip, err := netip.ParseAddr(str)
		if err != nil {
			return nil, fmt.Errorf("%q is not an IPv4 or IPv6 address", str)
		}
		return ip.String(), nil
	case AttrReference:
		var id int64
		switch n := val.(type) {
		case float64:
			id = int64(n)
			if float64(id) != n {
				id = 0
			}
		case json.Number:
			id, _ = n.Int64()
		case int64:
			id = n
		case int:
			id = int64(n)
		case string:
			id, _ = strconv.ParseInt(str, 10, 64)
		}
		if id <= 0 {
			return nil, fmt.Errorf("must be the id of a CI")
		}
		return id, nil
	}
	return nil, fmt.Errorf("unknown attribute type %q", a.Type)
}

// IdentifierValue is how a unique attribute's value is stored for lookup.
func IdentifierValue(val any) string {
	switch x := val.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return fmt.Sprint(val)
}
