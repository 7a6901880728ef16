package knowledge_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/knowledge"
	"steward/internal/org"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// world is a small desk: people of every role in two customers and the
// knowledge base over them.
type world struct {
	e                     storetest.Engine
	svc                   *knowledge.Service
	custA, custB          int64
	admin, agent, auditor *auth.Principal
	reqA, reqB            *auth.Principal
}

func newWorld(t *testing.T, e storetest.Engine) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{e: e, svc: knowledge.NewService(e.DB, slog.New(slog.NewTextHandler(io.Discard, nil)))}
	mustRec := func(r org.Record, err error) int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	w.custA = mustRec(org.Customers.Create(ctx, e.DB, audit.System, "Customer A"))
	w.custB = mustRec(org.Customers.Create(ctx, e.DB, audit.System, "Customer B"))
	mk := func(email string, role auth.Role, cust int64) *auth.Principal {
		t.Helper()
		in := auth.NewUser{Email: email, Name: email, Role: role, Password: "long-enough-password"}
		if cust != 0 {
			in.CustomerID = &cust
		}
		u, err := auth.CreateUser(ctx, e.DB, audit.System, in)
		if err != nil {
			t.Fatalf("create %s: %v", email, err)
		}
		return &auth.Principal{UserID: u.ID, Email: u.Email, Name: u.Name, Role: role, CustomerID: cust}
	}
	w.admin = mk("admin@x.test", auth.Admin, 0)
	w.agent = mk("agent@x.test", auth.Agent, 0)
	w.auditor = mk("auditor@x.test", auth.Auditor, 0)
	w.reqA = mk("ra@x.test", auth.Requester, w.custA)
	w.reqB = mk("rb@x.test", auth.Requester, w.custB)
	return w
}

// article creates an article as p, failing the test on an error.
func (w *world) article(t *testing.T, p *auth.Principal, title, body string, aud knowledge.Audience, st knowledge.State, customers ...int64) knowledge.Article {
	t.Helper()
	in := knowledge.Input{Title: &title, Body: &body, Audience: &aud, State: &st}
	if len(customers) > 0 {
		in.CustomerIDs = &customers
	}
	a, err := w.svc.Create(context.Background(), p, in)
	if err != nil {
		t.Fatalf("create %q: %v", title, err)
	}
	return a
}

func ptr[T any](v T) *T { return &v }

func isNotFound(err error) bool  { return errors.Is(err, store.ErrNotFound) }
func isForbidden(err error) bool { return errors.Is(err, domainerr.ErrForbidden) }
func isConflict(err error) bool  { var c *domainerr.Conflict; return errors.As(err, &c) }
func fieldOf(err error) map[string]string {
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		return inv.Fields
	}
	return nil
}
