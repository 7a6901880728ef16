package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"steward/internal/store"
	"steward/internal/store/storetest"
)

func TestFailedJobs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		ctx := context.Background()
		now := store.TS(time.Now())
		var ids []int64
		for _, kind := range []string{"incident.autoclose", "sla.escalate"} {
			var id int64
			err := e.DB.InTx(ctx, func(tx *store.Tx) error {
				return tx.QueryRow(ctx, `INSERT INTO jobs (kind, payload, run_at, state, attempts, last_error, created_at, finished_at)
					VALUES (?, '{"incident_id":7}', ?, 'failed', 5, 'database is locked', ?, ?) RETURNING id`, kind, now, now, now).Scan(&id)
			})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		first, second := fmt.Sprint(ids[0]), fmt.Sprint(ids[1])
		s.run(t, []apiCase{
			{"agents do not see them", "agent", "GET", "/api/v1/jobs/failed", nil, nil, 403, nil},
			{"listed with the error", "admin", "GET", "/api/v1/jobs/failed", nil, nil, 200, []string{`"kind":"incident.autoclose"`, `"last_error":"database is locked"`, `"payload":{"incident_id":7}`}},
			{"paged", "admin", "GET", "/api/v1/jobs/failed?limit=1", nil, nil, 200, []string{`"next_cursor":"` + first + `"`}},
			{"second page", "admin", "GET", "/api/v1/jobs/failed?limit=1&cursor=" + first, nil, nil, 200, []string{`"kind":"sla.escalate"`}},
			{"bad cursor", "admin", "GET", "/api/v1/jobs/failed?cursor=abc", nil, nil, 400, []string{`"cursor"`}},
			{"retry", "admin", "POST", "/api/v1/jobs/" + first + "/retry", nil, nil, 204, nil},
			{"retried is no longer failed", "admin", "POST", "/api/v1/jobs/" + first + "/retry", nil, nil, 404, nil},
			{"auditors may not discard", "auditor", "DELETE", "/api/v1/jobs/" + second, nil, nil, 403, nil},
			{"discard", "admin", "DELETE", "/api/v1/jobs/" + second, nil, nil, 204, nil},
			{"nothing left", "admin", "GET", "/api/v1/jobs/failed", nil, nil, 200, []string{`"items":[]`}},
		})
		var state string
		var attempts int
		if err := e.DB.QueryRow(ctx, "SELECT state, attempts FROM jobs WHERE id = ?", ids[0]).Scan(&state, &attempts); err != nil || state != "pending" || attempts != 0 {
			t.Fatalf("a retried job should be pending with fresh attempts: %s %d %v", state, attempts, err)
		}
		trail := string(s.do("admin", "GET", "/api/v1/audit?entity=job", nil).body)
		if !strings.Contains(trail, `"action":"retry"`) || !strings.Contains(trail, `"action":"discard"`) {
			t.Fatalf("the audit trail should show the retry and the discard: %s", trail)
		}
	})
}
