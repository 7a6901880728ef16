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

// ReadTxConns is how many read transactions run at once. The read pool
// holds this many connections beyond its places for single reads, so a
// transaction never takes one of those places: what it calls may read
// from the pool (an impact analysis inside a cost report) without waiting
// on itself.
const ReadTxConns = 4

// InReadTx runs fn in a read-only transaction on the read pool: a snapshot
// for reads that must agree with each other, such as a dry run that plans
// an import against the database without holding up other writers. When
// ReadTxConns transactions are running, it waits for one to end, in turn.
func (db *DB) InReadTx(ctx context.Context, fn func(rt *ReadTx) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if db.dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	if err := db.txTurns.take(ctx); err != nil {
		return err
	}
	defer db.txTurns.give()
	sqlTx, err := db.read.BeginTx(ctx, opts)
	if err != nil {
		return Translate(err)
	}
	defer sqlTx.Rollback()
	return fn(&ReadTx{db: db, tx: sqlTx})
}

func (t *ReadTx) Dialect() Dialect { return t.db.dialect }

// stmt returns the read statement already prepared for q, bound to this
// transaction, or nil. It prepares none: preparing takes a second
// connection from the pool while the transaction holds one, and with every
// connection held by such a transaction, none would come.
func (t *ReadTx) stmt(ctx context.Context, q string) *sql.Stmt {
	st, _ := t.db.stmts.get(false, q)
	if st == nil {
		return nil
	}
	return t.tx.StmtContext(ctx, st)
}

func (t *ReadTx) Query(ctx context.Context, q string, args ...any) (*Rows, error) {
	q = t.db.rebind(q)
	return queryRows(ctx, t.stmt(ctx, q), t.tx, q, args, nil)
}

func (t *ReadTx) QueryRow(ctx context.Context, q string, args ...any) *Row {
	q = t.db.rebind(q)
	return queryRow(ctx, t.stmt(ctx, q), t.tx, q, args, nil)
}

// Exec refuses: a read transaction writes nothing.
func (t *ReadTx) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return nil, ErrReadOnly
}
