package infosec

import (
	"fmt"
	"strconv"
	"strings"
)

// An advisory's affected versions are written as alternatives separated
// by "||" or ";", each one of:
//
//	*                 every version
//	1.4.2             that version only (a leading "v" is ignored)
//	1.4.x  or 1.4.*   every version starting 1.4
//	1.0 - 1.4.2       from 1.0 to 1.4.2, both included
//	>=1.0 <1.4.3      comparators (<, <=, >, >=, =), all of which must hold,
//	                  separated by spaces or commas
//
// Versions compare part by part (parts split on ".", "-" and "_"):
// numbers as numbers, other parts as text, a missing part as 0, so 1.2
// equals 1.2.0 and 1.10 comes after 1.9.

// versionRange is one alternative: a version is in it when every bound holds.
type versionRange struct {
	prefix string // x-range: the version starts with these parts
	any    bool
	bounds []bound
}

type bound struct {
	op string // <, <=, >, >=, =
	v  string
}

// parseAffected reads an affected-versions expression.
func parseAffected(spec string) ([]versionRange, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, fmt.Errorf("is required: the affected versions, such as <2.1.4 or 1.0 - 1.4.2")
	}
	var out []versionRange
	for _, alt := range strings.FieldsFunc(strings.ReplaceAll(spec, "||", ";"), func(r rune) bool { return r == ';' }) {
		alt = strings.TrimSpace(alt)
		if alt == "" {
			continue
		}
		r, err := parseRange(alt)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("is required: the affected versions, such as <2.1.4 or 1.0 - 1.4.2")
	}
	return out, nil
}

func parseRange(alt string) (versionRange, error) {
	if alt == "*" {
		return versionRange{any: true}, nil
	}
	if lo, hi, ok := strings.Cut(alt, " - "); ok {
		lo, hi = cleanVersion(lo), cleanVersion(hi)
		if !validVersion(lo) || !validVersion(hi) {
			return versionRange{}, fmt.Errorf("cannot read the range %q: write it as 1.0 - 1.4.2", alt)
		}
		return versionRange{bounds: []bound{{">=", lo}, {"<=", hi}}}, nil
	}
	if base, ok := strings.CutSuffix(alt, ".x"); ok || strings.HasSuffix(alt, ".*") {
		if !ok {
			base = strings.TrimSuffix(alt, ".*")
		}
		base = cleanVersion(base)
		if !validVersion(base) {
			return versionRange{}, fmt.Errorf("cannot read %q: write a wildcard as 1.4.x", alt)
		}
		return versionRange{prefix: base}, nil
	}
	var r versionRange
	for _, part := range strings.FieldsFunc(alt, func(c rune) bool { return c == ' ' || c == ',' }) {
		op := ""
		for _, o := range []string{"<=", ">=", "<", ">", "=="} {
			if strings.HasPrefix(part, o) {
				op = o
				break
			}
		}
		if op == "" && strings.HasPrefix(part, "=") {
			op = "="
		}
		v := cleanVersion(strings.TrimPrefix(part, op))
		if op == "==" || op == "" {
			op = "="
		}
		if !validVersion(v) {
			return versionRange{}, fmt.Errorf("cannot read %q: write versions such as 1.4.2, <2.0, >=1.0 <1.4.3 or 1.4.x", part)
		}
		r.bounds = append(r.bounds, bound{op, v})
	}
	return r, nil
}

func cleanVersion(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 1 && (s[0] == 'v' || s[0] == 'V') && s[1] >= '0' && s[1] <= '9' {
		s = s[1:]
	}
	return s
}

func validVersion(s string) bool {
	return s != "" && !strings.ContainsAny(s, " <>=*,;") && s[0] >= '0' && s[0] <= '9'
}

func versionParts(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == '-' || r == '_' })
}

// CompareVersions orders two versions: -1, 0 or 1.
func CompareVersions(a, b string) int {
	pa, pb := versionParts(cleanVersion(a)), versionParts(cleanVersion(b))
	for i := 0; i < max(len(pa), len(pb)); i++ {
		x, y := "0", "0"
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		nx, ex := strconv.ParseUint(x, 10, 64)
		ny, ey := strconv.ParseUint(y, 10, 64)
		switch {
		case ex == nil && ey == nil:
			if nx != ny {
				if nx < ny {
					return -1
				}
				return 1
			}
		case ex == nil: // a number comes after text: 1.0 after 1.0-rc1's "rc1"
			return 1
		case ey == nil:
			return -1
		default:
			if c := strings.Compare(strings.ToLower(x), strings.ToLower(y)); c != 0 {
				return c
			}
		}
	}
	return 0
}

// contains reports whether version v is in any of the ranges.
func contains(rs []versionRange, v string) bool {
	v = cleanVersion(v)
	if !validVersion(v) {
		return false
	}
	for _, r := range rs {
		if r.match(v) {
			return true
		}
	}
	return false
}

func (r versionRange) match(v string) bool {
	if r.any {
		return true
	}
	if r.prefix != "" {
		pp, pv := versionParts(r.prefix), versionParts(v)
		if len(pv) < len(pp) {
			return false
		}
		for i := range pp {
			if CompareVersions(pp[i], pv[i]) != 0 {
				return false
			}
		}
		return true
	}
	for _, b := range r.bounds {
		c := CompareVersions(v, b.v)
		ok := false
		switch b.op {
		case "<":
			ok = c < 0
		case "<=":
			ok = c <= 0
		case ">":
			ok = c > 0
		case ">=":
			ok = c >= 0
		case "=":
			ok = c == 0
		}
		if !ok {
			return false
		}
	}
	return len(r.bounds) > 0
}

// Affects reports whether version v falls in the affected-versions
// expression spec.
func Affects(spec, v string) (bool, error) {
	rs, err := parseAffected(spec)
	if err != nil {
		return false, err
	}
	return contains(rs, v), nil
}
