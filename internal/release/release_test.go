package release_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/release"
	"steward/internal/store/storetest"
)

// Agents and auditors read releases; only administrators plan them and
// record deployments; requesters see nothing. A refusal changes nothing.
func TestReleasePermissions(t *testing.T) {
	e := storetest.SQLite(t)
	ctx := context.Background()
	w := newWorld(t, e)
	rel := w.create(t, "Portal 4.2")
	for _, p := range []*auth.Principal{w.agent, w.auditor, w.reqstr, nil} {
		if _, err := w.svc.Create(ctx, p, release.NewRelease{Title: "x", Type: release.Minor}, nil); !errors.Is(err, domainerr.ErrForbidden) {
			t.Errorf("%v planned a release: %v", p, err)
		}
		if _, err := w.svc.Update(ctx, p, rel.ID, release.Patch{Title: ptr("y")}, 0); !errors.Is(err, domainerr.ErrForbidden) {
			t.Errorf("%v changed a release: %v", p, err)
		}
		if _, err := w.svc.AddChange(ctx, p, rel.ID, "CHG-1", 0); !errors.Is(err, domainerr.ErrForbidden) {
			t.Errorf("%v grouped a change: %v", p, err)
		}
		if _, err := w.svc.RecordDeployment(ctx, p, rel.ID, release.NewDeployment{Environment: "test", CIID: w.ci, Version: "1"}, nil); !errors.Is(err, domainerr.ErrForbidden) {
			t.Errorf("%v recorded a deployment: %v", p, err)
		}
		if _, err := w.svc.UpdateDeployment(ctx, p, rel.ID, 1, release.DeploymentPatch{Verification: ptr(release.Passed)}); !errors.Is(err, domainerr.ErrForbidden) {
			t.Errorf("%v verified a deployment: %v", p, err)
		}
	}
	for _, p := range []*auth.Principal{w.agent, w.auditor, w.admin} {
		if _, err := w.svc.Get(ctx, p, rel.ID); err != nil {
			t.Errorf("%s cannot read a release: %v", p.Role, err)
		}
		if _, err := w.svc.CIDeployments(ctx, p, w.ci, 10, ""); err != nil {
			t.Errorf("%s cannot read a CI's deployments: %v", p.Role, err)
		}
	}
	if _, err := w.svc.Get(ctx, w.reqstr, rel.ID); !errors.Is(err, domainerr.ErrForbidden) {
		t.Errorf("a requester read a release: %v", err)
	}
	if _, err := w.svc.CIDeployments(ctx, w.reqstr, w.ci, 10, ""); !errors.Is(err, domainerr.ErrForbidden) {
		t.Errorf("a requester read a CI's deployments: %v", err)
	}
	if got, _ := w.svc.Get(ctx, w.admin, rel.ID); got.Title != "Portal 4.2" || got.Version != 1 {
		t.Errorf("refusals changed the release: %+v", got.Release)
	}
}

// Bad input is refused naming the field, and changes nothing.
func TestReleaseBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) { badInput(t, e) })
}

func badInput(t *testing.T, e storetest.Engine) {
	ctx := context.Background()
	w := newWorld(t, e)
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	before := start.Add(-time.Hour)
	field := func(t *testing.T, err error, f string) {
		t.Helper()
		var inv *domainerr.Invalid
		if !errors.As(err, &inv) || !inv.Has(f) {
			t.Fatalf("want a message on %s, got %v", f, err)
		}
	}
	_, err := w.svc.Create(ctx, w.admin, release.NewRelease{Title: "x", Type: release.Minor, PlannedStart: &start, PlannedEnd: &before}, nil)
	field(t, err, "planned_end")
	_, err = w.svc.Create(ctx, w.admin, release.NewRelease{Title: "x", Type: release.Minor, PlannedStart: &start, PlannedEnd: &start}, nil)
	field(t, err, "planned_end")
	_, err = w.svc.Create(ctx, w.admin, release.NewRelease{Title: "x", Type: release.Minor, ChangeIDs: []int64{w.change + 100}}, nil)
	field(t, err, "change_ids")
	_, err = w.svc.Create(ctx, w.admin, release.NewRelease{Title: "x"}, nil)
	field(t, err, "type")
	if n := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM releases"); n != 0 {
		t.Fatalf("%d releases after refused input", n)
	}

	rel := w.create(t, "Portal")
	_, err = w.svc.AddChange(ctx, w.admin, rel.ID, "CHG-999999", 0)
	field(t, err, "change")
	_, err = w.svc.AddChange(ctx, w.admin, rel.ID, "not a change", 0)
	field(t, err, "change")
	d, err := w.svc.AddChange(ctx, w.admin, rel.ID, release.ChangeNumber(w.change), 0)
	if err != nil || len(d.Changes) != 1 || d.Version != 2 {
		t.Fatalf("adding a change: %v %+v", err, d)
	}
	if d, err = w.svc.AddChange(ctx, w.admin, rel.ID, release.ChangeNumber(w.change), 0); err != nil || len(d.Changes) != 1 || d.Version != 2 {
		t.Fatalf("adding it again changed something: %v %+v", err, d)
	}
	if _, err := w.svc.AddChange(ctx, w.admin, rel.ID, release.ChangeNumber(w.change), 1); !errors.Is(err, domainerr.ErrStale) {
		t.Fatalf("stale version: %v", err)
	}

	for _, s := range []release.State{release.Building, release.Testing} {
		if _, err := w.svc.Update(ctx, w.admin, rel.ID, release.Patch{State: &s}, 0); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		in    release.NewDeployment
		field string
	}{
		{release.NewDeployment{Environment: "Production", CIID: w.ci, Version: "1"}, "environment"},
		{release.NewDeployment{Environment: "prod env", CIID: w.ci, Version: "1"}, "environment"},
		{release.NewDeployment{Environment: "", CIID: w.ci, Version: "1"}, "environment"},
		{release.NewDeployment{Environment: "test", CIID: 0, Version: "1"}, "ci_id"},
		{release.NewDeployment{Environment: "test", CIID: w.ci + 1000, Version: "1"}, "ci_id"},
		{release.NewDeployment{Environment: "test", CIID: w.ci, Version: " "}, "version"},
	} {
		_, err := w.svc.RecordDeployment(ctx, w.admin, rel.ID, c.in, nil)
		field(t, err, c.field)
	}
	dep := w.deploy(t, rel.ID, "pre-production")
	for _, v := range []release.Verification{"pending", "maybe", ""} {
		_, err := w.svc.UpdateDeployment(ctx, w.admin, rel.ID, dep.ID, release.DeploymentPatch{Verification: &v})
		field(t, err, "verification")
	}
	_, err = w.svc.UpdateDeployment(ctx, w.admin, rel.ID, dep.ID, release.DeploymentPatch{})
	field(t, err, "verification")
	if _, err := w.svc.UpdateDeployment(ctx, w.admin, rel.ID+1, dep.ID, release.DeploymentPatch{Verification: ptr(release.Passed)}); err == nil {
		t.Fatal("a deployment was verified through another release")
	}
	if n := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM release_deployments WHERE verification <> 'pending'"); n != 0 {
		t.Fatalf("%d deployments verified by refused input", n)
	}
}

// A CI's deployments say which release put which version on it, newest
// first, one page at a time.
func TestCIDeploymentHistory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		var want []string
		for _, title := range []string{"Portal 4.1", "Portal 4.2", "Portal 4.3"} {
			rel := w.create(t, title)
			for _, s := range []release.State{release.Building, release.Testing} {
				if _, err := w.svc.Update(ctx, w.admin, rel.ID, release.Patch{State: &s}, 0); err != nil {
					t.Fatal(err)
				}
			}
			w.deploy(t, rel.ID, "test")
			if _, err := w.svc.RecordDeployment(ctx, w.admin, rel.ID, release.NewDeployment{Environment: "test", CIID: w.ci2, Version: "other"}, nil); err != nil {
				t.Fatal(err)
			}
			want = append([]string{rel.Number}, want...)
		}
		var got []string
		cursor := ""
		for {
			page, err := w.svc.CIDeployments(ctx, w.agent, w.ci, 2, cursor)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range page.Items {
				if d.CIID != w.ci || d.Version != "1.0" {
					t.Fatalf("another CI's deployment in the history: %+v", d)
				}
				got = append(got, d.ReleaseNumber)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if len(got) != 3 || got[0] != want[0] || got[2] != want[2] {
			t.Fatalf("history %v, want %v", got, want)
		}
		if _, err := w.svc.CIDeployments(ctx, w.agent, w.ci+1000, 10, ""); err == nil {
			t.Fatal("a missing CI has a history")
		}
	})
}

// The list walks releases a page at a time in either order, with filters,
// and refuses a cursor of another sort.
func TestReleaseListPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		var made []string
		for _, title := range []string{"Alpha", "Beta", "Gamma", "Delta"} {
			made = append(made, w.create(t, title).Number)
		}
		cancelled := release.Cancelled
		second, _ := release.ParseRef(made[1])
		if _, err := w.svc.Update(ctx, w.admin, second, release.Patch{State: &cancelled}, 0); err != nil {
			t.Fatal(err)
		}
		walk := func(f release.Filter) []string {
			t.Helper()
			var got []string
			for {
				page, err := w.svc.List(ctx, w.auditor, f)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range page.Items {
					got = append(got, r.Number)
				}
				if page.NextCursor == "" {
					return got
				}
				f.Cursor = page.NextCursor
			}
		}
		if got := walk(release.Filter{Limit: 1}); len(got) != 4 || got[0] != made[3] || got[3] != made[0] {
			t.Fatalf("newest first: %v", got)
		}
		if got := walk(release.Filter{Limit: 3, Sort: "number"}); len(got) != 4 || got[0] != made[0] {
			t.Fatalf("oldest first: %v", got)
		}
		if got := walk(release.Filter{Limit: 1, States: []release.State{release.Planned}}); len(got) != 3 {
			t.Fatalf("planned ones: %v", got)
		}
		page, _ := w.svc.List(ctx, w.auditor, release.Filter{Limit: 1})
		if _, err := w.svc.List(ctx, w.auditor, release.Filter{Limit: 1, Sort: "number", Cursor: page.NextCursor}); err == nil {
			t.Fatal("a cursor of the other sort was accepted")
		}
	})
}
