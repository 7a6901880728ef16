package api_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"steward/internal/app"
	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/config"
	"steward/internal/store/storetest"
)

// fuzzApp is a node on a fresh SQLite database with one account of role
// and its API token, for the fuzz tests.
func fuzzApp(f *testing.F, role auth.Role) (a *app.App, e storetest.Engine, token string, userID int64) {
	f.Helper()
	e = storetest.SQLite(f)
	cfg := config.Config{DataDir: e.Dir, CookieSecure: "auto", LogLevel: "error", LogFormat: "text"}
	a = app.New(cfg, e.DB, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	u, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: "fuzz@x.test", Name: "Fuzz", Role: role, Password: "a-long-password"})
	if err != nil {
		f.Fatal(err)
	}
	token, _, err = auth.CreateToken(ctx, e.DB, audit.System, u.ID, "fuzz")
	if err != nil {
		f.Fatal(err)
	}
	return a, e, token, u.ID
}
