package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

// Reads from the pool take turns in the order they asked.
//
// database/sql hands a freed connection to a random one of the callers
// waiting for it, so under load a read can lose that draw many times in a
// row: at 16 clients on a pool of 4, the slowest page in a hundred took
// five times as long as the median one (about three times now; see
// docs/BENCHMARKS.md). A read from the pool (DB.Query,
// DB.QueryRow) first takes one of the read queue's places, which are
// handed out first come, first served, and gives it back when its rows are
// closed or read to the end; there are exactly as many places as the pool
// has connections for reads, so a read holding a place finds a connection
// free at once, and the pool's own queue stays empty.
//
// A place is held for as long as a connection is, so a read must not wait
// for another while it holds one (a query run from inside an open result
// set): with every place held that way, none would come back. Read
// transactions have connections of their own (ReadTxConns), so the code
// they call may read from the pool. STEWARD_CHECK_NESTED_READS (below)
// finds reads that wait on themselves.

// turns hands out a fixed number of places, first come, first served.
type turns struct {
	mu    sync.Mutex
	free  int
	queue []chan struct{} // the callers waiting, first first; closed to hand one a place
}

// newTurns returns a queue with n places.
func newTurns(n int) *turns { return &turns{free: n} }

// take waits for a place, or until ctx ends.
func (t *turns) take(ctx context.Context) error {
	t.mu.Lock()
	if t.free > 0 && len(t.queue) == 0 {
		t.free--
		t.mu.Unlock()
		return nil
	}
	ready := make(chan struct{})
	t.queue = append(t.queue, ready)
	t.mu.Unlock()
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
	}
	t.mu.Lock()
	select {
	case <-ready: // handed a place meanwhile: pass it on
		t.mu.Unlock()
		t.give()
		return ctx.Err()
	default:
	}
	for i, c := range t.queue {
		if c == ready {
			t.queue = append(t.queue[:i], t.queue[i+1:]...)
			break
		}
	}
	t.mu.Unlock()
	return ctx.Err()
}

// give returns a place, to the first caller waiting if there is one.
func (t *turns) give() {
	t.mu.Lock()
	if len(t.queue) > 0 {
		close(t.queue[0])
		t.queue = t.queue[1:]
	} else {
		t.free++
	}
	t.mu.Unlock()
}

// waiting is how many callers wait for a place now.
func (t *turns) waiting() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.queue)
}

// takeTurn waits for a place in the read queue and returns the function
// that gives it back; that function may be called more than once.
func (db *DB) takeTurn(ctx context.Context) (func(), error) {
	var g uint64
	if nestedCheck {
		g = holding.enter()
	}
	if err := db.turns.take(ctx); err != nil {
		if nestedCheck {
			holding.leave(g)
		}
		return nil, err
	}
	given := false
	return func() {
		if !given {
			given = true
			db.turns.give()
			if nestedCheck {
				holding.leave(g)
			}
		}
	}, nil
}

// nestedCheck, set by STEWARD_CHECK_NESTED_READS=file (for the test
// suite), appends to that file every read from the pool made by a
// goroutine that already holds a place: with every place held that way,
// none would come back.
var nestedCheck = os.Getenv("STEWARD_CHECK_NESTED_READS") != ""

var holding = &holders{by: map[uint64]int{}}

type holders struct {
	mu sync.Mutex
	by map[uint64]int
}

func (h *holders) enter() uint64 {
	var head [64]byte // "goroutine N [running]:"
	f := strings.Fields(string(head[:runtime.Stack(head[:], false)]))
	g, _ := strconv.ParseUint(f[1], 10, 64)
	h.mu.Lock()
	h.by[g]++
	n := h.by[g]
	h.mu.Unlock()
	if n > 1 {
		buf := make([]byte, 64<<10)
		buf = buf[:runtime.Stack(buf, false)]
		if f, err := os.OpenFile(os.Getenv("STEWARD_CHECK_NESTED_READS"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			fmt.Fprintf(f, "NESTED READ (%d places):\n%s\n", n, buf)
			f.Close()
		}
	}
	return g
}

func (h *holders) leave(g uint64) {
	h.mu.Lock()
	if h.by[g]--; h.by[g] <= 0 {
		delete(h.by, g)
	}
	h.mu.Unlock()
}

// unprepared runs SQL as it is: the pool or a transaction.
type unprepared interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// queryRows runs q through st when it is prepared, else through un, and
// hands the rows done, which gives back their place in the read queue
// (nil outside it). A query that fails gives the place back at once.
func queryRows(ctx context.Context, st *sql.Stmt, un unprepared, q string, args []any, done func()) (*Rows, error) {
	var rows *sql.Rows
	var err error
	if st != nil {
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = un.QueryContext(ctx, q, args...)
	}
	if err != nil {
		if done != nil {
			done()
		}
		return nil, Translate(err)
	}
	return &Rows{Rows: rows, done: done}, nil
}

// queryRow is queryRows for one row.
func queryRow(ctx context.Context, st *sql.Stmt, un unprepared, q string, args []any, done func()) *Row {
	if st != nil {
		return &Row{row: st.QueryRowContext(ctx, args...), done: done}
	}
	return &Row{row: un.QueryRowContext(ctx, q, args...), done: done}
}

// Rows is a result set from Query: database/sql's rows, which give back
// their place in the read queue when closed or read to the end.
type Rows struct {
	*sql.Rows
	done func()
}

// Next advances to the next row; past the last one the rows are closed, as
// database/sql does, and their place in the read queue is given back.
func (r *Rows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.finish()
	return false
}

// Close closes the rows and gives back their place in the read queue.
func (r *Rows) Close() error {
	err := r.Rows.Close()
	r.finish()
	return err
}

func (r *Rows) finish() {
	if r.done != nil {
		r.done()
	}
}

// Row is the result of QueryRow: one row, read by Scan, which gives back
// its place in the read queue.
type Row struct {
	row  *sql.Row
	err  error // the query could not start (no place in the read queue)
	done func()
}

// Scan copies the row's columns into dest; with no row it returns
// sql.ErrNoRows, which ScanErr turns into ErrNotFound.
func (r *Row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	if r.done != nil {
		defer r.done()
	}
	return r.row.Scan(dest...)
}

// Err reports an error that stopped the query, without scanning the row.
func (r *Row) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.row.Err()
}
