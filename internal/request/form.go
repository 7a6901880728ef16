package request

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"steward/internal/domainerr"
)

// FieldType is the kind of answer a form field takes.
type FieldType string

const (
	TextField   FieldType = "text"
	NumberField FieldType = "number"
	ChoiceField FieldType = "choice"
	DateField   FieldType = "date"
	UserField   FieldType = "user"
	YesNoField  FieldType = "yes_no"
)

// FieldTypes lists every field type.
var FieldTypes = []FieldType{TextField, NumberField, ChoiceField, DateField, UserField, YesNoField}

func (t FieldType) valid() bool {
	for _, x := range FieldTypes {
		if x == t {
			return true
		}
	}
	return false
}

// Form is an item's ordered list of questions.
type Form struct {
	Fields []Field `json:"fields"`
}

// Field is one question of a form.
type Field struct {
	Key      string     `json:"key"`
	Label    string     `json:"label"`
	Type     FieldType  `json:"type"`
	Required bool       `json:"required"`
	Options  []string   `json:"options,omitempty"`
	Help     string     `json:"help,omitempty"`
	ShowWhen *Condition `json:"show_when,omitempty"`
}

// Condition shows a field only when an earlier field's answer equals a value.
type Condition struct {
	Field  string `json:"field"`
	Equals string `json:"equals"`
}

// Limits of a form definition and of its answers.
const (
	MaxFields      = 50
	MaxOptions     = 100
	MaxHelp        = 1000
	MaxTextAnswer  = 4000
	maxKey         = 40
	maxOptionChars = 200
)

var keyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Validate checks a form definition and reports every fault under prefix
// (e.g. "form"), with paths such as form.fields[2].show_when.field.
func (f Form) Validate(prefix string, v *domainerr.Invalid) {
	if len(f.Fields) > MaxFields {
		v.Add(prefix+".fields", "must have at most %d fields", MaxFields)
		return
	}
	seen := map[string]int{}
	for i, fl := range f.Fields {
		at := fmt.Sprintf("%s.fields[%d]", prefix, i)
		switch {
		case fl.Key == "":
			v.Add(at+".key", "is required")
		case len(fl.Key) > maxKey || !keyPattern.MatchString(fl.Key):
			v.Add(at+".key", "must be at most %d lower-case letters, digits and _, starting with a letter", maxKey)
		default:
			if j, dup := seen[fl.Key]; dup {
				v.Add(at+".key", "repeats the key of fields[%d]", j)
			} else {
				seen[fl.Key] = i
			}
		}
		domainerr.Text(v, at+".label", fl.Label, true, domainerr.MaxTitle)
		domainerr.Text(v, at+".help", fl.Help, false, MaxHelp)
		if !fl.Type.valid() {
			v.Add(at+".type", "must be one of text, number, choice, date, user, yes_no")
		}
		validOptions(fl, at, v)
		if fl.ShowWhen != nil {
			f.validCondition(i, at+".show_when", v)
		}
	}
}

func validOptions(fl Field, at string, v *domainerr.Invalid) {
	if fl.Type != ChoiceField {
		if len(fl.Options) > 0 {
			v.Add(at+".options", "only choice fields take options")
		}
		return
	}
	if len(fl.Options) == 0 {
		v.Add(at+".options", "a choice field needs at least one option")
		return
	}
	if len(fl.Options) > MaxOptions {
		v.Add(at+".options", "must have at most %d options", MaxOptions)
		return
	}
	seen := map[string]bool{}
	for j, o := range fl.Options {
		oat := fmt.Sprintf("%s.options[%d]", at, j)
		switch {
		case strings.TrimSpace(o) == "":
			v.Add(oat, "must not be empty")
		case o != strings.TrimSpace(o):
			v.Add(oat, "must not start or end with spaces")
		case utf8.RuneCountInString(o) > maxOptionChars:
			v.Add(oat, "must be at most %d characters", maxOptionChars)
		case seen[o]:
			v.Add(oat, "repeats an earlier option")
		}
		seen[o] = true
	}
}

// validCondition checks that field i's show_when names an earlier field and
// a value that field can take.
func (f Form) validCondition(i int, at string, v *domainerr.Invalid) {
	c := f.Fields[i].ShowWhen
	ref := -1
	for j := 0; j < i; j++ {
		if f.Fields[j].Key == c.Field {
			ref = j
			break
		}
	}
	if ref < 0 {
		if c.Field == "" {
			v.Add(at+".field", "is required")
		} else {
			v.Add(at+".field", "must name an earlier field of this form")
		}
		return
	}
	target := f.Fields[ref]
	if _, msg := normalise(target, c.Equals); msg != "" || c.Equals == "" {
		if target.Type == ChoiceField {
			v.Add(at+".equals", "must be one of the options of %s", target.Key)
		} else if msg != "" {
			v.Add(at+".equals", "is not a value %s can take: it %s", target.Key, msg)
		} else {
			v.Add(at+".equals", "is required")
		}
	}
}

// Field returns the form's field with key.
func (f Form) Field(key string) (Field, bool) {
	for _, fl := range f.Fields {
		if fl.Key == key {
			return fl, true
		}
	}
	return Field{}, false
}

// Shown reports, for every field, whether it is asked given these answers
// (in the canonical string form Text gives). A field is shown when it has no
// condition, or when the field it depends on is shown and answered with
// the condition's value.
func (f Form) Shown(canon map[string]string) map[string]bool {
	shown := map[string]bool{}
	for _, fl := range f.Fields {
		c := fl.ShowWhen
		if c == nil {
			shown[fl.Key] = true
			continue
		}
		got, answered := canon[c.Field]
		shown[fl.Key] = shown[c.Field] && answered && got == f.ConditionValue(c)
	}
	return shown
}

// ConditionValue is a condition's value in canonical form, so that "yes"
// matches a yes_no answer stored as true and "2.50" a number stored as 2.5.
func (f Form) ConditionValue(c *Condition) string {
	if ref, ok := f.Field(c.Field); ok {
		if v, msg := normalise(ref, c.Equals); msg == "" {
			return Text(v)
		}
	}
	return c.Equals
}

// UserExists tells answer checking whether a user id names an active
// account the form may name; false reads as "no such user" whatever the
// reason, so that the answer does not tell which ids exist.
type UserExists func(ctx context.Context, id int64) (bool, error)

// CheckAnswers validates raw answers against the form and returns them in
// their stored types (string, float64, bool, int64). Answers to fields the
// form does not show, given the other answers, are dropped: a form filled
// in without JavaScript may carry them. An answer to a key the form does
// not have at all is refused. Faults are reported as answers.<key>.
func (f Form) CheckAnswers(ctx context.Context, raw map[string]any, users UserExists, v *domainerr.Invalid) (map[string]any, error) {
	canon := map[string]string{}
	typed := map[string]any{}
	bad := map[string]string{}
	for key, val := range raw {
		fl, ok := f.Field(key)
		if !ok {
			v.Add("answers."+limitKey(key), "is not a question of this form")
			continue
		}
		s, ok := rawString(val)
		if !ok {
			v.Add("answers."+key, "must be %s", typeWord(fl.Type))
			continue
		}
		if strings.TrimSpace(s) == "" {
			continue
		}
		t, msg := normalise(fl, s)
		if msg != "" {
			// Reported below, once we know whether the field is shown.
			bad[key] = msg
			continue
		}
		canon[key], typed[key] = Text(t), t
	}
	shown := f.Shown(canon)
	out := map[string]any{}
	for _, fl := range f.Fields {
		key := fl.Key
		if !shown[key] {
			continue
		}
		_, answered := canon[key]
		switch {
		case bad[key] != "":
			v.Add("answers."+key, "%s", bad[key])
		case !answered && fl.Required:
			v.Add("answers."+key, "is required")
		case !answered:
		case fl.Type == UserField && users != nil:
			ok, err := users(ctx, typed[key].(int64))
			if err != nil {
				return nil, err
			}
			if !ok {
				v.Add("answers."+key, "must name an active user (no user %d)", typed[key])
				continue
			}
			out[key] = typed[key]
		default:
			out[key] = typed[key]
		}
	}
	return out, nil
}

// NeededByKey is the key of the question "needed by": a date field with
// this key takes no day that has already passed.
const NeededByKey = "needed_by"

// latestZone is where a day ends last (UTC-12): a date is past once it has
// passed there, so nobody is refused their own today.
var latestZone = time.FixedZone("UTC-12", -12*60*60)

// CheckNeededBy refuses a needed-by date that has passed, as of now. It
// reads answers as CheckAnswers returns them.
func (f Form) CheckNeededBy(answers map[string]any, now time.Time, v *domainerr.Invalid) {
	fl, ok := f.Field(NeededByKey)
	if !ok || fl.Type != DateField {
		return
	}
	day, ok := answers[NeededByKey].(string)
	if !ok {
		return
	}
	if today := now.In(latestZone).Format(time.DateOnly); day < today {
		v.Add("answers."+NeededByKey, "must be today or later: %s has passed", day)
	}
}

// limitKey keeps an unknown key short enough to quote in an error.
func limitKey(k string) string {
	if len(k) > maxKey+10 {
		return k[:maxKey] + "…"
	}
	return k
}

// rawString turns a decoded JSON value into text for checking; objects
// and lists are never answers.
func rawString(val any) (string, bool) {
	switch x := val.(type) {
	case nil:
		return "", true
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case json.Number:
		return x.String(), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case int:
		return strconv.Itoa(x), true
	}
	return "", false
}

func typeWord(t FieldType) string {
	switch t {
	case NumberField:
		return "a number"
	case YesNoField:
		return "true or false"
	case UserField:
		return "a user id"
	case DateField:
		return "a date (YYYY-MM-DD)"
	}
	return "text"
}

// normalise reads an answer for field fl from text and returns its stored
// value, or a message saying what is wrong.
func normalise(fl Field, s string) (any, string) {
	s = strings.TrimSpace(s)
	switch fl.Type {
	case TextField:
		if utf8.RuneCountInString(s) > MaxTextAnswer {
			return nil, fmt.Sprintf("must be at most %d characters", MaxTextAnswer)
		}
		if strings.ContainsRune(s, 0) {
			return nil, "must not contain NUL characters"
		}
		return s, ""
	case NumberField:
		n, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
			return nil, "must be a number"
		}
		return n, ""
	case ChoiceField:
		for _, o := range fl.Options {
			if o == s {
				return s, ""
			}
		}
		return nil, "must be one of: " + strings.Join(fl.Options, ", ")
	case DateField:
		if _, err := time.Parse("2006-01-02", s); err != nil || len(s) != 10 {
			return nil, "must be a date written YYYY-MM-DD"
		}
		return s, ""
	case UserField:
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return nil, "must be a user id"
		}
		return id, ""
	case YesNoField:
		switch strings.ToLower(s) {
		case "true", "yes", "on":
			return true, ""
		case "false", "no", "off":
			return false, ""
		}
		return nil, "must be true or false"
	}
	return nil, "has a type this form does not know"
}

// Text is the canonical text of a stored answer: what show_when conditions
// compare with and what a page shows.
func Text(v any) string {
	switch x := v.(type) {
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	case json.Number:
		return x.String()
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}
