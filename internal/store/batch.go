package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// ErrClosed is returned for work handed to a closed database.
var ErrClosed = errors.New("database is closed")

// maxBatch bounds how many callers share one transaction.
const maxBatch = 64

type batchReq struct {
	ctx  context.Context
	fn   func(tx *Tx) error
	done chan error
}

// InTxShared runs fn like InTx, but it may share one transaction with
// other callers who are waiting at the same moment (group commit): one
// commit, one write-ahead-log flush, for all of them. Audited writes are
// serialised at commit on both engines (the audit chain has one head), so
// sharing the commit is where throughput comes from. If any fn of a batch
// fails, or the commit does, the batch is rolled back and each fn runs
// again in a transaction of its own, so one caller's error never reaches
// another; fn must therefore be safe to run twice. InTxShared returns nil
// only after fn's writes have committed. On PostgreSQL several such
// transactions run at once (Options.Writers).
func (db *DB) InTxShared(ctx context.Context, fn func(tx *Tx) error) error {
	if db.batch == nil {
		return db.inTx(ctx, true, fn)
	}
	req := batchReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case db.batch <- req:
	case <-db.quit:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// fn may be running: wait for the outcome even if ctx ends meanwhile.
	return <-req.done
}

// startWriters starts n goroutines that commit shared transactions, each
// gathering the callers waiting when it is free. Several run on PostgreSQL:
// one alone spends most of its time waiting for round trips, while the
// server idles. Batches then commit concurrently, which is safe as several
// nodes already write at once; the audit chain takes its lock at commit.
func (db *DB) startWriters(n int) {
	var wg sync.WaitGroup
	for range n {
		wg.Go(db.runBatches)
	}
	go func() {
		wg.Wait()
		close(db.batchDone)
	}()
}

// runBatches is one writer's loop. The channel is unbuffered, so a caller
// is either received by a writer or told the database closed; none is left
// waiting.
func (db *DB) runBatches() {
	for {
		var first batchReq
		select {
		case first = <-db.batch:
		case <-db.quit:
			return
		}
		reqs := []batchReq{first}
	gather:
		for len(reqs) < maxBatch {
			select {
			case r := <-db.batch:
				reqs = append(reqs, r)
			default:
				break gather
			}
		}
		db.runBatch(reqs)
	}
}

// errBatchFailed is how runBatch abandons a shared transaction.
var errBatchFailed = errors.New("a member of the batch failed")

func (db *DB) runBatch(reqs []batchReq) {
	if len(reqs) > 1 {
		ctx := context.Background()
		err := db.inTx(ctx, true, func(tx *Tx) error {
			for _, r := range reqs {
				if r.ctx.Err() != nil || runGuarded(tx, r.fn) != nil {
					return errBatchFailed
				}
			}
			return nil
		})
		if err == nil {
			for _, r := range reqs {
				r.done <- nil
			}
			return
		}
	}
	for _, r := range reqs {
		if err := r.ctx.Err(); err != nil {
			r.done <- err
			continue
		}
		r.done <- db.inTx(r.ctx, true, func(tx *Tx) error { return runGuarded(tx, r.fn) })
	}
}

func runGuarded(tx *Tx, fn func(tx *Tx) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in transaction: %v", r)
		}
	}()
	return fn(tx)
}
