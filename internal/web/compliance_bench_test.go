package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"steward/internal/app"
	"steward/internal/clauses"
	"steward/internal/compliance"
	"steward/internal/config"
	"steward/internal/demo"
	"steward/internal/store"
)

// BenchmarkReadinessPage opens /compliance as the SMS manager over the
// demo database with many snapshots kept (STEWARD_BENCH_SNAPSHOTS, 5000
// by default: fourteen years of daily evaluations), every clause rated.
// The page reads the newest snapshot, the trend's last 60 and the
// assessments; it never evaluates.
//
//	go test -run '^$' -bench ReadinessPage -benchtime 200x ./internal/web/
func BenchmarkReadinessPage(b *testing.B) {
	ctx := context.Background()
	n := 5000
	if v, err := strconv.Atoi(os.Getenv("STEWARD_BENCH_SNAPSHOTS")); err == nil && v > 0 {
		n = v
	}
	cfg := config.Config{DataDir: b.TempDir(), CookieSecure: "auto", LogLevel: "error", LogFormat: "text"}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := app.OpenStore(ctx, cfg, log)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	a := app.New(cfg, db, log)
	if err := a.LoadDemo(ctx); err != nil {
		b.Fatal(err)
	}
	seedSnapshots(b, db, n)
	ts := httptest.NewServer(a.Handler())
	b.Cleanup(ts.Close)
	c := signIn(b, ts.URL, "admin@steward.demo")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := c.Get(ts.URL + "/compliance")
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "readiness-score") {
			b.Fatalf("readiness: %d", res.StatusCode)
		}
	}
}

// seedSnapshots keeps n daily snapshots, the newest today, and rates
// every leaf clause.
func seedSnapshots(b *testing.B, db *store.DB, n int) {
	ctx := context.Background()
	now := time.Now().UTC()
	ev, err := compliance.Evaluate(ctx, db, clauses.Primary, now)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := json.Marshal(ev)
	counts, _ := json.Marshal(ev.Counts)
	err = db.InTx(ctx, func(tx *store.Tx) error {
		for i := n - 1; i >= 0; i-- {
			at := now.AddDate(0, 0, -i)
			if _, err := tx.Exec(ctx, `INSERT INTO compliance_snapshots (standard, taken_at, origin, score, counts, body, sha256, chain_head)
				VALUES (?, ?, 'schedule', ?, ?, ?, ?, '0:0')`, clauses.Primary, store.TS(at), float64(i%100), string(counts), string(body), strconv.Itoa(i)); err != nil {
				return err
			}
		}
		std, _ := clauses.Get(clauses.Primary)
		for _, l := range std.Leaves() {
			if _, err := tx.Exec(ctx, `INSERT INTO compliance_assessments (standard, clause, rating, comment, evidence, assessed_at)
				VALUES (?, ?, 'partly_met', 'Some of it is in place.', '[{"label":"INC-000001","url":"/incidents/INC-000001"}]', ?) ON CONFLICT (standard, clause) DO NOTHING`, clauses.Primary, l.Number, store.TS(now)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// signIn is a client with a session of the demo user email.
func signIn(tb testing.TB, base, email string) *http.Client {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(base + "/login")
	if err != nil {
		tb.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := hiddenCSRF.FindStringSubmatch(string(page))
	if m == nil {
		tb.Fatal("no sign-in token")
	}
	res, err = c.PostForm(base+"/login", url.Values{"csrf_token": {m[1]}, "email": {email}, "password": {demo.Password}})
	if err != nil || res.StatusCode != http.StatusSeeOther {
		tb.Fatalf("sign in: %v %v", res, err)
	}
	res.Body.Close()
	return c
}
