package objective_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/objective"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// closeChanges records changes closed on day with the outcomes given.
func closeChanges(t *testing.T, db *store.DB, day time.Time, outcomes ...string) {
	t.Helper()
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		for _, o := range outcomes {
			if _, err := tx.Exec(context.Background(), `INSERT INTO changes (title, type, state, outcome, created_at, updated_at, closed_at)
				VALUES ('c', 'normal', 'closed', ?, ?, ?, ?)`, o, store.TS(day), store.TS(day), store.TS(day)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestObjectiveProgress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		now := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
		svc := objective.NewService(e.DB)
		svc.Now = func() time.Time { return now }
		u, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: "o@obj.test", Name: "Owner", Role: auth.Agent, Password: "a-long-password"})
		if err != nil {
			t.Fatal(err)
		}
		s := func(v string) *string { return &v }
		f := func(v float64) *float64 { return &v }
		in := func(target float64, dir, start, due string) objective.Input {
			return objective.Input{Title: s("Changes succeed"), OwnerID: &u.ID, MetricKey: s("change.success_rate"), Target: &target,
				Direction: &dir, StartsOn: &start, DueOn: &due}
		}

		bad := in(120, "about", "2026-06-01", "2026-05-01")
		bad.MetricKey = s("change.nothing")
		_, err = svc.Create(ctx, audit.System, bad)
		var inv *domainerr.Invalid
		if !errors.As(err, &inv) {
			t.Fatalf("bad objective: %v", err)
		}
		for _, fld := range []string{"metric_key", "direction", "due_on"} {
			if inv.Fields[fld] == "" {
				t.Errorf("no message for %s: %v", fld, inv.Fields)
			}
		}
		if _, err := svc.Create(ctx, audit.System, in(120, "at_least", "2026-01-01", "2026-12-31")); !errors.As(err, &inv) || inv.Fields["target"] == "" {
			t.Errorf("a target of 120 %% was accepted: %v", err)
		}

		// No changes yet: no data, not 0 %.
		o, err := svc.Create(ctx, audit.System, in(75, "at_least", "2026-01-01", "2026-12-31"))
		if err != nil {
			t.Fatal(err)
		}
		if o.Progress.State != "no_data" || o.TargetWords() != "at least 75 %" {
			t.Errorf("before any change: %s, %q", o.Progress.State, o.TargetWords())
		}
		closeChanges(t, e.DB, now.AddDate(0, 0, -10), "successful", "successful", "failed")
		for _, c := range []struct {
			target     float64
			dir, due   string
			want       string
			wantPct    float64
			changeLate bool
		}{
			{60, "at_least", "2026-12-31", "on_track", 100, false},
			{75, "at_least", "2026-12-31", "off_track", 100 * (200.0 / 3) / 75, false},
			{50, "at_most", "2026-12-31", "off_track", 75, false},
			{75, "at_least", "2026-06-10", "missed", 0, true},
		} {
			o, err := svc.Create(ctx, audit.System, in(c.target, c.dir, "2026-01-01", c.due))
			if err != nil {
				t.Fatal(err)
			}
			if o.Progress.State != c.want {
				t.Errorf("%v %s %v due %s: %s, want %s (value %v over %d)", c.dir, "target", c.target, c.due, o.Progress.State, c.want, o.Progress.Value, o.Progress.N)
			}
			if !c.changeLate && (o.Progress.Percent-c.wantPct > 1e-6 || c.wantPct-o.Progress.Percent > 1e-6) {
				t.Errorf("%v %v: bar at %.2f%%, want %.2f%%", c.dir, c.target, o.Progress.Percent, c.wantPct)
			}
		}
		// An objective due today is still running until the day is over.
		if o, err := svc.Create(ctx, audit.System, in(60, "at_least", "2026-01-01", "2026-06-15")); err != nil || o.Progress.State != "on_track" {
			t.Errorf("due today: %s (%v), want on_track", o.Progress.State, err)
		}
		// Once due, the period ends on the due date: only the change of
		// 1 May counts for an objective due on 2 May.
		closeChanges(t, e.DB, time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), "successful")
		o, err = svc.Create(ctx, audit.System, in(100, "at_least", "2026-01-01", "2026-05-02"))
		if err != nil {
			t.Fatal(err)
		}
		if o.Progress.State != "achieved" || o.Progress.N != 1 {
			t.Errorf("due 10 June: %s over %d, want achieved over 1", o.Progress.State, o.Progress.N)
		}

		if _, err := svc.Update(ctx, audit.System, o.ID, objective.Input{Baseline: f(50)}, o.Version+1); !errors.Is(err, domainerr.ErrStale) {
			t.Errorf("stale update: %v", err)
		}
		w, err := svc.Update(ctx, audit.System, o.ID, objective.Input{Status: s("withdrawn")}, o.Version)
		if err != nil || w.Progress.State != "withdrawn" {
			t.Errorf("withdrawn: %v %v", w.Progress.State, err)
		}
		series, err := svc.Series(ctx, o)
		if err != nil || len(series) == 0 {
			t.Errorf("series since the start: %d points, %v", len(series), err)
		}
	})
}

// An objective's dates and its series follow the organisation's time
// zone as KPI periods do: in Berlin a change closed at 00:30 on 1 June
// (22:30 UTC on 31 May) counts in June, and an objective due on 9 June
// is decided at midnight in Berlin, not in London.
func TestObjectiveFollowsTheOrganisationsZone(t *testing.T) {
	e := storetest.SQLite(t)
	ctx := context.Background()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no zone data for Europe/Berlin:", err)
	}
	now := time.Date(2026, 6, 9, 22, 30, 0, 0, time.UTC) // 00:30 on 10 June in Berlin
	svc := objective.NewService(e.DB)
	svc.Now, svc.Loc = func() time.Time { return now }, berlin
	u, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: "z@obj.test", Name: "Owner", Role: auth.Agent, Password: "a-long-password"})
	if err != nil {
		t.Fatal(err)
	}
	closeChanges(t, e.DB, time.Date(2026, 5, 31, 22, 30, 0, 0, time.UTC), "failed")
	closeChanges(t, e.DB, time.Date(2026, 6, 2, 9, 0, 0, 0, time.UTC), "successful")
	s := func(v string) *string { return &v }
	target, dir := 40.0, "at_least"
	o, err := svc.Create(ctx, audit.System, objective.Input{Title: s("Changes succeed"), OwnerID: &u.ID, MetricKey: s("change.success_rate"),
		Target: &target, Direction: &dir, StartsOn: s("2026-06-01"), DueOn: s("2026-06-09")})
	if err != nil {
		t.Fatal(err)
	}
	if o.Progress.State != "achieved" {
		t.Errorf("due 9 June, at 00:30 on 10 June in Berlin: %s, want achieved", o.Progress.State)
	}
	series, err := svc.Series(ctx, o)
	if err != nil || len(series) == 0 {
		t.Fatalf("series: %d points, %v", len(series), err)
	}
	if want := time.Date(2026, 5, 31, 22, 0, 0, 0, time.UTC); !series[0].From.Equal(want) {
		t.Errorf("the series starts at %s, want midnight on 1 June in Berlin (%s)", series[0].From, want)
	}
	if series[0].N != 2 || series[0].Value.Value != 50 {
		t.Errorf("first week: %v %% over %d changes, want 50 %% over 2 (the change at 00:30 on 1 June counts)", series[0].Value.Value, series[0].N)
	}
	for _, p := range series {
		if l := p.From.In(berlin); l.Hour() != 0 || l.Minute() != 0 {
			t.Errorf("a bucket starts at %s in Berlin, not at midnight", l)
		}
	}
}
