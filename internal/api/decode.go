package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// MaxBody caps a JSON request body.
const MaxBody = 1 << 20

// decode reads one JSON object into v, refusing unknown fields, repeated
// keys, trailing data, wrong types, text that is not UTF-8 and oversize
// bodies with messages a client can act on.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return &malformed{msg: "Content-Type must be application/json"}
		}
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		return jsonError(err)
	}
	var textFault error
	if err := checkJSON(raw); err != nil {
		var bad *malformed
		if errors.As(err, &bad) {
			return err
		}
		textFault = err // after the faults that make the body unreadable
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err, raw, reflect.TypeOf(v))
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return &malformed{msg: "request body must hold a single JSON object"}
	}
	return textFault
}

func jsonError(err error) error { return decodeError(err, nil, nil) }

// timeHint is what a time field that cannot be read must look like.
const timeHint = "must be an RFC 3339 time such as 2026-12-05T10:00:00Z"

// decodeError explains a decoding error of raw into a value of type
// target, naming the field as the client wrote it: the JSON path, without
// the Go names of embedded structs. raw and target may be nil.
func decodeError(err error, raw []byte, target reflect.Type) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var mbe *http.MaxBytesError
	var pe *time.ParseError
	switch {
	case errors.As(err, &pe), strings.Contains(err.Error(), "Time.UnmarshalJSON"):
		field := ""
		if pe != nil {
			field = stringValuePath(raw, pe.Value)
		}
		if field == "" {
			return &malformed{msg: "a time " + timeHint}
		}
		return &malformed{msg: field + ": " + timeHint, fields: map[string]string{field: timeHint}}
	case errors.As(err, &mbe):
		return &tooLarge{limit: MaxBody}
	case errors.Is(err, io.EOF):
		return &malformed{msg: "request body is empty; send a JSON object"}
	case errors.As(err, &syn):
		return &malformed{msg: fmt.Sprintf("malformed JSON at byte %d", syn.Offset)}
	case errors.As(err, &typ):
		field, inMap := jsonPath(target, typ.Field, typ.Type)
		if field == "" {
			return &malformed{msg: "request body must be a JSON object"}
		}
		want := "must be " + jsonKind(typ.Type.Kind().String())
		if inMap {
			want = "must be an object of " + plural(jsonKind(typ.Type.Kind().String()))
		}
		return &malformed{msg: field + ": " + want, fields: map[string]string{field: want}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &malformed{msg: "unknown field " + name, fields: map[string]string{name: "is not a known field"}}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &malformed{msg: "malformed JSON: unexpected end of body"}
	default:
		return &malformed{msg: "malformed JSON: " + err.Error()}
	}
}

func jsonKind(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"), strings.HasPrefix(k, "float"):
		return "a number"
	case k == "string":
		return "a string"
	case k == "bool":
		return "true or false"
	case k == "slice":
		return "a list"
	case k == "map", k == "struct":
		return "an object"
	}
	return "of another type"
}

// query reads query parameters, collecting a message per bad one.
type query struct {
	r      *http.Request
	fields map[string]string
}

func newQuery(r *http.Request, known ...string) *query {
	q := &query{r: r, fields: map[string]string{}}
	allowed := map[string]bool{}
	for _, k := range known {
		allowed[k] = true
	}
	for k, vs := range r.URL.Query() {
		if !allowed[k] {
			q.fields[k] = "is not a known parameter"
		} else if len(vs) > 1 {
			q.fields[k] = "must be given once (use commas for several values)"
		}
	}
	return q
}

func (q *query) str(name string, max int) string {
	v := q.r.URL.Query().Get(name)
	if len(v) > max {
		q.fields[name] = fmt.Sprintf("must be at most %d characters", max)
		return ""
	}
	return v
}

func (q *query) list(name string) []string {
	v := q.str(name, 1000)
	if v == "" {
		return nil
	}
	parts := strings.Split(v, ",")
	if len(parts) > 50 {
		q.fields[name] = "at most 50 values"
		return nil
	}
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

func (q *query) int64(name string) int64 {
	v := q.r.URL.Query().Get(name)
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		q.fields[name] = "must be a positive whole number"
		return 0
	}
	return n
}

func (q *query) boolean(name string) *bool {
	v := q.r.URL.Query().Get(name)
	if v == "" {
		return nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		q.fields[name] = "must be true or false"
		return nil
	}
	return &b
}

func (q *query) time(name string) time.Time {
	v := q.r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		if d, derr := time.Parse("2006-01-02", v); derr == nil {
			return d
		}
		q.fields[name] = "must be an RFC 3339 time (2026-01-31T09:00:00Z) or a date (2026-01-31)"
		return time.Time{}
	}
	return t
}

func (q *query) limit() int {
	v := q.r.URL.Query().Get("limit")
	if v == "" {
		return 50
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 200 {
		q.fields["limit"] = "must be a whole number from 1 to 200"
		return 50
	}
	return n
}

func (q *query) err() error {
	if len(q.fields) == 0 {
		return nil
	}
	return &malformed{msg: "some query parameters are not valid", fields: q.fields}
}

// etag is the entity tag of a record at a version.
func etag(version int) string { return `"v` + strconv.Itoa(version) + `"` }

// notModified tags the answer with version and, when the client already
// holds that version (If-None-Match), answers 304 and reports true.
func notModified(w http.ResponseWriter, r *http.Request, version int) bool {
	tag := etag(version)
	w.Header().Set("ETag", tag)
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, tag) {
		w.WriteHeader(http.StatusNotModified)
		return true
	}
	return false
}

// ifMatch returns the version named by If-Match, 0 when absent or "*", and
// -1 when it names no version this server issued (so the update fails 412).
func ifMatch(r *http.Request) int {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return 0
	}
	h = strings.TrimPrefix(h, "W/")
	h = strings.Trim(h, `"`)
	if !strings.HasPrefix(h, "v") {
		return -1
	}
	n, err := strconv.Atoi(h[1:])
	if err != nil || n <= 0 {
		return -1
	}
	return n
}

func pathID(r *http.Request, name string) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || n <= 0 {
		return 0, &malformed{msg: name + " in the path must be a positive whole number"}
	}
	return n, nil
}

// jsonPath turns the Go-side path encoding/json reports for a type error
// ("Config.mapping.fields") into the JSON path the client wrote
// ("mapping.fields"), dropping the names of embedded structs. inMap
// reports that the wrong value sits inside a map (a label's value).
func jsonPath(target reflect.Type, field string, got reflect.Type) (path string, inMap bool) {
	if field == "" || target == nil {
		return field, false
	}
	var out []string
	t := target
	for _, part := range strings.Split(field, ".") {
		for t != nil && t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t != nil && t.Kind() == reflect.Struct {
			if sf, ok := t.FieldByName(part); ok && sf.Anonymous && jsonName(sf) == "" {
				t = sf.Type
				continue
			}
			t = fieldByJSONName(t, part)
		} else {
			t = nil
		}
		out = append(out, part)
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return strings.Join(out, "."), t != nil && t.Kind() == reflect.Map && t.Elem() == got
}

// jsonName is a struct field's JSON key from its tag, "" when untagged.
func jsonName(sf reflect.StructField) string {
	name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
	return name
}

// fieldByJSONName finds the type of the field written key in JSON,
// looking into embedded structs.
func fieldByJSONName(t reflect.Type, key string) reflect.Type {
	for i := range t.NumField() {
		sf := t.Field(i)
		if name := jsonName(sf); name == key || (name == "" && strings.EqualFold(sf.Name, key)) {
			return sf.Type
		}
		if sf.Anonymous && jsonName(sf) == "" {
			et := sf.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				if ft := fieldByJSONName(et, key); ft != nil {
					return ft
				}
			}
		}
	}
	return nil
}

func plural(kind string) string {
	switch kind {
	case "a string":
		return "strings"
	case "a number":
		return "numbers"
	case "a list":
		return "lists"
	case "an object":
		return "objects"
	}
	return "values " + kind
}

// stringValuePath finds where in raw the string value sits (the first
// place, as a path such as "rules[2].until"), so an error that names only
// a value, such as a time that cannot be parsed, can name its field.
func stringValuePath(raw []byte, value string) string {
	var doc any
	if len(raw) == 0 || json.Unmarshal(raw, &doc) != nil {
		return ""
	}
	var find func(v any, at string) (string, bool)
	find = func(v any, at string) (string, bool) {
		switch x := v.(type) {
		case string:
			return at, x == value
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				p := k
				if at != "" {
					p = at + "." + k
				}
				if got, ok := find(x[k], p); ok {
					return got, true
				}
			}
		case []any:
			for i, e := range x {
				if got, ok := find(e, fmt.Sprintf("%s[%d]", at, i)); ok {
					return got, true
				}
			}
		}
		return "", false
	}
	p, _ := find(doc, "")
	return p
}
