package cmdb

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"steward/internal/domainerr"
)

// importRow is a validated CI line, ready to be matched and written.
type importRow struct {
	line       int
	typ        *importType
	name       string
	set        uint8 // which optional fields the line gives (importSet*)
	status     Status
	owner      int64 // 0: none
	group      int64
	customer   int64
	location   string
	redundancy string         // canonical JSON; "" for none
	attrs      map[string]any // attributes given, checked and normalized
	clear      []string       // attributes given empty: to be unset
	refs       []importRefAttr
	missing    []string // required attributes the line does not mention
	keys       []string // identifier keys, the first one matching; or the name key
	byName     bool
}

// importRefAttr is a reference attribute given as attribute=value of the
// referenced CI, resolved when the row is written.
type importRefAttr struct {
	attr string
	key  string
}

const (
	importSetStatus uint8 = 1 << iota
	importSetOwner
	importSetGroup
	importSetCustomer
	importSetLocation
	importSetRedundancy
)

// attrLabel is how errors found after reading name an attribute: by its
// CSV column or its JSON key.
func (im *importer) attrLabel(attr string) string {
	if im.ciJSON {
		return "attributes." + attr
	}
	return attr
}

// importString reads a text value; numbers are accepted as their text.
func importString(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", true
	case string:
		return strings.TrimSpace(x), true
	case json.Number:
		return x.String(), true
	}
	return "", false
}

// ciRow validates one record of a CI file; it reports every problem and
// returns nil when there was any.
func (im *importer) ciRow(rec *importRecord) *importRow {
	bad := false
	fail := func(field, format string, args ...any) {
		im.fail(fileCIs, rec.line, field, format, args...)
		bad = true
	}
	var t *importType
	for _, f := range rec.fields {
		if f.name != "type" {
			continue
		}
		name, ok := importString(f.value)
		if t = im.types[strings.ToLower(name)]; t == nil {
			if !ok || name == "" {
				fail(f.label, "is required: the name of a CI type")
			} else {
				fail(f.label, "unknown CI type %q; the types are %s", name, im.typeList())
			}
			return nil
		}
	}
	if t == nil {
		fail("type", "is required: the name of a CI type")
		return nil
	}
	row := &importRow{line: rec.line, typ: t, attrs: make(map[string]any, len(t.Attributes))}
	named := false
	for _, f := range rec.fields {
		switch f.name {
		case "type":
		case "name":
			named = true
			s, ok := importString(f.value)
			v := domainerr.NewInvalid()
			domainerr.Text(v, f.label, s, true, domainerr.MaxName)
			if !ok {
				fail(f.label, "must be text")
			} else if msg, isBad := v.Fields[f.label]; isBad {
				fail(f.label, "%s", msg)
			}
			row.name = s
		case "status":
			s, ok := importString(f.value)
			if !ok || (s != "" && !Status(s).Valid()) {
				fail(f.label, "must be one of planned, in_use, maintenance, retired")
			} else if s != "" {
				row.status, row.set = Status(s), row.set|importSetStatus
			}
		case "owner":
			row.owner = im.lookupPerson(f, im.users, im.userIDs, "agent or administrator with e-mail", fail)
			row.set |= importSetOwner
		case "group":
			row.group = im.lookupPerson(f, im.groups, im.groupIDs, "support group named", fail)
			row.set |= importSetGroup
		case "customer":
			row.customer = im.lookupPerson(f, im.customers, im.customerID, "customer named", fail)
			row.set |= importSetCustomer
		case "location":
			s, ok := importString(f.value)
			if !ok || len(s) > domainerr.MaxName || strings.ContainsRune(s, 0) {
				fail(f.label, "must be text of at most %d characters", domainerr.MaxName)
			}
			row.location, row.set = s, row.set|importSetLocation
		case "redundancy":
			r, err := importRedundancy(f.value)
			if err != nil {
				fail(f.label, "%s", err)
			}
			row.redundancy, row.set = r, row.set|importSetRedundancy
		case "attributes":
			if f.value != nil {
				fail(f.label, "must be an object of attribute values")
			}
		default:
			if !strings.HasPrefix(f.name, "attributes.") {
				fail(f.label, "is not a field of a CI; give type, name, status, owner, group, customer, location, redundancy and attributes")
				continue
			}
			im.ciAttr(row, f, fail)
		}
	}
	if !named {
		fail("name", "is required")
	}
	for _, a := range t.Attributes {
		if _, ok := row.attrs[a.Name]; ok || !a.Required {
			continue
		}
		if importRefGiven(row, a.Name) {
			continue
		}
		if importHas(row.clear, a.Name) {
			fail(importFieldLabel(rec, "attributes."+a.Name), "is required for type %q", t.Name)
		} else {
			row.missing = append(row.missing, a.Name)
		}
	}
	if bad {
		return nil
	}
	im.ciKeys(row, rec)
	if row.keys == nil {
		return nil
	}
	return row
}

func importRefGiven(row *importRow, attr string) bool {
	for _, r := range row.refs {
		if r.attr == attr {
			return true
		}
	}
	return false
}

func importFieldLabel(rec *importRecord, name string) string {
	for _, f := range rec.fields {
		if f.name == name {
			return f.label
		}
	}
	return name
}

// ciAttr checks one attribute value against the row's type. In a file
// that mixes types, columns of other types must be empty.
func (im *importer) ciAttr(row *importRow, f importField, fail func(string, string, ...any)) {
	name := strings.TrimPrefix(f.name, "attributes.")
	a, ok := row.typ.attrs[name]
	empty := f.value == nil || f.value == ""
	if s, isStr := f.value.(string); isStr && strings.TrimSpace(s) == "" {
		empty = true
	}
	switch {
	case !ok && empty:
		return
	case !ok:
		names := make([]string, 0, len(row.typ.Attributes))
		for _, x := range row.typ.Attributes {
			names = append(names, x.Name)
		}
		sort.Strings(names)
		if len(names) == 0 {
			fail(f.label, "type %q has no attributes; leave this column empty", row.typ.Name)
		} else {
			fail(f.label, "type %q has no attribute %q (it has %s); leave this column empty", row.typ.Name, name, strings.Join(names, ", "))
		}
		return
	case empty:
		row.clear = append(row.clear, name)
		return
	}
	if s, isStr := f.value.(string); isStr && a.Type == AttrReference && strings.Contains(s, "=") {
		if a.RefType == "" {
			fail(f.label, "give the id of the CI; attribute=value works only when the attribute names the type it refers to")
			return
		}
		row.refs = append(row.refs, importRefAttr{attr: name, key: strings.TrimSpace(s)})
		return
	}
	v, err := CoerceValue(a, f.value)
	if err != nil {
		fail(f.label, "%s", err)
		return
	}
	row.attrs[name] = v
}

// ciKeys works out how the row is matched and refuses identifiers given
// twice in the file.
func (im *importer) ciKeys(row *importRow, rec *importRecord) {
	t := row.typ
	keys := make([]string, 0, len(t.unique))
	for _, u := range t.unique {
		if v, ok := row.attrs[u]; ok {
			keys = append(keys, identifierKey(t.ID, u, IdentifierValue(v)))
		}
	}
	if len(keys) == 0 {
		keys, row.byName = append(keys, nameKey(t.ID, row.name)), true
	}
	dup := false
	for i, k := range keys {
		if prev, ok := im.seen[k]; ok {
			if row.byName {
				im.fail(fileCIs, row.line, importFieldLabel(rec, "name"), "duplicate: a %s named %q is also on line %d", t.Name, row.name, prev.line)
			} else {
				attr := importKeyAttr(k)
				im.fail(fileCIs, row.line, importFieldLabel(rec, "attributes."+attr), "duplicate identifier: %s=%s is also on line %d",
					attr, IdentifierValue(row.attrs[attr]), prev.line)
			}
			dup = true
			keys[i] = ""
		}
	}
	for _, k := range keys {
		if k != "" {
			im.seen[k] = importSeen{line: int32(row.line)}
		}
	}
	if !dup {
		row.keys = keys
	}
}

// importKeyAttr is the attribute of an identifier key.
func importKeyAttr(key string) string {
	_, rest, _ := strings.Cut(key, "\x1f")
	attr, _, _ := strings.Cut(rest, "\x1f")
	return attr
}

// lookupPerson resolves an owner, group or customer given by e-mail or
// name, or by id.
func (im *importer) lookupPerson(f importField, byName map[string]int64, ids map[int64]bool, what string, fail func(string, string, ...any)) int64 {
	s, ok := importString(f.value)
	if !ok {
		fail(f.label, "must be text or an id")
		return 0
	}
	if s == "" {
		return 0
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if !ids[n] {
			fail(f.label, "no %s id %d", strings.Fields(what)[0], n)
		}
		return n
	}
	id, ok := byName[strings.ToLower(s)]
	if !ok {
		fail(f.label, "no %s %q", what, s)
	}
	return id
}

func (im *importer) typeList() string {
	names := make([]string, 0, len(im.types))
	for _, t := range im.typesByID {
		names = append(names, t.Name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// importRedundancy reads a redundancy rule: "2" (members down), "30%",
// or JSON such as {"failed_when_down_percent": 30}. It returns the
// canonical JSON, or "" for none.
func importRedundancy(v any) (string, error) {
	var r Redundancy
	switch x := v.(type) {
	case nil:
		return "", nil
	case json.Number:
		n, err := strconv.Atoi(x.String())
		if err != nil {
			return "", fmt.Errorf("must be a number of members, a percentage such as 30%%, or an object")
		}
		r.FailedWhenDown = n
	case map[string]any:
		raw, _ := json.Marshal(x)
		if err := importStrict(raw, &r); err != nil {
			return "", fmt.Errorf(`must be {"failed_when_down": N} or {"failed_when_down_percent": P}`)
		}
	case string:
		s := strings.TrimSpace(x)
		switch {
		case s == "":
			return "", nil
		case strings.HasPrefix(s, "{"):
			if err := importStrict([]byte(s), &r); err != nil {
				return "", fmt.Errorf(`must be {"failed_when_down": N} or {"failed_when_down_percent": P}`)
			}
		case strings.HasSuffix(s, "%"):
			p, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(s, "%")), 64)
			if err != nil {
				return "", fmt.Errorf("%q is not a percentage", s)
			}
			r.FailedWhenDownPercent = p
		default:
			n, err := strconv.Atoi(s)
			if err != nil {
				return "", fmt.Errorf("must be a number of members such as 2, or a percentage such as 30%%, not %q", s)
			}
			r.FailedWhenDown = n
		}
	default:
		return "", fmt.Errorf("must be a number of members, a percentage such as 30%%, or an object")
	}
	inv := domainerr.NewInvalid()
	r.Validate(inv, "redundancy")
	for _, msg := range inv.Fields {
		return "", fmt.Errorf("%s", msg)
	}
	raw, _ := json.Marshal(r)
	return string(raw), nil
}

func importStrict(raw []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func importUnmarshal(s string, v any) error {
	if s == "" {
		return nil
	}
	return json.Unmarshal([]byte(s), v)
}

// importValueText is how a value appears in history and diffs.
func importValueText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case json.Number:
		return x.String()
	}
	return IdentifierValue(v)
}
