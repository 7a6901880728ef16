package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"steward/internal/audit"
	"steward/internal/incident"
	"steward/internal/store"
)

// Seed bulk-loads n incidents spread over the last year, for benchmarks,
// in batches, calling progress after each batch. It loads the demo
// organisation first when the database is empty.
func Seed(ctx context.Context, db *store.DB, svc *incident.Service, n int, progress func(done int)) error {
	pp, err := seedPeople(ctx, db, svc)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	now := time.Now().UTC()
	// Raised in time order over the last year, as a real desk's would be:
	// every index then grows at its end, which keeps a large seed fast.
	span := 365 * 24 * time.Hour
	step := span / time.Duration(n)
	start := now.Add(-span)
	return seedBatches(ctx, db, svc, n, progress, func(k int) (incident.Incident, []incident.Entry) {
		return pp.incident(rng, now, start.Add(time.Duration(k)*step), nil)
	})
}

// seedPeople loads the demo organisation into an empty database and reads
// the people, groups and services incidents are raised by and for.
func seedPeople(ctx context.Context, db *store.DB, svc *incident.Service) (*people, error) {
	empty, err := Empty(ctx, db)
	if err != nil {
		return nil, err
	}
	if empty {
		if err := Load(ctx, db, svc); err != nil {
			return nil, err
		}
	}
	pp := newPeople()
	if err := pp.loadFrom(ctx, db); err != nil {
		return nil, err
	}
	if err := pp.loadServices(ctx, db); err != nil {
		return nil, err
	}
	if len(pp.agents) == 0 || len(pp.groups) == 0 || len(pp.customers) == 0 {
		return nil, fmt.Errorf("seeding needs at least one agent, one group and one requester with a customer; start from an empty database")
	}
	return &pp, nil
}

// seedBatches imports the n incidents next returns, in order, in
// transactions of a few thousand, and records the seed in the audit trail.
func seedBatches(ctx context.Context, db *store.DB, svc *incident.Service, n int, progress func(done int), next func(k int) (incident.Incident, []incident.Entry)) error {
	const batch = 2000
	for done := 0; done < n; {
		size := min(batch, n-done)
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for i := 0; i < size; i++ {
				inc, journal := next(done + i)
				if err := svc.Import(ctx, tx, &inc, *inc.RequesterID, journal[:1]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		done += size
		if progress != nil {
			progress(done)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		return audit.Record(ctx, tx, audit.System, "seed", "incident", "bulk", map[string]int{"count": n})
	})
}

func (pp *people) loadFrom(ctx context.Context, db *store.DB) error {
	rows, err := db.Query(ctx, "SELECT id, name, role, COALESCE(customer_id, 0) FROM users WHERE active ORDER BY id")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, cust int64
		var name, role string
		if err := rows.Scan(&id, &name, &role, &cust); err != nil {
			return err
		}
		switch {
		case role == "agent":
			pp.agents = append(pp.agents, id)
			pp.agentNames[id] = name
		case role == "requester" && cust != 0:
			if len(pp.requesters[cust]) == 0 {
				pp.customers = append(pp.customers, cust)
			}
			pp.requesters[cust] = append(pp.requesters[cust], id)
			pp.reqNames[id] = name
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	grows, err := db.Query(ctx, "SELECT id FROM support_groups ORDER BY id")
	if err != nil {
		return err
	}
	defer grows.Close()
	for grows.Next() {
		var id int64
		if err := grows.Scan(&id); err != nil {
			return err
		}
		pp.groups = append(pp.groups, id)
	}
	if err := grows.Err(); err != nil {
		return err
	}
	mrows, err := db.Query(ctx, "SELECT group_id, user_id FROM group_members ORDER BY group_id, user_id")
	if err != nil {
		return err
	}
	defer mrows.Close()
	for mrows.Next() {
		var g, u int64
		if err := mrows.Scan(&g, &u); err != nil {
			return err
		}
		if _, ok := pp.agentNames[u]; ok {
			pp.members[g] = append(pp.members[g], u)
		}
	}
	return mrows.Err()
}
