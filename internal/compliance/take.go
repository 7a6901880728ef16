package compliance

import (
	"context"
	"fmt"
	"time"

	"steward/internal/audit"
	"steward/internal/clauses"
	"steward/internal/jobs"
	"steward/internal/store"
)

// SnapshotJob is the periodic job that keeps a snapshot of every standard
// each day, so readiness can be followed over time without anyone asking.
const SnapshotJob = "compliance.snapshot"

// Take evaluates a standard now and keeps the evaluation as a snapshot.
func Take(ctx context.Context, db *store.DB, standard string, actor audit.Actor, origin string) (Snapshot, error) {
	if _, ok := clauses.Get(standard); !ok {
		return Snapshot{}, fmt.Errorf("compliance: unknown standard %q", standard)
	}
	ev, err := Evaluate(ctx, db, standard, time.Now())
	if err != nil {
		return Snapshot{}, err
	}
	return Save(ctx, db, ev, actor, origin)
}

// DailySnapshots is the handler of SnapshotJob: one snapshot per standard
// in the catalogue, taken by the system.
func DailySnapshots(db *store.DB) jobs.Handler {
	return func(ctx context.Context, _ jobs.Job) error {
		evs, err := EvaluateAll(ctx, db, time.Now())
		if err != nil {
			return err
		}
		for _, ev := range evs {
			if _, err := Save(ctx, db, ev, audit.System, OriginSchedule); err != nil {
				return fmt.Errorf("snapshot of %s: %w", ev.Standard, err)
			}
		}
		return nil
	}
}
