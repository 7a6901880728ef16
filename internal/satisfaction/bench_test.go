package satisfaction_test

import (
	"context"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/satisfaction"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// BenchmarkReport computes the report over 20,000 surveys (a year of a
// busy desk), 70 % of them answered.
func BenchmarkReport(b *testing.B) {
	e := storetest.SQLite(b)
	ctx := context.Background()
	u, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: "r@x.test", Name: "R", Role: auth.Requester, Password: "a-long-password"})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now().UTC().AddDate(-1, 0, 0)
	err = e.DB.InTx(ctx, func(tx *store.Tx) error {
		for i := range 20000 {
			sent := start.Add(time.Duration(i) * 26 * time.Minute)
			var rating any
			if i%10 < 7 {
				rating = 1 + i%5
			}
			if _, err := tx.Exec(ctx, `INSERT INTO satisfaction_surveys (ticket_kind, ticket_id, requester_id, sent_at, expires_at, rating, answered_at)
				VALUES ('incident', ?, ?, ?, ?, ?, ?)`, i+1, u.ID, store.TS(sent), store.TS(sent.AddDate(0, 0, 14)), rating,
				map[bool]any{true: store.TS(sent.Add(time.Hour)), false: nil}[rating != nil]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	svc := satisfaction.NewService(e.DB, nil)
	p := &auth.Principal{UserID: u.ID, Role: auth.Admin}
	f := satisfaction.ReportFilter{From: start, To: time.Now().UTC().Add(time.Hour)}
	b.ResetTimer()
	for b.Loop() {
		rep, err := svc.Report(ctx, p, f)
		if err != nil || rep.Sent != 20000 {
			b.Fatalf("%v %d", err, rep.Sent)
		}
	}
}
