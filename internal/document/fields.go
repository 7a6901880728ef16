package document

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"steward/internal/domainerr"
)

// Type is the kind of documented information a document is.
type Type string

// The document types; the first four are the ones 5.2, 6.3, 7.1 and 7.4
// ask for by name.
const (
	Policy            Type = "policy"
	SMSPlan           Type = "sms_plan"
	ResourcePlan      Type = "resource_plan"
	CommunicationPlan Type = "communication_plan"
	Plan              Type = "plan"
	Process           Type = "process"
	Procedure         Type = "procedure"
	SLA               Type = "sla"
	Record            Type = "record"
	Other             Type = "other"
)

// Types lists every type in the order forms offer them.
var Types = []Type{Policy, SMSPlan, ResourcePlan, CommunicationPlan, Plan, Process, Procedure, SLA, Record, Other}

// Valid reports whether t is a known type.
func (t Type) Valid() bool {
	for _, x := range Types {
		if x == t {
			return true
		}
	}
	return false
}

// Status is where a document stands.
type Status string

// A document is a draft until a version of it is approved, and retired
// when it no longer applies.
const (
	Draft    Status = "draft"
	Approved Status = "approved"
	Retired  Status = "retired"
)

// Statuses lists every status.
var Statuses = []Status{Draft, Approved, Retired}

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return s == Draft || s == Approved || s == Retired }

// FieldKind is what one typed field holds.
type FieldKind string

// The kinds of typed field.
const (
	DateField     FieldKind = "date"     // YYYY-MM-DD
	TextField     FieldKind = "text"     // one line
	LongField     FieldKind = "longtext" // several lines
	NumberField   FieldKind = "number"   // zero or more, two decimals at most
	CurrencyField FieldKind = "currency" // ISO 4217 code such as EUR
	RowsField     FieldKind = "rows"     // a list of rows of text columns
)

// Field is one typed field a document type carries in its attributes:
// the one declaration that both validation and the forms read.
type Field struct {
	Key      string
	Label    string
	Kind     FieldKind
	Required bool
	Hint     string
	Columns  []Field // the columns of a rows field, all text
	// After names a date field this one must not precede.
	After string
	// Needs names a field that must be given when this one is (a budget's currency).
	Needs string
}

// MaxRows bounds a rows field.
const MaxRows = 100

// TypeFields declares the typed fields of the types that have them.
var TypeFields = map[Type][]Field{
	SMSPlan: {
		{Key: "period_start", Label: "Period starts", Kind: DateField, Required: true},
		{Key: "period_end", Label: "Period ends", Kind: DateField, Required: true, After: "period_start"},
		{Key: "scope_summary", Label: "Scope summary", Kind: LongField, Required: true,
			Hint: "The services, units and locations the plan covers, in a few sentences."},
	},
	ResourcePlan: {
		{Key: "period_start", Label: "Period starts", Kind: DateField, Required: true},
		{Key: "period_end", Label: "Period ends", Kind: DateField, Required: true, After: "period_start"},
		{Key: "staff_planned", Label: "Staff planned (FTE)", Kind: NumberField, Required: true},
		{Key: "staff_actual", Label: "Staff actual (FTE)", Kind: NumberField},
		{Key: "budget_planned", Label: "Budget planned", Kind: NumberField, Required: true, Needs: "currency"},
		{Key: "budget_actual", Label: "Budget actual", Kind: NumberField, Needs: "currency"},
		{Key: "currency", Label: "Currency", Kind: CurrencyField, Hint: "Three letters, such as EUR or GBP."},
	},
	CommunicationPlan: {
		{Key: "lines", Label: "Communications", Kind: RowsField, Required: true, Columns: []Field{
			{Key: "what", Label: "What", Kind: TextField, Required: true},
			{Key: "audience", Label: "Audience", Kind: TextField, Required: true},
			{Key: "channel", Label: "Channel", Kind: TextField},
			{Key: "frequency", Label: "Frequency", Kind: TextField},
			{Key: "owner", Label: "Owner", Kind: TextField},
		}},
	},
}

// Fields are the typed fields of t (none for most types).
func (t Type) Fields() []Field { return TypeFields[t] }

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

// CheckAttributes validates attrs against t's declaration and returns
// them in their stored shape: dates and text as strings, numbers as
// float64, rows as lists of string maps; empty optional values left out.
// Messages go to v under "attributes.<key>" (and
// "attributes.<key>.<row>.<column>" for a cell).
func CheckAttributes(t Type, attrs map[string]any, v *domainerr.Invalid) map[string]any {
	out := map[string]any{}
	fields := t.Fields()
	known := map[string]bool{}
	for _, f := range fields {
		known[f.Key] = true
	}
	for k := range attrs {
		if !known[k] {
			if len(fields) == 0 {
				v.Add("attributes", "a %s has no typed fields; leave attributes empty", strings.ReplaceAll(string(t), "_", " "))
			} else {
				v.Add("attributes."+k, "is not a field of this document type")
			}
		}
	}
	for _, f := range fields {
		name := "attributes." + f.Key
		raw, given := attrs[f.Key]
		if given && raw == nil {
			given = false
		}
		if f.Kind == RowsField {
			rows := checkRows(f, raw, given, name, v)
			if len(rows) > 0 {
				out[f.Key] = rows
			} else if f.Required {
				v.Add(name, "needs at least one row")
			}
			continue
		}
		val, ok := checkValue(f, raw, given, name, v)
		if ok {
			out[f.Key] = val
		} else if f.Required && !v.Has(name) {
			v.Add(name, "is required")
		}
	}
	for _, f := range fields {
		if f.After != "" {
			a, _ := out[f.After].(string)
			b, _ := out[f.Key].(string)
			if a != "" && b != "" && b < a {
				v.Add("attributes."+f.Key, "must not be before %s", strings.ToLower(fieldByKey(fields, f.After).Label))
			}
		}
		if f.Needs != "" {
			if _, has := out[f.Key]; has {
				if _, dep := out[f.Needs]; !dep {
					v.Add("attributes."+f.Needs, "is required with %s", strings.ToLower(f.Label))
				}
			}
		}
	}
	return out
}

func fieldByKey(fields []Field, key string) Field {
	for _, f := range fields {
		if f.Key == key {
			return f
		}
	}
	return Field{Key: key, Label: key}
}

// checkValue validates one scalar value; ok is false when it is empty or wrong.
func checkValue(f Field, raw any, given bool, name string, v *domainerr.Invalid) (any, bool) {
	if !given {
		return nil, false
	}
	switch f.Kind {
	case NumberField:
		var n float64
		switch x := raw.(type) {
		case float64:
			n = x
		case int:
			n = float64(x)
		case int64:
			n = float64(x)
		case string:
			s := strings.TrimSpace(strings.ReplaceAll(x, ",", ""))
			if s == "" {
				return nil, false
			}
			p, err := strconv.ParseFloat(s, 64)
			if err != nil {
				v.Add(name, "must be a number such as 12 or 12.5")
				return nil, false
			}
			n = p
		default:
			v.Add(name, "must be a number")
			return nil, false
		}
		if math.IsNaN(n) || math.IsInf(n, 0) || n < 0 || n > 1e12 {
			v.Add(name, "must be a number from 0 to 1,000,000,000,000")
			return nil, false
		}
		return math.Round(n*100) / 100, true
	}
	s, isStr := raw.(string)
	if !isStr {
		v.Add(name, "must be text")
		return nil, false
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, false
	}
	switch f.Kind {
	case DateField:
		if _, err := time.Parse(DateLayout, s); err != nil {
			v.Add(name, "must be a date such as 2026-12-31")
			return nil, false
		}
	case CurrencyField:
		s = strings.ToUpper(s)
		if !currencyCode.MatchString(s) {
			v.Add(name, "must be a three-letter currency code such as EUR")
			return nil, false
		}
	case LongField:
		domainerr.Text(v, name, s, false, 4000)
	default:
		domainerr.Text(v, name, s, false, domainerr.MaxName)
	}
	if v.Has(name) {
		return nil, false
	}
	return s, true
}

// checkRows validates a rows field: a list of objects whose keys are its
// columns; wholly empty rows are dropped.
func checkRows(f Field, raw any, given bool, name string, v *domainerr.Invalid) []map[string]string {
	if !given {
		return nil
	}
	var list []any
	switch x := raw.(type) {
	case []any:
		list = x
	case []map[string]string:
		for _, m := range x {
			row := map[string]any{}
			for k, s := range m {
				row[k] = s
			}
			list = append(list, row)
		}
	default:
		v.Add(name, "must be a list of rows")
		return nil
	}
	if len(list) > MaxRows {
		v.Add(name, "at most %d rows", MaxRows)
		return nil
	}
	var out []map[string]string
	for i, item := range list {
		obj, ok := item.(map[string]any)
		if !ok {
			v.Add(name, "row %d must be an object", i+1)
			return nil
		}
		row := map[string]string{}
		for k := range obj {
			if fieldByKey(f.Columns, k).Kind == "" {
				v.Add(name, "row %d: %q is not a column (columns: %s)", i+1, k, columnKeys(f))
				return nil
			}
		}
		empty := true
		for _, c := range f.Columns {
			s, isStr := obj[c.Key].(string)
			if obj[c.Key] != nil && !isStr {
				v.Add(fmt.Sprintf("%s.%d.%s", name, i, c.Key), "must be text")
				continue
			}
			s = strings.TrimSpace(s)
			domainerr.Text(v, fmt.Sprintf("%s.%d.%s", name, i, c.Key), s, false, domainerr.MaxName)
			if s != "" {
				empty = false
				row[c.Key] = s
			}
		}
		if empty {
			continue
		}
		for _, c := range f.Columns {
			if c.Required && row[c.Key] == "" {
				v.Add(fmt.Sprintf("%s.%d.%s", name, i, c.Key), "is required")
			}
		}
		out = append(out, row)
	}
	return out
}

func columnKeys(f Field) string {
	var ks []string
	for _, c := range f.Columns {
		ks = append(ks, c.Key)
	}
	return strings.Join(ks, ", ")
}

// DateLayout is how dates without a time are written and stored.
const DateLayout = "2006-01-02"
