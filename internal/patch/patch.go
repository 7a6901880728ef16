// Package patch provides the optional-field type that PATCH bodies decode
// into, telling apart a field that is absent, set to null, or set to a value.
package patch

import (
	"bytes"
	"encoding/json"
)

// Field is an optional, nullable JSON value.
type Field[T any] struct {
	Set  bool // the key was present
	Null bool // the key was present with null
	V    T
}

// Of returns a Field set to v.
func Of[T any](v T) Field[T] { return Field[T]{Set: true, V: v} }

// UnmarshalJSON records presence; encoding/json calls it only for present keys.
func (f *Field[T]) UnmarshalJSON(b []byte) error {
	f.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		f.Null = true
		var zero T
		f.V = zero
		return nil
	}
	return json.Unmarshal(b, &f.V)
}

// Ptr returns nil when the field is absent or null, else a pointer to the value.
func (f Field[T]) Ptr() *T {
	if !f.Set || f.Null {
		return nil
	}
	v := f.V
	return &v
}
