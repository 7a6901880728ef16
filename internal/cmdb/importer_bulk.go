package cmdb

import (
	"context"
	"strings"

	"steward/internal/store"
)

// importBulk gathers rows for one table and writes them with multi-row
// INSERTs. Statements hold 512 rows, and the rest is written in halving
// sizes, so only a handful of distinct statements ever exist.
type importBulk struct {
	head   string // INSERT INTO t (a, b) VALUES
	tail   string // ON CONFLICT ... or RETURNING ...
	cols   int
	rows   int
	args   []any
	sqlFor map[int]string
}

const importStmtRows = 512

func newImportBulk(table string, cols ...string) *importBulk {
	return &importBulk{head: "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ",
		cols: len(cols), sqlFor: map[int]string{}}
}

func (b *importBulk) add(vals ...any) {
	b.args = append(b.args, vals...)
	b.rows++
}

func (b *importBulk) statement(n int) string {
	if q, ok := b.sqlFor[n]; ok {
		return q
	}
	row := "(" + importMarks(b.cols) + ")"
	var sb strings.Builder
	sb.WriteString(b.head)
	for i := 0; i < n; i++ {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(row)
	}
	sb.WriteString(b.tail)
	b.sqlFor[n] = sb.String()
	return b.sqlFor[n]
}

// parts splits the gathered rows into statement sizes.
func (b *importBulk) parts() []int {
	var out []int
	left := b.rows
	for size := importStmtRows; left > 0; {
		if left >= size {
			out = append(out, size)
			left -= size
		} else {
			size /= 2
		}
	}
	return out
}

// flush writes and forgets the gathered rows.
func (b *importBulk) flush(ctx context.Context, tx *store.Tx) error {
	return b.flushReturning(ctx, tx, nil)
}

// flushReturning writes the rows and hands each row a RETURNING clause
// gives back to scan.
func (b *importBulk) flushReturning(ctx context.Context, tx *store.Tx, scan func(*store.Rows) error) error {
	at := 0
	for _, n := range b.parts() {
		args := b.args[at*b.cols : (at+n)*b.cols]
		at += n
		if scan == nil {
			if _, err := tx.Exec(ctx, b.statement(n), args...); err != nil {
				return err
			}
			continue
		}
		rows, err := tx.Query(ctx, b.statement(n), args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := scan(rows); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return store.Translate(err)
		}
	}
	b.reset()
	return nil
}

// reset forgets the gathered rows.
func (b *importBulk) reset() {
	clear(b.args)
	b.args, b.rows = b.args[:0], 0
}
