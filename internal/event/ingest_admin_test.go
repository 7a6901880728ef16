package event_test

import (
	"errors"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/event"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

func admin(t *testing.T, db *store.DB) *auth.Principal {
	t.Helper()
	u, err := auth.CreateUser(t.Context(), db, audit.System, auth.NewUser{Email: "admin@event.test", Name: "Admin", Role: auth.Admin, Password: "a-long-password"})
	if err != nil {
		t.Fatal(err)
	}
	return &auth.Principal{UserID: u.ID, Role: auth.Admin}
}

// Two nodes share a database: a key rotated or an integration
// deactivated on one stops working on the other without a restart, and
// broker consumers on the changing node are told at once.
func TestKeyChangesReachOtherNodes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := t.Context()
		p := admin(t, e.DB)
		here, there := event.NewService(e.DB, nil, nil, nil), event.NewService(e.DB, nil, nil, nil)
		it, err := here.CreateIntegration(ctx, p, event.NewIntegration{Name: "Fleet", Kind: event.KindHTTP})
		if err != nil {
			t.Fatal(err)
		}
		<-here.IntegrationsChanged()
		if got, err := there.ByKey(ctx, it.RoutingKey); err != nil || got.ID != it.ID {
			t.Fatalf("the other node finds the key: %+v %v", got, err)
		}

		rotated, err := here.RotateKey(ctx, p, it.ID)
		if err != nil || rotated.RoutingKey == it.RoutingKey || rotated.KeyHint != rotated.RoutingKey[28:] {
			t.Fatalf("rotate: %+v %v", rotated, err)
		}
		select {
		case <-here.IntegrationsChanged():
		default:
			t.Fatal("a rotation did not tell the broker consumers")
		}
		if _, err := here.ByKey(ctx, it.RoutingKey); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the old key still works on the node that rotated it: %v", err)
		}
		eventually(t, "the other node refuses the old key", func() bool {
			_, err := there.ByKey(ctx, it.RoutingKey)
			return errors.Is(err, store.ErrNotFound)
		})
		if _, err := there.ByKey(ctx, rotated.RoutingKey); err != nil {
			t.Fatalf("the other node refuses the new key: %v", err)
		}

		if _, err := here.Deactivate(ctx, p, it.ID); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the other node refuses a deactivated integration's key", func() bool {
			_, err := there.ByKey(ctx, rotated.RoutingKey)
			return errors.Is(err, store.ErrNotFound)
		})
		if _, err := here.RotateKey(ctx, p, it.ID); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("rotating a deactivated integration: %v", err)
		}
		if _, err := here.Deactivate(ctx, &auth.Principal{UserID: p.UserID, Role: auth.Agent}, it.ID); !errors.Is(err, domainerr.ErrForbidden) {
			t.Fatalf("an agent deactivates: %v", err)
		}
	})
}

func TestUpdateIntegration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := t.Context()
		p := admin(t, e.DB)
		svc := event.NewService(e.DB, nil, nil, nil)
		it, err := svc.CreateIntegration(ctx, p, event.NewIntegration{Name: "Plant", Kind: event.KindNATS,
			Config: event.Config{URL: "nats://127.0.0.1:4222", Stream: "PLANT", Subjects: []string{"plant.>"}}})
		if err != nil {
			t.Fatal(err)
		}
		name, subjects := "Plant floor", []string{"plant.*.status"}
		got, err := svc.UpdateIntegration(ctx, p, it.ID, event.IntegrationPatch{Name: &name, Subjects: &subjects}, it.Version)
		if err != nil || got.Name != "Plant floor" || len(got.Subjects) != 1 || got.Stream != "PLANT" || got.Version != it.Version+1 {
			t.Fatalf("update: %+v %v", got, err)
		}
		if _, err := svc.UpdateIntegration(ctx, p, it.ID, event.IntegrationPatch{Name: &name}, it.Version); !errors.Is(err, domainerr.ErrStale) {
			t.Fatalf("a stale version: %v", err)
		}
		bad := "PLANT.ONE"
		var inv *domainerr.Invalid
		if _, err := svc.UpdateIntegration(ctx, p, it.ID, event.IntegrationPatch{Stream: &bad}, 0); !errors.As(err, &inv) || !inv.Has("stream") {
			t.Fatalf("a bad stream: %v", err)
		}
	})
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 20 s: %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
