package record

import (
	"steward/internal/store"
)

// OneOf is the condition that col holds one of vals, for a list filter
// checked row by row during the walk of the list's sort index, and its
// arguments.
//
// On SQLite the column is written "+col", a form no index can serve, so
// that the walk of the sort index checks it. On PostgreSQL the values are
// one array parameter ("col = ANY(?)"): a prepared statement with plain
// parameters there is planned afresh on every run whenever the plan for
// unknown values looks dearer than the one for the values given (a large
// group, say), and planning a list costs more than running it; with an
// array PostgreSQL settles on one plan, and a filter is one statement
// whatever the number of values. The column stays plain: PostgreSQL plans
// from column statistics, which an expression would hide.
func OneOf(d store.Dialect, col string, vals []any) (string, []any) {
	if d == store.Postgres {
		return col + " = ANY(?)", []any{array(vals)}
	}
	return In("+"+col, len(vals)), vals
}

// Walked is col in a form no SQLite index can serve, so that a filter on
// it is checked during the walk of the list's sort index. PostgreSQL gets
// the plain column: it plans from column statistics, which an expression
// would hide (it then guesses one matching row and sorts a full scan).
func Walked(d store.Dialect, col string) string {
	if d == store.SQLite {
		return "+" + col
	}
	return col
}

// array is vals, all of one type (string, int or int64), as the array
// PostgreSQL binds for them.
func array(vals []any) any {
	switch vals[0].(type) {
	case string:
		return typed[string](vals, func(v any) string { return v.(string) })
	case int:
		return typed[int32](vals, func(v any) int32 { return int32(v.(int)) })
	}
	return typed[int64](vals, func(v any) int64 { return v.(int64) })
}

func typed[T any](vals []any, conv func(any) T) []T {
	out := make([]T, len(vals))
	for i, v := range vals {
		out[i] = conv(v)
	}
	return out
}
