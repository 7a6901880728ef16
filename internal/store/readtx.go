package store

import (
	"context"
	"database/sql"
	"errors"
)

// ErrReadOnly is returned by a write attempted inside a read transaction.
var ErrReadOnly = errors.New("write inside a read-only transaction")

// ReadTx is a read-only transaction: every query in it sees the database
// as it was at its first read, whatever other writers commit meanwhile.
// It takes no write lock: on SQLite (WAL) writers carry on beside it, and
// on PostgreSQL it holds no row locks.
type ReadTx struct {
	db *DB
	tx *sql.Tx
}

// InReadTx runs fn in a read-only transaction on the read pool: a snapshot
// for reads that must agree with each other, such as a dry run that plans
// an import against the database without holding up other writers.
func (db *DB) InReadTx(ctx context.Context, fn func(rt *ReadTx) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if db.dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	sqlTx, err := db.read.BeginTx(ctx, opts)
	if err != nil {
		return Translate(err)
	}
	defer sqlTx.Rollback()
	return fn(&ReadTx{db: db, tx: sqlTx})
}

func (t *ReadTx) Dialect() Dialect { return t.db.dialect }

func (t *ReadTx) stmt(ctx context.Context, q string) *sql.Stmt {
	st, err := t.db.stmt(ctx, t.db.read, q)
	if err != nil || st == nil {
		return nil
	}
	return t.tx.StmtContext(ctx, st)
}

func (t *ReadTx) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	q = t.db.rebind(q)
	if st := t.stmt(ctx, q); st != nil {
		rows, err := st.QueryContext(ctx, args...)
		return rows, Translate(err)
	}
	rows, err := t.tx.QueryContext(ctx, q, args...)
	return rows, Translate(err)
}

func (t *ReadTx) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	q = t.db.rebind(q)
	if st := t.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, q, args...)
}

// Exec refuses: a read transaction writes nothing.
func (t *ReadTx) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return nil, ErrReadOnly
}
