package compliance

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/clauses"
	"steward/internal/store/storetest"
)

func TestCombine(t *testing.T) {
	for _, c := range []struct {
		parts []Status
		want  Status
	}{
		{nil, NoData},
		{[]Status{NoData, NoData}, NoData},
		{[]Status{Met}, Met},
		{[]Status{Met, Met}, Met},
		{[]Status{Met, NoData}, PartlyMet},
		{[]Status{Met, NotMet}, PartlyMet},
		{[]Status{PartlyMet}, PartlyMet},
		{[]Status{NotMet, NoData}, NotMet},
		{[]Status{NotMet, NotMet}, NotMet},
	} {
		if got := Combine(c.parts); got != c.want {
			t.Errorf("Combine(%v) = %s, want %s", c.parts, got, c.want)
		}
	}
}

// A subclause's status reaches its clause and the clause group's score.
func TestRollUp(t *testing.T) {
	std, _ := clauses.Get(clauses.Primary)
	ev := rollUp(std, map[string][]RuleResult{
		"8.6.1": {{ID: "a", Result: Result{Status: Met}}},
		"8.6.2": {{ID: "b", Result: Result{Status: NotMet}}},
		"8.6.3": {{ID: "c", Result: Result{Status: Met}}, {ID: "d", Result: Result{Status: Met}}},
		"4.1":   {{ID: "e", Result: Result{Status: PartlyMet}}},
	})
	for clause, want := range map[string]Status{"8.6.1": Met, "8.6": PartlyMet, "8": PartlyMet, "4.1": PartlyMet, "4": PartlyMet, "9": NoData, "8.7.1": NoData} {
		if c, ok := ev.Clause(clause); !ok || c.Status != want {
			t.Errorf("clause %s: %v, want %s", clause, c, want)
		}
	}
	leaves := len(std.Leaves())
	if want := round1(100 * 2.5 / float64(leaves)); ev.Score != want {
		t.Errorf("score %v, want %v", ev.Score, want)
	}
	if ev.Counts[Met] != 2 || ev.Counts[NotMet] != 1 || ev.Counts[PartlyMet] != 1 || ev.Counts[NoData] != leaves-4 {
		t.Errorf("counts %v", ev.Counts)
	}
	var g4 *GroupScore
	for i := range ev.Groups {
		if ev.Groups[i].Clause == "4" {
			g4 = &ev.Groups[i]
		}
	}
	if g4 == nil || g4.Score != round1(100*0.5/float64(len(std.Children("4")))) {
		t.Errorf("group 4: %+v", g4)
	}
}

// A snapshot reads back as it was saved, its hash is the hash of its body
// and it names the audit trail's head at the time.
func TestSnapshotRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		if _, err := Latest(ctx, e.DB, clauses.Primary); err == nil {
			t.Fatal("an empty database has a latest snapshot")
		}
		ev, err := Evaluate(ctx, e.DB, clauses.Primary, time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		seq, hash, err := audit.Head(ctx, e.DB)
		if err != nil {
			t.Fatal(err)
		}
		snap, err := Save(ctx, e.DB, ev, audit.System, OriginManual)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Latest(ctx, e.DB, clauses.Primary)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(got.Body)
		if got.ID != snap.ID || got.SHA256 != hex.EncodeToString(sum[:]) || got.SHA256 != snap.SHA256 {
			t.Errorf("snapshot %d hash %s, saved %d %s", got.ID, got.SHA256, snap.ID, snap.SHA256)
		}
		if want := itoa(seq) + ":" + hash; got.ChainHead != want {
			t.Errorf("chain head %q, want %q", got.ChainHead, want)
		}
		if len(got.Evaluation.Clauses) != len(ev.Clauses) || !got.TakenAt.Equal(ev.At) {
			t.Errorf("evaluation read back with %d clauses at %v", len(got.Evaluation.Clauses), got.TakenAt)
		}
		list, err := Snapshots(ctx, e.DB, clauses.Primary, time.Time{}, 10)
		if err != nil || len(list) != 1 || list[0].Score != ev.Score {
			t.Errorf("list %+v %v", list, err)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
