package change_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/change"
	"steward/internal/cmdb"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// The overview counts what a change manager reports: success, emergency,
// failed or backed-out and incident-causing shares, lead time and CI
// changes that name no change; and a change lists the CI changes made
// under it, however its number was written.
func TestOverviewAndCIChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		w.policy(t, "emergency", "", "any")
		since := time.Now().Add(-time.Hour)
		var ids []int64
		for i, tc := range []struct{ typ, outcome string }{
			{change.Normal, change.Successful}, {change.Emergency, change.SuccessfulWithIssues}, {change.Normal, change.BackedOut},
		} {
			c := w.create(t, w.planner, change.NewChange{Title: "KPI " + tc.outcome, Type: tc.typ})
			w.reach(t, c, change.Implementing, 200+i)
			w.update(t, w.planner, c.ID, change.Patch{State: ptr(change.Review), Outcome: ptr(tc.outcome)})
			w.update(t, w.planner, c.ID, change.Patch{State: ptr(change.Closed), Review: ptr("Reviewed.")})
			ids = append(ids, c.ID)
		}
		w.create(t, w.planner, change.NewChange{Title: "Still a draft", Type: change.Normal})
		if _, err := e.DB.Exec(ctx, `INSERT INTO record_links (from_kind, from_id, type, to_kind, to_id, created_at)
			VALUES ('incident', 1, 'caused_by', 'change', ?, ?)`, ids[2], store.TS(time.Now())); err != nil {
			t.Fatal(err)
		}
		cm := cmdb.NewService(e.DB, nil)
		for _, ref := range []string{"chg-" + strconv.FormatInt(ids[0], 10), change.Number(ids[0]), ""} {
			if _, err := cm.UpdateCI(ctx, audit.System, w.ci2, cmdb.CIPatch{Location: ptr("Room " + ref + "x"), ChangeRef: ref}, 0); err != nil {
				t.Fatal(err)
			}
		}
		k, err := w.svc.Overview(ctx, w.auditor, since)
		if err != nil {
			t.Fatal(err)
		}
		if k.Finished != 3 || k.Successful != 2 || k.FailedOrBackedOut != 1 || k.Raised != 4 || k.Emergency != 1 || k.CausedIncidents != 1 {
			t.Fatalf("KPIs %+v", k)
		}
		if k.Unauthorised < 1 || k.CIChanges < 3 || k.Unauthorised >= k.CIChanges {
			t.Fatalf("CI changes %d, unauthorised %d", k.CIChanges, k.Unauthorised)
		}
		got, err := w.svc.CIChanges(ctx, w.auditor, ids[0])
		if err != nil || len(got) != 2 || got[0].CIID != w.ci2 {
			t.Fatalf("CI changes under %s: %+v (%v), want the two naming it", change.Number(ids[0]), got, err)
		}
		refs, err := change.ChangeRefs(ctx, e.DB, []string{change.Number(ids[0]), "CHG-999999", "ticket 12"})
		if err != nil || refs[change.Number(ids[0])] != change.Number(ids[0]) || len(refs) != 1 {
			t.Fatalf("change refs resolved to %v (%v)", refs, err)
		}
	})
}
