package store

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// timeLayout is fixed-width so that SQLite's text comparison orders instants
// correctly; PostgreSQL parses it into timestamptz.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// TS formats an instant for use as a query argument, in UTC.
func TS(t time.Time) string { return t.UTC().Format(timeLayout) }

// NullTS is TS for optional instants: the zero time becomes NULL.
func NullTS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return TS(t)
}

// Time scans a timestamp column from either engine. A NULL scans to the zero time.
type Time struct{ time.Time }

func (t *Time) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		t.Time = time.Time{}
	case time.Time:
		t.Time = v.UTC()
	case string:
		return t.parse(v)
	case []byte:
		return t.parse(string(v))
	default:
		return fmt.Errorf("store.Time: cannot scan %T", src)
	}
	return nil
}

func (t *Time) parse(s string) error {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05"} {
		if p, err := time.Parse(layout, s); err == nil {
			t.Time = p.UTC()
			return nil
		}
	}
	return fmt.Errorf("store.Time: cannot parse %q", s)
}

// Value lets a Time be passed back as an argument.
func (t Time) Value() (driver.Value, error) {
	if t.IsZero() {
		return nil, nil
	}
	return TS(t.Time), nil
}

// Ptr is the instant, or nil for NULL (the zero time).
func (t Time) Ptr() *time.Time {
	if t.IsZero() {
		return nil
	}
	v := t.Time
	return &v
}

// OptTS is TS for an instant that may be absent: nil becomes NULL.
func OptTS(t *time.Time) any {
	if t == nil {
		return nil
	}
	return TS(*t)
}

// OptDate is a YYYY-MM-DD column's value: NULL for an empty date.
func OptDate(d string) any {
	if d == "" {
		return nil
	}
	return d
}
