package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
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
		return jsonError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return &malformed{msg: "request body must hold a single JSON object"}
	}
	return textFault
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return &tooLarge{limit: MaxBody}
	case errors.Is(err, io.EOF):
		return &malformed{msg: "request body is empty; send a JSON object"}
	case errors.As(err, &syn):
		return &malformed{msg: fmt.Sprintf("malformed JSON at byte %d", syn.Offset)}
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return &malformed{msg: "request body must be a JSON object"}
		}
		return &malformed{msg: "wrong type for " + field, fields: map[string]string{field: "must be " + jsonKind(typ.Type.Kind().String())}}
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

func (q *query) int64s(name string) []int64 {
	var out []int64
	for _, s := range q.list(name) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			q.fields[name] = "must be positive whole numbers separated by commas"
			return nil
		}
		out = append(out, n)
	}
	return out
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
