package release_test

import (
	"context"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/release"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// world is a release service with an administrator, an agent, an auditor,
// a requester, two CIs and a change.
type world struct {
	e                             storetest.Engine
	svc                           *release.Service
	admin, agent, auditor, reqstr *auth.Principal
	ci, ci2, change               int64
}

func newWorld(t *testing.T, e storetest.Engine) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{e: e, svc: release.NewService(e.DB)}
	mk := func(email string, role auth.Role) *auth.Principal {
		t.Helper()
		u, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: email, Name: email, Role: role, Password: "long-enough-password"})
		if err != nil {
			t.Fatal(err)
		}
		return &auth.Principal{UserID: u.ID, Email: email, Name: email, Role: role}
	}
	w.admin, w.agent = mk("admin@x.test", auth.Admin), mk("agent@x.test", auth.Agent)
	w.auditor, w.reqstr = mk("auditor@x.test", auth.Auditor), mk("req@x.test", auth.Requester)
	err := e.DB.InTx(ctx, func(tx *store.Tx) error {
		at := store.TS(time.Now())
		for _, dst := range []*int64{&w.ci, &w.ci2} {
			if err := tx.QueryRow(ctx, `INSERT INTO cis (type_id, name, status, created_at, updated_at)
				SELECT id, 'app', 'in_use', ?, ? FROM ci_types WHERE name = 'Application' RETURNING id`, at, at).Scan(dst); err != nil {
				return err
			}
		}
		return tx.QueryRow(ctx, `INSERT INTO changes (title, type, state, created_at, updated_at)
			VALUES ('A change', 'normal', 'scheduled', ?, ?) RETURNING id`, at, at).Scan(&w.change)
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func ptr[T any](v T) *T { return &v }

func (w *world) create(t *testing.T, title string) release.Detail {
	t.Helper()
	d, err := w.svc.Create(context.Background(), w.admin, release.NewRelease{Title: title, Type: release.Minor}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (w *world) deploy(t *testing.T, id int64, env string) release.Deployment {
	t.Helper()
	d, err := w.svc.RecordDeployment(context.Background(), w.admin, id, release.NewDeployment{Environment: env, CIID: w.ci, Version: "1.0"}, nil)
	if err != nil {
		t.Fatalf("deploying to %s: %v", env, err)
	}
	return d
}

func (w *world) verify(t *testing.T, id, did int64, v release.Verification) {
	t.Helper()
	if _, err := w.svc.UpdateDeployment(context.Background(), w.admin, id, did, release.DeploymentPatch{Verification: &v}); err != nil {
		t.Fatalf("verifying: %v", err)
	}
}
