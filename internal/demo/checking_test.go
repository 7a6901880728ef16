package demo_test

import (
	"context"
	"testing"
	"time"
)

// The demo's checking and correcting tells a varied, truthful story: a
// reported audit whose lines carry every kind of finding, a planned one,
// a closed nonconformity, one with an overdue action, one from an
// incident, and a review held with its actions.
func TestDemoChecking(t *testing.T) {
	e := loadAll(t)
	ctx := context.Background()
	for q, want := range map[string]int{
		"SELECT COUNT(*) FROM internal_audits WHERE state = 'reported'":                                                                                         1,
		"SELECT COUNT(*) FROM internal_audits WHERE state = 'planned'":                                                                                          1,
		"SELECT COUNT(DISTINCT result) FROM internal_audit_items":                                                                                               4,
		"SELECT COUNT(*) FROM internal_audit_items WHERE result = 'not_assessed'":                                                                               0,
		"SELECT COUNT(*) FROM nonconformities WHERE state = 'closed' AND effectiveness = 'effective'":                                                           1,
		"SELECT COUNT(*) FROM nonconformities WHERE source = 'incident' AND state = 'open'":                                                                     1,
		"SELECT COUNT(*) FROM nonconformities WHERE audit_item_id IS NOT NULL":                                                                                  1,
		"SELECT COUNT(*) FROM management_reviews WHERE state = 'held' AND inputs_compiled_at IS NOT NULL":                                                       1,
		"SELECT COUNT(*) FROM management_reviews WHERE state = 'planned'":                                                                                       1,
		"SELECT COUNT(*) FROM sms_actions WHERE source_kind = 'management_review' AND status = 'done'":                                                          1,
		"SELECT COUNT(*) FROM sms_actions WHERE source_kind = 'nonconformity' AND status = 'open' AND due_on < '" + time.Now().UTC().Format("2006-01-02") + "'": 1,
	} {
		var got int
		if err := e.DB.QueryRow(ctx, q).Scan(&got); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if got != want {
			t.Errorf("%s: %d, want %d", q, got, want)
		}
	}
}
