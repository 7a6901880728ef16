// Package store owns the database: opening SQLite or PostgreSQL, running the
// embedded migrations, transactions, and the few places where the two SQL
// dialects differ. Domain packages write plain SQL with `?` placeholders and
// run it through a Querier; the store rewrites placeholders for PostgreSQL.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect names the SQL engine behind a DB.
type Dialect int

const (
	SQLite Dialect = iota + 1
	Postgres
)

func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// Sentinel errors: drivers' errors are translated into these once, here.
var (
	ErrNotFound   = errors.New("not found")
	ErrConflict   = errors.New("conflict")
	ErrReferenced = errors.New("still referenced")
	ErrBusy       = errors.New("database busy")
)

// Options says where the database lives.
type Options struct {
	DataDir     string // SQLite: the folder holding steward.db
	DatabaseURL string // PostgreSQL URL; wins over DataDir when set
	ReadConns   int    // size of the read pool (SQLite: twice the processors, at least 4, when 0); PostgreSQL's pool holds twice this (8 when 0), plus Writers
	// Synchronous is SQLite's synchronous setting: "normal" (or "") syncs
	// the write-ahead log at checkpoints, so a power loss may lose the
	// last commits but never corrupts the database; "full" syncs it at
	// every commit, so no committed write is lost.
	Synchronous string
	// Writers is how many shared transactions (see InTxShared) run at
	// once on PostgreSQL; 0 means DefaultWriters. SQLite has one write
	// connection, so one.
	Writers int
}

// DefaultWriters is how many shared transactions run at once on
// PostgreSQL unless Options.Writers says otherwise.
const DefaultWriters = 2

// DB is the handle every domain package uses. Reads go to a pool of
// connections; writes go through Tx, which on SQLite is a single connection
// that begins with BEGIN IMMEDIATE so writers queue instead of failing busy.
type DB struct {
	dialect Dialect
	write   *sql.DB
	read    *sql.DB
	path    string
	rebinds sync.Map
	stmts   stmtCache
	turns   *turns // places in the read queue (see newTurns)
	txTurns *turns // read transactions running (see InReadTx)

	// Counters for /metrics: statements run and write transactions
	// committed, so a benchmark can tell the cost of one request.
	statements atomic.Int64
	commits    atomic.Int64

	// Group commit (see InTxShared).
	batch     chan batchReq
	quit      chan struct{}
	batchDone chan struct{} // closed once every writer has stopped

	// SQLite only: the connection that checkpoints the write-ahead log
	// (see runCheckpoints).
	checkpointer   *sql.DB
	checkpointDone chan struct{}
	// checkpointedThrough is the commit count up to which the log has
	// been copied into the database file completely.
	checkpointedThrough atomic.Int64
}

// stmtCache keeps prepared statements by SQL text: parsing SQL costs more
// than running most of Steward's statements. database/sql prepares each
// statement lazily on every connection that runs it.
type stmtCache struct {
	mu      sync.Mutex
	read    map[string]*sql.Stmt
	write   map[string]*sql.Stmt
	pending map[string]bool // write statements first seen inside a transaction
}

// maxCachedStmts bounds each map; lists with many filter combinations
// produce many SQL texts, and the rarest need no cache.
const maxCachedStmts = 400

func (c *stmtCache) get(write bool, q string) (*sql.Stmt, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.read
	if write {
		m = c.write
	}
	st, ok := m[q]
	return st, ok || len(m) >= maxCachedStmts
}

func (c *stmtCache) put(write bool, q string, st *sql.Stmt) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := &c.read
	if write {
		m = &c.write
	}
	if *m == nil {
		*m = map[string]*sql.Stmt{}
	}
	if old, ok := (*m)[q]; ok {
		st.Close()
		return old
	}
	(*m)[q] = st
	return st
}

// stmt returns the cached statement for q on pool, preparing it when it is
// new. It never holds the cache lock while preparing: a prepare may wait for
// a connection.
func (db *DB) stmt(ctx context.Context, pool *sql.DB, q string) (*sql.Stmt, error) {
	write := pool == db.write
	if st, known := db.stmts.get(write, q); known {
		return st, nil
	}
	st, err := pool.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	return db.stmts.put(write, q, st), nil
}

// notePending remembers a write statement seen inside a transaction, to be
// prepared once the transaction has let go of the write connection.
func (db *DB) notePending(q string) {
	db.stmts.mu.Lock()
	if db.stmts.pending == nil {
		db.stmts.pending = map[string]bool{}
	}
	if len(db.stmts.pending) < maxCachedStmts {
		db.stmts.pending[q] = true
	}
	db.stmts.mu.Unlock()
}

func (db *DB) preparePending(ctx context.Context) {
	db.stmts.mu.Lock()
	pending := db.stmts.pending
	db.stmts.pending = nil
	db.stmts.mu.Unlock()
	for q := range pending {
		if _, err := db.stmt(ctx, db.write, q); err != nil {
			return // not worth failing for; the statement runs unprepared
		}
	}
}

// WriterCacheKiB is the SQLite writer's page cache.
const WriterCacheKiB = 32000

// SetCacheSize sets the SQLite writer's page cache for what follows; a
// large blob written through a small cache does not stay in memory after
// the commit. It runs on the transaction's own connection, never through
// the statement cache: SQLite applies a cache_size when the statement is
// compiled. PostgreSQL has nothing to set.
func (t *Tx) SetCacheSize(ctx context.Context, kib int) error {
	if t.db.dialect != SQLite {
		return nil
	}
	_, err := t.tx.ExecContext(ctx, "PRAGMA cache_size = -"+strconv.Itoa(kib))
	return err
}

// DBFile is the name of the SQLite database inside the data folder.
const DBFile = "steward.db"

// Open connects to the database named by opts. It does not migrate.
func Open(ctx context.Context, opts Options) (*DB, error) {
	if opts.DatabaseURL != "" {
		if opts.ReadConns <= 0 {
			opts.ReadConns = 8
		}
		return openPostgres(ctx, opts)
	}
	if opts.ReadConns <= 0 {
		opts.ReadConns = sqliteReadConns()
	}
	return openSQLite(ctx, opts)
}

// sqliteReadConns is the read pool's size on SQLite when none is set:
// twice the processors Go may use, and at least 4. A SQLite read runs on
// the node's own processors, so more connections than that only share
// them among more queries at once; and database/sql gives a freed
// connection to a random waiter, so a longer queue in front of the pool
// is fairer than more queries behind it. At 16 clients on two
// processors, 4 connections kept the slowest queue's 99th percentile 11
// to 25 ms lower than 8 did (docs/BENCHMARKS.md).
func sqliteReadConns() int { return max(4, 2*runtime.GOMAXPROCS(0)) }

func openSQLite(ctx context.Context, opts Options) (*DB, error) {
	dir := opts.DataDir
	if dir == "" {
		dir = "steward-data"
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	path := filepath.Join(dir, DBFile)
	sync := "NORMAL"
	switch opts.Synchronous {
	case "", "normal":
	case "full":
		sync = "FULL"
	default:
		return nil, fmt.Errorf("sqlite synchronous must be normal or full, not %q", opts.Synchronous)
	}
	// busy_timeout must come first so the other pragmas never fail busy.
	// Page caches: 32 MB for the writer, 8 MB for each reader, so a full
	// read pool stays well inside the memory a small server has.
	base := "file:" + (&url.URL{Path: path}).EscapedPath() + "?_pragma=busy_timeout(10000)" +
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(" + sync + ")&_pragma=foreign_keys(1)" +
		"&_pragma=temp_store(MEMORY)" // statement journals and sorts stay off disk
	write, err := sql.Open("sqlite", base+"&_pragma=cache_size(-"+strconv.Itoa(WriterCacheKiB)+")&_txlock=immediate"+
		"&_pragma=wal_autocheckpoint(0)&_pragma=journal_size_limit("+strconv.Itoa(walSizeLimit)+")")
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	read, err := sql.Open("sqlite", base+"&_pragma=cache_size(-8000)&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(opts.ReadConns + ReadTxConns)
	read.SetMaxIdleConns(opts.ReadConns)
	checkpointer, err := openCheckpointer(base)
	if err != nil {
		write.Close()
		read.Close()
		return nil, err
	}
	db := &DB{dialect: SQLite, write: write, read: read, path: path, turns: newTurns(opts.ReadConns), txTurns: newTurns(ReadTxConns),
		batch: make(chan batchReq), quit: make(chan struct{}), batchDone: make(chan struct{}),
		checkpointer: checkpointer, checkpointDone: make(chan struct{})}
	db.startWriters(1)
	go db.runCheckpoints()
	return db, nil
}

func openPostgres(ctx context.Context, opts Options) (*DB, error) {
	db, err := sql.Open("pgx", opts.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("database url: %w", err)
	}
	writers := opts.Writers
	if writers <= 0 {
		writers = DefaultWriters
	}
	// The writers hold a connection each for a whole transaction; the
	// rest of the pool stays for reads and single writes.
	db.SetMaxOpenConns(opts.ReadConns*2 + writers + ReadTxConns)
	db.SetMaxIdleConns(opts.ReadConns*2 + writers)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	pg := &DB{dialect: Postgres, write: db, read: db, turns: newTurns(opts.ReadConns * 2), txTurns: newTurns(ReadTxConns),
		batch: make(chan batchReq), quit: make(chan struct{}), batchDone: make(chan struct{})}
	pg.startWriters(writers)
	return pg, nil
}

// Dialect reports which engine this is.
func (db *DB) Dialect() Dialect { return db.dialect }

// Path is the SQLite file path ("" on PostgreSQL).
func (db *DB) Path() string { return db.path }

// Close closes every connection.
func (db *DB) Close() error {
	if db.quit != nil {
		select {
		case <-db.quit:
		default:
			close(db.quit)
		}
		<-db.batchDone
		if db.checkpointDone != nil {
			<-db.checkpointDone
		}
	}
	db.stmts.mu.Lock()
	for _, m := range []map[string]*sql.Stmt{db.stmts.read, db.stmts.write} {
		for _, st := range m {
			st.Close()
		}
	}
	db.stmts.read, db.stmts.write = nil, nil
	db.stmts.mu.Unlock()
	var err error
	if db.checkpointer != nil {
		err = db.checkpointer.Close()
	}
	if werr := db.write.Close(); err == nil {
		err = werr
	}
	if db.read != db.write {
		if rerr := db.read.Close(); err == nil {
			err = rerr
		}
	}
	return err
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Querier runs SQL written with `?` placeholders. DB (reads) and Tx implement it.
type Querier interface {
	Query(ctx context.Context, query string, args ...any) (*Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) *Row
	Exec(ctx context.Context, query string, args ...any) (sql.Result, error)
	Dialect() Dialect
}

// rebind turns `?` placeholders into `$1, $2, ...` for PostgreSQL. Question
// marks inside single-quoted literals are left alone.
func (db *DB) rebind(q string) string {
	db.statements.Add(1)
	if db.dialect != Postgres {
		return q
	}
	if v, ok := db.rebinds.Load(q); ok {
		return v.(string)
	}
	var b strings.Builder
	n, inStr := 0, false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			inStr = !inStr
			b.WriteByte(c)
		case c == '?' && !inStr:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	out := b.String()
	db.rebinds.Store(q, out)
	return out
}

// Query runs a read on the pool, in its turn (see newTurns).
func (db *DB) Query(ctx context.Context, q string, args ...any) (*Rows, error) {
	q = db.rebind(q)
	done, err := db.takeTurn(ctx)
	if err != nil {
		return nil, err
	}
	st, err := db.stmt(ctx, db.read, q)
	if err != nil {
		done()
		return nil, Translate(err)
	}
	return queryRows(ctx, st, db.read, q, args, done)
}

// QueryRow runs a read of one row on the pool, in its turn.
func (db *DB) QueryRow(ctx context.Context, q string, args ...any) *Row {
	q = db.rebind(q)
	done, err := db.takeTurn(ctx)
	if err != nil {
		return &Row{err: err}
	}
	st, _ := db.stmt(ctx, db.read, q) // unprepared, it fails the same way at Scan
	return queryRow(ctx, st, db.read, q, args, done)
}

// Exec runs a single write statement in its own transaction.
func (db *DB) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	q = db.rebind(q)
	if st, err := db.stmt(ctx, db.write, q); err != nil {
		return nil, Translate(err)
	} else if st != nil {
		res, err := st.ExecContext(ctx, args...)
		return res, Translate(err)
	}
	res, err := db.write.ExecContext(ctx, q, args...)
	return res, Translate(err)
}

// Tx is a write transaction.
type Tx struct {
	db         *DB
	tx         *sql.Tx
	collected  []*collection
	savepoints map[string][]int // rows collected when each savepoint began
	kept       map[any]any
	locks      map[int64]bool // advisory locks held (AdvisoryLock)
	shared     bool
}

func (t *Tx) Dialect() Dialect { return t.db.dialect }

// txStmt returns the cached statement bound to this transaction, or nil
// when it is not cached yet (the transaction holds the only write
// connection on SQLite, so it cannot be prepared on the pool now).
func (t *Tx) txStmt(ctx context.Context, q string) (*sql.Stmt, error) {
	st, known := t.db.stmts.get(true, q)
	if st == nil {
		if !known {
			t.db.notePending(q)
		}
		return nil, nil
	}
	return t.tx.StmtContext(ctx, st), nil
}

func (t *Tx) Query(ctx context.Context, q string, args ...any) (*Rows, error) {
	q = t.db.rebind(q)
	st, err := t.txStmt(ctx, q)
	if err != nil {
		return nil, Translate(err)
	}
	return queryRows(ctx, st, t.tx, q, args, nil)
}

func (t *Tx) QueryRow(ctx context.Context, q string, args ...any) *Row {
	q = t.db.rebind(q)
	st, _ := t.txStmt(ctx, q)
	return queryRow(ctx, st, t.tx, q, args, nil)
}

func (t *Tx) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	q = t.db.rebind(q)
	if st, err := t.txStmt(ctx, q); err != nil {
		return nil, Translate(err)
	} else if st != nil {
		res, err := st.ExecContext(ctx, args...)
		return res, Translate(err)
	}
	res, err := t.tx.ExecContext(ctx, q, args...)
	return res, Translate(err)
}

// InTx runs fn in a write transaction, committing when fn returns nil.
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	return db.inTx(ctx, false, fn)
}

func (db *DB) inTx(ctx context.Context, shared bool, fn func(tx *Tx) error) error {
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return Translate(err)
	}
	tx := &Tx{db: db, tx: sqlTx, shared: shared}
	defer db.preparePending(context.WithoutCancel(ctx))
	if err := fn(tx); err != nil {
		sqlTx.Rollback()
		return err
	}
	if err := tx.flushCollected(ctx); err != nil {
		sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return Translate(err)
	}
	db.commits.Add(1)
	return nil
}

// Counts are what a DB has done since it opened, and how many reads are
// waiting now.
type Counts struct {
	Statements   int64 // SQL statements run, reads and writes
	Commits      int64 // write transactions committed
	ReadsWaiting int64 // reads waiting for their turn on the read pool
}

// Counts reports what the DB has done since it opened.
func (db *DB) Counts() Counts {
	return Counts{Statements: db.statements.Load(), Commits: db.commits.Load(), ReadsWaiting: int64(db.turns.waiting())}
}

// Translate maps driver errors onto the package's sentinels; other errors
// pass through unchanged.
func Translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %s", ErrConflict, se.Error())
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%w: %s", ErrReferenced, se.Error())
		}
		if se.Code()&0xff == sqlite3.SQLITE_BUSY {
			return fmt.Errorf("%w: %s", ErrBusy, se.Error())
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return fmt.Errorf("%w: %s", ErrConflict, pe.Message)
		case "23503":
			return fmt.Errorf("%w: %s", ErrReferenced, pe.Message)
		}
	}
	return err
}

// Row scanning errors come back from (*Row).Scan, which the caller runs;
// ScanErr translates them.
func ScanErr(err error) error { return Translate(err) }

// Optimize refreshes the query planner's statistics where they are stale
// (SQLite; PostgreSQL's autovacuum does this itself). analysis_limit keeps
// the cost bounded on large tables.
func (db *DB) Optimize(ctx context.Context) error {
	if db.dialect != SQLite {
		return nil
	}
	_, err := db.write.ExecContext(ctx, "PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002")
	return err
}
