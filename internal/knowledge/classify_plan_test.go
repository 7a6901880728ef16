package knowledge

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"steward/internal/store"
	"steward/internal/store/storetest"
)

// TestTrainingExamplesNewestFirst reads what the classifiers learn from:
// resolved and closed incidents, newest first, without the withdrawn
// ones and the open ones.
func TestTrainingExamplesNewestFirst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		s := NewService(e.DB, slog.New(slog.NewTextHandler(io.Discard, nil)))
		now := store.TS(time.Now())
		for _, in := range []struct{ title, state, code string }{
			{"Printer jam", "closed", "fixed"},
			{"VPN drops", "resolved", "fixed"},
			{"Mail bounces", "in_progress", ""},
			{"Duplicate ticket", "closed", "withdrawn"},
			{"Disk full", "closed", "workaround"},
		} {
			_, err := e.DB.Exec(ctx, `INSERT INTO incidents (title, description, category, impact, urgency, priority, state, resolution_code, created_at, updated_at)
				VALUES (?, '', 'hardware', 'low', 'low', 5, ?, ?, ?, ?)`, in.title, in.state, in.code, now, now)
			if err != nil {
				t.Fatal(err)
			}
		}
		cats, _, _, err := s.TrainingExamples(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, ex := range cats {
			got = append(got, strings.TrimSuffix(ex.Text, "\n"))
		}
		if want := []string{"Disk full", "VPN drops", "Printer jam"}; !slices.Equal(got, want) {
			t.Errorf("learns from %q, want %q", got, want)
		}
	})
}

// TestTrainingExamplesPlan checks SQLite's plan for the training set with
// the statistics of a desk of 100,000 incidents, nearly all resolved or
// closed: it walks the table from the newest incident and stops at the
// limit, rather than fetching every resolved and closed one from the
// state index and sorting them.
func TestTrainingExamplesPlan(t *testing.T) {
	e := storetest.SQLite(t)
	storetest.DeskIncidentStats(t, e.DB)
	plan := storetest.Plan(t, e.DB, trainingQuery(store.SQLite), "withdrawn", maxTraining)
	if !strings.HasPrefix(plan, "SCAN i\n") || strings.Contains(plan, "USE TEMP B-TREE FOR ORDER BY") {
		t.Errorf("plan\n%swant a walk of the table in id order", plan)
	}
}
