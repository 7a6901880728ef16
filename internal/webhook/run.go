package webhook

import (
	"context"
	"sync"
	"time"

	"steward/internal/jobs"
	"steward/internal/store"
)

// PurgeJob removes deliveries older than the retention.
const PurgeJob = "webhook.purge"

// Run dispatches and sends until ctx ends: it looks for new feed entries
// and due deliveries every Poll, and again as soon as a send finishes,
// with up to Parallel sends in flight. Every node runs it; the cursor's
// lock and the deliveries' leases keep them from doing the same work.
func (s *Service) Run(ctx context.Context) {
	tick := time.NewTicker(s.Poll)
	defer tick.Stop()
	slots := make(chan struct{}, max(s.Parallel, 1))
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		if _, err := s.Dispatch(ctx); err != nil && ctx.Err() == nil {
			s.Log.Warn("webhook: reading the activity feed", "err", err)
		}
		if free := cap(slots) - len(slots); free > 0 {
			ds, err := s.claim(ctx, free)
			if err != nil && ctx.Err() == nil {
				s.Log.Warn("webhook: claiming deliveries", "err", err)
			}
			for _, d := range ds {
				slots <- struct{}{}
				wg.Add(1)
				go func() {
					defer wg.Done()
					s.send(ctx, d)
					<-slots
					poke(s.wake)
				}()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-s.wake:
		}
	}
}

// DeliverDue dispatches the feed and sends every delivery due now,
// waiting for the answers, until none is left; it returns how many
// attempts it made. Tests and tools use it in place of Run.
func (s *Service) DeliverDue(ctx context.Context) (int, error) {
	total := 0
	for {
		if _, err := s.Dispatch(ctx); err != nil {
			return total, err
		}
		ds, err := s.claim(ctx, max(s.Parallel, 1))
		if err != nil || len(ds) == 0 {
			return total, err
		}
		var wg sync.WaitGroup
		for _, d := range ds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.send(ctx, d)
			}()
		}
		wg.Wait()
		total += len(ds)
	}
}

// Purge removes deliveries created longer ago than the retention, in
// chunks. Deliveries still waiting that old belong to a receiver paused
// or off for the whole retention; they go too, and the log says so.
func (s *Service) Purge(ctx context.Context, _ jobs.Job) error {
	cutoff := store.TS(s.now().Add(-s.Retention))
	var waiting int
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM webhook_deliveries WHERE created_at < ? AND state = 'pending'`, cutoff).Scan(&waiting); err != nil {
		return err
	}
	if waiting > 0 {
		s.Log.Warn("webhook: dropping deliveries that waited longer than the retention", "count", waiting, "retention", s.Retention)
	}
	for {
		res, err := s.DB.Exec(ctx, `DELETE FROM webhook_deliveries WHERE id IN
			(SELECT id FROM webhook_deliveries WHERE created_at < ? ORDER BY id LIMIT 5000)`, cutoff)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n < 5000 {
			return nil
		}
	}
}
