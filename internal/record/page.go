package record

import (
	"encoding/base64"
	"encoding/json"

	"steward/internal/domainerr"
)

// Page is one page of a keyset-paged list: its items and the cursor of
// the next page, "" on the last one.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// Cursor is the keyset position after the last row of a page: the value
// of the sort column and the id, for the sort it was issued for.
type Cursor struct {
	Sort string `json:"s"`
	Val  string `json:"v"`
	ID   int64  `json:"i"`
}

// ErrBadCursor is returned for a cursor that was not issued for this sort.
var ErrBadCursor = domainerr.Field("cursor", "is not a cursor from a previous page of this list")

// Encode writes the cursor for a link.
func (c Cursor) Encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a cursor, refusing one issued for another sort.
func DecodeCursor(s, sort string) (Cursor, error) {
	var c Cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 200 || json.Unmarshal(b, &c) != nil || c.Sort != sort || c.ID <= 0 {
		return c, ErrBadCursor
	}
	return c, nil
}
