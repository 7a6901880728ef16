// Package domainerr holds the errors domain code returns and the API and web
// layers translate: validation failures with per-field messages, conflicts,
// stale versions and refusals. Domain packages never speak HTTP; the one
// mapping to status codes lives in api.
package domainerr

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"steward/internal/store"
)

// Sentinels, besides store.ErrNotFound and store.ErrConflict which domain
// code passes through.
var (
	ErrForbidden = errors.New("forbidden")
	ErrStale     = errors.New("the record was changed by someone else; reload and try again")
	ErrNotFound  = store.ErrNotFound
	ErrConflict  = store.ErrConflict
)

// Invalid collects per-field validation messages.
type Invalid struct {
	Message string
	Fields  map[string]string
}

// NewInvalid starts an empty collection.
func NewInvalid() *Invalid { return &Invalid{Fields: map[string]string{}} }

// Add records a message for a field; the first message for a field wins.
func (v *Invalid) Add(field, format string, args ...any) {
	if _, ok := v.Fields[field]; !ok {
		v.Fields[field] = fmt.Sprintf(format, args...)
	}
}

// Has reports whether field already has a message.
func (v *Invalid) Has(field string) bool { _, ok := v.Fields[field]; return ok }

// Err returns v as an error when it holds any message, else nil.
func (v *Invalid) Err() error {
	if len(v.Fields) == 0 && v.Message == "" {
		return nil
	}
	return v
}

func (v *Invalid) Error() string {
	if v.Message != "" && len(v.Fields) == 0 {
		return v.Message
	}
	keys := make([]string, 0, len(v.Fields))
	for k := range v.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + v.Fields[k]
	}
	msg := v.Message
	if msg == "" {
		msg = "validation failed"
	}
	return msg + " (" + strings.Join(parts, "; ") + ")"
}

// Field builds a one-field validation error.
func Field(field, format string, args ...any) error {
	v := NewInvalid()
	v.Add(field, format, args...)
	return v
}

// Conflict is a 409 with a message the user can act on.
type Conflict struct{ Message string }

func (c *Conflict) Error() string { return c.Message }
func (c *Conflict) Unwrap() error { return store.ErrConflict }

// Conflictf builds a Conflict.
func Conflictf(format string, args ...any) error {
	return &Conflict{Message: fmt.Sprintf(format, args...)}
}

// Refused is a 403 with a message saying why this person may not do this,
// for refusals that a role alone does not explain (such as deciding on a
// request one submitted).
type Refused struct{ Message string }

func (r *Refused) Error() string { return r.Message }
func (r *Refused) Unwrap() error { return ErrForbidden }

// Refusedf builds a Refused.
func Refusedf(format string, args ...any) error {
	return &Refused{Message: fmt.Sprintf(format, args...)}
}

// Limits shared by every text input.
const (
	MaxName  = 200
	MaxTitle = 200
	MaxText  = 20000
	MaxShort = 100
)

// Text validates a free-text field's length and emptiness.
func Text(v *Invalid, field, value string, required bool, max int) {
	switch {
	case required && strings.TrimSpace(value) == "":
		v.Add(field, "is required")
	case len([]rune(value)) > max:
		v.Add(field, "must be at most %d characters", max)
	case strings.ContainsRune(value, 0):
		v.Add(field, "must not contain NUL characters")
	}
}
