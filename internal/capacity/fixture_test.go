package capacity

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"steward/internal/auth"
	"steward/internal/jobs"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

var (
	admin   = &auth.Principal{UserID: 0, Email: "admin@test", Role: auth.Admin}
	agent   = &auth.Principal{UserID: 0, Email: "agent@test", Role: auth.Agent}
	auditor = &auth.Principal{UserID: 0, Email: "auditor@test", Role: auth.Auditor}
	asker   = &auth.Principal{UserID: 0, Email: "requester@test", Role: auth.Requester}
)

// fx is a database with a service and a CI, and a service whose clock is
// fixed at now.
type fx struct {
	t   *testing.T
	ctx context.Context
	db  *store.DB
	svc *Service
	now time.Time
	// service and ci are the ids of "Portal" and its CI "db-01".
	service, ci int64
}

func newFx(t *testing.T, e storetest.Engine) *fx {
	x := &fx{t: t, ctx: context.Background(), db: e.DB, now: time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)}
	x.svc = NewService(e.DB, nil)
	x.svc.Now = func() time.Time { return x.now }
	ts := store.TS(x.now)
	err := e.DB.InTx(x.ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(x.ctx, `INSERT INTO services (name, status, criticality, created_at, updated_at)
			VALUES ('Portal', 'live', 'high', ?, ?) RETURNING id`, ts, ts).Scan(&x.service); err != nil {
			return err
		}
		var typ int64
		if err := tx.QueryRow(x.ctx, `INSERT INTO ci_types (name, created_at, updated_at) VALUES ('Test server', ?, ?) RETURNING id`, ts, ts).Scan(&typ); err != nil {
			return err
		}
		return tx.QueryRow(x.ctx, `INSERT INTO cis (type_id, name, status, service_id, created_at, updated_at)
			VALUES (?, 'db-01', 'in_use', ?, ?, ?) RETURNING id`, typ, x.service, ts, ts).Scan(&x.ci)
	})
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// in is a sample of db-01's metric.
func (x *fx) in(metric string, at time.Time, value any) SampleIn {
	raw, _ := json.Marshal(value)
	id := x.ci
	return SampleIn{CIID: &id, Metric: metric, At: at.UTC().Format(time.RFC3339), Value: raw}
}

// ingest records samples and fails the test on error.
func (x *fx) ingest(samples ...SampleIn) Ingested {
	x.t.Helper()
	res, err := x.svc.Ingest(x.ctx, agent, samples)
	if err != nil {
		x.t.Fatal(err)
	}
	return res
}

func (x *fx) count(q string, args ...any) int {
	x.t.Helper()
	return storetest.Count(x.t, x.db, q, args...)
}

func ptr[T any](v T) *T { return &v }

func jobFor() jobs.Job { return jobs.Job{Kind: PollJob} }
